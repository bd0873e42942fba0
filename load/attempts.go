package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/report"
)

// Attempt is one HTTP request made to fetch a report. URL must already be
// redacted (no download-URL query string).
type Attempt struct {
	Phase  string // "graph" or "download"
	URL    string
	SentAt time.Time
	Status int // 0 when no response came
	Error  string
	Wait   time.Duration // waited after it before the next try
}

// AttemptsOf names the fetch the attempts belong to.
type AttemptsOf struct {
	RunID    int64
	TenantID string
	Report   string
	Period   string
	Format   report.Format
}

// RecordAttempts stores the requests of one report's fetch, in order. It
// commits even when ctx is already cancelled, so an interrupted fetch is
// audited too.
func (db *DB) RecordAttempts(ctx context.Context, of AttemptsOf, attempts []Attempt) error {
	if len(attempts) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	rows := make([][]any, len(attempts))
	for i, a := range attempts {
		var status *int
		if a.Status != 0 {
			status = &a.Status
		}
		var errText *string
		if a.Error != "" {
			s := auditText(Redact(a.Error))
			errText = &s
		}
		rows[i] = []any{of.RunID, of.TenantID, of.Report, nullIfEmpty(of.Period), of.Format.String(), int32(i + 1), a.Phase, auditText(a.URL),
			a.SentAt, status, errText, a.Wait.Milliseconds()}
	}
	cols := []string{"run_id", "tenant_id", "report", "period", "format", "seq", "phase", "url", "sent_at", "http_status", "error", "wait_ms"}
	if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"fetch_attempts"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("record requests of %s: %w", of.Report, explain(err))
	}
	return nil
}

// RecentGraphRequests returns when each report's Graph requests for tenant
// were sent since since, by the budget they drew on, so that a run can
// count what earlier runs spent of Graph's request budget.
func (db *DB) RecentGraphRequests(ctx context.Context, tenant string, since time.Time) (map[report.BudgetKey][]time.Time, error) {
	const q = `SELECT report, format, sent_at FROM fetch_attempts
		WHERE tenant_id = $1 AND phase = 'graph' AND sent_at > $2 ORDER BY sent_at`
	rows, err := db.Pool.Query(ctx, q, tenant, since)
	if err != nil {
		return nil, fmt.Errorf("recent Graph requests: %w", explain(err))
	}
	out := map[report.BudgetKey][]time.Time{}
	var key report.BudgetKey
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&key.Report, formatColumn{&key.Format}, &at}, func() error {
		out[key] = append(out[key], at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent Graph requests: %w", explain(err))
	}
	return out, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
