package load

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/m365ingest/ingest/transform"
)

// TestConcurrentLoadsOfATenant: two loads of one tenant's report at once,
// as two runs whose run locks differ can make them (a shard's run beside a
// load-file or a replay, or shards of two different counts). Load A holds
// its transaction open at its very end (the audit row's foreign-key check
// waits on a row lock the test holds); load B starts meanwhile. B must then
// apply the upsert rule to what A committed: an older refresh changes
// nothing, and a key A inserted is B's to update, not a primary-key error.
// (Found by review: B classified the rows by its snapshot, taken before A
// committed, and wrote its older data over A's.)
func TestConcurrentLoadsOfATenant(t *testing.T) { bothWays(t, setup, testConcurrentLoadsOfATenant) }

func testConcurrentLoadsOfATenant(t *testing.T, b *bundle) {
	ctx := context.Background()
	// Loads A and B on pools of their own, named, so that the test waits
	// for their sessions, not another test's.
	app := "ingest-test-" + b.db.Schema
	connect := func(name string) *DB {
		t.Helper()
		u, err := url.Parse(b.url)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", app+"-"+name)
		u.RawQuery = q.Encode()
		db, err := Connect(ctx, u.String(), b.db.Schema, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		db.copyAll = b.db.copyAll
		return db
	}
	dbA, dbB := connect("a"), connect("b")
	runB, err := dbB.StartRun(ctx, Run{Command: "load-file"})
	if err != nil {
		t.Fatal(err)
	}
	b.upsert(t, row("2026-11-20", "2026-11-19", 1, 2, 3))

	// waitFor polls until n of the sessions of A and B wait on a lock.
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var w int
			if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE $1`, app+"-%").Scan(&w); err != nil {
				t.Fatal(err)
			}
			if w >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions wait on a lock, want %d", w, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	both := func(a, bRows []transform.Row) Counts {
		t.Helper()
		blocker, err := b.db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer blocker.Rollback(ctx)
		if _, err := blocker.Exec(ctx, `SELECT FROM ingest_runs WHERE run_id = $1 FOR UPDATE`, b.run); err != nil {
			t.Fatal(err)
		}
		errA, errB := make(chan error, 1), make(chan error, 1)
		var cB Counts
		go func() {
			_, err := dbA.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: b.spec, Source: "A"}, a)
			errA <- err
		}()
		waitFor(1)
		go func() {
			var err error
			cB, err = dbB.Upsert(ctx, Fetch{RunID: runB, TenantID: "t1", Report: b.spec, Source: "B"}, bRows)
			errB <- err
		}()
		waitFor(2)
		blocker.Rollback(ctx)
		if err := <-errA; err != nil {
			t.Fatalf("load A: %v", err)
		}
		if err := <-errB; err != nil {
			t.Fatalf("load B: %v", err)
		}
		return cB
	}

	// A restates on refresh 22; B brings refresh 21: older, kept out.
	if c := both([]transform.Row{row("2026-11-22", "2026-11-19", 1, 2, 30)}, []transform.Row{row("2026-11-21", "2026-11-19", 7, 7, 7)}); c != (Counts{1, 0, 0, 1, 0}) {
		t.Errorf("older load B counts %+v, want it unchanged", c)
	}
	if got, want := b.table(t), "2026-11-19=1/2/30@2026-11-22"; got != want {
		t.Errorf("after refresh 22 and then, at once, refresh 21: %s, want %s", got, want)
	}
	// Both bring a new key: A inserts it, B (same refresh, other values)
	// updates it.
	if c := both([]transform.Row{row("2026-11-25", "2026-11-24", 4, 4, 4)}, []transform.Row{row("2026-11-25", "2026-11-24", 5, 5, 5)}); c != (Counts{1, 0, 1, 0, 1}) {
		t.Errorf("load B of a key A inserted meanwhile: counts %+v, want it updated", c)
	}
	if got, want := b.table(t), "2026-11-19=1/2/30@2026-11-22 2026-11-24=5/5/5@2026-11-25"; got != want {
		t.Errorf("after two loads of a new key at once: %s, want %s", got, want)
	}
}
