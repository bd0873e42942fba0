package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/pgtest"
)

// releaseWhenWaited lets go of h once a backend is seen waiting for the run
// lock in pg_locks (polled, with a deadline), and says how that went.
func releaseWhenWaited(t *testing.T, h *heldLock) <-chan error {
	t.Helper()
	pool := pgtest.Pool(t)
	done := make(chan error, 1)
	go func() {
		const waiting = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND (classid::bigint << 32 | objid::bigint) = $1 AND objsubid = 1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var seen bool
			if err := pool.QueryRow(context.Background(), waiting, h.key).Scan(&seen); err != nil {
				done <- err
				return
			}
			if seen {
				done <- h.release()
				return
			}
			if time.Now().After(deadline) {
				done <- errors.New("no backend waited for the run lock within 20 s")
				return
			}
		}
	}()
	return done
}

// weekFile writes a whole week of the minute-counts report to a file.
func weekFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "week.csv")
	if err := os.WriteFile(path, []byte(minuteWeek("2026-11-21", "2026-11-21", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPersonWaitsForTheLock: load-file and replay, run by a person, wait for
// a live run that holds the lock (without --wait), say once whom they wait
// for, and do their work once it lets go.
func TestPersonWaitsForTheLock(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"load-file", "replay"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			b := migrated(t)
			path := weekFile(t)
			args := []string{"load-file", "--report", minuteReport, "--tenant-id", tenant, path}
			if command == "replay" {
				if code, out, errOut := b.ingest(t, args...); code != ExitOK {
					t.Fatalf("load-file: exit %d\n%s\n%s", code, out, errOut)
				}
				b.scalar(t, `WITH d AS (DELETE FROM S.skype_organizer_activity_minute_counts RETURNING 1) SELECT count(*) FROM d`)
				args = []string{"replay"}
			}
			h := holdRunLock(t, b)
			released := releaseWhenWaited(t, h)
			code, out, errOut := b.ingest(t, args...)
			if err := <-released; err != nil {
				t.Fatalf("release: %v\nexit %d\n%s\n%s", err, code, out, errOut)
			}
			if code != ExitOK || !strings.Contains(out, "loaded") {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`); n != "7" {
				t.Errorf("%s rows after %s, want 7", n, command)
			}
			want := fmt.Sprintf(`"msg":"waiting for the run lock","holder_run_id":%d,"holder_command":"run"`, h.runID)
			if n := strings.Count(errOut, `"msg":"waiting for the run lock"`); n != 1 || !strings.Contains(errOut, want) {
				t.Errorf("the log says %d times that it waits, want once with %s:\n%s", n, want, errOut)
			}
			if got := b.scalar(t, `SELECT string_agg(command || ':' || status, ',' ORDER BY run_id) FROM S.ingest_runs WHERE run_id > $1`, h.runID); got != command+":succeeded" {
				t.Errorf("runs after the holder: %s, want %s:succeeded", got, command)
			}
		})
	}
}

// TestPersonGivesUpOnTheLock: when --wait-timeout runs out, load-file and
// replay exit 1 with one line naming the holder and saying that nothing was
// loaded; --wait=false fails the same way at once. An overlapping run (no
// --wait) still exits 0 at once.
func TestPersonGivesUpOnTheLock(t *testing.T) {
	t.Parallel()
	b := migrated(t)
	path := weekFile(t)
	h := holdRunLock(t, b)
	const holder = "another run holds the lock since "
	holderRun := fmt.Sprintf("(run %d, run, backend pid %d)", h.runID, h.pid)
	for _, tc := range []struct {
		name string
		args []string
		want []string // in the last line
	}{
		{"load-file timed out", []string{"load-file", "--report", minuteReport, "--tenant-id", tenant, "--wait-timeout", "300ms", path},
			[]string{"gave up after --wait-timeout 300ms", path + " was not loaded"}},
		{"load-file --wait=false", []string{"load-file", "--report", minuteReport, "--tenant-id", tenant, "--wait=false", path},
			[]string{"not waiting (--wait=false)", path + " was not loaded"}},
		{"replay timed out", []string{"replay", "--wait-timeout", "300ms"},
			[]string{"gave up after --wait-timeout 300ms", "nothing was replayed"}},
	} {
		code, out, errOut := b.ingest(t, tc.args...)
		last := lastLine(errOut)
		if code != ExitFailed || !strings.HasPrefix(last, "ingest: "+holder) || !strings.Contains(last, holderRun) {
			t.Errorf("%s: exit %d, last line %q; want 1 and the holder %s\n%s", tc.name, code, last, holderRun, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(last, w) {
				t.Errorf("%s: last line %q does not say %q", tc.name, last, w)
			}
		}
	}
	for table, want := range map[string]string{"skype_organizer_activity_minute_counts": "0", "payloads": "0", "report_fetches": "0"} {
		if n := b.scalar(t, `SELECT count(*) FROM S.`+table); n != want {
			t.Errorf("%s rows in %s, want %s", n, table, want)
		}
	}
	if got := b.scalar(t, `SELECT string_agg(command || ':' || status, ',' ORDER BY run_id) FROM S.ingest_runs WHERE run_id > $1`, h.runID); got != "load-file:failed,load-file:failed,replay:failed" {
		t.Errorf("runs after the holder: %s", got)
	}

	// A scheduled run stands aside at once: were it waiting, it would give
	// up after 2 s with exit 1.
	sim := startSim(t, asOf)
	code, out, errOut := b.ingest(t, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--wait-timeout", "2s")
	if code != ExitOK || !strings.HasPrefix(lastLine(errOut), "ingest: "+holder) || !strings.Contains(errOut, "not starting") || strings.Contains(errOut, "waiting for the run lock") {
		t.Errorf("run: exit %d, want 0 at once\n%s\n%s", code, out, errOut)
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("the run that stood aside sent %d requests to Graph", n)
	}
}
