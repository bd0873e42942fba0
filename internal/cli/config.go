package cli

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/transform"
)

// DefaultDatabaseURL is the local server this project's machines run.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var dbFlags = []ucli.Flag{
	&ucli.StringFlag{Name: "database-url", Value: DefaultDatabaseURL, EnvVars: []string{"DATABASE_URL"}, Usage: "Postgres URL of the warehouse"},
	&ucli.StringFlag{Name: "schema", Value: load.DefaultSchema, EnvVars: []string{"INGEST_SCHEMA"}, Usage: "warehouse schema"},
}

var tenantFlag = &ucli.StringFlag{Name: "tenant-id", EnvVars: []string{"AZURE_TENANT_ID"}, Usage: "Entra tenant id (GUID); default the token's tid claim"}

var graphFlags = []ucli.Flag{
	&ucli.StringFlag{Name: "period", EnvVars: []string{"INGEST_PERIOD"}, Usage: "D7, D30, D90 or D180"},
	&ucli.StringSliceFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "report to fetch, repeatable (see `ingest reports`); default all"},
	&ucli.StringFlag{Name: "cloud", Value: "public", EnvVars: []string{"GRAPH_CLOUD"}, Usage: "public, usgov, usgov-dod or china"},
	&ucli.StringFlag{Name: "graph-url", EnvVars: []string{"GRAPH_URL"}, Usage: "Graph scheme and host, e.g. https://graph.microsoft.com (default from --cloud)"},
	&ucli.StringFlag{Name: "api-version", Value: "v1.0", EnvVars: []string{"GRAPH_API_VERSION"}, Usage: "v1.0 or beta"},
	&ucli.StringFlag{Name: "format", Value: "csv", EnvVars: []string{"GRAPH_FORMAT"}, Usage: "csv, or json (beta only)"},
	&ucli.StringFlag{Name: "auth", Value: "auto", EnvVars: []string{"AZURE_AUTH"}, Usage: "auto (token if given, else client-secret), token or client-secret"},
	&ucli.StringFlag{Name: "access-token", EnvVars: []string{"GRAPH_ACCESS_TOKEN"}, Usage: "a Graph token obtained elsewhere (e.g. for the simulator)"},
	tenantFlag,
	&ucli.StringFlag{Name: "client-id", EnvVars: []string{"AZURE_CLIENT_ID"}, Usage: "app (client) id for client-secret auth"},
	&ucli.StringFlag{Name: "client-secret", EnvVars: []string{"AZURE_CLIENT_SECRET"}, Usage: "client secret for client-secret auth"},
	&ucli.Int64Flag{Name: "max-payload-bytes", Value: extract.DefaultMaxPayloadBytes, EnvVars: []string{"INGEST_MAX_PAYLOAD_BYTES"}, Usage: "fail a payload larger than this"},
	&ucli.IntFlag{Name: "max-attempts", Value: 4, EnvVars: []string{"INGEST_MAX_ATTEMPTS"}, Usage: "tries per request on 429/503/504 and connection errors"},
	&ucli.DurationFlag{Name: "max-retry-wait", Value: extract.DefaultMaxWait, EnvVars: []string{"INGEST_MAX_RETRY_WAIT"}, Usage: "bound on the total time waiting between tries"},
}

// flags joins flag groups into fresh copies (see copyFlag).
func flags(groups ...[]ucli.Flag) []ucli.Flag {
	var out []ucli.Flag
	for _, g := range groups {
		for _, f := range g {
			out = append(out, copyFlag(f))
		}
	}
	return out
}

// openDB connects and binds the schema.
func openDB(c *ucli.Context, log *slog.Logger) (*load.DB, error) {
	db, err := load.Connect(c.Context, c.String("database-url"), c.String("schema"), log)
	if err != nil {
		if strings.Contains(err.Error(), "invalid schema") || strings.Contains(err.Error(), "parse database URL") {
			return nil, &usageError{err}
		}
		return nil, err
	}
	return db, nil
}

// graphSetup is the Graph side of a run's configuration.
type graphSetup struct {
	client *extract.Client
	tenant string
	format transform.Format
}

// newGraph validates the Graph flags and builds the client. It fetches a
// token up front (azidentity caches it) so that bad credentials fail before
// any report, and to learn the tenant from its tid claim when not configured.
func newGraph(c *ucli.Context, log *slog.Logger) (*graphSetup, error) {
	cl, err := extract.LookupCloud(c.String("cloud"))
	if err != nil {
		return nil, usagef("%v", err)
	}
	graphURL := cl.GraphURL
	if g := c.String("graph-url"); g != "" {
		u, err := url.Parse(g)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, usagef("invalid --graph-url %q: want a scheme and host only, such as https://graph.microsoft.com", g)
		}
		graphURL = strings.TrimRight(g, "/")
	}
	apiVersion := c.String("api-version")
	if apiVersion != "v1.0" && apiVersion != "beta" {
		return nil, usagef("invalid --api-version %q: want v1.0 or beta", apiVersion)
	}
	format, err := transform.ParseFormat(c.String("format"))
	if err != nil {
		return nil, usagef("%v", err)
	}
	if format == transform.JSON && apiVersion != "beta" {
		return nil, usagef("--format json needs --api-version beta: v1.0 answers CSV only")
	}
	tokens, err := tokenSource(c, cl, graphURL)
	if err != nil {
		return nil, err
	}
	tenant := c.String("tenant-id")
	tok, err := tokens.Token(c.Context)
	if err != nil {
		return nil, fmt.Errorf("get token for %s: %w", graphURL, err)
	}
	if tenant == "" {
		tid, ok := extract.TenantFromToken(tok)
		if !ok {
			return nil, usagef("tenant id unknown: set --tenant-id or AZURE_TENANT_ID (the token has no tid claim)")
		}
		tenant = tid
	}
	return &graphSetup{
		client: &extract.Client{
			GraphURL: graphURL, APIVersion: apiVersion, Tokens: tokens,
			MaxPayloadBytes: c.Int64("max-payload-bytes"), MaxAttempts: c.Int("max-attempts"),
			MaxWait: c.Duration("max-retry-wait"), Log: log,
		},
		tenant: tenant,
		format: format,
	}, nil
}

func tokenSource(c *ucli.Context, cl extract.Cloud, graphURL string) (extract.TokenSource, error) {
	mode := c.String("auth")
	if mode == "auto" {
		mode = "client-secret"
		if c.String("access-token") != "" {
			mode = "token"
		}
	}
	switch mode {
	case "token":
		if c.String("access-token") == "" {
			return nil, usagef("--auth token needs --access-token or GRAPH_ACCESS_TOKEN")
		}
		return extract.StaticToken(c.String("access-token")), nil
	case "client-secret":
		tenant, id, secret := c.String("tenant-id"), c.String("client-id"), c.String("client-secret")
		var missing []string
		for name, v := range map[string]string{"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": id, "AZURE_CLIENT_SECRET": secret} {
			if v == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return nil, usagef("no credentials: give --access-token (GRAPH_ACCESS_TOKEN), or set %s for client-secret auth", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
		}
		opts := &azidentity.ClientSecretCredentialOptions{}
		opts.Cloud = cl.Azure
		cred, err := azidentity.NewClientSecretCredential(tenant, id, secret, opts)
		if err != nil {
			return nil, usagef("client-secret credential: %v", err)
		}
		return credentialToken(cred, graphURL), nil
	default:
		return nil, usagef("invalid --auth %q: want auto, token or client-secret", mode)
	}
}

func credentialToken(cred azcore.TokenCredential, graphURL string) extract.TokenSource {
	return extract.CredentialToken{Credential: cred, Scope: extract.Scope(graphURL)}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
