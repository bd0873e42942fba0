package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// TestDailyAt: run --daily-at 09:30 at 09:00 waits half an hour, runs,
// waits a day, runs again (stopped after two runs here); each run is
// recorded and loads the reports of its day.
func TestDailyAt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf) // 09:00 UTC
	sim := simOn(t, clock, graphsim.Options{})
	code, out, errOut := b.ingestWith(t, hooks{clock: clock, maxRuns: 2}, append([]string{"run", "--graph-url", sim.URL(),
		"--access-token", "test-token", "--tenant-id", tenant, "--daily-at", "09:30"}, organizerReports...)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var waits []time.Duration
	for _, d := range clock.Sleeps() {
		if d >= time.Minute {
			waits = append(waits, d)
		}
	}
	if len(waits) != 2 || waits[0] != 30*time.Minute || waits[1] != 24*time.Hour {
		t.Errorf("waited %v, want [30m 24h]", waits)
	}
	if got := b.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "succeeded,succeeded" {
		t.Errorf("runs: %s, want two that succeeded", got)
	}
	// A token file is read again before each run: rotated between the two
	// nights, the second run uses the new token (graph-sim's own is
	// test-token: the first run, with a wrong one, fails; the second loads).
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("stale-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	b2 := setup(t)
	clock2 := fakeclock.New(asOf)
	sim2 := simOn(t, clock2, graphsim.Options{})
	runs := 0
	h := hooks{clock: clock2, maxRuns: 2, beforeRun: func() {
		if runs++; runs == 2 {
			os.WriteFile(tokenFile, []byte("test-token"), 0o600)
		}
	}}
	b2.ingestWith(t, h, append([]string{"run", "--graph-url", sim2.URL(), "--access-token-file", tokenFile, "--tenant-id", tenant, "--daily-at", "09:30"}, organizerReports...)...)
	if got := b2.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "failed,succeeded" {
		t.Errorf("runs with a token rotated between them: %s, want failed,succeeded", got)
	}
	if code, _, errOut := b.ingest(t, "run", "--access-token", "x", "--tenant-id", tenant, "--daily-at", "25:00"); code != ExitUsage || !strings.Contains(lastLine(errOut), "--daily-at") {
		t.Errorf("--daily-at 25:00: exit %d, %s", code, lastLine(errOut))
	}
}
