package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

// lockFlags are the flags of every command that writes report data.
func lockFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "wait", EnvVars: []string{"INGEST_WAIT"}, Usage: "when another run holds the lock, wait for it instead of exiting 0"},
		&ucli.DurationFlag{Name: "wait-timeout", Value: 30 * time.Minute, EnvVars: []string{"INGEST_WAIT_TIMEOUT"}, Usage: "how long --wait waits for the lock"},
	}
}

// lockWait is how long to wait for the run lock: 0 (do not wait) unless
// --wait, then --wait-timeout.
func lockWait(c *ucli.Context) (time.Duration, error) {
	if !c.Bool("wait") {
		return 0, nil
	}
	// checkNumbers has kept it within what lock_timeout takes.
	return c.Duration("wait-timeout"), nil
}

// runPlan is one run of a command that loads report data (run, backfill,
// load-file, replay), its flags already validated.
type runPlan struct {
	run  load.Run      // what ingest_runs records
	wait time.Duration // from lockWait
	noun string        // what the items are, for the summary: "reports", "files", "payloads"
	// prepare is called once the run is recorded in ingest_runs, with its
	// id and a logger that names it. It does whatever may fail outside the
	// flags (a Graph token, reading the stored payloads) and returns the
	// work; its error ends the run as failed, with the error's exit code.
	prepare func(ctx context.Context, db *load.DB, runID int64, log *slog.Logger) (*runWork, error)
}

// runWork is the work of a run: items 0 … n-1, at most workers at once.
type runWork struct {
	n, workers int
	item       func(i int) result
	log        *slog.Logger // for the end of the run, with what prepare learnt
}

// execute is the one place that holds the rule of a loading run: connect;
// take the one-run-at-a-time lock (when another run holds it, print one line
// and succeed, having asked nobody for anything); migrate; record the run;
// prepare and do the work; record its end; print the results. Every failure
// once connected is recorded in ingest_runs: before the run is started,
// best effort (the table may not exist yet).
func execute(c *ucli.Context, log *slog.Logger, p runPlan) error {
	ctx := c.Context
	db, err := openDB(c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	lock, err := db.LockRun(ctx, p.wait)
	if err != nil {
		var le *load.LockedError
		if errors.As(err, &le) {
			if p.wait <= 0 {
				fmt.Fprintf(c.App.ErrWriter, "ingest: %s; not starting (use --wait to wait for it)\n", le)
				return nil
			}
			err = fmt.Errorf("%s; gave up after --wait-timeout %s", le, p.wait)
		}
		recordFailedRun(ctx, log, db, p.run, err)
		return err
	}
	defer lock.Release()
	if err := db.Migrate(ctx); err != nil {
		recordFailedRun(ctx, log, db, p.run, err)
		return err
	}
	runID, err := db.StartRun(ctx, p.run)
	if err != nil {
		return err
	}
	log = log.With("run_id", runID)
	log.Info("run started", "command", p.run.Command, "period", p.run.Period)
	w, err := p.prepare(ctx, db, runID, log)
	if err != nil {
		finishRun(ctx, log, db, runID, err)
		log.Error("run failed", "error", err)
		return err
	}
	results := make([]result, w.n)
	forEach(w.workers, w.n, func(i int) { results[i] = w.item(i) })
	runErr := summarize(results, p.noun)
	finishRun(ctx, w.log, db, runID, runErr)
	printResults(c.App.Writer, results)
	if runErr != nil {
		w.log.Error("run failed", "error", runErr)
		return runErr
	}
	w.log.Info("run finished")
	return nil
}

func finishRun(ctx context.Context, log *slog.Logger, db *load.DB, runID int64, runErr error) {
	if err := db.FinishRun(ctx, runID, runErr); err != nil {
		log.Error("cannot record the end of the run", "error", err)
	}
}

// recordFailedRun records a run that failed before it could start, as
// started and failed at once. Best effort: when the database is what failed,
// or ingest_runs does not exist yet, it can only log that it could not.
func recordFailedRun(ctx context.Context, log *slog.Logger, db *load.DB, run load.Run, runErr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	runID, err := db.StartRun(ctx, run)
	if err == nil {
		err = db.FinishRun(ctx, runID, runErr)
	}
	if err != nil {
		log.Warn("cannot record the failed run", "error", err)
		return
	}
	log.Info("run recorded as failed", "run_id", runID)
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
