package cli

import (
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/localpg"
	"github.com/m365ingest/ingest/load"
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

// privacyFlags are the flags of the commands that load detail reports
// (report.Detail): what they keep of people's names.
func privacyFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "pseudonymize", EnvVars: []string{"INGEST_PSEUDONYMIZE"},
			Usage: "replace principal names, display names, group and team names and site URLs in detail reports by a keyed hash (HMAC-SHA256 with --pseudonymize-key) before anything is stored, the payload included"},
		&ucli.StringFlag{Name: "pseudonymize-key", EnvVars: []string{"INGEST_PSEUDONYMIZE_KEY"},
			Usage: "the key of --pseudonymize, 16 bytes or more; keep it: another key gives other pseudonyms, and each person's history starts again"},
		&ucli.StringFlag{Name: "pseudonymize-key-file", EnvVars: []string{"INGEST_PSEUDONYMIZE_KEY_FILE"},
			Usage: "file holding the --pseudonymize-key (a trailing newline is dropped)"},
	}
}

// minPseudonymKey is the shortest --pseudonymize-key: 128 bits.
const minPseudonymKey = 16

// pseudonymKey is the key of --pseudonymize, nil when it is off.
func pseudonymKey(c *ucli.Context) ([]byte, error) {
	if !hasFlag(c.Command, "pseudonymize") {
		return nil, nil
	}
	if !c.Bool("pseudonymize") {
		// A key without the flag is a pseudonymizing set-up that lost its
		// switch: loading names in clear is not what it asked for.
		for _, k := range []string{"pseudonymize-key", "pseudonymize-key-file"} {
			if c.IsSet(k) {
				return nil, usagef("%s is set but %s is not: names would be stored as they are; set both, or neither", source(c, k), source(c, "pseudonymize"))
			}
		}
		return nil, nil
	}
	key, err := secretValue(c, "pseudonymize-key")
	if err != nil {
		return nil, err
	}
	switch {
	case key == "":
		return nil, usagef("%s needs a key: set INGEST_PSEUDONYMIZE_KEY_FILE (a file's path) or INGEST_PSEUDONYMIZE_KEY", source(c, "pseudonymize"))
	case len(key) < minPseudonymKey:
		return nil, usagef("%s: the key has %d bytes; give %d or more (such as the output of openssl rand -hex 32)", source(c, "pseudonymize-key"), len(key), minPseudonymKey)
	case hasFlag(c.Command, "format") && strings.EqualFold(c.String("format"), "json"):
		// The pseudonymizer rewrites CSV as it streams; refuse before any
		// request rather than fail every detail report of the run.
		return nil, usagef("%s reads the detail reports as CSV: it cannot be used with %s json", source(c, "pseudonymize"), source(c, "format"))
	}
	return []byte(key), nil
}

func flags(groups ...[]ucli.Flag) []ucli.Flag {
	var out []ucli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// lockFlags are the flags of every command that writes report data.
func lockFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "wait", EnvVars: []string{"INGEST_WAIT"}, Usage: "when another run holds the lock, wait for it instead of exiting 0"},
		&ucli.DurationFlag{Name: "wait-timeout", Value: 30 * time.Minute, EnvVars: []string{"INGEST_WAIT_TIMEOUT"}, Usage: "how long --wait waits for the lock"},
		&ucli.DurationFlag{Name: "statement-timeout", Value: defaultStatementTimeout, EnvVars: []string{"INGEST_STATEMENT_TIMEOUT"}, Usage: "Postgres statement_timeout of the run's statements (0: none)"},
		&ucli.DurationFlag{Name: "run-timeout", Value: defaultRunTimeout, EnvVars: []string{"INGEST_RUN_TIMEOUT"}, Usage: "the whole run's deadline, waiting for the lock included (0: none)"},
	}
}

// personLockFlags are lockFlags for the commands a person runs (load-file,
// replay): they wait for the lock by default, and --wait=false makes them
// fail at once instead. Not getting the lock is never success for them: the
// caller expects the file loaded (`ingest load-file x && rm x`).
func personLockFlags() []ucli.Flag {
	fs := lockFlags()
	fs[0] = &ucli.BoolFlag{Name: "wait", Value: true, EnvVars: []string{"INGEST_WAIT"}, Usage: "when another run holds the lock, wait for it, up to --wait-timeout (--wait=false: fail at once)"}
	return fs
}

const (
	defaultStatementTimeout = 10 * time.Minute
	// A nightly run must end (and let go of the lock) well before the next
	// night's: 6 hours, far below 24.
	defaultRunTimeout = 6 * time.Hour
)

func logFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"INGEST_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
		&ucli.StringFlag{Name: "log-format", Value: "auto", EnvVars: []string{"INGEST_LOG_FORMAT"}, Usage: "auto (text on a terminal, JSON otherwise), text or json"},
	}
}

// jsonFlag is --json of reports and status (see jsonout.go).
func jsonFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: "json", EnvVars: []string{"INGEST_JSON"}, Usage: "print JSON instead of tables (field names as the README lists them)"}
}

// detailFlag is grant-reader's --detail: the detail views too (per user,
// mailbox, site, group or team; see load.GrantReader).
func detailFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: "detail", EnvVars: []string{"INGEST_GRANT_DETAIL"},
		Usage: "also the detail views: a row per user, mailbox, site, group or team, with names unless Microsoft conceals them (without it, a role granted them before loses them)"}
}

func hasFlag(cmd *ucli.Command, name string) bool { return flagOf(cmd, name) != nil }

// flagOf is cmd's flag of that name, or nil.
func flagOf(cmd *ucli.Command, name string) ucli.Flag {
	for _, f := range cmd.Flags {
		if f.Names()[0] == name {
			return f
		}
	}
	return nil
}

// envVars are the environment variables a flag reads.
func envVars(f ucli.Flag) []string {
	if e, ok := f.(interface{ GetEnvVars() []string }); ok {
		return e.GetEnvVars()
	}
	return nil
}
