// Package pgtest gives tests an isolated schema on a real Postgres server:
// DATABASE_URL, default the local server. Without a server a test is skipped,
// except with CI=true, where a missing database is a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/m365ingest/ingest/internal/localpg"
)

var (
	once    sync.Once
	pool    *pgxpool.Pool
	poolErr error
)

// URL returns the server's URL, failing or skipping the test when it does
// not answer.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = localpg.URL
	}
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pool, poolErr = pgxpool.New(ctx, url)
		if poolErr == nil {
			poolErr = pool.Ping(ctx)
		}
	})
	if poolErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Postgres at DATABASE_URL does not answer (CI=true makes this a failure): %v", poolErr)
		}
		t.Skipf("Postgres at DATABASE_URL does not answer: %v", poolErr)
	}
	return url
}

// Pool is a shared pool on the server (no schema bound).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	URL(t)
	return pool
}

// Schema returns the server URL and the name of a fresh schema that is
// dropped when the test ends. The schema itself is not created: ingest
// creates it, as on a fresh database.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL(t)
	var b [6]byte
	rand.Read(b[:])
	schema = "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return url, schema
}
