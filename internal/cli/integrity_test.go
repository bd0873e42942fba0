package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/pgtest"
)

// minuteHeader is organizer-activity-minute-counts' CSV header.
const minuteHeader = "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\r\n"

// minuteWeek is a whole D7 payload of organizer-activity-minute-counts:
// the 7 report dates ending at newest (newest first, as Graph writes
// them), refreshed on refresh, each value base plus the day's offset.
func minuteWeek(refresh, newest string, base int) string {
	end, err := time.Parse(time.DateOnly, newest)
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	b.WriteString("\uFEFF" + minuteHeader)
	for i := range 7 {
		fmt.Fprintf(&b, "%s,%s,7,%d,%d,%d\r\n", refresh, end.AddDate(0, 0, -i).Format(time.DateOnly), base+i, base+10+i, base+20+i)
	}
	return b.String()
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplayEndsWithTheLastFetch: payload A is loaded, then B (same refresh
// date, other values: B supersedes A), then A again (A supersedes B).
// Replaying into an emptied table must end with A's data, as the loads
// did: payloads are replayed in the order of their last fetch, not their
// first. A second replay ends the same way.
func TestReplayEndsWithTheLastFetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	bb := writeFile(t, dir, "b.csv", minuteWeek("2026-11-21", "2026-11-21", 500))
	for _, path := range []string{a, bb, a} {
		if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, path); code != ExitOK {
			t.Fatalf("load-file %s: exit %d\n%s\n%s", path, code, out, errOut)
		}
	}
	const sum = `SELECT sum(audio_video)::text FROM S.skype_organizer_activity_minute_counts`
	want := b.scalar(t, sum)
	if want != "721" { // 100+…+106
		t.Fatalf("after loading A, B, A: sum = %s, want A's 721", want)
	}
	truncate := func() {
		t.Helper()
		if _, err := pgtest.Pool(t).Exec(context.Background(), "TRUNCATE "+pgx.Identifier{b.schema, "skype_organizer_activity_minute_counts"}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
	truncate()
	if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, sum); got != want {
		t.Errorf("after replay: sum = %s, want A's %s (replay rolled back to the superseded B)", got, want)
	}
	truncate()
	if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
		t.Fatalf("second replay: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, sum); got != want {
		t.Errorf("after a second replay: sum = %s, want A's %s (a replay's own fetches reordered the payloads)", got, want)
	}
}

// TestRefreshDateInTheFutureIsRefused: a file refreshed in 2099 must not
// load (it would win every later upsert and freeze its rows); nor one whose
// refresh date precedes its report dates. The error names file, line,
// column and value; the real file then loads its rows.
func TestRefreshDateInTheFutureIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	h := hooks{clock: fakeclock.New(asOf)} // 2026-11-23
	future := writeFile(t, dir, "future.csv", minuteWeek("2099-11-29", "2026-11-21", 100))
	early := writeFile(t, dir, "early.csv", minuteWeek("2026-11-20", "2026-11-21", 100))
	real := writeFile(t, dir, "real.csv", minuteWeek("2026-11-21", "2026-11-21", 200))
	for _, tc := range []struct{ path, want string }{
		{future, `line 2, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-23) (value "2099-11-29")`},
		{early, `line 2, column 1 "Report Refresh Date": refresh date before the report date 2026-11-21 (value "2026-11-20")`},
	} {
		code, _, errOut := b.ingestWith(t, h, "load-file", "--report", minuteReport, "--tenant-id", tenant, tc.path)
		if last := lastLine(errOut); code != ExitFailed || !strings.Contains(last, tc.path) || !strings.Contains(last, tc.want) {
			t.Errorf("load-file %s: exit %d, %q\nwant 1 and a line naming the file and %s", filepath.Base(tc.path), code, last, tc.want)
		}
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`); n != "0" {
		t.Fatalf("refused files left %s rows", n)
	}
	if code, out, errOut := b.ingestWith(t, h, "load-file", "--report", minuteReport, "--tenant-id", tenant, real); code != ExitOK {
		t.Fatalf("load-file real.csv: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := b.scalar(t, `SELECT count(*) || '@' || max(report_refresh_date) FROM S.skype_organizer_activity_minute_counts`); s != "7@2026-11-21" {
		t.Errorf("after the real file: %s, want 7@2026-11-21", s)
	}
}

// TestManyUnknownColumnsOneWarning: a file with 100,000 unknown columns
// loads (an unknown column is a warning) with one warning line about them,
// not one per column; the audit keeps every name.
func TestManyUnknownColumnsOneWarning(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const extra = 100000
	var body strings.Builder
	for i, line := range strings.Split(strings.TrimRight(minuteWeek("2026-11-21", "2026-11-21", 100), "\r\n"), "\r\n") {
		body.WriteString(line)
		for j := 1; j <= extra; j++ {
			if i == 0 {
				fmt.Fprintf(&body, ",Extra%d", j)
			} else {
				body.WriteString(",")
			}
		}
		body.WriteString("\r\n")
	}
	path := writeFile(t, t.TempDir(), "wide.csv", body.String())
	code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, path)
	if code != ExitOK {
		t.Fatalf("exit %d\n%.2000s\n%.2000s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	var warnings []string
	for _, l := range lines {
		if strings.Contains(l, "unknown column") {
			warnings = append(warnings, l)
		}
	}
	if len(lines) > 20 || len(warnings) != 1 || !strings.Contains(warnings[0], "100,000 unknown columns ignored") || !strings.Contains(warnings[0], "and 99,980 more") {
		t.Errorf("%d log lines, %d about unknown columns (want one, counting 100,000 and 99,980 more): %.500q", len(lines), len(warnings), warnings)
	}
	if n := b.scalar(t, `SELECT cardinality(unknown_columns) || ' ' || rows_inserted FROM S.report_fetches`); n != "100000 7" {
		t.Errorf("report_fetches unknown_columns, rows_inserted = %s, want 100000 7", n)
	}
}

// TestBadBytesInNamesAreAudited: an unknown column named with a byte that
// is not UTF-8, or with a NUL, stays a warning and the file loads; a file
// name that is not UTF-8 loads too, or fails on its own error naming the
// file. Every one is recorded in report_fetches, the names escaped (\xff,
// \x00), instead of failing the audit insert with Postgres' bare "invalid
// byte sequence for encoding UTF8".
func TestBadBytesInNamesAreAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	week := minuteWeek("2026-11-21", "2026-11-21", 100)
	withColumn := func(name string) string {
		lines := strings.SplitAfter(week, "\r\n")
		for i := range lines {
			if l := strings.TrimSuffix(lines[i], "\r\n"); l != "" {
				if i == 0 {
					lines[i] = l + "," + name + "\r\n"
				} else {
					lines[i] = l + ",1\r\n"
				}
			}
		}
		return strings.Join(lines, "")
	}
	badByte := writeFile(t, dir, "bad-byte.csv", withColumn("Extra\xff"))
	nul := writeFile(t, dir, "nul.csv", withColumn("Ex\x00tra"))
	badName := writeFile(t, dir, "bad-name-\xfe.csv", week)
	badNameBadCell := writeFile(t, dir, "bad-cell-\xfe.csv", strings.Replace(week, ",100,", ",n/a,", 1))
	for _, tc := range []struct {
		path, outcome, unknown string
	}{
		{badByte, "loaded", `{"Extra\\xff"}`},
		{nul, "loaded", `{"Ex\\x00tra"}`},
		{badName, "loaded", `{}`},
		{badNameBadCell, "failed", `{}`},
	} {
		code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, tc.path)
		want := ExitOK
		if tc.outcome == "failed" {
			want = ExitFailed
		}
		if code != want {
			t.Errorf("%q: exit %d, want %d\n%s\n%s", tc.path, code, want, out, errOut)
		}
		last := lastLine(errOut)
		if strings.Contains(last, "invalid byte sequence") {
			t.Errorf("%q: %s", tc.path, last)
		}
		if tc.outcome == "failed" && !strings.Contains(last, "bad-cell-") {
			t.Errorf("%q: last line %q does not name the file", tc.path, last)
		}
		escaped := strings.ReplaceAll(strings.ReplaceAll(tc.path, "\xfe", `\xfe`), "\x00", `\x00`)
		got := b.scalar(t, `SELECT outcome || ' ' || coalesce(unknown_columns::text, '{}') || ' ' || coalesce(error, '') FROM S.report_fetches WHERE source = $1`, escaped)
		if !strings.HasPrefix(got, tc.outcome+" "+tc.unknown+" ") {
			t.Errorf("%q: report_fetches = %q, want outcome %s, unknown columns %s", tc.path, got, tc.outcome, tc.unknown)
		}
		if tc.outcome == "failed" && !strings.Contains(got, `bad-cell-\xfe.csv`) {
			t.Errorf("%q: recorded error %q does not name the file (escaped)", tc.path, got)
		}
	}
	if s := b.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs`); s != "succeeded,succeeded,succeeded,failed" {
		t.Errorf("runs = %s", s)
	}
}
