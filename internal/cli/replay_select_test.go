package cli

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// replayed names the payloads the last run replayed, by their labels
// (sha256 → label), sorted; "" when it replayed none.
func (b *bundle) replayed(t *testing.T, labels map[string]string) string {
	t.Helper()
	rows := b.query(t, `SELECT sha256 FROM S.report_fetches WHERE run_id = (SELECT max(run_id) FROM S.ingest_runs)`)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			t.Fatal(err)
		}
		l, ok := labels[sha]
		if !ok {
			l = sha
		}
		got = append(got, l)
	}
	sort.Strings(got)
	return strings.Join(got, ",")
}

// shaOf is the sha256 of the payload the fetch (or file load) of source
// stored.
func (b *bundle) shaOf(t *testing.T, source string) string {
	t.Helper()
	return b.scalar(t, `SELECT sha256 FROM S.report_fetches WHERE source = $1 AND sha256 IS NOT NULL ORDER BY fetch_id LIMIT 1`, source)
}

// TestRejectedFileIsNotKept: files that load-file rejects (cut short of
// their period; without the report's columns) leave no payload, only a
// failed audit row with their size and no sha256; the file that loads is
// kept. A replay afterwards replays that one and succeeds.
func TestRejectedFileIsNotKept(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	lines := strings.SplitAfter(minuteWeek("2026-11-21", "2026-11-21", 100), "\r\n")
	cutBody, badBody, goodBody := strings.Join(lines[:4], ""), "Report Refresh Date,Nonsense\r\n2026-11-21,1\r\n", minuteWeek("2026-11-21", "2026-11-21", 100)
	cut := writeFile(t, dir, "cut.csv", cutBody)
	bad := writeFile(t, dir, "bad.csv", badBody)
	good := writeFile(t, dir, "good.csv", goodBody)
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, cut, bad, good); code != ExitFailed ||
		!strings.Contains(lastLine(errOut), "2 of 3 files failed") {
		t.Fatalf("load-file cut, bad, good: exit %d, want 1 and 2 of 3 failed\n%s\n%s", code, out, errOut)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.payloads`); n != "1" {
		t.Errorf("%s payloads kept, want 1 (the file that loaded)", n)
	}
	want := fmt.Sprintf("failed none %d,failed none %d,loaded %s %d", len(cutBody), len(badBody), b.shaOf(t, good)[:12], len(goodBody))
	if got := b.scalar(t, `SELECT string_agg(outcome || ' ' || coalesce(left(sha256, 12), 'none') || ' ' || coalesce(bytes::text, '-'), ',' ORDER BY fetch_id)
		FROM S.report_fetches`); got != want {
		t.Errorf("fetches = %s, want %s", got, want)
	}
	code, out, errOut := b.ingest(t, "replay")
	if code != ExitOK {
		t.Fatalf("replay after rejected files: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.replayed(t, map[string]string{b.shaOf(t, good): "good"}); got != "good" {
		t.Errorf("replay replayed %q, want good", got)
	}
}
