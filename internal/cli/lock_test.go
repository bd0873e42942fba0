package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/load"
)

// TestWaitTimeout: with --wait a second run waits for the first and then
// runs; with a short --wait-timeout it gives up with exit 1. The lock is let
// go once the waiting run is seen waiting for it in pg_locks.
func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := startSim(t, asOf)
	// Hold the run lock from the test itself, as another run would.
	if code, out, errOut := b.ingest(t, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	h := holdRunLock(t, b)
	code, _, stderr := b.ingest(t, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--wait", "--wait-timeout", "300ms")
	if code != ExitFailed || !strings.Contains(lastLine(stderr), "another run holds the lock since") || !strings.Contains(lastLine(stderr), "gave up after --wait-timeout 300ms") {
		t.Fatalf("exit %d, last line %q", code, lastLine(stderr))
	}
	// The run that gave up is recorded as failed, with its one line.
	if got, want := b.scalar(t, `SELECT string_agg(status || ':' || error || ':' || (finished_at IS NOT NULL), ',') FROM S.ingest_runs WHERE run_id <> $1`, h.runID),
		"failed:"+strings.TrimPrefix(lastLine(stderr), "ingest: ")+":true"; got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("the run that gave up sent %d requests to Graph", n)
	}
	// Unlock once the waiting run is seen waiting on the lock in pg_locks.
	pool := pgtest.Pool(t)
	unlocked := make(chan error, 1)
	go func() {
		const waiting = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND (classid::bigint << 32 | objid::bigint) = $1 AND objsubid = 1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var seen bool
			if err := pool.QueryRow(context.Background(), waiting, h.key).Scan(&seen); err != nil {
				unlocked <- err
				return
			}
			if seen {
				break
			}
			if time.Now().After(deadline) {
				unlocked <- errors.New("no backend waited for the run lock within 20 s")
				return
			}
		}
		unlocked <- h.release()
	}()
	code, out, stderr := b.ingest(t, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--wait", "--wait-timeout", "30s")
	if err := <-unlocked; err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if code != ExitOK || !strings.Contains(out, "loaded") {
		t.Fatalf("waiting run: exit %d\n%s\n%s", code, out, stderr)
	}
	if got := b.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs WHERE run_id <> $1`, h.runID); got != "failed,succeeded" {
		t.Errorf("ingest_runs = %s, want failed,succeeded", got)
	}
}

// heldLock is the run lock of a schema held by a connection of the test's
// own.
type heldLock struct {
	conn  *pgxpool.Conn
	key   int64
	pid   int
	runID int64 // the running row recorded for it, or 0
}

func (h *heldLock) release() error {
	_, err := h.conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, h.key)
	return err
}

// holdLockKey takes the run lock's key of b's schema on a connection of the
// test's own, as any session of any role may, until the test ends.
func holdLockKey(t *testing.T, schema string) *heldLock {
	t.Helper()
	conn, err := pgtest.Pool(t).Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	h := &heldLock{conn: conn, key: load.RunLockKey(schema)}
	if err := conn.QueryRow(t.Context(), `SELECT pg_backend_pid(), pg_advisory_lock($1)`, h.key).Scan(&h.pid, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.release() })
	return h
}

// holdRunLock takes the run lock of b's schema and records it as a live run
// does: a running row in ingest_runs with the lock's backend. The schema
// must be migrated.
func holdRunLock(t *testing.T, b *bundle) *heldLock {
	t.Helper()
	h := holdLockKey(t, b.schema)
	const q = `INSERT INTO S.ingest_runs (command, backend_pid, backend_start)
		SELECT 'run', pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid() RETURNING run_id`
	if err := h.conn.QueryRow(t.Context(), strings.ReplaceAll(q, "S.", pgx.Identifier{b.schema}.Sanitize()+".")).Scan(&h.runID); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLockedRunAsksNobody: a run that finds the lock taken exits 0 with its
// one line before asking Entra ID for a token or Graph for anything, and
// records no run.
func TestLockedRunAsksNobody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if code, out, errOut := b.ingest(t, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	holdRunLock(t, b)
	a := newAuthority(t)
	a.secret = "cl1ent-s3cret-" + randomText(4)
	sim := startSim(t, asOf)
	code, out, stderr := b.ingestWith(t, hooks{authTransport: a.srv.Client()}, "run", "--graph-url", sim.URL(),
		"--authority-host", a.srv.URL, "--tenant-id", tenant, "--client-id", clientID, "--client-secret", a.secret)
	if code != ExitOK || !strings.Contains(stderr, "ingest: another run holds the lock since") || out != "" {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if a.sawPath("/") {
		t.Error("Entra ID was asked for a token")
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("Graph saw %d requests", n)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.ingest_runs`); n != "1" {
		t.Errorf("%s runs recorded, want 1 (the holder's)", n)
	}
}
