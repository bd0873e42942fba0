package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/transform"
)

// connect is a second DB on b's schema, as another process would have.
func (b *bundle) connect(t *testing.T) *DB {
	t.Helper()
	db, err := Connect(context.Background(), pgtest.URL(t), b.db.Schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func (b *bundle) runStatus(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := b.db.Pool.QueryRow(context.Background(), `SELECT status || ':' || coalesce(error, '') FROM ingest_runs WHERE run_id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLiveRunIsNotAbandoned: run A loses its lock while its backend lives on
// (here it lets go itself; a terminated lock session is the same for the
// check). Run B then takes the lock: it marks abandoned only the runs whose
// backend is gone, or that predate recorded backends, never A. A's next load
// is rolled back for the lost lock, and A cannot overwrite a status another
// run gave it.
func TestLiveRunIsNotAbandoned(t *testing.T) {
	t.Parallel()
	b := setup(t) // its own run predates the lock: no backend recorded
	ctx := context.Background()
	a := b.connect(t)
	lockA, err := a.LockRun(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lockA.Release()
	runA, err := a.StartRun(ctx, Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	var dead int64
	if err := a.Pool.QueryRow(ctx, `INSERT INTO ingest_runs (command, backend_pid, backend_start) VALUES ('run', $1, now()) RETURNING run_id`, lockA.PID()).Scan(&dead); err != nil {
		t.Fatal(err) // the same pid, another backend start: a backend that ended
	}
	if _, err := lockA.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lockA.key); err != nil {
		t.Fatal(err)
	}

	bdb := b.connect(t)
	lockB, err := bdb.LockRun(ctx, 0)
	if err != nil {
		t.Fatalf("run B: %v", err)
	}
	defer lockB.Release()
	if got := b.runStatus(t, runA); got != "running:" {
		t.Errorf("run A, alive, is %s", got)
	}
	for _, id := range []int64{b.run, dead} {
		if got := b.runStatus(t, id); got != "failed:abandoned: the process ended before recording the end of the run" {
			t.Errorf("run %d, gone, is %s", id, got)
		}
	}

	_, err = a.Upsert(ctx, Fetch{RunID: runA, TenantID: "t1", Report: b.spec, Source: "test"}, []transform.Row{row("2026-11-21", "2026-11-20", 1, 2, 3)})
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("run A's load after its lock was lost: %v, want ErrLockLost", err)
	}
	if got := b.table(t); got != "" {
		t.Errorf("run A committed %s", got)
	}

	// Once another run has marked A (say, abandoned while it was slow to
	// end), A's end does not overwrite it.
	if _, err := b.db.Pool.Exec(ctx, `UPDATE ingest_runs SET status = 'failed', error = 'abandoned' WHERE run_id = $1`, runA); err != nil {
		t.Fatal(err)
	}
	if err := a.FinishRun(ctx, runA, nil); !errors.Is(err, ErrNotRunning) {
		t.Errorf("FinishRun of a run marked failed: %v, want ErrNotRunning", err)
	}
	if got := b.runStatus(t, runA); got != "failed:abandoned" {
		t.Errorf("run A is %s after FinishRun, want failed:abandoned", got)
	}
}

// oldRunLockKey is the 32-bit key the run lock had (the second key of a
// two-key lock), which schemas shared by the thousand.
func oldRunLockKey(schema string) int32 { return int32(lockID("run", schema)) }

// TestCollidingSchemasRunAtOnce: schemas whose names collided in the old
// 32-bit key (m365_t126189 and m365_t1040046 did) each take their own run
// lock at once.
func TestCollidingSchemasRunAtOnce(t *testing.T) {
	t.Parallel()
	if oldRunLockKey("m365_t126189") != oldRunLockKey("m365_t1040046") {
		t.Fatal("the issue's pair does not collide in the old key: this test proves nothing")
	}
	if RunLockKey("m365_t126189") == RunLockKey("m365_t1040046") {
		t.Error("m365_t126189 and m365_t1040046 share a run lock key")
	}
	// Two fresh schemas of this test's own that collided the same way.
	var p [4]byte
	rand.Read(p[:])
	prefix := "t_" + hex.EncodeToString(p[:]) + "_"
	seen := map[int32]string{}
	var s1, s2 string
	for i := 0; s2 == ""; i++ {
		s := fmt.Sprint(prefix, i)
		if o, ok := seen[oldRunLockKey(s)]; ok {
			s1, s2 = o, s
		}
		seen[oldRunLockKey(s)] = s
	}
	ctx := context.Background()
	var locks []*RunLock
	for _, schema := range []string{s1, s2} {
		db, err := Connect(ctx, pgtest.URL(t), schema, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		l, err := db.LockRun(ctx, 0)
		if err != nil {
			t.Fatalf("lock %s while %s holds its own: %v", schema, s1, err)
		}
		defer l.Release()
		locks = append(locks, l)
	}
}

// TestLockHeldByAnotherRoleAsOrdinaryRole: ingest running as a role without
// pg_read_all_stats cannot see another role's backend_start. A stranger
// holding the lock must still be named (a *HeldError), not turn into a scan
// error; a live run of another role must not look dead to abandonDeadRuns.
func TestLockHeldByAnotherRoleAsOrdinaryRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := b.db.Pool
	suffix := make([]byte, 4)
	rand.Read(suffix)
	ingestRole, stranger := "ingest_"+hex.EncodeToString(suffix), "stranger_"+hex.EncodeToString(suffix)
	for _, q := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN NOSUPERUSER`, ingestRole),
		fmt.Sprintf(`CREATE ROLE %s LOGIN NOSUPERUSER`, stranger),
		fmt.Sprintf(`GRANT USAGE ON SCHEMA %s TO %s`, b.db.Schema, ingestRole),
		fmt.Sprintf(`GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA %s TO %s`, b.db.Schema, ingestRole),
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{
			fmt.Sprintf(`REVOKE ALL ON ALL TABLES IN SCHEMA %s FROM %s`, b.db.Schema, ingestRole),
			fmt.Sprintf(`REVOKE ALL ON SCHEMA %s FROM %s`, b.db.Schema, ingestRole),
			`DROP ROLE IF EXISTS ` + ingestRole, `DROP ROLE IF EXISTS ` + stranger,
		} {
			admin.Exec(context.Background(), q)
		}
	})
	as := func(role string) string {
		t.Helper()
		u, err := url.Parse(pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(role)
		return u.String()
	}
	held, err := pgx.Connect(ctx, as(stranger))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)
	if _, err := held.Exec(ctx, `SELECT pg_advisory_lock($1)`, RunLockKey(b.db.Schema)); err != nil {
		t.Fatal(err)
	}
	db, err := Connect(ctx, as(ingestRole), b.db.Schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.LockRun(ctx, 0)
	var he *HeldError
	if !errors.As(err, &he) || he.User != stranger || !strings.Contains(err.Error(), "pg_read_all_stats") {
		t.Fatalf("LockRun as %s with %s holding the lock: %v; want a *HeldError naming %s", ingestRole, stranger, err, stranger)
	}
}

// TestLockSessionNeverTimesOut: the run lock lives on an idle session, which
// a role's or the URL's idle_session_timeout would end (and the lock with
// it). The lock's session turns both idle timeouts off, whatever the
// connection was given.
func TestLockSessionNeverTimesOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("idle_session_timeout", "200ms")
	q.Set("idle_in_transaction_session_timeout", "200ms")
	u.RawQuery = q.Encode()
	db, err := Connect(ctx, u.String(), b.db.Schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pooled string
	if err := db.Pool.QueryRow(ctx, `SHOW idle_session_timeout`).Scan(&pooled); err != nil || pooled != "200ms" {
		t.Fatalf("a pooled session has idle_session_timeout %q (%v): the test would show nothing", pooled, err)
	}
	l, err := db.LockRun(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, name := range []string{"idle_session_timeout", "idle_in_transaction_session_timeout"} {
		var v string
		if err := l.conn.QueryRow(ctx, `SHOW `+name).Scan(&v); err != nil || v != "0" {
			t.Errorf("the lock's session has %s %q (%v), want 0", name, v, err)
		}
	}
}
