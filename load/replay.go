package load

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/report"
)

// Stored is a payload kept by an earlier fetch, with what it was fetched as.
type Stored struct {
	SHA256    string
	TenantID  string
	Report    string
	Period    string
	Source    string
	Format    report.Format
	FetchedAt time.Time
	// AskedDate is the day a detail report's fetch asked for (date=); zero
	// for a fetch of a period, or a file.
	AskedDate time.Time
	// Loaded says whether the payload ever loaded (outcome loaded or empty)
	// for its tenant and report, in any run, replays included. A payload
	// that never did (a Graph answer that failed to parse, say) is kept as
	// evidence, but replay leaves it out unless it is named by sha256.
	Loaded bool
}

// StoredFilter selects stored payloads for replay; zero fields select all.
type StoredFilter struct {
	Reports []string // short names
	Since   time.Time
	SHA256  []string // whole sha256s: only these
	Skip    []string // whole sha256s: not these
}

// StoredPayloads lists payloads kept by earlier fetches, each (payload,
// tenant, report) once, in the order of its last fetch (or file load) that
// loaded (or, for one that never loaded, its last fetch), so
// that replaying them in order ends where the loads ended: a payload
// fetched again after the one that superseded it supersedes it again. A
// replay is not a fetch: rows of replay runs neither reorder payloads nor
// count for Since. Each says whether it ever loaded (Stored.Loaded).
func (db *DB) StoredPayloads(ctx context.Context, f StoredFilter) ([]Stored, error) {
	const q = `SELECT sha256, tenant_id, report, coalesce(period, ''), source, format, fetched_at, asked_date,
		EXISTS (SELECT 1 FROM report_fetches l WHERE l.sha256 = s.sha256 AND l.tenant_id = s.tenant_id
			AND l.report = s.report AND l.outcome IN ('loaded', 'empty'))
	FROM (
		-- A fetch that loaded orders a payload before one that did not: a
		-- payload fetched again whose load then failed never superseded
		-- anything, so its failed fetch must not move it after the one
		-- the warehouse holds.
		SELECT DISTINCT ON (f.sha256, f.tenant_id, f.report) f.sha256, f.tenant_id, f.report, f.period, f.source, p.format,
			f.fetched_at, f.fetch_id, f.asked_date
		FROM report_fetches f JOIN payloads p USING (sha256) JOIN ingest_runs r USING (run_id)
		WHERE r.command <> 'replay'
			AND ($1::text[] IS NULL OR f.report = ANY($1)) AND ($2::timestamptz IS NULL OR f.fetched_at >= $2)
			AND ($3::text[] IS NULL OR f.sha256 = ANY($3)) AND f.sha256 <> ALL($4::text[])
		ORDER BY f.sha256, f.tenant_id, f.report, (f.outcome IN ('loaded', 'empty')) DESC, f.fetched_at DESC, f.fetch_id DESC
	) s ORDER BY fetched_at, fetch_id`
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	var reports []string
	if len(f.Reports) > 0 {
		reports = f.Reports
	}
	var only []string
	if len(f.SHA256) > 0 {
		only = f.SHA256
	}
	skip := append([]string{}, f.Skip...) // never NULL: x <> ALL(NULL) is NULL
	rows, err := db.Pool.Query(ctx, q, reports, since, only, skip)
	if err != nil {
		return nil, fmt.Errorf("list stored payloads: %w", explain(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stored, error) {
		var s Stored
		var asked *time.Time
		err := r.Scan(&s.SHA256, &s.TenantID, &s.Report, &s.Period, &s.Source, formatColumn{&s.Format}, &s.FetchedAt, &asked, &s.Loaded)
		if asked != nil {
			s.AskedDate = asked.UTC()
		}
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list stored payloads: %w", explain(err))
	}
	return out, nil
}

// PayloadsWithPrefix returns the sha256s of the stored payloads that start
// with prefix (lowercase hex digits), at most limit of them, so that a
// caller can tell an unknown prefix (none) from an ambiguous one (several).
func (db *DB) PayloadsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	rows, err := db.Pool.Query(ctx, `SELECT sha256 FROM payloads WHERE left(sha256, length($1)) = $1 ORDER BY sha256 LIMIT $2`, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("look up payload %s: %w", prefix, explain(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up payload %s: %w", prefix, explain(err))
	}
	return out, nil
}

// PayloadBody reads a stored payload and its content type.
func (db *DB) PayloadBody(ctx context.Context, sha string) ([]byte, string, error) {
	var body []byte
	var ct *string
	var stream *int64
	err := db.Pool.QueryRow(ctx, `SELECT body, content_type, stream_id FROM payloads WHERE sha256 = $1`, sha).Scan(&body, &ct, &stream)
	if err != nil {
		return nil, "", fmt.Errorf("read payload %s: %w", sha, explain(err))
	}
	if stream != nil {
		if body, err = db.streamedBody(ctx, *stream); err != nil {
			return nil, "", fmt.Errorf("read payload %s: %w", sha, err)
		}
	}
	if ct == nil {
		return body, "", nil
	}
	return body, *ct, nil
}

// streamedBody is a streamed payload (LoadStream) put back together: its
// chunks, in order, are one gzip stream.
func (db *DB) streamedBody(ctx context.Context, stream int64) ([]byte, error) {
	rows, err := db.Pool.Query(ctx, `SELECT data FROM payload_chunks WHERE stream_id = $1 ORDER BY seq`, stream)
	if err != nil {
		return nil, explain(err)
	}
	var gz bytes.Buffer
	var chunk []byte
	_, err = pgx.ForEachRow(rows, []any{&chunk}, func() error {
		gz.Write(chunk)
		return nil
	})
	if err != nil {
		return nil, explain(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		return nil, fmt.Errorf("stored chunks: %w", err)
	}
	return io.ReadAll(zr)
}
