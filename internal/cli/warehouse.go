package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
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

// runLimits are --statement-timeout and --run-timeout (checkNumbers has
// checked their ranges).
func runLimits(c *ucli.Context) (statement, run time.Duration, err error) {
	return c.Duration("statement-timeout"), c.Duration("run-timeout"), nil
}

// shortDuration is d as people write it: 6h, 10m, 1h30m, 300ms.
func shortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// lockWait is how long to wait for the run lock: 0 (do not wait) unless
// --wait (the default of load-file and replay), then --wait-timeout.
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
	// byPerson is set for the commands a person runs (load-file, replay):
	// when the run does not get the lock, it fails (exit 1) saying
	// notLoaded ("x.csv was not loaded"); run and backfill, scheduled,
	// exit 0 at once instead (an overlapping cron tick), unless --wait.
	byPerson  bool
	notLoaded string
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
	done       func()       // called once the items are done; may be nil

	// summary, when set, prints what the results table does not say (replay
	// names the payloads that failed), after it.
	summary func(w io.Writer)
}

// execute is the one place that holds the rule of a loading run: connect;
// take the one-run-at-a-time lock (when another run holds it: wait for it
// if the plan says so, saying once for whom; else print one line and
// succeed, having asked nobody for anything, or fail if a person ran the
// command; when anything else holds it, fail naming it); record the run; migrate; prepare and do the work;
// record its end; print the results. Every failure once connected is
// recorded in ingest_runs: before the run is started, best effort (the table
// may not exist yet).
//
// The run has a deadline (--run-timeout) and its statements a timeout
// (--statement-timeout). A signal, the deadline or the run lock being lost
// stop the run; what failed because of that is recorded as the stop's
// cause (see stopped), not as the I/O error it caused.
func execute(c *ucli.Context, log *slog.Logger, p runPlan) error {
	stmtTimeout, runTimeout, err := runLimits(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	if runTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, runTimeout, fmt.Errorf("run timed out after %s (--run-timeout)", shortDuration(runTimeout)))
		defer cancel()
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	db, err := openDB(c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// The URL's own statement_timeout stands unless the flag is given.
	if err := db.SetStatementTimeout(ctx, stmtTimeout, !c.IsSet("statement-timeout")); err != nil {
		return err
	}
	// Try the lock first: a run that is to wait says for whom before it does.
	lock, err := db.LockRun(ctx, 0)
	var le *load.LockedError
	if errors.As(err, &le) && p.wait > 0 {
		sayWaiting(c, log, le, p.wait)
		lock, err = db.LockRun(ctx, p.wait)
	}
	if err != nil {
		err = stopped(ctx, db, err)
		if errors.As(err, &le) {
			switch {
			case p.wait > 0:
				err = fmt.Errorf("%s; gave up after --wait-timeout %s", le, p.wait)
			case p.byPerson:
				err = fmt.Errorf("%s; not waiting (--wait=false)", le)
			default:
				fmt.Fprintf(c.App.ErrWriter, "ingest: %s; not starting (use --wait to wait for it)\n", le)
				return nil
			}
			if p.notLoaded != "" {
				err = fmt.Errorf("%w: %s", err, p.notLoaded)
			}
		}
		recordFailedRun(ctx, log, db, p.run, err)
		return err
	}
	defer lock.Release()
	start := time.Now()
	// Record the run with the lock's backend at once, before migrating, so
	// that another run finds the holder of the lock recorded. A schema not
	// yet migrated (no ingest_runs, or one from before backend_pid) records
	// it after the migration.
	runID, err := db.StartRun(ctx, p.run)
	if err != nil {
		runID = 0
	}
	if err := db.Migrate(ctx); err != nil {
		err = stopped(ctx, db, err)
		if runID != 0 {
			finishRun(ctx, log, db, runID, err)
		} else {
			recordFailedRun(ctx, log, db, p.run, err)
		}
		return err
	}
	if runID == 0 {
		if runID, err = db.StartRun(ctx, p.run); err != nil {
			return stopped(ctx, db, err)
		}
	}
	log = log.With("run_id", runID)
	log.Info("run started", "command", p.run.Command, "period", p.run.Period, "lock_backend_pid", lock.PID())
	w, err := p.prepare(ctx, db, runID, log)
	if err != nil {
		err = stopped(ctx, db, err)
		finishRun(ctx, log, db, runID, err)
		log.Error("run failed", "error", err, "duration_ms", time.Since(start).Milliseconds())
		return err
	}
	results := make([]result, w.n)
	forEach(w.workers, w.n, func(i int) {
		results[i] = w.item(i)
		if errors.Is(results[i].err, load.ErrLockLost) {
			stop(results[i].err) // the other items stop, as for a signal
		}
	})
	if w.done != nil {
		w.done()
	}
	runErr := stopped(ctx, db, summarize(results, p.noun))
	if err := finishRun(ctx, w.log, db, runID, runErr); errors.Is(err, load.ErrNotRunning) && runErr == nil {
		runErr = err // marked abandoned by another run: this one lost its lock
	}
	end := runEnd{runID: runID, period: p.run.Period, noun: p.noun, duration: time.Since(start), results: results}
	printResults(c.App.Writer, end)
	if w.summary != nil {
		w.summary(c.App.Writer)
	}
	if runErr != nil {
		w.log.Error("run failed", append([]any{"error", runErr}, end.logAttrs()...)...)
		return runErr
	}
	w.log.Info("run finished", end.logAttrs()...)
	return nil
}

// sayWaiting says once that the run waits for the lock, and for whom: a
// line on a terminal, a log record otherwise.
func sayWaiting(c *ucli.Context, log *slog.Logger, le *load.LockedError, wait time.Duration) {
	since := le.Since.UTC().Format(time.RFC3339)
	if isTerminal(c.App.ErrWriter) {
		holder := fmt.Sprintf("backend pid %d (since %s)", le.PID, since)
		if le.RunID != 0 {
			holder = fmt.Sprintf("run %d (%s, since %s, backend pid %d)", le.RunID, le.Command, since, le.PID)
		}
		fmt.Fprintf(c.App.ErrWriter, "ingest: waiting for the run lock held by %s, up to --wait-timeout %s\n", holder, shortDuration(wait))
		return
	}
	log.Info("waiting for the run lock", "holder_run_id", le.RunID, "holder_command", le.Command,
		"holder_since", since, "holder_backend_pid", le.PID, "wait_timeout", shortDuration(wait))
}

// errInterrupted is why work stopped when its context was cancelled with no
// cause of its own (a signal gives one).
var errInterrupted = errors.New("interrupted")

// stopped is err as it is recorded: once ctx is done (a signal, the run's
// deadline, the run lock lost), whatever failed failed because of that, and
// the error it gave (use of closed network connection, file already closed,
// context canceled) is only a consequence: stopped returns the cause
// instead. A statement cancelled by statement_timeout names the flag.
func stopped(ctx context.Context, db *load.DB, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		if cause == context.Canceled {
			return errInterrupted
		}
		return cause
	}
	var said *statementTimedOut
	if load.StatementTimedOut(err) && !errors.As(err, &said) {
		if d := db.StatementTimeout(); d > 0 {
			return &statementTimedOut{fmt.Errorf("%w (--statement-timeout %s)", err, shortDuration(d))}
		}
		return &statementTimedOut{fmt.Errorf("%w (the database URL's statement_timeout)", err)}
	}
	return err
}

// statementTimedOut is a statement timeout that says which setting it was,
// so that saying it again (an item's error is the run's too) is not done.
type statementTimedOut struct{ err error }

func (e *statementTimedOut) Error() string { return e.err.Error() }
func (e *statementTimedOut) Unwrap() error { return e.err }

func finishRun(ctx context.Context, log *slog.Logger, db *load.DB, runID int64, runErr error) error {
	err := db.FinishRun(ctx, runID, runErr)
	if err != nil {
		log.Error("cannot record the end of the run", "error", err)
	}
	return err
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
