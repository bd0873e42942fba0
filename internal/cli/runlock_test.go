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
