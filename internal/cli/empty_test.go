package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statusLine returns the line of `ingest status` for the report, split into
// its columns (tabwriter pads with two spaces or more).
func (b *bundle) statusLine(t *testing.T, rep string) []string {
	t.Helper()
	code, out, errOut := b.ingest(t, "status")
	if code != ExitOK {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " "+rep+" ") {
			var cols []string
			for _, c := range strings.Split(line, "  ") {
				if c = strings.TrimSpace(c); c != "" {
					cols = append(cols, c)
				}
			}
			return cols
		}
	}
	t.Fatalf("status has no line for %s:\n%s", rep, out)
	return nil
}

// TestEmptyReportIsNotFresh: a header-only file loads as `empty`, exit 0;
// while the report has never had a row the run warns and marks it, and
// status says "no data" (not 0 days behind). A file load is not a Graph
// fetch: status shows it in its own column.
func TestEmptyReportIsNotFresh(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	header := "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\r\n"
	emptyFile, dataFile := filepath.Join(dir, "empty.csv"), filepath.Join(dir, "data.csv")
	os.WriteFile(emptyFile, []byte(header), 0o644)
	// A whole D7 period ending 2026-11-20: a shorter one is refused as cut.
	data := header
	for d := 20; d > 13; d-- {
		data += fmt.Sprintf("2026-11-21,2026-11-%d,7,1,2,3\r\n", d)
	}
	os.WriteFile(dataFile, []byte(data), 0o644)

	code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, emptyFile)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, `SELECT string_agg(outcome, ',') FROM S.report_fetches`); got != "empty" {
		t.Errorf("outcome = %s, want empty", got)
	}
	if !strings.Contains(out, "empty (!)") || !strings.Contains(out, "never had data") {
		t.Errorf("the printed results do not mark the report that never had data:\n%s", out)
	}
	if !strings.Contains(errOut, `"level":"WARN","msg":"report empty and never had data`) {
		t.Errorf("no warning in the log:\n%s", errOut)
	}
	cols := b.statusLine(t, minuteReport)
	// TENANT REPORT NEWEST-REPORT-DATE REFRESH-DATE DAYS-BEHIND LAST-GRAPH-FETCH LAST-REPLAY LAST-FILE-LOAD
	if len(cols) != 8 || cols[4] != "no data" || cols[5] != "-" || cols[6] != "-" || cols[7] == "-" {
		t.Errorf("status after an empty file = %q, want days behind \"no data\", no Graph fetch or replay, a file load", cols)
	}

	// Data lands; a later empty payload is no warning and keeps the data's age.
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, dataFile); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, emptyFile)
	if code != ExitOK || strings.Contains(out, "(!)") || strings.Contains(errOut, `"level":"WARN"`) {
		t.Errorf("an empty file after data: exit %d, warned or marked:\n%s\n%s", code, out, errOut)
	}
	if cols := b.statusLine(t, minuteReport); len(cols) != 8 || cols[2] != "2026-11-20" || cols[4] == "no data" || cols[4] == "0" {
		t.Errorf("status after data = %q", cols)
	}
}
