package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/pgtest"
)

// minuteHeader is skype-organizer-activity-minute-counts' CSV header.
const minuteHeader = "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\r\n"

// minuteWeek is a whole D7 payload of skype-organizer-activity-minute-counts:
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

// TestReplayIgnoresAFailedRefetch: A loads, B supersedes it, then A is
// fetched again but its load fails (as a Graph payload whose upsert timed
// out is). The warehouse holds B, and so must a replay: a fetch that did not
// load supersedes nothing.
func TestReplayIgnoresAFailedRefetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	bb := writeFile(t, dir, "b.csv", minuteWeek("2026-11-21", "2026-11-21", 500))
	for _, path := range []string{a, bb} {
		if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, path); code != ExitOK {
			t.Fatalf("load-file %s: exit %d\n%s\n%s", path, code, out, errOut)
		}
	}
	// A's failed refetch, recorded after B's load: the same row as A's load
	// but failed and later.
	cols := b.scalar(t, `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'report_fetches' AND column_name NOT IN ('fetch_id', 'outcome', 'fetched_at', 'error')`, b.schema)
	rows := b.query(t, `INSERT INTO S.report_fetches (`+cols+`, outcome, fetched_at, error)
		SELECT `+cols+`, 'failed', now() + interval '1 minute', 'load timed out' FROM S.report_fetches WHERE source = $1`, a)
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	const sum = `SELECT sum(audio_video)::text FROM S.skype_organizer_activity_minute_counts`
	want := b.scalar(t, sum) // B's
	if _, err := pgtest.Pool(t).Exec(context.Background(), "TRUNCATE "+pgx.Identifier{b.schema, "skype_organizer_activity_minute_counts"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, sum); got != want {
		t.Errorf("after replay: sum = %s, want B's %s (a failed refetch of A rolled the data back)", got, want)
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
	// The log of a load into a fresh schema, but for its migrations and
	// views (one line each, however many reports there are).
	var lines, warnings []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if strings.Contains(l, `"msg":"migration applied"`) || strings.Contains(l, `"msg":"view applied"`) {
			continue
		}
		lines = append(lines, l)
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

// cutServer is a Graph host whose download of organizer-activity-minute-
// counts (a whole week, 7 rows) is cut after 3 rows while cut is set, the
// way mode says: "close" sends no Content-Length and closes the
// connection, "short" declares a Content-Length of the first 3 rows only
// (Go's client then reads that prefix and nothing tells it more was sent).
// The download carries ETag "e1"; ifNoneMatch records what each Graph call
// sent.
type cutServer struct {
	srv         *httptest.Server
	mode        string
	cut         atomic.Bool
	mu          sync.Mutex
	ifNoneMatch []string
}

func newCutServer(t *testing.T, mode string) *cutServer {
	cs := &cutServer{mode: mode}
	cs.cut.Store(true)
	whole := minuteWeek("2026-11-21", "2026-11-21", 100)
	lines := strings.SplitAfter(whole, "\r\n")
	prefix := strings.Join(lines[:4], "") // header and 3 rows
	mux := http.NewServeMux()
	cs.srv = httptest.NewServer(mux)
	t.Cleanup(cs.srv.Close)
	mux.HandleFunc("/v1.0/reports/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		cs.mu.Lock()
		cs.ifNoneMatch = append(cs.ifNoneMatch, r.Header.Get("If-None-Match"))
		cs.mu.Unlock()
		http.Redirect(w, r, cs.srv.URL+"/download/minutes", http.StatusFound)
	})
	mux.HandleFunc("/download/minutes", func(w http.ResponseWriter, r *http.Request) {
		if !cs.cut.Load() {
			w.Header().Set("ETag", `"e1"`)
			fmt.Fprint(w, whole)
			return
		}
		switch cs.mode {
		case "close":
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nETag: \"e1\"\r\nConnection: close\r\n\r\n%s", prefix)
			buf.Flush()
		case "short":
			w.Header().Set("ETag", `"e1"`)
			w.Header().Set("Content-Length", fmt.Sprint(len(prefix)))
			// The server sends Content-Length bytes and refuses the rest.
			fmt.Fprint(w, prefix)
			fmt.Fprint(w, strings.TrimPrefix(whole, prefix))
		}
	})
	return cs
}

func (cs *cutServer) sent() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.ifNoneMatch)
}

// TestCutBodyFailsAndIsNotPinned: a download cut after 3 of 7 rows, with
// no Content-Length and the connection closed, or with a Content-Length
// shorter than the body, fails the report (exit 1) with a line saying how
// much it covers; none of it lands, its ETag is not stored, and replay
// --sha256 refuses the stored payload too. The next run asks without If-None-Match
// and loads the whole week; the one after sends the ETag.
func TestCutBodyFailsAndIsNotPinned(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"close", "short"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			cs := newCutServer(t, mode)
			h := hooks{clock: fakeclock.New(asOf)}
			run := func() (int, string) {
				code, _, errOut := b.ingestWith(t, h, "run", "--graph-url", cs.srv.URL, "--access-token", "tok", "--tenant-id", tenant, "--report", minuteReport)
				return code, errOut
			}
			const count = `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`
			code, errOut := run()
			want := "report skype-organizer-activity-minute-counts: " + cs.srv.URL + "/v1.0/reports/getSkypeForBusinessOrganizerActivityMinuteCounts(period='D7'): " +
				"D7 payload covers 3 of 7 days (2026-11-19..2026-11-21); the body may have been cut"
			if last := lastLine(errOut); code != ExitFailed || !strings.Contains(last, want) {
				t.Fatalf("cut run: exit %d, %q\nwant 1 and %q\n%s", code, last, want, errOut)
			}
			if n := b.scalar(t, count); n != "0" {
				t.Errorf("cut payload left %s rows", n)
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.report_etags`); n != "0" {
				t.Errorf("cut payload's ETag stored (%s rows in report_etags): the next run would get 304 and never repair it", n)
			}
			if s := b.scalar(t, `SELECT outcome || ' ' || bytes FROM S.report_fetches`); !strings.HasPrefix(s, "failed ") {
				t.Errorf("fetch = %s, want failed", s)
			}
			// Kept, but replayed only when named: it never loaded.
			sha := b.scalar(t, `SELECT sha256 FROM S.report_fetches`)
			if code, _, errOut := b.ingestWith(t, h, "replay", "--sha256", sha); code != ExitFailed || !strings.Contains(lastLine(errOut), "covers 3 of 7 days") {
				t.Errorf("replay of the cut payload: exit %d, %q; want 1, refused", code, lastLine(errOut))
			}
			if n := b.scalar(t, count); n != "0" {
				t.Errorf("replayed cut payload left %s rows", n)
			}

			cs.cut.Store(false)
			if code, errOut := run(); code != ExitOK {
				t.Fatalf("repair run: exit %d\n%s", code, errOut)
			}
			if n := b.scalar(t, count); n != "7" {
				t.Errorf("repair run left %s rows, want 7", n)
			}
			if code, errOut := run(); code != ExitOK {
				t.Fatalf("third run: exit %d\n%s", code, errOut)
			}
			if got := cs.sent(); !slices.Equal(got, []string{"", "", `"e1"`}) {
				t.Errorf("If-None-Match sent = %q, want none on the run after the cut one, then the whole payload's", got)
			}
		})
	}
}

// TestCutFileIsRefused: load-file applies the same rule, the period taken
// from the Report Period column: a file cut after 3 of its 7 days does not
// load; a header-only file (Graph's answer for a workload without data)
// does, as empty; with --partial, the cut file loads its 3 days.
func TestCutFileIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	lines := strings.SplitAfter(minuteWeek("2026-11-21", "2026-11-21", 100), "\r\n")
	cut := writeFile(t, dir, "cut.csv", strings.Join(lines[:4], ""))
	empty := writeFile(t, dir, "empty.csv", lines[0])
	code, _, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, cut)
	if last := lastLine(errOut); code != ExitFailed || !strings.Contains(last, cut+": D7 payload covers 3 of 7 days (2026-11-19..2026-11-21)") {
		t.Errorf("cut file: exit %d, %q; want 1 and the coverage error naming the file", code, last)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`); n != "0" {
		t.Errorf("cut file left %s rows", n)
	}
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, empty); code != ExitOK {
		t.Errorf("header-only file: exit %d\n%s\n%s", code, out, errOut)
	}
	// --partial (an excerpt, such as a documentation example) loads it.
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, "--partial", cut); code != ExitOK {
		t.Errorf("cut file with --partial: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`); n != "3" {
		t.Errorf("cut file with --partial loaded %s rows, want 3", n)
	}
	// A replay takes the file as it was loaded: it does not refuse it now.
	if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
		t.Errorf("replay after a --partial load: exit %d\n%s\n%s", code, out, errOut)
	}
}
