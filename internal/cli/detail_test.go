package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/load"
)

// detailDays is, over the entities of a detail table (report_period 1:
// the days fetched by date=), the fewest and most days an entity has, and
// how many entities there are, by concealment.
func (b *bundle) detailDays(t *testing.T, table string, concealed bool) (entities, fewest, most string) {
	t.Helper()
	q := `SELECT count(*)::text || ' ' || coalesce(min(n), 0)::text || ' ' || coalesce(max(n), 0)::text FROM (
		SELECT entity_key, count(DISTINCT report_date) AS n FROM S.` + table + ` WHERE report_period = 1 AND concealed = $1 GROUP BY entity_key) e`
	f := strings.Fields(b.scalar(t, q, concealed))
	return f[0], f[1], f[2]
}

// TestDetailBackfillThenNightly: a backfill of a detail report fills
// Graph's 28-day window, day by day; the next night's run adds the new
// day (29 days per entity); a second run that night changes nothing; and
// once the tenant conceals names, the new day's rows are flagged and kept
// apart, under other entity keys, from the named entities' history.
func TestDetailBackfillThenNightly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	const users = 12
	sim := simOn(t, clock, graphsim.Options{Users: users})
	h := hooks{clock: clock}
	args := []string{"--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "teams-user-activity-user-detail", "--max-retry-wait", "2h"}
	const table = "teams_user_activity_user_detail"

	code, out, errOut := b.ingestWith(t, h, append([]string{"backfill"}, args...)...)
	if code != ExitOK {
		t.Fatalf("backfill: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if n, lo, hi := b.detailDays(t, table, false); n != "12" || lo != "28" || hi != "28" {
		t.Fatalf("after the backfill: %s entities with %s to %s days; want 12 with 28\n%s", n, lo, hi, out)
	}
	if !strings.Contains(out, "28 days") {
		t.Errorf("the summary should say 28 days loaded:\n%s", out)
	}

	// The next night: the new day.
	clock.Add(24 * time.Hour)
	code, out, errOut = b.ingestWith(t, h, append([]string{"run"}, args...)...)
	if code != ExitOK {
		t.Fatalf("nightly run: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if n, lo, hi := b.detailDays(t, table, false); n != "12" || lo != "29" || hi != "29" {
		t.Fatalf("after the nightly run: %s entities with %s to %s days; want 12 with 29\n%s", n, lo, hi, out)
	}

	// Again the same night: nothing changes, not even bookkeeping.
	state := `SELECT md5(string_agg(t::text, '|' ORDER BY report_date, entity_key)) FROM S.` + table + ` t`
	before := b.scalar(t, state)
	fetchesBefore := b.scalar(t, `SELECT count(*) FROM S.report_fetches`)
	code, out, errOut = b.ingestWith(t, h, append([]string{"run"}, args...)...)
	if code != ExitOK {
		t.Fatalf("second nightly run: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if after := b.scalar(t, state); after != before {
		t.Error("a second run the same night changed the table")
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.report_fetches`); n != fetchesBefore {
		t.Errorf("a second run the same night fetched again: %s fetches, %s before", n, fetchesBefore)
	}

	// The tenant turns concealment on; the next night's day comes concealed.
	req, _ := http.NewRequest(http.MethodPatch, sim.URL()+"/v1.0/admin/reportSettings", strings.NewReader(`{"displayConcealedNames": true}`))
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("PATCH reportSettings: %v %v", resp, err)
	}
	resp.Body.Close()
	clock.Add(24 * time.Hour)
	code, out, errOut = b.ingestWith(t, h, append([]string{"run"}, args...)...)
	if code != ExitOK {
		t.Fatalf("run after concealment: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if !strings.Contains(out, "(c)") || !strings.Contains(out, "concealment changed") {
		t.Errorf("the summary should flag the concealment change:\n%s", out)
	}
	if n, lo, hi := b.detailDays(t, table, false); n != "12" || lo != "29" || hi != "29" {
		t.Errorf("named entities after concealment: %s with %s to %s days; want 12 with 29 (the concealed day kept apart)", n, lo, hi)
	}
	if n, lo, hi := b.detailDays(t, table, true); n != "12" || lo != "1" || hi != "1" {
		t.Errorf("concealed entities: %s with %s to %s days; want 12 with 1", n, lo, hi)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.`+table+` WHERE concealed AND (entity_key !~ '^[0-9A-F]{32}$' OR user_id IS NOT NULL)`); n != "0" {
		t.Errorf("%s concealed rows not keyed by the hash", n)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE concealment_changed AND concealed AND concealed_setting`); n != "1" {
		t.Errorf("%s fetches flagged as a concealment change with the setting read, want 1", n)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.detail_concealment_changes`); n != "1" {
		t.Errorf("%s rows in detail_concealment_changes, want 1", n)
	}
}

// TestPseudonymizeLeavesNoName: with --pseudonymize, no principal name or
// display name is anywhere in the database, payloads included (pg_dump of
// the schema, grepped), and each user keeps one history under a pseudonym.
func TestPseudonymizeLeavesNoName(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump not installed: this test needs it (it comes with Postgres' client programs)")
		}
		t.Skip("pg_dump not installed")
	}
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Users: 5})
	keyFile := t.TempDir() + "/key"
	if err := os.WriteFile(keyFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reports := "teams-user-activity-user-detail,mailbox-usage-detail,onedrive-usage-account-detail,office365-active-user-detail,sharepoint-site-usage-detail,office365-groups-activity-detail"
	// The names that must not be there: the simulator's users, their
	// OneDrive URLs, its groups and sites.
	names := []string{"onmicrosoft.com", "@contoso", "User 1", "user00001", "/personal/", "sharepoint.com/sites"}
	// found runs ingest into a schema of its own and says which names its
	// database (pg_dump of the schema, and the stored payloads
	// decompressed) holds.
	found := func(extra ...string) (*bundle, []string) {
		b := setup(t)
		code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{"run", "--graph-url", sim.URL(), "--access-token", "test-token",
			"--tenant-id", tenant, "--report", reports, "--max-retry-wait", "2h"}, extra...)...)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
		}
		if n := b.scalar(t, `SELECT count(*) FROM S.payloads WHERE stream_id IS NOT NULL`); n == "0" {
			t.Fatal("no streamed payload stored")
		}
		dump := exec.Command("pg_dump", "--schema", b.schema, "--no-owner", b.url)
		var stdout, stderr bytes.Buffer
		dump.Stdout, dump.Stderr = &stdout, &stderr
		if err := dump.Run(); err != nil {
			t.Fatalf("pg_dump: %v: %s", err, stderr.String())
		}
		text := strings.ToLower(stdout.String() + b.storedPayloadsText(t))
		var in []string
		for _, name := range names {
			if i := strings.Index(text, strings.ToLower(name)); i >= 0 {
				in = append(in, name)
				t.Logf("%q is in the database: …%s…", name, text[max(0, i-60):min(len(text), i+60)])
			}
		}
		return b, in
	}
	// Without --pseudonymize every name is there: the search can fail.
	if _, in := found(); len(in) != len(names) {
		t.Fatalf("without --pseudonymize only %v of %v found: the test looks for the wrong names", in, names)
	}
	b, in := found("--pseudonymize", "--pseudonymize-key-file", keyFile)
	if len(in) > 0 {
		t.Errorf("with --pseudonymize, names in the database: %v", in)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.teams_user_activity_user_detail WHERE user_principal_name !~ '^pz:[0-9a-f]{32}$'`); n != "0" {
		t.Errorf("%s principal names are not pseudonyms", n)
	}
}

// storedPayloadsText is every stored payload, decompressed, one after the
// other.
func (b *bundle) storedPayloadsText(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db, err := load.Connect(ctx, b.url, b.schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool.Query(ctx, `SELECT sha256 FROM payloads`)
	if err != nil {
		t.Fatal(err)
	}
	shas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, sha := range shas {
		body, _, err := db.PayloadBody(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(body)
	}
	return all.String()
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestPseudonymizeUsage: --pseudonymize without a key, with a short key or
// with --format json, and a key without --pseudonymize, are usage errors
// (exit 2) naming what is wrong, before any request or connection.
func TestPseudonymizeUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pseudonymize"}, "--pseudonymize needs a key"},
		{[]string{"--pseudonymize", "--pseudonymize-key", "short"}, "the key has 5 bytes"},
		{[]string{"--pseudonymize", "--pseudonymize-key", "0123456789abcdef0123", "--format", "json", "--api-version", "beta"}, "cannot be used with --format json"},
		{[]string{"--pseudonymize-key", "0123456789abcdef0123"}, "--pseudonymize-key is set but --pseudonymize is not"},
	} {
		args := append([]string{"run", "--graph-url", "http://127.0.0.1:1", "--access-token", "x", "--tenant-id", tenant, "--report", "detail"}, tc.args...)
		code, _, stderr := mainArgs(args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "0123456789abcdef") {
			t.Errorf("%v: exit %d, %q; want 2 and %q, the key never shown", tc.args, code, stderr, tc.want)
		}
	}
}

// TestDetailJSONPages: a detail report in JSON (beta) whose days come in
// several @odata.nextLink pages loads every row of each day, the pages
// read one at a time as the day streams in, and the payload stored is the
// document they make together.
func TestDetailJSONPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	const users = 45
	sim := simOn(t, clock, graphsim.Options{Users: users, PageSize: 10})
	code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "teams-user-activity-user-detail", "--format", "json", "--api-version", "beta", "--max-retry-wait", "2h")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if n, lo, hi := b.detailDays(t, "teams_user_activity_user_detail", false); n != "45" || lo != "28" || hi != "28" {
		t.Fatalf("%s entities with %s to %s days; want 45 with 28\n%s", n, lo, hi, out)
	}
	// Every page's request is in the audit (and counts against the next
	// run's request budget): 28 days of 5 pages.
	if got := b.scalar(t, `SELECT count(*) FROM S.fetch_attempts WHERE http_status = 200 AND phase = 'graph'`); got != "140" {
		t.Errorf("%s page requests recorded, want 140", got)
	}
	if got := b.scalar(t, `SELECT count(DISTINCT p.sha256) || ' ' || min(p.format) FROM S.report_fetches f JOIN S.payloads p USING (sha256) WHERE f.outcome = 'loaded'`); got != "28 json" {
		t.Errorf("payloads: %s, want 28 json", got)
	}
	// The stored days are the documents of their pages: 28 of 45 records.
	all := b.storedPayloadsText(t)
	if n := strings.Count(all, `"userPrincipalName"`); n != 28*users || strings.Count(all, `{"@odata.context":`) != 28 {
		t.Errorf("stored payloads hold %d records, want %d in 28 documents: %.200s", n, 28*users, all)
	}
}

// TestDetailEmptyProbeDayAskedAgain: a day that answered without rows while
// the run looked for the newest day (its data not there yet) is asked
// again by a later run once a newer day has rows, rather than left a gap
// for good; a day that answers without rows while the window is filled
// (a newer day had rows) is not asked again.
func TestDetailEmptyProbeDayAskedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Users: 3})
	target, err := url.Parse(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// The days Graph answers with a header alone.
	var empty sync.Map
	newest := asOf.AddDate(0, 0, -1).Format(time.DateOnly) // the first run's yesterday
	older := asOf.AddDate(0, 0, -10).Format(time.DateOnly)
	empty.Store(newest, true)
	empty.Store(older, true)
	const header = "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Has Other Action,Report Period\r\n"
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.Index(r.URL.Path, "(date="); i >= 0 {
			if _, ok := empty.Load(r.URL.Path[i+6 : i+16]); ok {
				w.Header().Set("Content-Type", "text/csv")
				io.WriteString(w, header)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	args := []string{"--graph-url", front.URL, "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "teams-user-activity-user-detail", "--max-retry-wait", "2h"}
	if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{"backfill"}, args...)...); code != ExitOK {
		t.Fatalf("backfill: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	loaded := func(d string) string {
		return b.scalar(t, `SELECT count(*) FROM S.teams_user_activity_user_detail WHERE report_date = $1`, d)
	}
	if loaded(newest) != "0" || loaded(older) != "0" {
		t.Fatalf("the empty days have rows: %s, %s", loaded(newest), loaded(older))
	}
	// Two nights later Graph has both days' data; the newest day's
	// empty answer came from looking for the newest day, the older one's
	// from filling the window.
	empty.Delete(newest)
	empty.Delete(older)
	clock.Add(48 * time.Hour)
	if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{"run"}, args...)...); code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if got := loaded(newest); got != "3" {
		t.Errorf("%s, empty while looked for as the newest day: %s rows after a later run, want 3", newest, got)
	}
	if got := loaded(older); got != "0" {
		t.Errorf("%s, empty while the window was filled: asked again (%s rows)", older, got)
	}
}

// TestDetailBudgetSpentIsNoFailure: Graph allows 14 CSV requests per 10
// minutes for a report and tenant. A backfill stops asking once they are
// spent (the days left are for the next run), and a run right after it,
// finding the budget spent while it looks for the newest day, is no
// failure either: both exit 0, and a later run goes on.
func TestDetailBudgetSpentIsNoFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Users: 2})
	args := []string{"--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "teams-user-activity-user-detail", "--max-retry-wait", "1m"}
	for _, cmd := range []string{"backfill", "run"} {
		if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{cmd}, args...)...); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", cmd, code, out, lastLines(errOut, 5))
		}
	}
	days := func() string {
		return b.scalar(t, `SELECT count(DISTINCT report_date) FROM S.teams_user_activity_user_detail`)
	}
	first := days()
	if first == "0" || first == "28" {
		t.Fatalf("%s days after a backfill within one request budget, want some but not 28", first)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE outcome = 'failed'`); n != "0" {
		t.Errorf("%s fetches recorded as failed", n)
	}
	clock.Add(11 * time.Minute)
	if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{"run"}, args...)...); code != ExitOK {
		t.Fatalf("a later run: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if days() == first {
		t.Errorf("a later run, with a new budget, loaded no day left (%s days)", first)
	}
}

// TestDetailReplayChangesNothing: replaying the stored payloads of detail
// reports fetched a day at a time changes no row: each payload is read
// again as the day it was asked for (the active users' file has no Report
// Period column to say so).
func TestDetailReplayChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Users: 4})
	if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "office365-active-user-detail,teams-user-activity-user-detail", "--max-retry-wait", "2h"); code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	count := func() string {
		return b.scalar(t, `SELECT (SELECT count(*) FROM S.office365_active_user_detail) || '/' || (SELECT count(*) FROM S.teams_user_activity_user_detail)`)
	}
	before := count()
	if before != "112/112" {
		t.Fatalf("rows after the run: %s, want 112/112 (4 users, 28 days)", before)
	}
	if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "replay"); code != ExitOK {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	if got := b.scalar(t, `SELECT count(*) || ' ' || sum(rows_inserted + rows_updated) FROM S.report_fetches WHERE run_id = 2 AND outcome = 'loaded'`); got != "56 0" || count() != before {
		t.Errorf("replay: %s (payloads, rows written), rows %s; want 56 0 and %s", got, count(), before)
	}
}

// TestDetailJSONBudgetSpentMidDay: Graph allows 100 JSON requests per 10
// minutes for a report and tenant, and a day of 30 users in pages of 7 is
// 5 of them: the budget runs out in the middle of a day's pages. That day
// loads nothing (no part of it), the run is no failure, and the days left
// are the next run's.
func TestDetailJSONBudgetSpentMidDay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Users: 30, PageSize: 7})
	code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
		"--report", "teams-user-activity-user-detail", "--format", "json", "--api-version", "beta", "--max-retry-wait", "1m")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, lastLines(errOut, 5))
	}
	got := b.scalar(t, `SELECT count(*) || ' ' || coalesce(min(n), 0) || ' ' || coalesce(max(n), 0) FROM (
		SELECT report_date, count(*) AS n FROM S.teams_user_activity_user_detail GROUP BY report_date) d`)
	if f := strings.Fields(got); f[0] == "0" || f[0] == "28" || f[1] != "30" || f[2] != "30" {
		t.Errorf("days, fewest and most rows a day: %s; want some days but not 28, each of 30 rows", got)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE outcome = 'failed'`); n != "0" {
		t.Errorf("%s fetches recorded as failed", n)
	}
}
