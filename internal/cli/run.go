package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

func migrateCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "migrate",
		Usage:        "apply the embedded migrations and views; idempotent",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			db, err := openWarehouse(c, true)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(c.App.Writer, "schema %s is up to date\n", db.Schema)
			return nil
		},
	}
}

// runCommand is run or backfill. Only run reads INGEST_PERIOD: the nightly
// job's environment must not turn a backfill into a D7 run.
func runCommand(name, usage, defaultPeriod string, periodEnv ...string) *ucli.Command {
	period := &ucli.StringFlag{Name: "period", Value: defaultPeriod, EnvVars: periodEnv, Usage: "D7, D30, D90 or D180"}
	return &ucli.Command{
		Name:         name,
		Usage:        usage,
		Flags:        flags(graphFlags(period), dbFlags(), lockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			hint := "use --report"
			if _, _, err := report.ValidPeriod(c.Args().First()); err == nil {
				hint = "use --period"
			}
			if err := noArgs(c, hint); err != nil {
				return err
			}
			period := c.String("period")
			if period == "" {
				period = defaultPeriod
			}
			given := period
			period, days, err := report.ValidPeriod(given)
			if err != nil {
				return periodError(c, given)
			}
			specs, err := selectReports(c)
			if err != nil {
				return err
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			gc, err := parseGraph(c, log)
			if err != nil {
				return err
			}
			wait := lockWait(c)
			return execute(c, log, pipeline.Plan{
				Run:  load.Run{Command: name, Period: period, Host: hostname(), Version: version(c)},
				Wait: wait, Noun: "reports",
				Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
					g, err := gc.connect(ctx, r.Log)
					if err != nil {
						return nil, err
					}
					return r.GraphWork(ctx, g, specs, period, days), nil
				},
			})
		},
	}
}

// selectReports resolves --report (INGEST_REPORT) of run, backfill and
// replay: not given, every report; given but naming none (--report "",
// INGEST_REPORT=' '), a usage error.
func selectReports(c *ucli.Context) ([]*report.Spec, error) {
	specs, err := report.Select(c.StringSlice("report"))
	if err != nil {
		return nil, usagef("--report (INGEST_REPORT): %v", err)
	}
	return specs, nil
}

func version(c *ucli.Context) string {
	if v := c.App.Version; v != "" {
		return v
	}
	return "dev"
}
