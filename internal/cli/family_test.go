package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/report"
)

// TestReportsListsTheFamily: `ingest reports` prints every report with its
// function, table, key and columns, says which two are not supported and
// why, and `run --report` takes the names it prints.
func TestReportsListsTheFamily(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"ingest", "reports"}, &out, &errOut, "test"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	var names []string
	for _, line := range strings.Split(text, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			break
		}
		names = append(names, f[0])
	}
	if len(names) != len(report.All) {
		t.Fatalf("printed %d reports, want %d:\n%s", len(names), len(report.All), text)
	}
	for i, s := range report.All {
		line := strings.Split(text, "\n")[i+1]
		for _, want := range []string{s.Name, s.Function, s.Table, strings.Join(s.Key(), ", ")} {
			if !strings.Contains(line, want) {
				t.Errorf("line %q lacks %q", line, want)
			}
		}
		for _, c := range s.Columns() {
			if !strings.Contains(line, c.Name) {
				t.Errorf("line %q lacks column %s", line, c.Name)
			}
		}
	}
	for _, want := range []string{"Not supported:", "getSkypeForBusinessActivityUserDetail: keyed by user", "getSkypeForBusinessDeviceUsageUserDetail: keyed by user"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}

	// run takes every printed name: one run with all of them loads every
	// table.
	b := setup(t)
	sim := startSim(t, asOf)
	args := []string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant}
	for _, n := range names {
		args = append(args, "--report", n)
	}
	if code, stdout, stderr := b.ingest(t, args...); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b.checkTables(t, asOf.AddDate(0, 0, -2), 7)
}

// TestUnsupportedReportIsUsageError: asking for a ...UserDetail report
// exits 2 and says why.
func TestUnsupportedReportIsUsageError(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"ingest", "run", "--report", "getSkypeForBusinessActivityUserDetail", "--access-token", "x", "--tenant-id", tenant}, &out, &errOut, "test")
	if code != ExitUsage || !strings.Contains(lastLine(errOut.String()), "not supported: keyed by user, not by date") {
		t.Errorf("exit %d, %q", code, errOut.String())
	}
}
