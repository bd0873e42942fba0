package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Stored is a payload kept by an earlier fetch, with what it was fetched as.
type Stored struct {
	SHA256    string
	TenantID  string
	Report    string
	Period    string
	Source    string
	Format    string
	FetchedAt time.Time
}

// StoredFilter selects stored payloads for replay; zero fields select all.
type StoredFilter struct {
	Reports []string // short names
	Since   time.Time
}

// StoredPayloads lists payloads kept by earlier fetches, each (payload,
// tenant, report) once, in the order of its last fetch (or file load), so
// that replaying them in order ends where the loads ended: a payload
// fetched again after the one that superseded it supersedes it again. A
// replay is not a fetch: rows of replay runs neither reorder payloads nor
// count for Since.
func (db *DB) StoredPayloads(ctx context.Context, f StoredFilter) ([]Stored, error) {
	const q = `SELECT sha256, tenant_id, report, coalesce(period, ''), source, format, fetched_at FROM (
		SELECT DISTINCT ON (f.sha256, f.tenant_id, f.report) f.sha256, f.tenant_id, f.report, f.period, f.source, p.format,
			f.fetched_at, f.fetch_id
		FROM report_fetches f JOIN payloads p USING (sha256) JOIN ingest_runs r USING (run_id)
		WHERE r.command <> 'replay'
			AND ($1::text[] IS NULL OR f.report = ANY($1)) AND ($2::timestamptz IS NULL OR f.fetched_at >= $2)
		ORDER BY f.sha256, f.tenant_id, f.report, f.fetched_at DESC, f.fetch_id DESC
	) s ORDER BY fetched_at, fetch_id`
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	var reports []string
	if len(f.Reports) > 0 {
		reports = f.Reports
	}
	rows, err := db.Pool.Query(ctx, q, reports, since)
	if err != nil {
		return nil, fmt.Errorf("list stored payloads: %w", explain(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stored, error) {
		var s Stored
		err := r.Scan(&s.SHA256, &s.TenantID, &s.Report, &s.Period, &s.Source, &s.Format, &s.FetchedAt)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list stored payloads: %w", explain(err))
	}
	return out, nil
}

// PayloadBody reads a stored payload and its content type.
func (db *DB) PayloadBody(ctx context.Context, sha string) ([]byte, string, error) {
	var body []byte
	var ct *string
	err := db.Pool.QueryRow(ctx, `SELECT body, content_type FROM payloads WHERE sha256 = $1`, sha).Scan(&body, &ct)
	if err != nil {
		return nil, "", fmt.Errorf("read payload %s: %w", sha, explain(err))
	}
	if ct == nil {
		return body, "", nil
	}
	return body, *ct, nil
}
