package load

import (
	"context"
	"fmt"
)

// StorePayload keeps a payload as received, keyed by its sha256 and
// deduplicated, before it is transformed: should the transform or the load
// fail, or the process die, the payload is still there for `ingest replay`.
// Upsert and RecordFetch store it too (a no-op once it is here).
func (db *DB) StorePayload(ctx context.Context, p *Payload) error {
	if p == nil {
		return nil
	}
	const q = `INSERT INTO payloads (sha256, body, bytes, content_type, format)
		VALUES ($1, $2, $3, nullif($4, ''), $5) ON CONFLICT (sha256) DO NOTHING`
	if _, err := db.Pool.Exec(ctx, q, p.SHA256, p.Body, len(p.Body), p.ContentType, p.Format); err != nil {
		return fmt.Errorf("store payload %s: %w", p.SHA256, explain(err))
	}
	return nil
}
