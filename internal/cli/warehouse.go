package cli

import (
	"fmt"
	"log/slog"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
)

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

// lockWait is how long to wait for the run lock: 0 (do not wait) unless
// --wait (the default of load-file and replay), then --wait-timeout.
func lockWait(c *ucli.Context) time.Duration {
	if !c.Bool("wait") {
		return 0
	}
	// checkNumbers has kept it within what lock_timeout takes.
	return c.Duration("wait-timeout")
}

// execute runs a loading command's plan: it fills in what the lock flags
// say (timeouts, how long to wait) and leaves it for later (see
// parseAndRun), which connects and hands the run to the pipeline. A *load.ConfigError from connecting exits 2 (see exitCode).
func execute(c *ucli.Context, log *slog.Logger, p pipeline.Plan) error {
	// checkNumbers has checked both against their ranges.
	p.StatementTimeout, p.StatementTimeoutSet = c.Duration("statement-timeout"), c.IsSet("statement-timeout")
	p.RunTimeout = c.Duration("run-timeout")
	h := hooksFrom(c.Context)
	if h.clock != nil {
		p.Now = h.clock.Now
	}
	p.BeforeLoad = h.beforeLoad
	return later(c, func() error {
		db, err := openDB(c, log)
		if err != nil {
			return err
		}
		defer db.Close()
		env := pipeline.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, StderrIsTerminal: isTerminal(c.App.ErrWriter), Log: log}
		return pipeline.Execute(c.Context, env, db, p)
	})
}

func grantReaderCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "grant-reader",
		Usage:        "let an existing role read the views (USAGE on the schema, SELECT on the views; tables stay private)",
		ArgsUsage:    "ROLE",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return usagef("grant-reader needs exactly one ROLE")
			}
			db, err := openWarehouse(c, true)
			if err != nil {
				return err
			}
			defer db.Close()
			views, err := db.GrantReader(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "role %s can read %d views of schema %s: %v\n", c.Args().First(), len(views), db.Schema, views)
			return nil
		},
	}
}
