package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run describes one invocation of a loading command.
type Run struct {
	Command string
	Period  string
	Host    string
	Version string
}

// ErrNotRunning is returned (wrapped) by FinishRun when the run is no
// longer recorded as running: another run marked it abandoned, having found
// the run lock free while this run went on (its lock was lost).
var ErrNotRunning = errors.New("the run is no longer recorded as running")

// StartRun records a run as running and returns its id. When db holds the
// run lock, the lock's backend is recorded with the run: another run tells
// by it that the lock's holder is this live run.
func (db *DB) StartRun(ctx context.Context, r Run) (int64, error) {
	const q = `INSERT INTO ingest_runs (command, period, host, version, backend_pid, backend_start)
		VALUES ($1, nullif($2, ''), $3, $4, $5, $6) RETURNING run_id`
	var (
		pid   *int32
		start *time.Time
	)
	if l := db.run.lock.Load(); l != nil {
		pid, start = &l.pid, &l.start
	}
	var id int64
	if err := db.Pool.QueryRow(ctx, q, r.Command, r.Period, r.Host, r.Version, pid, start).Scan(&id); err != nil {
		return 0, fmt.Errorf("start run: %w", explain(err))
	}
	return id, nil
}

// FinishRun marks a run succeeded, or failed with the error's text. It runs
// even when ctx is cancelled, so that an interrupted run is recorded. It
// changes only a run still recorded as running: when another run has marked
// it abandoned meanwhile, that stays, and FinishRun returns ErrNotRunning.
func (db *DB) FinishRun(ctx context.Context, runID int64, runErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	status, text := "succeeded", ""
	if runErr != nil {
		status, text = "failed", runErr.Error()
	}
	const q = `UPDATE ingest_runs SET status = $2, finished_at = now(), error = nullif($3, '') WHERE run_id = $1 AND status = 'running'`
	tag, err := db.Pool.Exec(ctx, q, runID, status, auditText(Redact(text)))
	if err != nil {
		return fmt.Errorf("finish run %d: %w", runID, explain(err))
	}
	if tag.RowsAffected() == 0 {
		var was, why string
		if err := db.Pool.QueryRow(ctx, `SELECT status, coalesce(error, '') FROM ingest_runs WHERE run_id = $1`, runID).Scan(&was, &why); err != nil {
			return fmt.Errorf("finish run %d: %w", runID, ErrNotRunning)
		}
		return fmt.Errorf("finish run %d: %w: it is %s (%s)", runID, ErrNotRunning, was, why)
	}
	return nil
}

// RunStatus is a row of ingest_runs.
type RunStatus struct {
	ID         int64
	Command    string
	Period     string
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Error      string
}

// LastRuns returns the newest n runs.
func (db *DB) LastRuns(ctx context.Context, n int) ([]RunStatus, error) {
	const q = `SELECT run_id, command, coalesce(period, ''), status, started_at, finished_at, coalesce(error, '')
		FROM ingest_runs ORDER BY run_id DESC LIMIT $1`
	rows, err := db.Pool.Query(ctx, q, n)
	if err != nil {
		return nil, db.notMigrated("last runs", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RunStatus, error) {
		var s RunStatus
		err := r.Scan(&s.ID, &s.Command, &s.Period, &s.Status, &s.StartedAt, &s.FinishedAt, &s.Error)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", explain(err))
	}
	return out, nil
}

// Freshness is a row of the ingest_freshness view.
type Freshness struct {
	TenantID          string
	Report            string
	NewestReportDate  *time.Time
	NewestRefreshDate *time.Time
	// DaysBehind is nil while the report has never had a row (every
	// payload so far was empty).
	DaysBehind *int
	// LastSuccessAt is the end of the last run or backfill that fetched the
	// report from Graph successfully; nil until one has ended. Replays and
	// file loads are LastReplayAt and LastFileLoadAt.
	LastSuccessAt  *time.Time
	LastReplayAt   *time.Time
	LastFileLoadAt *time.Time
}

// Freshness reads the ingest_freshness view.
func (db *DB) Freshness(ctx context.Context) ([]Freshness, error) {
	const q = `SELECT tenant_id, report, newest_report_date, newest_refresh_date, days_behind, last_success_at,
		last_replay_at, last_file_load_at
		FROM ingest_freshness ORDER BY tenant_id, report`
	rows, err := db.Pool.Query(ctx, q)
	if err != nil {
		return nil, db.notMigrated("freshness", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Freshness, error) {
		var f Freshness
		err := r.Scan(&f.TenantID, &f.Report, &f.NewestReportDate, &f.NewestRefreshDate, &f.DaysBehind, &f.LastSuccessAt,
			&f.LastReplayAt, &f.LastFileLoadAt)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("freshness: %w", explain(err))
	}
	return out, nil
}
