package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// emptySelections are --report values that name no report.
var emptySelections = []string{"", ",", " ", " , "}

// TestEmptyReportSelectionExit2: --report given but naming no report is a
// usage error for every command that takes it, found before connecting;
// it must not run zero reports and succeed (nor replay everything).
func TestEmptyReportSelectionExit2(t *testing.T) {
	t.Parallel()
	for _, sel := range emptySelections {
		for _, args := range [][]string{
			{"run", "--access-token", "x", "--tenant-id", tenant, "--report", sel},
			{"backfill", "--access-token", "x", "--tenant-id", tenant, "--report", sel},
			{"run", "--access-token", "x", "--tenant-id", tenant, "--report", sel, "--report", sel},
			{"replay", "--report", sel},
			{"load-file", "--tenant-id", tenant, "--report", sel, "x.csv"},
		} {
			args = append([]string{args[0], "--database-url", deadDatabase}, args[1:]...)
			var out, errOut bytes.Buffer
			code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test")
			last := lastLine(errOut.String())
			if code != ExitUsage || !strings.Contains(last, "--report (INGEST_REPORT)") {
				t.Errorf("%q: exit %d, %q; want 2 and a line naming --report (INGEST_REPORT)", args, code, last)
			}
		}
	}
}

// TestEmptyReportSelectionFromEnvironment: INGEST_REPORT=' ' (or ',') is
// refused likewise, with the database reachable: the run must not start.
func TestEmptyReportSelectionFromEnvironment(t *testing.T) {
	b := setup(t)
	for _, sel := range []string{" ", ","} {
		t.Setenv("INGEST_REPORT", sel)
		for _, args := range [][]string{
			{"run", "--access-token", "x", "--tenant-id", tenant},
			{"backfill", "--access-token", "x", "--tenant-id", tenant},
			{"replay"},
			{"load-file", "--tenant-id", tenant, "x.csv"},
		} {
			code, _, errOut := b.ingest(t, args...)
			if last := lastLine(errOut); code != ExitUsage || !strings.Contains(last, "--report (INGEST_REPORT)") {
				t.Errorf("INGEST_REPORT=%q %v: exit %d, %q; want 2 naming --report (INGEST_REPORT)", sel, args, code, last)
			}
		}
	}
}
