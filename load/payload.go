package load

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// StorePayload keeps a payload as received, keyed by its sha256 and
// deduplicated, before it is transformed: what Graph sent cannot be asked
// for again, so should the transform or the load fail, or the process die,
// the payload is still there to examine and for `ingest replay --sha256`.
// Upsert and RecordFetch store it too (a no-op once it is here). A file is
// not stored before it loads: Upsert stores it with its rows, and a rejected
// file leaves no payload (see Fetch.DropOnFailure).
func (db *DB) StorePayload(ctx context.Context, p *Payload) error {
	if err := storePayload(ctx, db.Pool, p); err != nil {
		return explain(err)
	}
	return nil
}

// execer is what storePayload needs: a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func storePayload(ctx context.Context, q execer, p *Payload) error {
	if p == nil {
		return nil
	}
	const sql = `INSERT INTO payloads (sha256, body, bytes, content_type, format, stream_id)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING`
	if _, err := q.Exec(ctx, sql, payloadRow(p)...); err != nil {
		return fmt.Errorf("store payload %s: %w", p.SHA256, err)
	}
	return nil
}

// payloadRow is the payloads row of p: sha256, body, bytes, content_type
// (NULL when empty), format and stream_id (NULL unless streamed); all NULL when p is nil (a load's statement
// then stores nothing: see merge).
func payloadRow(p *Payload) []any {
	if p == nil {
		return []any{nil, nil, nil, nil, nil, nil}
	}
	return []any{p.SHA256, p.Body, p.size(), nullIfZero(auditText(p.ContentType)), p.Format.String(), nullIfZero(p.StreamID)}
}
