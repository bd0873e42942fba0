package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
)

// options are a loading command's flags, validated (see parseRun,
// parseLoadFile, parseReplay): the logger they built and the plan they
// make.
type options interface {
	logger() *slog.Logger
	plan() pipeline.Plan
}

// loading is the Action of a command that loads report data: parse
// validates its flags into options (or returns the usage error naming the
// bad flag), whose plan execute runs.
func loading[O options](parse func(c *ucli.Context) (O, error)) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		o, err := parse(c)
		if err != nil {
			return err
		}
		key, err := pseudonymKey(c)
		if err != nil {
			return err
		}
		p := o.plan()
		p.Pseudonymize = key
		return execute(c, o.logger(), p)
	}
}

// execute runs a loading command's plan: it fills in the run's record
// (command, host, version) and what the lock flags say (how long to wait,
// the timeouts), and leaves it for later (see parseAndRun), which connects
// and hands the run to the pipeline. A *load.ConfigError from connecting
// exits 2 (see exitCode).
func execute(c *ucli.Context, log *slog.Logger, p pipeline.Plan) error {
	p.Run.Command, p.Run.Host, p.Run.Version = c.Command.Name, hostname(), version(c)
	p.Wait = lockWait(c)
	// checkNumbers has checked both against their ranges.
	p.StatementTimeout, p.StatementTimeoutSet = c.Duration("statement-timeout"), c.IsSet("statement-timeout")
	p.RunTimeout = c.Duration("run-timeout")
	h := hooksFrom(c.Context)
	if h.clock != nil {
		p.Now = h.clock.Now
	}
	p.BeforeLoad = h.beforeLoad
	once := func() error {
		db, err := openDB(c, log)
		if err != nil {
			return err
		}
		defer db.Close()
		db.LockScope = p.LockScope
		terminal := isTerminal(c.App.ErrWriter) || h.terminal
		env := pipeline.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, StderrIsTerminal: terminal, Log: log,
			Progress: newProgress(c, terminal)}
		return pipeline.Execute(c.Context, env, db, p)
	}
	if hasFlag(c.Command, "daily-at") && c.String("daily-at") != "" {
		at, _ := parseDailyAt(c.String("daily-at")) // parseRun checked it
		return later(c, func() error { return daily(c, log, at, once) })
	}
	return later(c, once)
}

// daily runs once every day at the time of day at (UTC), staying up in
// between: the schedule of a container that has no cron (run --daily-at).
// A run that fails is logged and the next one comes all the same; a signal
// ends the wait, exit 0.
func daily(c *ucli.Context, log *slog.Logger, at time.Duration, once func() error) error {
	h := hooksFrom(c.Context)
	var clock extract.Clock = extract.RealClock{}
	if h.clock != nil {
		clock = h.clock
	}
	for n := 0; h.maxRuns == 0 || n < h.maxRuns; n++ {
		now := clock.Now().UTC()
		next := now.Truncate(24 * time.Hour).Add(at)
		if !next.After(now) {
			next = next.Add(24 * time.Hour)
		}
		log.Info("waiting for the next run", "at", next.Format(time.RFC3339))
		if err := clock.Sleep(c.Context, next.Sub(now)); err != nil {
			log.Info("stopping: no run is going", "cause", context.Cause(c.Context))
			return nil
		}
		if h.beforeRun != nil {
			h.beforeRun()
		}
		if err := once(); err != nil {
			log.Error("scheduled run failed", "error", err)
			fmt.Fprintf(c.App.ErrWriter, "ingest: %s\n", text.OneLine(err.Error()))
		}
	}
	return nil
}

// parseDailyAt reads --daily-at HH:MM (UTC) as the time since midnight.
func parseDailyAt(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, usagef("invalid --daily-at %q: want a UTC time of day such as 03:30", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// openDB connects and binds the schema. A *load.ConfigError it returns
// exits 2 (see exitCode).
// A command that loads --concurrency payloads at once gets a pool with room
// for them.
func openDB(c *ucli.Context, log *slog.Logger) (*load.DB, error) {
	loads := 0
	if slices.ContainsFunc(c.Command.Flags, func(f ucli.Flag) bool { return slices.Contains(f.Names(), "concurrency") }) {
		loads = c.Int("concurrency")
	}
	return load.ConnectLoads(c.Context, c.String("database-url"), c.String("schema"), log, loads)
}

// onWarehouse is the Action of a command that works on the warehouse
// itself rather than loading report data (migrate, status, grant-reader):
// check validates its arguments; then it builds the logger, connects (and,
// with migrate, applies the migrations and views) and hands do the
// warehouse.
func onWarehouse(migrate bool, check func(c *ucli.Context) error, do func(c *ucli.Context, db *load.DB) error) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		if err := check(c); err != nil {
			return err
		}
		log, err := newLogger(c)
		if err != nil {
			return err
		}
		db, err := openDB(c, log)
		if err != nil {
			return err
		}
		defer db.Close()
		if migrate {
			if err := db.Migrate(c.Context); err != nil {
				return err
			}
		}
		return do(c, db)
	}
}

// noArgs is the usage error of a command that takes no arguments but was
// given some (nil when it was not), with hint on what to use instead.
// urfave/cli stops reading flags at the first argument, so what follows it
// may be flags and their values (secrets among them): only the first
// argument is quoted.
func noArgs(c *ucli.Context, hint string) error {
	if !c.Args().Present() {
		return nil
	}
	msg := fmt.Sprintf("%s takes no arguments (got %s)", c.Command.Name, strconv.Quote(c.Args().First()))
	if flagsAfterArgs(c.Args().Tail()) {
		msg += "; flags must come before arguments"
	}
	if hint != "" {
		msg += "; " + hint
	}
	return usagef("%s", msg)
}

// noArguments is the rule of a command that takes no arguments and has no
// hint to give.
func noArguments(c *ucli.Context) error { return noArgs(c, "") }

// flagsAfterArgs reports whether any of args looks like a flag: given after
// an argument, urfave/cli did not read it.
func flagsAfterArgs(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

func version(c *ucli.Context) string {
	if v := c.App.Version; v != "" {
		return v
	}
	return "dev"
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
