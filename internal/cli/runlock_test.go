package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/load"
)

// migrated is setup with the schema migrated.
func migrated(t *testing.T) *bundle {
	t.Helper()
	b := setup(t)
	if code, out, errOut := b.ingest(t, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	return b
}

// sql replaces S. by the bundle's schema.
func (b *bundle) sql(q string) string {
	return strings.ReplaceAll(q, "S.", pgx.Identifier{b.schema}.Sanitize()+".")
}

// TestLockHeldByStrangerFails: a session that is not a running ingest run of
// the schema (any role may take an advisory lock) holding the run lock's key
// makes a run fail, naming the holder, instead of exiting 0 without loading.
// So does a run of another schema holding it: the holder's run must be
// recorded in this schema's ingest_runs.
func TestLockHeldByStrangerFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// hold takes the lock of b's schema
		hold func(t *testing.T, b *bundle) *heldLock
	}{
		{"plain session", func(t *testing.T, b *bundle) *heldLock { return holdLockKey(t, b.schema) }},
		{"run of another schema", func(t *testing.T, b *bundle) *heldLock {
			other := migrated(t)
			h := holdLockKey(t, b.schema)
			const q = `INSERT INTO S.ingest_runs (command, backend_pid, backend_start)
				SELECT 'run', pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`
			if _, err := h.conn.Exec(t.Context(), other.sql(q)); err != nil {
				t.Fatal(err)
			}
			return h
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := migrated(t)
			h := tc.hold(t, b)
			sim := startSim(t, asOf)
			code, out, stderr := b.ingest(t, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant)
			last := lastLine(stderr)
			want := fmt.Sprintf(`held by backend pid %d (application_name "", user "postgres"`, h.pid)
			if code != ExitFailed || !strings.Contains(last, want) || !strings.Contains(last, "not a running ingest run") {
				t.Fatalf("exit %d, last line %q; want 1 and %q\n%s", code, last, want, out)
			}
			if n := len(sim.APIRequests()); n != 0 {
				t.Errorf("Graph saw %d requests", n)
			}
			if got, want := b.scalar(t, `SELECT string_agg(status || ':' || error, ',') FROM S.ingest_runs`), "failed:"+strings.TrimPrefix(last, "ingest: "); got != want {
				t.Errorf("ingest_runs = %s\nwant          %s", got, want)
			}
		})
	}
}

// TestLockLostMidRun: the run lock's backend is terminated while the run
// loads (a deterministic seam: just before the first upsert). The load is
// rolled back, nothing is committed after, and the run fails saying so.
func TestLockLostMidRun(t *testing.T) {
	t.Parallel()
	b := migrated(t)
	sim := startSim(t, asOf)
	var once sync.Once
	var killed error
	h := hooks{beforeLoad: func(ctx context.Context, f load.Fetch) {
		once.Do(func() {
			var pid int
			if killed = pgtest.Pool(t).QueryRow(ctx, b.sql(`SELECT backend_pid FROM S.ingest_runs WHERE status = 'running'`)).Scan(&pid); killed != nil {
				return
			}
			var ok bool
			killed = pgtest.Pool(t).QueryRow(ctx, `SELECT pg_terminate_backend($1, 10000)`, pid).Scan(&ok)
			if killed == nil && !ok {
				killed = fmt.Errorf("backend %d did not end", pid)
			}
		})
	}}
	code, out, stderr := b.ingestWith(t, h, append([]string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--concurrency", "1"}, organizerReports...)...)
	if killed != nil {
		t.Fatalf("terminate the lock's backend: %v", killed)
	}
	last := lastLine(stderr)
	if code != ExitFailed || !strings.Contains(last, "the run lock was lost") {
		t.Fatalf("exit %d, last line %q\n%s", code, last, out)
	}
	if got := b.scalar(t, `SELECT status || ':' || (error LIKE '%the run lock was lost%') FROM S.ingest_runs`); got != "failed:true" {
		t.Errorf("ingest_runs: %s, want failed:true", got)
	}
	if n := b.scalar(t, `SELECT (SELECT count(*) FROM S.skype_organizer_activity_user_counts) + (SELECT count(*) FROM S.skype_organizer_activity_minute_counts)`); n != "0" {
		t.Errorf("%s rows committed after the lock was lost", n)
	}
	if got := b.scalar(t, `SELECT string_agg(outcome || ':' || (error LIKE '%the run lock was lost%'), ',') FROM S.report_fetches`); got != "failed:true,failed:true" {
		t.Errorf("report_fetches: %s, want both failed for the lost lock", got)
	}
	// The next run takes the lock and loads.
	if code, out, stderr := b.ingest(t, append([]string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant}, organizerReports...)...); code != ExitOK {
		t.Fatalf("next run: exit %d\n%s\n%s", code, out, stderr)
	}
}

// blockTable takes an ACCESS EXCLUSIVE lock on table from a connection of
// the test's own, in a transaction kept open until unblock is called (or the
// test ends): a load writing the table waits, as on a frozen backend.
func blockTable(t *testing.T, b *bundle, table string) (unblock func()) {
	t.Helper()
	tx, err := pgtest.Pool(t).Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), b.sql(`LOCK TABLE S.`+table+` IN ACCESS EXCLUSIVE MODE`)); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unblock = func() { once.Do(func() { tx.Rollback(context.Background()) }) }
	// Without a timeout the load would wait for ever: after a generous
	// safety delay it may go on, so that such a test fails, not hangs.
	safety := time.AfterFunc(60*time.Second, unblock)
	t.Cleanup(func() { safety.Stop(); unblock() })
	return unblock
}

// TestTimeouts: a load blocked on a table (its statement waits forever)
// fails with --statement-timeout, and a run whose work outlives
// --run-timeout fails with it; both are recorded with a clear reason, and
// the run lock is let go: the next run starts and loads.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"statement", []string{"--statement-timeout", "300ms"}, "canceling statement due to statement timeout (SQLSTATE 57014) (--statement-timeout 300ms)"},
		{"run", []string{"--statement-timeout", "0", "--run-timeout", "3s"}, "run timed out after 3s (--run-timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := migrated(t)
			sim := startSim(t, asOf)
			var unblock func()
			h := hooks{beforeLoad: func(ctx context.Context, f load.Fetch) {
				unblock = blockTable(t, b, f.Report.Table)
			}}
			args := []string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--report", userReport}
			code, out, stderr := b.ingestWith(t, h, append(args, tc.flags...)...)
			if unblock == nil {
				t.Fatalf("the run never loaded: exit %d\n%s\n%s", code, out, stderr)
			}
			unblock()
			last := lastLine(stderr)
			if code != ExitFailed || !strings.Contains(last, tc.want) {
				t.Fatalf("exit %d, last line %q; want 1 and %q\n%s", code, last, tc.want, out)
			}
			if got := b.scalar(t, `SELECT status || ': ' || error FROM S.ingest_runs`); !strings.HasPrefix(got, "failed: ") || strings.Count(got, tc.want) != 1 {
				t.Errorf("ingest_runs: %s, want failed with %q once", got, tc.want)
			}
			if n := strings.Count(last, "(--"); n != 1 {
				t.Errorf("last line %q names the flag %d times, want once", last, n)
			}
			if got := b.scalar(t, `SELECT outcome || ': ' || error FROM S.report_fetches`); !strings.HasPrefix(got, "failed: ") || !strings.Contains(got, tc.want) {
				t.Errorf("report_fetches: %s, want failed with %q", got, tc.want)
			}
			if code, out, stderr := b.ingest(t, append(args, tc.flags...)...); code != ExitOK || !strings.Contains(out, "loaded") {
				t.Fatalf("next run: exit %d\n%s\n%s", code, out, stderr)
			}
		})
	}
}

// startIngest starts the command, as a separate process, with the bundle's
// database.
func (b *bundle) startIngest(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	full := append([]string{args[0], "--database-url", b.url, "--schema", b.schema, "--log-format", "json"}, args[1:]...)
	cmd := ingestCommand(t, full...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, out
}

// syncBuffer is what a process printed, readable while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitExit waits for cmd to end, failing the test after within.
func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) *os.ProcessState {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState
	case <-time.After(within):
		cmd.Process.Kill()
		<-done
		t.Fatalf("ingest did not exit within %s", within)
		return nil
	}
}

// poll calls ok until it is true, failing the test after within.
func poll(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
	}
}

// started says whether the process has logged the start of its run (the
// run is recorded and migrated: its work begins).
func started(out *syncBuffer) bool { return strings.Contains(out.String(), `"msg":"run started"`) }

// TestSignalStopsBlockedRead: `load-file` blocked on a FIFO (waiting for a
// writer, or reading from one that sends nothing) stops at the first
// SIGTERM, exits 1 at once, and the run and the file are recorded as
// interrupted, not as the I/O error that stopping caused.
func TestSignalStopsBlockedRead(t *testing.T) {
	t.Parallel()
	for _, writer := range []bool{false, true} {
		t.Run(fmt.Sprintf("writer=%v", writer), func(t *testing.T) {
			t.Parallel()
			b := migrated(t)
			fifo := filepath.Join(t.TempDir(), "report.csv")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd, out := b.startIngest(t, "load-file", "--report", userReport, "--tenant-id", tenant, fifo)
			if writer {
				// Opening the write end returns once ingest has the read end.
				w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if _, err := w.WriteString("Report Refresh Date,Report Date,"); err != nil {
					t.Fatal(err)
				}
			} else {
				poll(t, 20*time.Second, "the run started", func() bool { return started(out) })
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			st := waitExit(t, cmd, 15*time.Second)
			if st.ExitCode() != ExitFailed {
				t.Fatalf("exit %v, want 1\n%s", st, out)
			}
			if got := b.scalar(t, `SELECT status || ': ' || error FROM S.ingest_runs`); got != "failed: interrupted by SIGTERM" {
				t.Errorf("ingest_runs: %s", got)
			}
			if got := b.scalar(t, `SELECT outcome || ': ' || error FROM S.report_fetches`); got != "failed: interrupted by SIGTERM" {
				t.Errorf("report_fetches: %s", got)
			}
		})
	}
}

// TestSecondSignalKills: after the first SIGTERM the run stops gracefully,
// recording what it did; should that hang (here the audit row waits on a
// row lock the test holds), a second SIGTERM kills the process at once.
func TestSecondSignalKills(t *testing.T) {
	t.Parallel()
	b := migrated(t)
	fifo := filepath.Join(t.TempDir(), "report.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := b.startIngest(t, "load-file", "--report", userReport, "--tenant-id", tenant, fifo)
	poll(t, 20*time.Second, "the run started", func() bool { return started(out) })
	tx, err := pgtest.Pool(t).Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var pid int
	if err := tx.QueryRow(context.Background(), b.sql(`SELECT pg_backend_pid() FROM S.ingest_runs FOR UPDATE`)).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	poll(t, 20*time.Second, "ingest waits on the test's row lock", func() bool {
		return b.scalar(t, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))`, pid) == "true"
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st := waitExit(t, cmd, 10*time.Second)
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("exit %v, want killed by SIGTERM\n%s", st, out)
	}
}
