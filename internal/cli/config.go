package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/localpg"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// Flags are built afresh for every app: urfave/cli writes parsed values into
// them, so apps running side by side (tests) must not share them.

func dbFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "database-url", Value: localpg.URL, EnvVars: []string{"DATABASE_URL"}, Usage: "Postgres URL of the warehouse"},
		&ucli.StringFlag{Name: "schema", Value: load.DefaultSchema, EnvVars: []string{"INGEST_SCHEMA"}, Usage: "warehouse schema"},
	}
}

func tenantFlag(usage string) ucli.Flag {
	return &ucli.StringFlag{Name: "tenant-id", EnvVars: []string{"AZURE_TENANT_ID"}, Usage: usage}
}

// graphFlags are the flags of run and backfill; period is their --period,
// which differs between them.
func graphFlags(period ucli.Flag) []ucli.Flag {
	return []ucli.Flag{
		period,
		&ucli.StringSliceFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "`REPORT` to fetch (a name that ingest reports prints), repeatable or comma-separated; default all"},
		&ucli.StringFlag{Name: "cloud", Value: "public", EnvVars: []string{"GRAPH_CLOUD"}, Usage: "public, usgov, usgov-dod or china: sets the Graph host, the authority host and the token scope"},
		&ucli.StringFlag{Name: "graph-url", EnvVars: []string{"GRAPH_URL"}, Usage: "Graph scheme and host, e.g. https://graph.microsoft.com (default from --cloud); the token scope stays the cloud's"},
		&ucli.StringFlag{Name: "authority-host", EnvVars: []string{"AZURE_AUTHORITY_HOST"}, Usage: "Entra ID authority, e.g. https://login.microsoftonline.com (default from --cloud); setting it turns instance discovery off"},
		&ucli.StringFlag{Name: "api-version", Value: "v1.0", EnvVars: []string{"GRAPH_API_VERSION"}, Usage: "v1.0 or beta"},
		&ucli.StringFlag{Name: "format", Value: "csv", EnvVars: []string{"GRAPH_FORMAT"}, Usage: "csv, or json (beta only)"},
		&ucli.StringFlag{Name: "auth", Value: "auto", EnvVars: []string{"AZURE_AUTH"}, Usage: "auto, default, client-secret, client-certificate, managed-identity, workload-identity, azure-cli or token " +
			"(auto: token, client-secret, client-certificate or workload-identity when its setting is given, else managed-identity on an Azure host that has one, else azure-cli when az is on PATH, else exit 2 saying what to set)"},
		&ucli.StringFlag{Name: "access-token", EnvVars: []string{"GRAPH_ACCESS_TOKEN"}, Usage: "a Graph token obtained elsewhere, for --auth token (e.g. for the simulator)"},
		&ucli.StringFlag{Name: "access-token-file", EnvVars: []string{"GRAPH_ACCESS_TOKEN_FILE"}, Usage: "file holding the --access-token (a trailing newline is dropped)"},
		tenantFlag("Entra tenant id: a GUID, or a domain such as contoso.onmicrosoft.com that the token's tid claim resolves; default the token's tid claim"),
		&ucli.StringFlag{Name: "client-id", EnvVars: []string{"AZURE_CLIENT_ID"}, Usage: "app (client) id; with managed-identity, the client id of a user-assigned identity"},
		&ucli.StringFlag{Name: "client-secret", EnvVars: []string{"AZURE_CLIENT_SECRET"}, Usage: "client secret, for --auth client-secret"},
		&ucli.StringFlag{Name: "client-secret-file", EnvVars: []string{"AZURE_CLIENT_SECRET_FILE"}, Usage: "file holding the --client-secret (a trailing newline is dropped)"},
		&ucli.StringFlag{Name: "client-certificate-path", EnvVars: []string{"AZURE_CLIENT_CERTIFICATE_PATH"}, Usage: "PEM or PFX file with the certificate and its private key, for --auth client-certificate"},
		&ucli.StringFlag{Name: "client-certificate-password", EnvVars: []string{"AZURE_CLIENT_CERTIFICATE_PASSWORD"}, Usage: "password of the certificate file, if any"},
		&ucli.StringFlag{Name: "client-certificate-password-file", EnvVars: []string{"AZURE_CLIENT_CERTIFICATE_PASSWORD_FILE"}, Usage: "file holding the --client-certificate-password (a trailing newline is dropped)"},
		&ucli.StringFlag{Name: "federated-token-file", EnvVars: []string{"AZURE_FEDERATED_TOKEN_FILE"}, Usage: "file holding the federated (e.g. Kubernetes service account) token, for --auth workload-identity"},
		&ucli.IntFlag{Name: "concurrency", Value: 4, EnvVars: []string{"INGEST_CONCURRENCY"}, Usage: "reports fetched at once"},
		&ucli.BoolFlag{Name: "force", EnvVars: []string{"INGEST_FORCE"}, Usage: "ignore stored ETags: fetch and load every report even if Graph would answer 304 Not Modified"},
		&ucli.Int64Flag{Name: "max-payload-bytes", Value: extract.DefaultMaxPayloadBytes, EnvVars: []string{"INGEST_MAX_PAYLOAD_BYTES"}, Usage: "fail a payload larger than this"},
		&ucli.IntFlag{Name: "max-attempts", Value: extract.DefaultMaxAttempts, EnvVars: []string{"INGEST_MAX_ATTEMPTS"}, Usage: "tries per request (429/503/504, connection errors, truncated bodies, expired download URLs)"},
		&ucli.DurationFlag{Name: "max-retry-wait", Value: extract.DefaultMaxWait, EnvVars: []string{"INGEST_MAX_RETRY_WAIT"}, Usage: "bound on the time one report may spend retrying: no retry starts later than this after its first request"},
		&ucli.DurationFlag{Name: "request-timeout", Value: extract.DefaultRequestTimeout, EnvVars: []string{"INGEST_REQUEST_TIMEOUT"}, Usage: "bound on one HTTP request, reading its body included; a report takes at most --max-retry-wait plus one of these"},
	}
}

func flags(groups ...[]ucli.Flag) []ucli.Flag {
	var out []ucli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// openDB connects and binds the schema. A *load.ConfigError it returns
// exits 2 (see exitCode).
func openDB(c *ucli.Context, log *slog.Logger) (*load.DB, error) {
	return load.Connect(c.Context, c.String("database-url"), c.String("schema"), log)
}

// openWarehouse builds the logger and connects; with migrate it also applies
// the migrations and views. For commands that do not load report data.
func openWarehouse(c *ucli.Context, migrate bool) (*load.DB, error) {
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	db, err := openDB(c, log)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(c.Context); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// graphSetup is the Graph side of a run's configuration as the flags give
// it, validated but not yet used: no token has been asked for. The
// client's Tokens are the credential's.
type graphSetup struct {
	graph    pipeline.Graph // Tenant as connect resolves it
	graphURL string
	cred     *auth.Credential
}

// parseGraph validates the Graph flags and builds the credential, without
// any network call: a mistake in them is a usage error before the run
// touches the warehouse or Entra ID.
func parseGraph(c *ucli.Context, log *slog.Logger) (*graphSetup, error) {
	cl, err := extract.LookupCloud(c.String("cloud"))
	if err != nil {
		return nil, usagef("%v", err)
	}
	graphURL := cl.GraphURL
	if g := c.String("graph-url"); g != "" {
		if err := extract.CheckGraphURL(g); err != nil {
			return nil, usagef("invalid --graph-url %q: %v", extract.RedactURL(g), err)
		}
		graphURL = strings.TrimRight(g, "/")
	}
	apiVersion := c.String("api-version")
	if apiVersion != "v1.0" && apiVersion != "beta" {
		return nil, usagef("invalid --api-version %q: want v1.0 or beta", apiVersion)
	}
	format, err := report.ParseFormat(c.String("format"))
	if err != nil {
		return nil, usagef("%v", err)
	}
	if format == report.JSON && apiVersion != "beta" {
		return nil, usagef("--format json needs --api-version beta: v1.0 answers CSV only")
	}
	h := hooksFrom(c.Context)
	o, err := authOptions(c, cl, h, log)
	if err != nil {
		return nil, err
	}
	cred, err := auth.Build(c.Context, o)
	if err != nil {
		return nil, err
	}
	client := &extract.Client{
		GraphURL: graphURL, APIVersion: apiVersion, Tokens: cred.Tokens,
		MaxPayloadBytes: c.Int64("max-payload-bytes"), MaxAttempts: c.Int("max-attempts"),
		MaxWait: c.Duration("max-retry-wait"), RequestTimeout: c.Duration("request-timeout"), Log: log,
		Clock: h.clock, Limiter: extract.NewLimiter(h.clock, h.budget),
	}
	return &graphSetup{
		graph:    pipeline.Graph{Client: client, Limiter: client.Limiter, Format: format, Force: c.Bool("force"), Concurrency: c.Int("concurrency")},
		graphURL: graphURL, cred: cred,
	}, nil
}

// connect asks for the token and resolves the tenant (see
// auth.Credential.Connect): the Graph side of the run, ready.
func (gs *graphSetup) connect(ctx context.Context, log *slog.Logger) (pipeline.Graph, error) {
	tenant, err := gs.cred.Connect(ctx)
	if err != nil {
		return pipeline.Graph{}, err
	}
	g := gs.graph
	g.Tenant = tenant
	log.Debug("graph configured", "auth", gs.cred.Mode, "cloud", gs.cred.Cloud.Name, "graph_url", gs.graphURL,
		"scope", gs.cred.Cloud.Scope(), "tenant", tenant)
	return g, nil
}

// authOptions are the credential's options (see auth.Build) as the flags
// give them, secrets read from their files.
func authOptions(c *ucli.Context, cl extract.Cloud, h hooks, log *slog.Logger) (auth.Options, error) {
	o := auth.Options{
		Mode: c.String("auth"), Cloud: cl,
		TenantID: c.String("tenant-id"), ClientID: c.String("client-id"), AuthorityHost: c.String("authority-host"),
		CertificatePath: c.String("client-certificate-path"), FederatedTokenFile: c.String("federated-token-file"),
		Sources: map[string]string{}, Log: log,
		AuthTransport: h.authTransport, Metadata: h.metadata, LookPath: h.lookPath,
	}
	for _, sv := range []struct {
		name string
		v    *string
	}{{"access-token", &o.AccessToken}, {"client-secret", &o.ClientSecret}, {"client-certificate-password", &o.CertificatePassword}} {
		v, err := secretValue(c, sv.name)
		if err != nil {
			return auth.Options{}, err
		}
		*sv.v = v
	}
	for _, name := range []string{"access-token", "client-secret", "client-certificate-path", "federated-token-file"} {
		o.Sources[name] = source(c, name)
	}
	return o, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// numRange is the range a numeric flag accepts, inclusive; a duration's in
// nanoseconds. With zeroIsNone, 0 (meaning no limit) is accepted too.
type numRange struct {
	min, max   int64
	zeroIsNone bool
}

// maxPayloadBytes is the most --max-payload-bytes accepts: a payload is held
// in memory and stored whole in one Postgres bytea, which holds about 1 GB.
const maxPayloadBytes = 1 << 30

// numericRanges is the one rule for numeric flags: every int, int64 and
// duration flag of every command has its range here, by flag name (a flag
// of that name means the same in every command). checkNumbers enforces it;
// TestEveryNumericFlagHasARange fails for a numeric flag missing here.
var numericRanges = map[string]numRange{
	"concurrency":       {min: 1, max: 32},
	"max-attempts":      {min: 1, max: 20},
	"max-payload-bytes": {min: 1, max: maxPayloadBytes},
	"max-retry-wait":    {min: int64(time.Second), max: int64(24 * time.Hour)},
	// Postgres takes lock_timeout in whole milliseconds, 0 meaning forever,
	// and at most 2^31-1 of them.
	"wait-timeout": {min: int64(time.Millisecond), max: int64(math.MaxInt32 * time.Millisecond)},
	// statement_timeout is whole milliseconds too.
	"statement-timeout": {min: int64(time.Millisecond), max: int64(math.MaxInt32 * time.Millisecond), zeroIsNone: true},
	"run-timeout":       {min: int64(time.Second), max: int64(math.MaxInt32 * time.Millisecond), zeroIsNone: true},
	"request-timeout":   {min: int64(time.Second), max: int64(24 * time.Hour)},
	// graph-sim
	"latency-days": {min: 0, max: 365},
	"retry-after":  {min: 0, max: int64(24 * time.Hour)},
	"page-size":    {min: 0, max: 1_000_000},
}

// numericValue is a numeric flag's value in c, and whether f is numeric.
func numericValue(c *ucli.Context, f ucli.Flag) (int64, bool) {
	name := f.Names()[0]
	switch f.(type) {
	case *ucli.IntFlag:
		return int64(c.Int(name)), true
	case *ucli.Int64Flag:
		return c.Int64(name), true
	case *ucli.DurationFlag:
		return int64(c.Duration(name)), true
	case *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag:
		// None yet: numericDefault reports them, so that a test fails
		// until they get a rule here.
		return 0, true
	}
	return 0, false
}

// numericDefault is a numeric flag's default, and whether f is numeric.
func numericDefault(f ucli.Flag) (int64, bool) {
	switch f := f.(type) {
	case *ucli.IntFlag:
		return int64(f.Value), true
	case *ucli.Int64Flag:
		return f.Value, true
	case *ucli.DurationFlag:
		return int64(f.Value), true
	case *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag:
		return math.MinInt64, true
	}
	return 0, false
}

// checkNumbers is every command's Before: each numeric flag of the command
// must be inside its range in numericRanges. The usage error names the flag
// (and the environment variable when the value came from there) and the
// range.
func checkNumbers(c *ucli.Context) error {
	for _, f := range c.Command.Flags {
		v, numeric := numericValue(c, f)
		if !numeric {
			continue
		}
		name := f.Names()[0]
		r, ok := numericRanges[name]
		if !ok {
			return fmt.Errorf("internal error: numeric flag --%s has no range in numericRanges", name)
		}
		if (v >= r.min && v <= r.max) || (v == 0 && r.zeroIsNone) {
			continue
		}
		show := func(n int64) string { return strconv.FormatInt(n, 10) }
		if _, ok := f.(*ucli.DurationFlag); ok {
			show = func(n int64) string { return time.Duration(n).String() }
		}
		where := "--" + name
		if env := fromEnv(c, f); env != "" {
			where = env + " (--" + name + ")"
		}
		none := ""
		if r.zeroIsNone {
			none = "0 (none) or "
		}
		return usagef("invalid %s %s: want %s%s to %s", where, show(v), none, show(r.min), show(r.max))
	}
	return nil
}

// fromEnv is the environment variable that gave f its value, or "" when the
// command line did (or nothing did).
func fromEnv(c *ucli.Context, f ucli.Flag) string {
	if onCommandLine(c, f.Names()[0]) {
		return ""
	}
	ef, ok := f.(interface{ GetEnvVars() []string })
	if !ok {
		return ""
	}
	for _, e := range ef.GetEnvVars() {
		if _, ok := os.LookupEnv(e); ok {
			return e
		}
	}
	return ""
}

// onCommandLine reports whether the flag name was given on the command line
// (-name, --name, -name=… or --name=…, anywhere in it), not from the
// environment. Main keeps the arguments in the app's Metadata.
func onCommandLine(c *ucli.Context, name string) bool {
	args, _ := c.App.Metadata["args"].([]string)
	for _, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// secretValue is the secret of flag name (access-token, client-secret,
// client-certificate-password), given itself or read from the file its
// name-file flag (or that flag's *_FILE variable) names, without one
// trailing newline. Both given at one level (both on the command line, or
// both in the environment) is a usage error; otherwise the command line wins.
// An unreadable or empty file is a usage error naming where its path came
// from and the path.
func secretValue(c *ucli.Context, name string) (string, error) {
	fileFlag := name + "-file"
	value, path := c.String(name), c.String(fileFlag)
	if path == "" {
		return value, nil
	}
	if value != "" {
		switch valueCmd, fileCmd := onCommandLine(c, name), onCommandLine(c, fileFlag); {
		case valueCmd == fileCmd:
			return "", usagef("%s and %s are both set: give the secret or the file that holds it, not both", source(c, name), source(c, fileFlag))
		case valueCmd:
			return value, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("%s: cannot read the file %s: %v", source(c, fileFlag), path, errors.Unwrap(err))
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if secret == "" {
		return "", usagef("%s: the file %s is empty", source(c, fileFlag), path)
	}
	return secret, nil
}

// source names where flag name's value came from: its environment variable
// or the flag.
func source(c *ucli.Context, name string) string {
	for _, f := range c.Command.Flags {
		if f.Names()[0] == name {
			if env := fromEnv(c, f); env != "" {
				return env
			}
		}
	}
	return "--" + name
}

// secretFlags are the flags that carry a secret, with where the secret had
// better come from.
var secretFlags = []struct{ name, instead string }{
	{"access-token", "GRAPH_ACCESS_TOKEN_FILE or GRAPH_ACCESS_TOKEN"},
	{"client-secret", "AZURE_CLIENT_SECRET_FILE or AZURE_CLIENT_SECRET"},
	{"client-certificate-password", "AZURE_CLIENT_CERTIFICATE_PASSWORD_FILE or AZURE_CLIENT_CERTIFICATE_PASSWORD"},
	{"database-url", "PGPASSFILE or PGPASSWORD for the password, or DATABASE_URL"},
}

// warnSecretFlags logs one warning when secrets were given on the command
// line, where every local user can read them (ps, /proc): it names the flags
// and the alternatives. A --database-url counts when it holds a password.
func warnSecretFlags(c *ucli.Context, log *slog.Logger) {
	var names, instead []string
	for _, sf := range secretFlags {
		if c.Command == nil || !hasFlag(c.Command, sf.name) || !onCommandLine(c, sf.name) || c.String(sf.name) == "" {
			continue
		}
		if sf.name == "database-url" && !load.HasPassword(c.String(sf.name)) {
			continue
		}
		names = append(names, "--"+sf.name)
		instead = append(instead, sf.instead)
	}
	if len(names) > 0 {
		log.Warn("secrets given on the command line are visible to every local user (ps); use the environment or a file instead",
			"flags", strings.Join(names, ", "), "instead", strings.Join(instead, "; "))
	}
}

func hasFlag(cmd *ucli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if f.Names()[0] == name {
			return true
		}
	}
	return false
}
