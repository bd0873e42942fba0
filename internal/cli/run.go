package cli

import (
	"context"
	"log/slog"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// runCommand is run or backfill. Only run reads INGEST_PERIOD: the nightly
// job's environment must not turn a backfill into a D7 run.
func runCommand(name, usage, defaultPeriod string, periodEnv ...string) *ucli.Command {
	period := &ucli.StringFlag{Name: "period", Value: defaultPeriod, EnvVars: periodEnv, Usage: "D7, D30, D90 or D180"}
	return &ucli.Command{
		Name:  name,
		Usage: usage,
		Flags: flags(graphFlags(period), tenantsFlags(), privacyFlags(), dbFlags(), lockFlags(), metricsFlags(), logFlags(), []ucli.Flag{
			&ucli.StringFlag{Name: "daily-at", EnvVars: []string{"INGEST_DAILY_AT"}, Usage: "stay up and run every day at this UTC time `HH:MM` (a container's schedule, without cron); a signal ends the wait"},
		}),
		OnUsageError: onUsage,
		Action:       loading(func(c *ucli.Context) (*runOptions, error) { return parseRun(c, defaultPeriod) }),
	}
}

// runOptions are run's (or backfill's) flags, validated.
type runOptions struct {
	log     *slog.Logger
	period  string
	days    int
	specs   []*report.Spec
	graph   *graphOptions
	tenants *tenantsOptions // nil: one tenant, from the flags
	metrics metricsOptions
}

// parseRun validates run's (or backfill's) flags: no arguments, --period
// (defaultPeriod when it is given empty), --report, the log flags and the
// Graph flags (see parseGraph), in that order.
func parseRun(c *ucli.Context, defaultPeriod string) (*runOptions, error) {
	hint := "use --report"
	if _, _, err := report.ValidPeriod(c.Args().First()); err == nil {
		hint = "use --period"
	}
	if err := noArgs(c, hint); err != nil {
		return nil, err
	}
	given := c.String("period")
	if given == "" {
		given = defaultPeriod
	}
	period, days, err := report.ValidPeriod(given)
	if err != nil {
		return nil, periodError(c, given)
	}
	specs, err := selectReports(c)
	if err != nil {
		return nil, err
	}
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	t, err := parseTenants(c)
	if err != nil {
		return nil, err
	}
	if at := c.String("daily-at"); at != "" {
		if _, err := parseDailyAt(at); err != nil {
			return nil, err
		}
	}
	g, err := parseGraph(c, log)
	if err != nil {
		return nil, err
	}
	m, err := parseMetrics(c)
	if err != nil {
		return nil, err
	}
	m.shard = t.metricsShard()
	return &runOptions{log: log, period: period, days: days, specs: specs, graph: g, tenants: t, metrics: m}, nil
}

// plan fetches the reports from Graph once the run has a token and knows
// its tenant.
func (o *runOptions) plan() pipeline.Plan {
	return pipeline.Plan{
		Run: load.Run{Period: o.period}, Noun: "reports", Finished: o.metrics.write, LockScope: o.tenants.lockScope(),
		Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
			if o.tenants != nil {
				ts := o.graph.connectTenants(ctx, o.tenants)
				return r.TenantsWork(ctx, ts, o.specs, o.period, o.days, o.tenants.workers), nil
			}
			g, err := o.graph.connect(ctx, r.Log)
			if err != nil {
				return nil, err
			}
			return r.GraphWork(ctx, g, o.specs, o.period, o.days), nil
		},
	}
}

func (o *runOptions) logger() *slog.Logger { return o.log }

// graphOptions are the Graph flags of run and backfill, validated but not
// yet used: no token has been asked for. The client's Tokens are the
// credential's.
type graphOptions struct {
	graph    pipeline.Graph // Tenant as connect resolves it
	graphURL string
	cred     *auth.Credential

	// For a run over a tenants file: the flags' credential options, which
	// each tenant's settings override, and a Graph client per tenant.
	base        auth.Options
	graphURLSet bool // --graph-url given: every tenant's cloud is served there
	newClient   func(graphURL string, tokens extract.TokenSource) pipeline.Graph

	// rebuild, for run --daily-at, builds the credential again before each
	// run: a token or secret file rotated since the last night is read anew.
	rebuild func(ctx context.Context) (*auth.Credential, error)
}

// parseGraph validates the Graph flags and builds the credential, without
// any network call: a mistake in them is a usage error before the run
// touches the warehouse or Entra ID.
func parseGraph(c *ucli.Context, log *slog.Logger) (*graphOptions, error) {
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
	ao, err := authOptions(c, cl, h, log)
	if err != nil {
		return nil, err
	}
	o := &graphOptions{graphURL: graphURL, base: ao, graphURLSet: c.String("graph-url") != ""}
	o.newClient = func(graphURL string, tokens extract.TokenSource) pipeline.Graph {
		client := &extract.Client{
			GraphURL: graphURL, APIVersion: apiVersion, Tokens: tokens,
			MaxPayloadBytes: c.Int64("max-payload-bytes"), MaxAttempts: c.Int("max-attempts"),
			MaxWait: c.Duration("max-retry-wait"), RequestTimeout: c.Duration("request-timeout"), Log: log,
			Clock: h.clock, Limiter: extract.NewLimiter(h.clock, h.budget),
		}
		return pipeline.Graph{Client: client, Limiter: client.Limiter, Format: format, Force: c.Bool("force"), Concurrency: c.Int("concurrency")}
	}
	if c.String("tenants-file") != "" {
		return o, nil // each tenant's credential is built when the run starts
	}
	if o.cred, err = auth.Build(c.Context, ao); err != nil {
		return nil, err
	}
	o.graph = o.newClient(graphURL, o.cred.Tokens)
	if c.String("daily-at") != "" {
		o.rebuild = func(ctx context.Context) (*auth.Credential, error) {
			ao, err := authOptions(c, cl, h, log)
			if err != nil {
				return nil, err
			}
			return auth.Build(ctx, ao)
		}
	}
	return o, nil
}

// connect asks for the token and resolves the tenant (see
// auth.Credential.Connect): the Graph side of the run, ready.
func (o *graphOptions) connect(ctx context.Context, log *slog.Logger) (pipeline.Graph, error) {
	if o.rebuild != nil {
		cred, err := o.rebuild(ctx)
		if err != nil {
			return pipeline.Graph{}, err
		}
		o.cred, o.graph = cred, o.newClient(o.graphURL, cred.Tokens)
	}
	tenant, err := o.cred.Connect(ctx)
	if err != nil {
		return pipeline.Graph{}, err
	}
	g := o.graph
	g.Tenant = tenant
	log.Debug("graph configured", "auth", o.cred.Mode, "cloud", o.cred.Cloud.Name, "graph_url", o.graphURL,
		"scope", o.cred.Cloud.Scope(), "tenant", tenant)
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
