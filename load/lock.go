package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLocked is returned by LockRun when another run holds the lock. The
// *LockedError that wraps it says which run and since when.
var ErrLocked = errors.New("another run holds the lock")

// ErrLockLost is returned (wrapped) by Upsert when the run lock is no longer
// held by the run: its session ended (a terminated backend, a server
// restart). The load is rolled back; the run must stop, since another run
// may have started.
var ErrLockLost = errors.New("the run lock was lost")

// LockedError describes the run that holds the run lock: a live ingest run
// of the same schema, recorded in its ingest_runs with the lock's backend.
type LockedError struct {
	PID     int
	Since   time.Time
	RunID   int64
	Command string
}

func (e *LockedError) Error() string {
	s := fmt.Sprintf("another run holds the lock since %s", e.Since.UTC().Format(time.RFC3339))
	if e.RunID != 0 {
		s += fmt.Sprintf(" (run %d, %s, backend pid %d)", e.RunID, e.Command, e.PID)
	} else if e.PID != 0 {
		s += fmt.Sprintf(" (backend pid %d)", e.PID)
	}
	return s
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// HeldError is returned by LockRun when the run lock's key is held by a
// session that is not a running ingest run of the schema: a stray session,
// another role, a run of a schema whose key collides. Not ErrLocked: a run
// that meets it fails instead of standing aside.
type HeldError struct {
	Schema          string
	PID             int
	ApplicationName string
	User            string
	Since           time.Time
}

func (e *HeldError) Error() string {
	since := "connected since " + e.Since.UTC().Format(time.RFC3339)
	if e.Since.IsZero() {
		since = "its connection time hidden: grant pg_read_all_stats to the ingest role to see more"
	}
	return fmt.Sprintf("the run lock of schema %s is held by backend pid %d (application_name %s, user %s, %s), "+
		"which is not a running ingest run of this schema; end that session (SELECT pg_terminate_backend(%d)) or find out why it holds the lock",
		e.Schema, e.PID, strconv.Quote(e.ApplicationName), strconv.Quote(e.User), since, e.PID)
}

// RunLock is a held run lock; Release gives it back.
type RunLock struct {
	db   *DB
	conn *pgxpool.Conn
	key  int64
	// pid and start identify the lock's backend: runs record them in
	// ingest_runs, and loads check the lock against them before committing.
	pid   int32
	start time.Time
	lost  atomic.Bool
}

// runState is what a DB knows of the run it serves: the lock (nil when not
// held) and the statement timeout of its connections.
type runState struct {
	lock             atomic.Pointer[RunLock]
	statementTimeout time.Duration
}

// holderSettle is how long LockRun watches a holder that has no running row
// yet before it calls it a stranger: a run records itself right after
// taking the lock, within milliseconds.
var holderSettle = 3 * time.Second

// LockRun takes the advisory lock that allows one run at a time for this
// database and schema, on a connection of its own that it keeps until
// Release. With wait 0 it does not wait; otherwise it waits up to wait.
//
// When the lock is held by a live run of this schema (its backend recorded in
// a running row of ingest_runs) it returns a *LockedError (errors.Is
// ErrLocked); when held by anything else, a *HeldError naming the session.
// Once the lock is held, runs left "running" whose backend has ended are
// marked failed (abandoned); a run whose backend is alive is left alone.
func (db *DB) LockRun(ctx context.Context, wait time.Duration) (*RunLock, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	l := &RunLock{db: db, conn: conn, key: db.runLockKey()}
	// The lock lives as long as this session: the session must not time out
	// while it sits idle during the run.
	if _, err := conn.Exec(ctx, `SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0`); err != nil {
		conn.Release()
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	if err := conn.QueryRow(ctx, `SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&l.pid, &l.start); err != nil {
		conn.Release()
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	for attempt := 1; ; attempt++ {
		got, err := l.take(ctx, wait)
		if err != nil {
			conn.Release()
			return nil, fmt.Errorf("run lock: %w", explain(err))
		}
		if got {
			break
		}
		err = db.lockHolder(ctx, conn)
		if err == nil && attempt < 3 {
			continue // the holder let go meanwhile: try again
		}
		conn.Release()
		if err == nil {
			err = errors.New("run lock: the lock was taken and let go three times while this run tried it; try again")
		}
		return nil, err
	}
	if err := db.abandonDeadRuns(ctx, conn); err != nil {
		l.Release()
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	db.run.lock.Store(l)
	return l, nil
}

// take tries the lock, or waits for it up to wait. The connection's
// statement_timeout does not cut the wait short: lock_timeout bounds it.
func (l *RunLock) take(ctx context.Context, wait time.Duration) (bool, error) {
	var got bool
	if wait <= 0 {
		err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&got)
		return got, err
	}
	_, err := l.conn.Exec(ctx, fmt.Sprintf(`SET statement_timeout = 0; SET lock_timeout = %d`, wait.Milliseconds()))
	if err == nil {
		_, err = l.conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, l.key)
		got = err == nil
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			err = nil
		}
	}
	if _, rerr := l.conn.Exec(context.WithoutCancel(ctx), `RESET lock_timeout; RESET statement_timeout`); rerr != nil && err == nil {
		err = rerr
	}
	return got, err
}

// abandonDeadRuns marks failed the runs left "running" whose lock backend no
// longer exists (their process died without recording the end), and those
// recorded before runs kept their backend. A run whose backend is alive may
// have lost its lock but still be loading: it stops at its next commit.
func (db *DB) abandonDeadRuns(ctx context.Context, conn *pgxpool.Conn) error {
	runs := pgx.Identifier{db.Schema, "ingest_runs"}.Sanitize()
	abandon := `UPDATE ` + runs + ` r SET status = 'failed', finished_at = now(),
		error = 'abandoned: the process ended before recording the end of the run'
		WHERE status = 'running' AND NOT EXISTS (
			SELECT 1 FROM pg_stat_activity a WHERE a.pid = r.backend_pid
				-- another role's backend_start may be hidden (NULL): then
				-- the run is taken as alive, never abandoned while it lives
				AND (a.backend_start = r.backend_start OR a.backend_start IS NULL))`
	_, err := conn.Exec(ctx, abandon)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42703" { // a schema from before backend_pid: its runs predate it
		_, err = conn.Exec(ctx, `UPDATE `+runs+` SET status = 'failed', finished_at = now(),
			error = 'abandoned: the process ended before recording the end of the run' WHERE status = 'running'`)
	}
	if errors.As(err, &pe) && pe.Code == "42P01" { // the table may not exist yet
		return nil
	}
	return err
}

// Release gives the lock back and returns the connection to the pool.
func (l *RunLock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key); err != nil {
		// The session ends with the connection, and the lock with it.
		l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
	l.lost.Store(true)
	l.db.run.lock.CompareAndSwap(l, nil)
}

// PID is the backend pid of the lock's session.
func (l *RunLock) PID() int { return int(l.pid) }

// holderSQL finds the session holding a bigint advisory lock in this
// database: pg_locks shows the key's high 32 bits as classid, the low ones
// as objid, and objsubid 1.
const holderSQL = `SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), a.backend_start,
		coalesce(a.usename = current_user, false)
	FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
	  AND (l.classid::bigint << 32 | l.objid::bigint) = $1
	  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`

// lockHolder says who holds the run lock: a *LockedError for a live run of
// this schema, a *HeldError for anything else, nil when nobody holds it any
// more. A holder without a running row is watched for holderSettle, for the
// moment between a run taking the lock and recording itself.
func (db *DB) lockHolder(ctx context.Context, conn *pgxpool.Conn) error {
	runs := pgx.Identifier{db.Schema, "ingest_runs"}.Sanitize()
	run := `SELECT run_id, command, started_at FROM ` + runs + `
		WHERE status = 'running' AND backend_pid = $1 AND backend_start = $2 ORDER BY run_id DESC LIMIT 1`
	key := db.runLockKey()
	deadline := time.Now().Add(holderSettle)
	for {
		h := &HeldError{Schema: db.Schema}
		var sameRole bool
		// pg_stat_activity hides backend_start (NULL) of another role's
		// session from a role without pg_read_all_stats.
		var since *time.Time
		err := conn.QueryRow(ctx, holderSQL, key).Scan(&h.PID, &h.ApplicationName, &h.User, &since, &sameRole)
		if since != nil {
			h.Since = *since
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("run lock: find its holder: %w", explain(err))
		}
		le := &LockedError{PID: h.PID}
		err = conn.QueryRow(ctx, run, h.PID, h.Since).Scan(&le.RunID, &le.Command, &le.Since)
		if err == nil {
			return le
		}
		var pe *pgconn.PgError
		undefined := errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "42703")
		switch {
		case undefined && sameRole:
			// ingest_runs does not exist yet, or predates backend_pid: the
			// holder, a session of this role, is a run migrating the schema
			// before it can record itself.
			le.Since = h.Since
			return le
		case undefined, errors.Is(err, pgx.ErrNoRows):
			// not (yet) a recorded run: watch it a little longer
		default:
			return fmt.Errorf("run lock: find its holder's run: %w", explain(err))
		}
		if time.Now().After(deadline) {
			return h
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("run lock: %w", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// lostError is the error of a load that found the run lock lost (the
// check is part of the load's statement: see merge); the load is rolled
// back.
func (l *RunLock) lostError() error {
	return fmt.Errorf("%w (its session, backend pid %d, ended or let it go; another run may have started): "+
		"the load was rolled back and the run stops", ErrLockLost, l.pid)
}

// SetStatementTimeout gives every connection of the pool a statement_timeout
// of d (0: none), unless keepURL and the database URL sets one itself. The
// run lock's wait is not bounded by it (lock_timeout is). Call it before
// using the pool: it replaces it.
func (db *DB) SetStatementTimeout(ctx context.Context, d time.Duration, keepURL bool) error {
	cfg := db.Pool.Config()
	if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; set && keepURL {
		return nil
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to database: %w", redactErr(err))
	}
	db.Pool.Close()
	db.Pool = pool
	db.run.statementTimeout = d
	return nil
}

// StatementTimeout is the statement_timeout SetStatementTimeout gave the
// pool (0: none, or the database URL's own).
func (db *DB) StatementTimeout() time.Duration { return db.run.statementTimeout }

// StatementTimedOut reports whether err is Postgres cancelling a statement
// for statement_timeout.
func StatementTimedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "57014" && pe.Message == "canceling statement due to statement timeout"
}

// runLockKey is the run lock's 64-bit key for a schema (distinct from the
// keys of goose's and the views' locks, which hash another purpose).
func runLockKey(schema string) int64 { return lockID("run", schema) }

// runLockKey is the key of db's run lock: its schema's, or its scope's.
func (db *DB) runLockKey() int64 {
	if db.LockScope == "" {
		return runLockKey(db.Schema)
	}
	return lockID("run "+db.LockScope, db.Schema)
}

// RunLockKey is the key of the run lock for a schema, for operators
// (pg_locks: classid its high 32 bits, objid its low 32 bits, objsubid 1)
// and tests: pg_advisory_lock(key).
func RunLockKey(schema string) int64 { return runLockKey(schema) }
