package load

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/report"
)

// StoredETag is the ETag of the last payload loaded for a tenant, report
// and period.
type StoredETag struct {
	ETag   string
	Format report.Format
}

// ETag returns the stored ETag for (tenant, report, period), or nil when
// there is none.
func (db *DB) ETag(ctx context.Context, tenant, report, period string) (*StoredETag, error) {
	const q = `SELECT etag, format FROM report_etags WHERE tenant_id = $1 AND report = $2 AND period = $3`
	var e StoredETag
	err := db.Pool.QueryRow(ctx, q, tenant, report, period).Scan(&e.ETag, formatColumn{&e.Format})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ETag of %s %s: %w", report, period, explain(err))
	}
	return &e, nil
}

// SaveETag stores the ETag of a payload that loaded. Call it only after the
// load committed: a stored ETag makes the next fetch skip an unchanged
// report.
func (db *DB) SaveETag(ctx context.Context, runID int64, tenant, report, period string, e StoredETag) error {
	const q = `INSERT INTO report_etags (tenant_id, report, period, etag, format, run_id) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, report, period) DO UPDATE SET etag = EXCLUDED.etag, format = EXCLUDED.format,
			run_id = EXCLUDED.run_id, updated_at = now()
		WHERE (report_etags.etag, report_etags.format) IS DISTINCT FROM (EXCLUDED.etag, EXCLUDED.format)`
	if _, err := db.Pool.Exec(ctx, q, tenant, report, period, e.ETag, e.Format.String(), runID); err != nil {
		return fmt.Errorf("save ETag of %s %s: %w", report, period, explain(err))
	}
	return nil
}
