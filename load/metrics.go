package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportRun is what a run did for one tenant and report, from the audit
// (report_fetches, fetch_attempts) and the freshness view: what the
// metrics of a run are made of.
type ReportRun struct {
	TenantID, Report string
	Outcome          string // loaded, not_modified, empty or failed
	Inserted         int64
	Updated          int64
	Unchanged        int64
	Duration         time.Duration
	// Requests counts the HTTP requests of the fetch by status (0: no
	// answer: a connection error or a timeout); Retries those that were
	// retried after a wait.
	Requests map[int]int64
	Retries  int64
	// LastSuccess is the end of the last run or backfill that fetched the
	// report from Graph successfully; zero when none has.
	LastSuccess time.Time
}

// RunReports reads what run runID did per tenant and report.
func (db *DB) RunReports(ctx context.Context, runID int64) ([]ReportRun, error) {
	const q = `SELECT f.tenant_id, f.report, f.outcome, coalesce(f.rows_inserted, 0), coalesce(f.rows_updated, 0),
			coalesce(f.rows_unchanged, 0), coalesce(f.duration_ms, 0),
			coalesce((SELECT jsonb_object_agg(s.status, s.n) FROM (
				SELECT coalesce(a.http_status, 0) AS status, count(*) AS n FROM fetch_attempts a
				WHERE a.run_id = f.run_id AND a.tenant_id = f.tenant_id AND a.report = f.report
				GROUP BY 1) s), '{}'::jsonb),
			(SELECT count(*) FROM fetch_attempts a
				WHERE a.run_id = f.run_id AND a.tenant_id = f.tenant_id AND a.report = f.report AND a.wait_ms > 0),
			(SELECT g.last_success_at FROM ingest_freshness g WHERE g.tenant_id = f.tenant_id AND g.report = f.report)
		FROM report_fetches f WHERE f.run_id = $1 ORDER BY f.tenant_id, f.report`
	rows, err := db.Pool.Query(ctx, q, runID)
	if err != nil {
		return nil, fmt.Errorf("read the run's reports: %w", explain(err))
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportRun, error) {
		var rr ReportRun
		var ms int64
		var requests map[string]int64
		var last *time.Time
		if err := r.Scan(&rr.TenantID, &rr.Report, &rr.Outcome, &rr.Inserted, &rr.Updated, &rr.Unchanged, &ms, &requests, &rr.Retries, &last); err != nil {
			return rr, err
		}
		rr.Duration = time.Duration(ms) * time.Millisecond
		rr.Requests = map[int]int64{}
		for k, n := range requests {
			var status int
			fmt.Sscan(k, &status)
			rr.Requests[status] = n
		}
		if last != nil {
			rr.LastSuccess = *last
		}
		return rr, nil
	})
}
