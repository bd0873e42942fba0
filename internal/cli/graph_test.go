package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// End-to-end tests of the Graph side: graph-sim with faults, the app run
// in-process on a fake clock (no test sleeps), outcomes read from the
// database.

const (
	userReport   = "skype-organizer-activity-user-counts"
	minuteReport = "skype-organizer-activity-minute-counts"
)

// simOn starts graph-sim on clock with opts (token "test-token" unless set).
func simOn(t *testing.T, clock *fakeclock.Clock, opts graphsim.Options) *graphsim.Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	opts.Now = clock.Now
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// ingestWith is ingest with test hooks in the context.
func (b *bundle) ingestWith(t *testing.T, h hooks, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	full := []string{"ingest", args[0], "--database-url", b.url, "--schema", b.schema, "--log-format", "json", "--log-level", "debug"}
	full = append(full, args[1:]...)
	code = Main(withHooks(context.Background(), offline(t, h)), full, &out, &errOut, "test")
	return code, out.String(), errOut.String()
}

// organizerReports limits a run to the two seeded reports: the extract
// tests count requests per report, and two reports show every behaviour.
// Pass "--report", "all" as extra to run every report.
var organizerReports = []string{"--report", "skype-organizer-activity-user-counts", "--report", "skype-organizer-activity-minute-counts"}

// run runs `ingest run` against sim with the static token, for the two
// organizer reports unless extra says otherwise.
func (b *bundle) run(t *testing.T, h hooks, sim *graphsim.Server, extra ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant}, organizerReports...)
	args = append(args, extra...)
	return b.ingestWith(t, h, args...)
}

// attempts renders a report's requests in a run from fetch_attempts:
// "graph:429+2000ms graph:302 download:200".
func (b *bundle) attempts(t *testing.T, runID int, rep string) string {
	t.Helper()
	return b.scalar(t, `SELECT coalesce(string_agg(phase || ':' || coalesce(http_status, 0) ||
		CASE WHEN wait_ms > 0 THEN '+' || wait_ms || 'ms' ELSE '' END, ' ' ORDER BY seq), '')
		FROM S.fetch_attempts WHERE run_id = $1 AND report = $2`, runID, rep)
}

func (b *bundle) fetchOutcome(t *testing.T, runID int, rep string) string {
	t.Helper()
	return b.scalar(t, `SELECT outcome || ':' || coalesce(http_status, 0) || ':' || coalesce(rows_inserted::text, '-') || '/' ||
		coalesce(rows_updated::text, '-') || '/' || coalesce(rows_unchanged::text, '-') FROM S.report_fetches WHERE run_id = $1 AND report = $2`, runID, rep)
}

func apiCalls(sim *graphsim.Server, function string) int {
	n := 0
	for _, r := range sim.APIRequests() {
		if strings.Contains(r.Path, function) {
			n++
		}
	}
	return n
}

// TestFaults: each fault graph-sim injects is retried as designed and the
// report still loads whole; fetch_attempts shows what happened.
func TestFaults(t *testing.T) {
	t.Parallel()
	minutes, _ := report.Lookup(minuteReport)
	for _, tc := range []struct {
		name  string
		fault graphsim.FaultKind
		// want is the minute report's requests; "~" marks a jittered wait.
		want     string
		apiCalls int
	}{
		{"429 Retry-After in seconds", graphsim.Fault429, "graph:429+2000ms graph:302 download:200", 2},
		{"429 Retry-After as an HTTP date", graphsim.Fault429Date, "graph:429+2000ms graph:302 download:200", 2},
		{"503 backs off", graphsim.Fault503, "graph:503+~ graph:302 download:200", 2},
		{"connection reset", graphsim.FaultReset, "graph:0+~ graph:302 download:200", 2},
		{"truncated body", graphsim.FaultTruncate, "graph:302 download:200+~ download:200", 1},
		{"expired download URL", graphsim.FaultExpire, "graph:302 download:404 graph:302 download:200", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			clock := fakeclock.New(asOf)
			sim := simOn(t, clock, graphsim.Options{RetryAfter: 2 * time.Second,
				Faults: []graphsim.Fault{{Kind: tc.fault, Report: minuteReport}}})
			code, stdout, stderr := b.run(t, hooks{clock: clock}, sim)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			got := b.attempts(t, 1, minuteReport)
			if !matchWaits(got, tc.want) {
				t.Errorf("requests = %s, want %s", got, tc.want)
			}
			if n := apiCalls(sim, minutes.Function); n != tc.apiCalls {
				t.Errorf("Graph asked %d times, want %d", n, tc.apiCalls)
			}
			for _, rep := range []string{minuteReport, userReport} {
				if got := b.fetchOutcome(t, 1, rep); got != "loaded:200:7/0/0" {
					t.Errorf("%s fetch = %s, want loaded:200:7/0/0", rep, got)
				}
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.`+minutes.Table); n != "7" {
				t.Errorf("%s has %s rows, want 7", minutes.Table, n)
			}
			if got := b.attempts(t, 1, userReport); got != "graph:302 download:200" {
				t.Errorf("the other report's requests = %s", got)
			}
			if strings.Contains(stderr, "sig=") || strings.Contains(b.scalar(t, `SELECT string_agg(url || coalesce(error, ''), ' ') FROM S.fetch_attempts`), "sig=") {
				t.Error("a download signature reached the logs or the audit")
			}
		})
	}
}

// matchWaits compares attempt strings where "~" in want stands for any
// wait of 1 ms or more.
func matchWaits(got, want string) bool {
	g, w := strings.Fields(got), strings.Fields(want)
	if len(g) != len(w) {
		return false
	}
	for i := range w {
		if p, ok := strings.CutSuffix(w[i], "~"); ok {
			if !strings.HasPrefix(g[i], p) || !strings.HasSuffix(g[i], "ms") || len(g[i]) <= len(p)+2 {
				return false
			}
			continue
		}
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// TestUnauthorizedFailsClearly: a 403 from Graph fails the report at once
// (no retry) with Graph's code and message and the permission hint, the
// other report still loads, and the run exits 1. (A 401 stops the run: see
// TestRejectedTokenStopsTheRun.)
func TestUnauthorizedFailsClearly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault         graphsim.FaultKind
		status        int
		code, message string
	}{
		{graphsim.Fault403, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			clock := fakeclock.New(asOf)
			sim := simOn(t, clock, graphsim.Options{Faults: []graphsim.Fault{{Kind: tc.fault, Report: userReport, Times: -1}}})
			code, _, stderr := b.run(t, hooks{clock: clock}, sim)
			if code != ExitFailed {
				t.Fatalf("exit %d, want 1\n%s", code, stderr)
			}
			last := lastLine(stderr)
			for _, want := range []string{"ingest: 1 of 2 reports failed", userReport, fmt.Sprintf("HTTP %d", tc.status), tc.code, tc.message, "Reports.Read.All", "admin consent"} {
				if !strings.Contains(last, want) {
					t.Errorf("last line %q lacks %q", last, want)
				}
			}
			if strings.Contains(last, "expired") {
				t.Errorf("last line %q gives the token hint for a missing permission", last)
			}
			if got := b.fetchOutcome(t, 1, userReport); got != fmt.Sprintf("failed:%d:-/-/-", tc.status) {
				t.Errorf("fetch = %s", got)
			}
			if got := b.scalar(t, `SELECT error LIKE '%`+tc.code+`%Reports.Read.All%' FROM S.report_fetches WHERE report = $1`, userReport); got != "true" {
				t.Errorf("report_fetches.error lacks the code and hint")
			}
			if got := b.attempts(t, 1, userReport); got != fmt.Sprintf("graph:%d", tc.status) {
				t.Errorf("requests = %s, want one, not retried", got)
			}
			if got := b.fetchOutcome(t, 1, minuteReport); got != "loaded:200:7/0/0" {
				t.Errorf("the other report: %s", got)
			}
			if s := b.scalar(t, `SELECT status FROM S.ingest_runs`); s != "failed" {
				t.Errorf("run status %s", s)
			}
		})
	}
}

// TestNotModifiedSkipsTheReport: the ETag of a loaded payload is kept; the
// next run sends it as If-None-Match, Graph answers 304, and the report is
// recorded as not modified with nothing loaded. --force ignores it.
func TestNotModifiedSkipsTheReport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	h := hooks{clock: clock}
	if code, out, errOut := b.run(t, h, sim); code != ExitOK {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errOut)
	}
	etags := b.scalar(t, `SELECT string_agg(report || '=' || etag || '/' || format || '/' || period, ' ' ORDER BY report) FROM S.report_etags`)
	stored := b.scalar(t, `SELECT string_agg(report || '=' || etag || '/csv/D7', ' ' ORDER BY report) FROM S.report_fetches WHERE run_id = 1`)
	if etags != stored || !strings.Contains(etags, `"`) {
		t.Fatalf("report_etags = %s, want the ETags fetched: %s", etags, stored)
	}
	before := map[string]string{}
	for _, s := range report.Default {
		before[s.Table] = b.checksum(t, s.Table)
	}

	code, out, errOut := b.run(t, h, sim)
	if code != ExitOK {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, rep := range []string{userReport, minuteReport} {
		if got := b.fetchOutcome(t, 2, rep); got != "not_modified:304:-/-/-" {
			t.Errorf("%s second fetch = %s, want not_modified:304", rep, got)
		}
		if got := b.attempts(t, 2, rep); got != "graph:304" {
			t.Errorf("%s second run requests = %s", rep, got)
		}
	}
	if got := b.scalar(t, `SELECT string_agg(report || '=' || etag || '/csv/D7', ' ' ORDER BY report) FROM S.report_fetches WHERE run_id = 2`); got != etags {
		t.Errorf("not-modified fetches record ETags %s, want %s", got, etags)
	}
	for _, s := range report.Default {
		if b.checksum(t, s.Table) != before[s.Table] {
			t.Errorf("%s changed on a 304", s.Table)
		}
	}
	if !strings.Contains(out, "not_modified") {
		t.Errorf("summary does not say not_modified:\n%s", out)
	}
	if s := b.scalar(t, `SELECT status FROM S.ingest_runs WHERE run_id = 2`); s != "succeeded" {
		t.Errorf("run 2 status %s", s)
	}
	var sentETag int
	for _, r := range sim.APIRequests() {
		if r.Header.Get("If-None-Match") != "" {
			sentETag++
		}
	}
	if sentETag != 2 {
		t.Errorf("%d requests carried If-None-Match, want 2", sentETag)
	}

	// --force fetches in full and sends no If-None-Match.
	if code, out, errOut := b.run(t, h, sim, "--force"); code != ExitOK {
		t.Fatalf("forced run: exit %d\n%s\n%s", code, out, errOut)
	}
	reqs := sim.APIRequests()
	for _, r := range reqs[len(reqs)-2:] {
		if r.Header.Get("If-None-Match") != "" {
			t.Errorf("--force sent If-None-Match %q", r.Header.Get("If-None-Match"))
		}
	}
	for _, rep := range []string{userReport, minuteReport} {
		if got := b.fetchOutcome(t, 3, rep); got != "loaded:200:0/0/7" {
			t.Errorf("%s forced fetch = %s, want loaded:200:0/0/7", rep, got)
		}
	}
}

// TestSameHostDownloadCarriesNoAuthorization: with download links on the
// API's very host and port, where net/http would keep the header on a
// redirect, the download still carries no Authorization and no cookie.
func TestSameHostDownloadCarriesNoAuthorization(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{SameHostDownloads: true})
	if sim.DownloadURL() != sim.URL() {
		t.Fatalf("download host %s is not the API's %s", sim.DownloadURL(), sim.URL())
	}
	code, out, errOut := b.run(t, hooks{clock: clock}, sim)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	reqs := sim.DownloadRequests()
	if len(reqs) != 2 {
		t.Fatalf("download requests: %d, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("download %s carried credentials: %v", r.Path, r.Header)
		}
	}
	for _, r := range sim.APIRequests() {
		if r.Header.Get("Authorization") != "Bearer test-token" {
			t.Errorf("API request without the token: %v", r.Header)
		}
	}
	if got := b.scalar(t, `SELECT count(*) FROM S.fetch_attempts WHERE phase = 'download' AND url LIKE $1 || '/[redacted sha256:%]'`, sim.URL()); got != "2" {
		t.Errorf("%s download attempts on the API host, want 2", got)
	}
	if got := b.scalar(t, `SELECT string_agg(outcome, ',') FROM S.report_fetches`); got != "loaded,loaded" {
		t.Errorf("fetches = %s", got)
	}
}

// TestBudgetStopsRetries: with a budget of one Graph request per report (a
// test budget; Graph's is 14), a 503 is not retried within the window: the
// report fails rather than exceed the budget, and a second run right after
// counts the first run's request too.
func TestBudgetStopsRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.Fault503, Report: minuteReport}}})
	h := hooks{clock: clock, budget: extract.Budget{CSV: 1, JSON: 1}}
	code, _, stderr := b.run(t, h, sim)
	if code != ExitFailed || !strings.Contains(lastLine(stderr), "request budget spent") {
		t.Fatalf("exit %d: %s", code, lastLine(stderr))
	}
	minutes, _ := report.Lookup(minuteReport)
	if n := apiCalls(sim, minutes.Function); n != 1 {
		t.Errorf("Graph asked %d times, want 1", n)
	}
	if got := b.fetchOutcome(t, 1, minuteReport); !strings.HasPrefix(got, "failed:") {
		t.Errorf("fetch = %s", got)
	}
	// Right after, both reports' budgets are spent by run 1.
	code, _, stderr = b.run(t, h, sim, "--force")
	if code != ExitFailed || !strings.Contains(lastLine(stderr), "2 of 2 reports failed") {
		t.Fatalf("second run: exit %d: %s", code, lastLine(stderr))
	}
	if n := len(sim.APIRequests()); n != 2 {
		t.Errorf("Graph saw %d requests over both runs, want 2", n)
	}
}
