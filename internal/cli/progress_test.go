package cli

import (
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// TestProgressBar: on a terminal, a run draws its progress on stderr:
// items done of the total, rows, failures; not on a file or a pipe, where
// the logs say it all.
func TestProgressBar(t *testing.T) {
	t.Parallel()
	for _, terminal := range []bool{true, false} {
		b := setup(t)
		clock := fakeclock.New(asOf)
		sim := simOn(t, clock, graphsim.Options{})
		code, out, errOut := b.ingestWith(t, hooks{clock: clock, terminal: terminal}, append([]string{"run", "--graph-url", sim.URL(),
			"--access-token", "test-token", "--tenant-id", tenant, "--log-format", "text", "--log-level", "info"}, organizerReports...)...)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		drawn := strings.Contains(errOut, "2/2") && strings.Contains(errOut, "reports: 14 rows, 0 failed")
		if drawn != terminal {
			t.Errorf("terminal %v: progress drawn %v:\n%q", terminal, drawn, errOut)
		}
		// A log record never lands on the bar's line: each starts a line.
		for _, line := range strings.Split(strings.ReplaceAll(errOut, "\r\033[K", "\n"), "\n") {
			if i := strings.Index(line, "level=INFO"); i > 0 && !strings.HasPrefix(line, "time=") {
				t.Errorf("terminal %v: a log record shares a line with the bar: %q", terminal, line)
			}
		}
	}
}
