package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// runLockClass is the first key of the two-key advisory lock that keeps one
// run at a time per database and schema; the second is a hash of the schema.
const runLockClass int32 = 0x696e6765 // "inge"

// ErrLocked is returned by LockRun when another run holds the lock. The
// *LockedError that wraps it says who and since when.
var ErrLocked = errors.New("another run holds the lock")

// LockedError describes the holder of the run lock.
type LockedError struct {
	PID   int
	Since time.Time
	// RunID and Command are those of the newest running run, when recorded.
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

// RunLock is a held run lock; Release gives it back.
type RunLock struct {
	conn *pgxpool.Conn
	key  int32
}

// LockRun takes the advisory lock that allows one run at a time for this
// database and schema, on a connection of its own that it keeps until
// Release. With wait 0 it does not wait; otherwise it waits up to wait. When
// another run holds the lock it returns a *LockedError (errors.Is ErrLocked).
// Runs that a crashed process left "running" are marked failed once the lock
// is held.
func (db *DB) LockRun(ctx context.Context, wait time.Duration) (*RunLock, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	key := schemaKey(db.Schema)
	var got bool
	if wait <= 0 {
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, runLockClass, key).Scan(&got)
	} else {
		_, err = conn.Exec(ctx, fmt.Sprintf(`SET lock_timeout = %d`, wait.Milliseconds()))
		if err == nil {
			_, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, runLockClass, key)
			got = err == nil
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
				err = nil
			}
		}
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), `RESET lock_timeout`); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("run lock: %w", explain(err))
	}
	if !got {
		defer conn.Release()
		return nil, db.lockHolder(ctx, conn, key)
	}
	l := &RunLock{conn: conn, key: key}
	const abandon = `UPDATE ingest_runs SET status = 'failed', finished_at = now(),
		error = 'abandoned: the process ended before recording the end of the run' WHERE status = 'running'`
	if _, err := conn.Exec(ctx, abandon); err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" { // the table may not exist yet
			l.Release()
			return nil, fmt.Errorf("run lock: %w", explain(err))
		}
	}
	return l, nil
}

// Release gives the lock back and returns the connection to the pool.
func (l *RunLock) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, runLockClass, l.key); err != nil {
		// The session ends with the connection, and the lock with it.
		l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
}

func (db *DB) lockHolder(ctx context.Context, conn *pgxpool.Conn, key int32) error {
	le := &LockedError{}
	const q = `SELECT a.pid, coalesce(a.xact_start, a.backend_start, now())
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	if err := conn.QueryRow(ctx, q, runLockClass, key).Scan(&le.PID, &le.Since); err != nil {
		le.Since = time.Now()
	}
	const run = `SELECT run_id, command, started_at FROM ingest_runs WHERE status = 'running' ORDER BY run_id DESC LIMIT 1`
	var started time.Time
	if err := conn.QueryRow(ctx, run).Scan(&le.RunID, &le.Command, &started); err == nil {
		le.Since = started
	}
	return le
}

func schemaKey(schema string) int32 { return int32(lockID("run", schema)) }

// RunLockKeys are the two keys of the run lock for a schema, for operators
// (pg_locks: classid, objid, objsubid 2) and tests.
func RunLockKeys(schema string) (int32, int32) { return runLockClass, schemaKey(schema) }
