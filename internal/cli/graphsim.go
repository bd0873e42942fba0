package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/graphsim"
)

func graphSimCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "graph-sim",
		Usage: "serve a simulator of the Microsoft Graph reports API on loopback (for demos and tests)",
		Flags: flags([]ucli.Flag{
			&ucli.StringFlag{Name: "addr", Value: "127.0.0.1:8765", EnvVars: []string{"GRAPH_SIM_ADDR"}, Usage: "address of the API, loopback unless --allow-non-loopback (port 0 picks a free one)"},
			&ucli.StringFlag{Name: "download-addr", Value: "127.0.0.1:0", EnvVars: []string{"GRAPH_SIM_DOWNLOAD_ADDR"}, Usage: "address of the download host, loopback unless --allow-non-loopback"},
			&ucli.StringFlag{Name: "token", Value: "sim-token", EnvVars: []string{"GRAPH_SIM_TOKEN"}, Usage: "bearer token the simulator accepts"},
			&ucli.IntFlag{Name: "latency-days", Value: 2, EnvVars: []string{"GRAPH_SIM_LATENCY_DAYS"}, Usage: "days between today and the report refresh date"},
			&ucli.TimestampFlag{Name: "as-of", Layout: time.DateOnly, EnvVars: []string{"GRAPH_SIM_AS_OF"}, Usage: "pretend today is this date (YYYY-MM-DD)"},
			&ucli.StringFlag{Name: "url-file", EnvVars: []string{"GRAPH_SIM_URL_FILE"}, Usage: "write the API base URL to this file once listening"},
			&ucli.StringSliceFlag{Name: "fault", EnvVars: []string{"GRAPH_SIM_FAULT"}, Usage: "inject a fault, KIND[@REPORT][:TIMES|:all], repeatable; KIND is one of " + faultKinds() + " (a request header X-Graphsim-Fault: KIND does the same for one request)"},
			&ucli.DurationFlag{Name: "retry-after", Value: time.Second, EnvVars: []string{"GRAPH_SIM_RETRY_AFTER"}, Usage: "the wait a 429 fault asks for (whole seconds)"},
			&ucli.BoolFlag{Name: "same-host-downloads", EnvVars: []string{"GRAPH_SIM_SAME_HOST_DOWNLOADS"}, Usage: "serve download links from the API's own host and port"},
			&ucli.BoolFlag{Name: "allow-non-loopback", EnvVars: []string{"GRAPH_SIM_ALLOW_NON_LOOPBACK"}, Usage: "allow --addr and --download-addr beyond loopback, e.g. 0.0.0.0:8765 in a container (links still name loopback on a wildcard address)"},
			&ucli.IntFlag{Name: "page-size", EnvVars: []string{"GRAPH_SIM_PAGE_SIZE"}, Usage: "split beta JSON answers into pages of this many rows (@odata.nextLink); 0 means one page"},
			&ucli.DurationFlag{Name: "request-delay", EnvVars: []string{"GRAPH_SIM_REQUEST_DELAY"}, Usage: "add this delay before every answer (a network's and Graph's time), for measuring a run at scale"},
			&ucli.BoolFlag{Name: "retired-skype", EnvVars: []string{"GRAPH_SIM_RETIRED_SKYPE"}, Usage: "answer the Skype for Business reports with header-only files, as Microsoft 365 does since their retirement (2021)"},
			&ucli.IntFlag{Name: "users", Value: graphsim.DefaultUsers, EnvVars: []string{"GRAPH_SIM_USERS"}, Usage: "users in the simulated tenant, a row each in the per-user detail reports (groups and sites one per 10 users, teams one per 20); a day of 1000000 users is about 200 MB, streamed"},
			&ucli.BoolFlag{Name: "concealed", EnvVars: []string{"GRAPH_SIM_CONCEALED"}, Usage: "start with the tenant's \"display concealed names\" on, as real tenants have it by default: detail reports write names as MD5 hashes and ids as the nil GUID (PATCH /admin/reportSettings changes it while serving)"},
			&ucli.BoolFlag{Name: "no-report-settings", EnvVars: []string{"GRAPH_SIM_NO_REPORT_SETTINGS"}, Usage: "answer /admin/reportSettings with 403, as Graph does for a token without ReportSettings.Read.All"},
		}, logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			opts := graphsim.Options{Token: c.String("token"), Latency: c.Int("latency-days"), Logger: log,
				RetryAfter: c.Duration("retry-after"), SameHostDownloads: c.Bool("same-host-downloads"), PageSize: c.Int("page-size"),
				AllowNonLoopback: c.Bool("allow-non-loopback"), RetiredSkype: c.Bool("retired-skype"), RequestDelay: c.Duration("request-delay"),
				Users: c.Int("users"), Concealed: c.Bool("concealed"), NoReportSettings: c.Bool("no-report-settings")}
			for _, v := range c.StringSlice("fault") {
				f, err := graphsim.ParseFault(v)
				if err != nil {
					return usagef("--fault: %v", err)
				}
				opts.Faults = append(opts.Faults, f)
			}
			if ts := c.Timestamp("as-of"); ts != nil {
				asOf := *ts
				opts.Now = func() time.Time { return asOf }
			}
			srv, err := graphsim.Start(c.String("addr"), c.String("download-addr"), opts)
			if errors.Is(err, graphsim.ErrNotLoopback) {
				return usagef("graph-sim: %v: pass --allow-non-loopback to listen there (anyone who reaches it can use the simulator's well-known token)",
					strings.TrimPrefix(err.Error(), "graphsim: "))
			}
			if err != nil {
				return usagef("graph-sim: %v", err)
			}
			// Serve outside urfave/cli's parse step (later): it holds a
			// process-wide mutex, which a simulator serving until cancelled
			// would keep from every other command of the process.
			ctx, w, urlFile := c.Context, c.App.Writer, c.String("url-file")
			return later(c, func() error {
				defer srv.Close()
				if urlFile != "" {
					if err := os.WriteFile(urlFile+".tmp", []byte(srv.URL()+"\n"), 0o644); err != nil {
						return err
					}
					if err := os.Rename(urlFile+".tmp", urlFile); err != nil {
						return err
					}
				}
				fmt.Fprintf(w, "graph-sim: API on %s, download host on %s; try: ingest run --graph-url %s --access-token <token> --tenant-id <guid>\n",
					srv.URL(), srv.DownloadURL(), srv.URL())
				log.Info("graph-sim listening", "api", srv.URL(), "download", srv.DownloadURL(), "faults", fmt.Sprint(opts.Faults))
				<-ctx.Done()
				log.Info("graph-sim stopping")
				return nil
			})
		},
	}
}

// The range of --users, with the other numeric flags' (options.go): at
// least one user, at most ten million (a day's file of about 2 GB).
func init() { numericRanges["users"] = numRange{min: 1, max: 10_000_000} }

func faultKinds() string {
	names := make([]string, len(graphsim.FaultKinds))
	for i, k := range graphsim.FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
