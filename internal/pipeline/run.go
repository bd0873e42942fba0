package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
)

// Plan is one run of a command that loads report data, its options already
// validated by the caller.
type Plan struct {
	Run  load.Run      // what ingest_runs records
	Wait time.Duration // how long to wait for the run lock (0: do not wait)
	Noun string        // what the items are, for the summary: "reports", "files", "payloads"
	// ByPerson is set for the commands a person runs (load-file, replay):
	// when the run does not get the lock, it fails saying NotLoaded ("x.csv
	// was not loaded"); run and backfill, scheduled, end at once without
	// error instead (an overlapping cron tick), unless they wait.
	ByPerson  bool
	NotLoaded string

	// StatementTimeout is the Postgres statement_timeout of the run's
	// statements (0: none); unless StatementTimeoutSet, the database URL's
	// own statement_timeout stands. RunTimeout is the whole run's deadline,
	// waiting for the lock included (0: none).
	StatementTimeout    time.Duration
	StatementTimeoutSet bool
	RunTimeout          time.Duration

	// Prepare is called once the run is recorded in ingest_runs. It does
	// whatever may fail outside the options (a Graph token, reading the
	// stored payloads) and returns the work; its error ends the run as
	// failed.
	Prepare func(ctx context.Context, r *Run) (*Work, error)

	// Now is the clock transform judges report dates by (nil: the wall
	// clock). BeforeLoad, a test seam, is called just before a payload's
	// rows are upserted.
	Now        func() time.Time
	BeforeLoad func(ctx context.Context, f load.Fetch)

	// Finished, when set, is called once a run that did its work has been
	// recorded as ended, with its id and duration, on the run's context (a
	// signal or timeout has cancelled it by then, so it is given one of its
	// own); its error is logged, not the run's (the metrics of a run).
	Finished func(ctx context.Context, db Store, runID int64, d time.Duration) error

	// Pseudonymize, when not nil, is the key of --pseudonymize: the names
	// in detail payloads are replaced by their keyed hash before anything
	// is stored (transform.Pseudonymizer).
	Pseudonymize []byte

	// LockScope is the part of the schema's work the run lock covers ("":
	// all of it; "shard 1/3": one shard of a tenants file, see
	// load.DB.LockScope).
	LockScope string

	// Partial loads a dated payload that covers fewer days than its period
	// (load-file --partial: an excerpt, a file trimmed by hand) instead of
	// refusing it as cut short.
	Partial bool
}

// Env is where a run writes: the results table to Stdout, the one-line
// notices (not starting, waiting for the lock) to Stderr, a line rather
// than a log record when StderrIsTerminal.
type Env struct {
	Stdout, Stderr   io.Writer
	StderrIsTerminal bool
	Log              *slog.Logger
	// Progress, when set, is told of each item as it ends, from the start
	// of the work to its end (a progress bar on a terminal).
	Progress func(total int, noun string) Progress
}

// Progress follows a run's items as they end.
type Progress interface {
	Done(r Result) // an item ended (from any worker)
	Close()        // the work ended
}

// Run is a run once recorded: what Prepare and the items work with.
type Run struct {
	ID     int64
	Store  Store
	Log    *slog.Logger // names the run
	plan   *Plan
	stdout io.Writer // Env's Stdout

	settings sync.Map // tenant → *tenantSettings (see concealment)
}

// Work is the work of a run: items 0 … N-1, at most Workers at once.
type Work struct {
	N, Workers int
	Item       func(i int) Result
	Log        *slog.Logger // for the end of the run, with what Prepare learnt
	Done       func()       // called once the items are done; may be nil

	// Summary, when set, prints what the results table does not say (replay
	// names the payloads that failed), after it.
	Summary func(w io.Writer)

	// Summarize, when set, is the run's error from its results instead of
	// the default (Summarize): a run over many tenants names the tenants.
	Summarize func(results []Result) error
}

// Execute is the one place that holds the rule of a loading run: take the
// one-run-at-a-time lock (when another run holds it: wait for it if the
// plan says so, saying once for whom; else print one line and succeed,
// having asked nobody for anything, or fail if a person ran the command;
// when anything else holds it, fail naming it); record the run; migrate;
// prepare and do the work; record its end; print the results. Every failure
// is recorded in ingest_runs: before the run is started, best effort (the
// table may not exist yet).
//
// The run has a deadline (RunTimeout) and its statements a timeout
// (StatementTimeout). A signal (ctx cancelled), the deadline or the run lock
// being lost stop the run; what failed because of that is recorded as the
// stop's cause (see Stopped), not as the I/O error it caused.
func Execute(ctx context.Context, env Env, db Store, p Plan) error {
	log := env.Log
	if p.RunTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, p.RunTimeout, fmt.Errorf("run timed out after %s (--run-timeout)", ShortDuration(p.RunTimeout)))
		defer cancel()
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if err := db.SetStatementTimeout(ctx, p.StatementTimeout, !p.StatementTimeoutSet); err != nil {
		return err
	}
	// Try the lock first: a run that is to wait says for whom before it does.
	lock, err := db.LockRun(ctx, 0)
	var le *load.LockedError
	if errors.As(err, &le) && p.Wait > 0 {
		sayWaiting(env, le, p.Wait)
		lock, err = db.LockRun(ctx, p.Wait)
	}
	if err != nil {
		err = Stopped(ctx, db, err)
		if errors.As(err, &le) {
			switch {
			case p.Wait > 0:
				err = fmt.Errorf("%s; gave up after --wait-timeout %s", le, p.Wait)
			case p.ByPerson:
				err = fmt.Errorf("%s; not waiting (--wait=false)", le)
			default:
				fmt.Fprintf(env.Stderr, "ingest: %s; not starting (use --wait to wait for it)\n", le)
				return nil
			}
			if p.NotLoaded != "" {
				err = fmt.Errorf("%w: %s", err, p.NotLoaded)
			}
		}
		recordFailedRun(ctx, log, db, p.Run, err)
		return err
	}
	defer lock.Release()
	start := time.Now()
	// Record the run with the lock's backend at once, before migrating, so
	// that another run finds the holder of the lock recorded. A schema not
	// yet migrated (no ingest_runs, or one from before backend_pid) records
	// it after the migration.
	runID, err := db.StartRun(ctx, p.Run)
	if err != nil {
		runID = 0
	}
	if err := db.Migrate(ctx); err != nil {
		err = Stopped(ctx, db, err)
		if runID != 0 {
			finishRun(ctx, log, db, runID, err)
		} else {
			recordFailedRun(ctx, log, db, p.Run, err)
		}
		return err
	}
	if runID == 0 {
		if runID, err = db.StartRun(ctx, p.Run); err != nil {
			return Stopped(ctx, db, err)
		}
	}
	log = log.With("run_id", runID)
	log.Info("run started", "command", p.Run.Command, "period", p.Run.Period, "lock_backend_pid", lock.PID())
	w, err := p.Prepare(ctx, &Run{ID: runID, Store: db, Log: log, plan: &p, stdout: env.Stdout})
	if err != nil {
		err = Stopped(ctx, db, err)
		finishRun(ctx, log, db, runID, err)
		log.Error("run failed", "error", err, "duration_ms", time.Since(start).Milliseconds())
		return err
	}
	results := make([]Result, w.N)
	var progress Progress
	if env.Progress != nil {
		progress = env.Progress(w.N, p.Noun)
	}
	ForEach(w.Workers, w.N, func(i int) {
		start := time.Now()
		results[i] = w.Item(i)
		if results[i].Duration == 0 {
			results[i].Duration = time.Since(start)
		}
		if progress != nil {
			progress.Done(results[i])
		}
		if errors.Is(results[i].Err, load.ErrLockLost) {
			stop(results[i].Err) // the other items stop, as for a signal
		}
	})
	if w.Done != nil {
		w.Done()
	}
	if progress != nil {
		progress.Close()
	}
	summarize := func(results []Result) error { return Summarize(results, p.Noun) }
	if w.Summarize != nil {
		summarize = w.Summarize
	}
	runErr := Stopped(ctx, db, summarize(results))
	if err := finishRun(ctx, w.Log, db, runID, runErr); errors.Is(err, load.ErrNotRunning) && runErr == nil {
		runErr = err // marked abandoned by another run: this one lost its lock
	}
	end := End{RunID: runID, Period: p.Run.Period, Noun: p.Noun, Duration: time.Since(start), Results: results}
	if p.Finished != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if err := p.Finished(fctx, db, runID, end.Duration); err != nil {
			w.Log.Error("after the run", "error", err)
			fmt.Fprintf(env.Stderr, "ingest: %s\n", text.OneLine(err.Error()))
		}
		cancel()
	}
	PrintResults(env.Stdout, end)
	if w.Summary != nil {
		w.Summary(env.Stdout)
	}
	if runErr != nil {
		w.Log.Error("run failed", append([]any{"error", runErr}, end.LogAttrs()...)...)
		return runErr
	}
	w.Log.Info("run finished", end.LogAttrs()...)
	return nil
}

// sayWaiting says once that the run waits for the lock, and for whom: a
// line on a terminal, a log record otherwise.
func sayWaiting(env Env, le *load.LockedError, wait time.Duration) {
	since := le.Since.UTC().Format(time.RFC3339)
	if env.StderrIsTerminal {
		holder := fmt.Sprintf("backend pid %d (since %s)", le.PID, since)
		if le.RunID != 0 {
			holder = fmt.Sprintf("run %d (%s, since %s, backend pid %d)", le.RunID, le.Command, since, le.PID)
		}
		fmt.Fprintf(env.Stderr, "ingest: waiting for the run lock held by %s, up to --wait-timeout %s\n", holder, ShortDuration(wait))
		return
	}
	env.Log.Info("waiting for the run lock", "holder_run_id", le.RunID, "holder_command", le.Command,
		"holder_since", since, "holder_backend_pid", le.PID, "wait_timeout", ShortDuration(wait))
}

// ShortDuration is d as people write it: 6h, 10m, 1h30m, 300ms.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// errInterrupted is why work stopped when its context was cancelled with no
// cause of its own (a signal gives one).
var errInterrupted = errors.New("interrupted")

// Stopped is err as it is recorded: once ctx is done (a signal, the run's
// deadline, the run lock lost), whatever failed failed because of that, and
// the error it gave (use of closed network connection, file already closed,
// context canceled) is only a consequence: Stopped returns the cause
// instead. A statement cancelled by statement_timeout names the flag.
func Stopped(ctx context.Context, db Store, err error) error {
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
			return &statementTimedOut{fmt.Errorf("%w (--statement-timeout %s)", err, ShortDuration(d))}
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

func finishRun(ctx context.Context, log *slog.Logger, db Store, runID int64, runErr error) error {
	err := db.FinishRun(ctx, runID, runErr)
	if err != nil {
		log.Error("cannot record the end of the run", "error", err)
	}
	return err
}

// recordFailedRun records a run that failed before it could start, as
// started and failed at once. Best effort: when the database is what failed,
// or ingest_runs does not exist yet, it can only log that it could not.
func recordFailedRun(ctx context.Context, log *slog.Logger, db Store, run load.Run, runErr error) {
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
