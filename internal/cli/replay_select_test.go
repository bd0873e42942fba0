package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
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

// TestReplayNamesFailingPayload: of two payloads that loaded, one fails on
// replay (its stored body turned into what today's parser refuses: a
// stricter parser does that). The replay fails, naming that payload (sha256
// prefix, report, period, source, cause) and not the other; --skip-sha256
// leaves it out and the replay succeeds.
func TestReplayNamesFailingPayload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	bad := writeFile(t, dir, "b.csv", minuteWeek("2026-11-21", "2026-11-21", 500))
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, a, bad); code != ExitOK {
		t.Fatalf("load-file: exit %d\n%s\n%s", code, out, errOut)
	}
	shaA, shaB := b.shaOf(t, a), b.shaOf(t, bad)
	if _, err := pgtest.Pool(t).Exec(context.Background(), `UPDATE `+b.schema+`.payloads SET body = convert_to('<html><body>Sign in</body></html>', 'UTF8') WHERE sha256 = $1`, shaB); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := b.ingest(t, "replay")
	if code != ExitFailed {
		t.Fatalf("replay: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if last := lastLine(errOut); !strings.Contains(last, "1 of 2 payloads failed") || !strings.Contains(last, "payload "+shaB[:12]+": ") {
		t.Errorf("replay error %q does not name payload %s", last, shaB[:12])
	}
	_, failedList, ok := strings.Cut(out, "Failed payloads")
	if !ok {
		t.Fatalf("replay summary names no failed payload:\n%s", out)
	}
	fields := strings.Fields(strings.Split(failedList, "\n")[1])
	if len(fields) < 5 || fields[0] != shaB[:12] || fields[1] != minuteReport || fields[2] != "-" || fields[3] != bad {
		t.Errorf("failed payload line = %q, want %s %s - %s and the cause", fields, shaB[:12], minuteReport, bad)
	}
	if strings.Contains(failedList, shaA[:12]) {
		t.Errorf("the payload that replayed is listed as failed:\n%s", out)
	}

	code, out, errOut = b.ingest(t, "replay", "--skip-sha256", shaB[:8])
	if code != ExitOK {
		t.Fatalf("replay --skip-sha256 %s: exit %d\n%s\n%s", shaB[:8], code, out, errOut)
	}
	if got := b.replayed(t, map[string]string{shaA: "a", shaB: "b"}); got != "a" {
		t.Errorf("replay --skip-sha256 replayed %q, want a", got)
	}
}

// TestReplayLeavesOutPayloadsThatNeverLoaded: a Graph payload that failed
// (a cut download) is kept, but replay leaves it out by default, exit 0,
// naming it (sha256 prefix, report, period, the Graph URL); --sha256
// replays it, and its failure is named the same way.
func TestReplayLeavesOutPayloadsThatNeverLoaded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := newCutServer(t, "short")
	h := hooks{clock: fakeclock.New(asOf)}
	if code, _, errOut := b.ingestWith(t, h, "run", "--graph-url", cs.srv.URL, "--access-token", "tok", "--tenant-id", tenant, "--report", minuteReport); code != ExitFailed {
		t.Fatalf("cut run: exit %d, want 1\n%s", code, errOut)
	}
	source := cs.srv.URL + "/v1.0/reports/getSkypeForBusinessOrganizerActivityMinuteCounts(period='D7')"
	sha := b.shaOf(t, source)
	wantLine := []string{sha[:12], minuteReport, "D7", source}

	code, out, errOut := b.ingestWith(t, h, "replay")
	if code != ExitOK {
		t.Fatalf("replay: exit %d, want 0 (the failed payload left out)\n%s\n%s", code, out, errOut)
	}
	if got := b.replayed(t, nil); got != "" {
		t.Errorf("replay replayed %s, want nothing", got)
	}
	_, list, ok := strings.Cut(out, "Left out, never loaded")
	if !ok || !strings.Contains(out, "no stored payloads to replay") {
		t.Fatalf("replay does not say it left the payload out:\n%s", out)
	}
	if f := strings.Fields(strings.Split(list, "\n")[1]); strings.Join(f, " ") != strings.Join(wantLine, " ") {
		t.Errorf("left-out line = %q, want %q", f, wantLine)
	}

	code, out, errOut = b.ingestWith(t, h, "replay", "--sha256", strings.ToUpper(sha[:8]))
	if code != ExitFailed || !strings.Contains(lastLine(errOut), "covers 3 of 7 days") {
		t.Fatalf("replay --sha256: exit %d, %q; want 1 and the coverage error\n%s", code, lastLine(errOut), out)
	}
	_, list, ok = strings.Cut(out, "Failed payloads")
	if !ok {
		t.Fatalf("replay --sha256 names no failed payload:\n%s", out)
	}
	if f := strings.Fields(strings.Split(list, "\n")[1]); len(f) < 5 || strings.Join(f[:4], " ") != strings.Join(wantLine, " ") {
		t.Errorf("failed payload line = %q, want %q and the cause", f, wantLine)
	}
}

// TestReplaySelectors: --report, --since, --sha256 (a prefix, repeatable,
// any case) and --skip-sha256 select what replay replays, together too; a
// selection that matches nothing says so and exits 0; a bad, unknown or
// ambiguous prefix, or a --sha256 outside the other selectors, is a usage
// error naming it.
func TestReplaySelectors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	if code, out, errOut := b.run(t, hooks{clock: clock}, sim); code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	file := writeFile(t, t.TempDir(), "minutes.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, file); code != ExitOK {
		t.Fatalf("load-file: exit %d\n%s\n%s", code, out, errOut)
	}
	// The Graph fetches are of 2026-11-23 (the fake clock); the file, of
	// 2026-12-01.
	if _, err := pgtest.Pool(t).Exec(context.Background(), `UPDATE `+b.schema+`.report_fetches SET fetched_at = '2026-12-01T10:00:00Z' WHERE source = $1`, file); err != nil {
		t.Fatal(err)
	}
	shaU := b.scalar(t, `SELECT sha256 FROM S.report_fetches WHERE report = $1`, userReport)
	shaM := b.scalar(t, `SELECT sha256 FROM S.report_fetches WHERE report = $1 AND source <> $2`, minuteReport, file)
	shaF := b.shaOf(t, file)
	labels := map[string]string{shaU: "U", shaM: "M", shaF: "F"}
	unknown := "00000000"
	for _, s := range []string{"11111111", "22222222", "33333333"} {
		if !strings.HasPrefix(shaU, s) && !strings.HasPrefix(shaM, s) && !strings.HasPrefix(shaF, s) {
			unknown = s
			break
		}
	}
	// Two payloads sharing a prefix of 8 digits (made up: finding real
	// ones would take a while).
	for _, d := range []string{"0", "1"} {
		if _, err := pgtest.Pool(t).Exec(context.Background(), `INSERT INTO `+b.schema+`.payloads (sha256, body, bytes, format) VALUES ($1, '', 0, 'csv')`,
			"abcdef01"+strings.Repeat(d, 56)); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		args []string
		want string // the payloads replayed
	}{
		{nil, "F,M,U"},
		{[]string{"--report", userReport}, "U"},
		{[]string{"--report", minuteReport}, "F,M"},
		{[]string{"--since", "2026-11-30"}, "F"},
		{[]string{"--sha256", shaF[:8]}, "F"},
		{[]string{"--sha256", strings.ToUpper(shaF[:10]), "--sha256", shaU}, "F,U"},
		{[]string{"--report", minuteReport, "--skip-sha256", shaF[:12]}, "M"},
		{[]string{"--report", minuteReport, "--since", "2026-11-30", "--sha256", shaF[:8]}, "F"},
	} {
		code, out, errOut := b.ingest(t, append([]string{"replay"}, tc.args...)...)
		if code != ExitOK {
			t.Errorf("replay %v: exit %d\n%s\n%s", tc.args, code, out, errOut)
			continue
		}
		if got := b.replayed(t, labels); got != tc.want {
			t.Errorf("replay %v replayed %q, want %q", tc.args, got, tc.want)
		}
	}

	none := []string{"--report", userReport, "--since", "2026-11-30"}
	if code, out, errOut := b.ingest(t, append([]string{"replay"}, none...)...); code != ExitOK ||
		!strings.Contains(out, "no stored payloads match --report "+userReport+" --since 2026-11-30") {
		t.Errorf("replay %v: exit %d, want 0 and a line saying nothing matches\n%s\n%s", none, code, out, errOut)
	}

	for _, tc := range []struct {
		args []string
		want string // in the error line
	}{
		{[]string{"--sha256", "abc"}, `--sha256 (INGEST_REPLAY_SHA256) "abc": want a sha256 or its first 8 or more hex digits`},
		{[]string{"--sha256", "zzzzzzzz"}, `--sha256 (INGEST_REPLAY_SHA256) "zzzzzzzz"`},
		{[]string{"--skip-sha256", shaF + "0"}, `--skip-sha256 (INGEST_REPLAY_SKIP_SHA256) "` + shaF + `0"`},
		{[]string{"--sha256", unknown}, "--sha256 (INGEST_REPLAY_SHA256) " + unknown + ": no stored payload's sha256 starts so"},
		{[]string{"--skip-sha256", unknown}, "--skip-sha256 (INGEST_REPLAY_SKIP_SHA256) " + unknown + ": no stored payload"},
		{[]string{"--sha256", "ABCDEF01"}, "--sha256 (INGEST_REPLAY_SHA256) abcdef01 is ambiguous: it starts abcdef010000, abcdef011111; give more digits"},
		{[]string{"--report", userReport, "--sha256", shaF[:8]}, "payload " + shaF[:12] + " is not selected by --report " + userReport + " --sha256 " + shaF[:8]},
	} {
		code, out, errOut := b.ingest(t, append([]string{"replay"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(lastLine(errOut), tc.want) {
			t.Errorf("replay %v: exit %d, %q; want 2 and %q\n%s", tc.args, code, lastLine(errOut), tc.want, out)
		}
	}
}

// TestReplaySHA256FromEnvironment: INGEST_REPLAY_SHA256 and
// INGEST_REPLAY_SKIP_SHA256 are --sha256 and --skip-sha256, comma-separated;
// a bad value names the variable.
func TestReplaySHA256FromEnvironment(t *testing.T) {
	b := setup(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	c := writeFile(t, dir, "c.csv", minuteWeek("2026-11-21", "2026-11-21", 500))
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", tenant, a, c); code != ExitOK {
		t.Fatalf("load-file: exit %d\n%s\n%s", code, out, errOut)
	}
	shaA, shaC := b.shaOf(t, a), b.shaOf(t, c)
	labels := map[string]string{shaA: "a", shaC: "c"}
	for _, tc := range []struct{ name, value, want string }{
		{"INGEST_REPLAY_SHA256", shaA[:8] + "," + shaC[:8], "a,c"},
		{"INGEST_REPLAY_SKIP_SHA256", shaC[:9], "a"},
	} {
		t.Setenv(tc.name, tc.value)
		if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
			t.Fatalf("replay with %s=%s: exit %d\n%s\n%s", tc.name, tc.value, code, out, errOut)
		}
		if got := b.replayed(t, labels); got != tc.want {
			t.Errorf("replay with %s=%s replayed %q, want %q", tc.name, tc.value, got, tc.want)
		}
		os.Unsetenv(tc.name)
	}
	t.Setenv("INGEST_REPLAY_SHA256", "nothex!!")
	if code, _, errOut := b.ingest(t, "replay"); code != ExitUsage || !strings.Contains(lastLine(errOut), "INGEST_REPLAY_SHA256") {
		t.Errorf("INGEST_REPLAY_SHA256=nothex!!: exit %d, %q; want 2 naming the variable", code, lastLine(errOut))
	}
}
