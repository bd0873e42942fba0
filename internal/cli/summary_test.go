package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// logRecords parses the JSON log lines of stderr (the error line is not
// one).
func logRecords(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// field is a log record's value as text ("" when absent).
func field(rec map[string]any, k string) string {
	if v, ok := rec[k]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// TestRunSummary: the printed results name the period, give each failed
// report's reason on one line cut to fit, the totals and the run's
// duration; the run's last log line carries the same counts.
func TestRunSummary(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.Fault403, Report: userReport, Times: -1}}})
	code, stdout, stderr := b.run(t, hooks{clock: clock}, sim)
	if code != ExitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	i := slices.Index(lines, "failed:")
	if i < 0 || i+2 >= len(lines) {
		t.Fatalf("no failed: section with one line and the totals after it:\n%s", stdout)
	}
	reason, ok := strings.CutPrefix(lines[i+1], "  "+userReport+": ")
	if !ok || !strings.HasPrefix(reason, "HTTP 403 Authorization_RequestDenied: Insufficient privileges") ||
		!strings.HasSuffix(reason, "…") || utf8.RuneCountInString(reason) != 100 {
		t.Errorf("failure line %q: want the report, then its reason without the URL, cut to 100 characters", lines[i+1])
	}
	total := regexp.MustCompile(`^run 1, period D7: 2 reports: 1 loaded, 0 not modified, 0 empty, 1 failed; rows: 7 inserted, 0 updated, 0 unchanged; took \d+(\.\d+)?(ms|s)$`)
	if !total.MatchString(lines[i+2]) || i+2 != len(lines)-1 {
		t.Errorf("last line %q, want the totals", lines[len(lines)-1])
	}

	recs := logRecords(t, stderr)
	last := recs[len(recs)-1]
	want := map[string]string{"msg": "run failed", "period": "D7", "items": "2", "loaded": "1", "not_modified": "0", "empty": "0", "failed": "1",
		"rows": "7", "rows_inserted": "7", "rows_updated": "0", "rows_unchanged": "0", "rows_restated": "0"}
	for k, v := range want {
		if got := field(last, k); got != v {
			t.Errorf("last log line %s = %s, want %s", k, got, v)
		}
	}
	if _, err := last["duration_ms"].(json.Number).Int64(); err != nil {
		t.Errorf("last log line duration_ms = %v, want whole milliseconds", last["duration_ms"])
	}

}

// TestRunFinishedCarriesCounts: a run that succeeds ends with "run
// finished" and its counts.
func TestRunFinishedCarriesCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	b.run(t, hooks{clock: clock}, sim)
	code, stdout, stderr := b.run(t, hooks{clock: clock}, sim)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	recs := logRecords(t, stderr)
	last := recs[len(recs)-1]
	if line := lastLines(stderr, 1); strings.Count(line, `"period":`) != 1 {
		t.Errorf("run finished says the period %d times, want once: %s", strings.Count(line, `"period":`), line)
	}
	for k, v := range map[string]string{"msg": "run finished", "items": "2", "loaded": "0", "not_modified": "2", "failed": "0", "rows_inserted": "0"} {
		if got := field(last, k); got != v {
			t.Errorf("run finished: %s = %s, want %s", k, got, v)
		}
	}
	if !strings.Contains(stdout, "run 2, period D7: 2 reports: 0 loaded, 2 not modified, 0 empty, 0 failed;") {
		t.Errorf("summary:\n%s", stdout)
	}
}

// TestLogDurationsAreMilliseconds: every duration in the logs, JSON or
// text, is whole milliseconds under a key ending in _ms (the migrations,
// the retries' waits, each report, the run, graph-sim's requests).
func TestLogDurationsAreMilliseconds(t *testing.T) {
	t.Parallel()
	b := setupFresh(t) // the migrations are logged
	clock := fakeclock.New(asOf)
	var simLog bytes.Buffer
	sim := simOn(t, clock, graphsim.Options{RetryAfter: 2 * time.Second, Logger: slog.New(slog.NewJSONHandler(&simLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Faults: []graphsim.Fault{{Kind: graphsim.Fault429, Report: minuteReport}}})
	code, stdout, stderr := b.run(t, hooks{clock: clock}, sim)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	seen := map[string]bool{}
	durationish := regexp.MustCompile(`duration|elapsed|wait|took|latency`)
	for _, r := range append(logRecords(t, stderr), logRecords(t, simLog.String())...) {
		for k, v := range r {
			if !durationish.MatchString(k) {
				continue
			}
			n, isNum := v.(json.Number)
			if _, err := n.Int64(); !strings.HasSuffix(k, "_ms") || !isNum || err != nil {
				t.Errorf("%s: %s = %v, want NAME_ms and whole milliseconds", r["msg"], k, v)
			}
			seen[r["msg"].(string)+" "+k] = true
		}
	}
	for _, want := range []string{"migration applied duration_ms", "retrying wait_ms", "fetched duration_ms", "report loaded duration_ms",
		"run finished duration_ms", "graphsim request duration_ms"} {
		if !seen[want] {
			t.Errorf("no %q in the logs", want)
		}
	}

	// The text logs use the same keys.
	b2 := setup(t)
	code, _, stderr = b2.ingestWith(t, hooks{clock: clock}, append([]string{"run", "--graph-url", sim.URL(), "--access-token", "test-token",
		"--tenant-id", tenant, "--log-format", "text"}, organizerReports...)...)
	if code != ExitOK {
		t.Fatalf("text logs: exit %d\n%s", code, stderr)
	}
	if m := regexp.MustCompile(`\b(duration|elapsed|wait)=\S+`).FindString(stderr); m != "" {
		t.Errorf("text logs hold %q, want duration_ms=", m)
	}
	if !regexp.MustCompile(`msg="run finished" .*duration_ms=\d+\b`).MatchString(stderr) {
		t.Errorf("text logs: run finished lacks duration_ms:\n%s", stderr)
	}
}

// TestReportsJSON: `ingest reports --json` lists every report with its
// function, table, key and columns.
func TestReportsJSON(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(t.Context(), []string{"ingest", "reports", "--json"}, &out, &errOut, "test"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got struct {
		Reports []struct {
			Name, Function, Path, Table, Title string
			Aliases, Versions                  []string
			Period, Snapshot, Detail           bool
			Key                                []string
			Columns                            []struct {
				Name, Header, JSON, Type, Role string
				Aliases                        []string
				Aggregation                    *string
				Optional                       bool
			}
		}
		Unsupported []struct{ Function, Reason string }
	}
	d := json.NewDecoder(&out)
	d.DisallowUnknownFields()
	if err := d.Decode(&got); err != nil {
		t.Fatalf("not the documented JSON: %v", err)
	}
	if len(got.Reports) != len(report.All) || len(got.Unsupported) != len(report.Unsupported) {
		t.Fatalf("%d reports, %d unsupported; want %d, %d", len(got.Reports), len(got.Unsupported), len(report.All), len(report.Unsupported))
	}
	for i, s := range report.All {
		r := got.Reports[i]
		if r.Name != s.Name || r.Function != s.Function || r.Table != s.Table || r.Title == "" || r.Snapshot != !s.Dated() || r.Detail != (s.Detail != nil) ||
			!slices.Equal(r.Key, s.Key()) || len(r.Columns) != len(s.Columns()) || r.Columns[len(r.Columns)-1].Header != s.Columns()[len(s.Columns())-1].Header ||
			r.Period == s.NoPeriod || !strings.Contains(r.Path, s.Function) || len(r.Versions) == 0 {
			t.Errorf("report %d: %+v, want %s", i, r, s.Name)
		}
		// Every metric has its type and aggregation; nothing else has an
		// aggregation.
		for j, c := range r.Columns {
			if (c.Role == "metric") != (c.Aggregation != nil) || c.Type == "" {
				t.Errorf("%s column %d: %+v", s.Name, j, c)
			}
			if c.Role == "metric" {
				want := s.Aggregation(s.Columns()[j]).String()
				if *c.Aggregation != want {
					t.Errorf("%s.%s aggregation %s, want %s", s.Name, c.Name, *c.Aggregation, want)
				}
			}
		}
	}
}

// TestStatusJSON: `ingest status --json` prints the freshness rows and the
// last runs, named as the view's and ingest_runs' columns.
func TestStatusJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	if code, _, stderr := b.run(t, hooks{clock: clock}, sim); code != ExitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := b.ingest(t, "status", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Freshness []struct {
			TenantID          string     `json:"tenant_id"`
			Report            string     `json:"report"`
			NewestReportDate  *string    `json:"newest_report_date"`
			NewestRefreshDate *string    `json:"newest_refresh_date"`
			DaysBehind        *int       `json:"days_behind"`
			LastSuccessAt     *time.Time `json:"last_success_at"`
			LastReplayAt      *time.Time `json:"last_replay_at"`
			LastFileLoadAt    *time.Time `json:"last_file_load_at"`
		} `json:"freshness"`
		Runs []struct {
			RunID      int64      `json:"run_id"`
			Command    string     `json:"command"`
			Period     *string    `json:"period"`
			Status     string     `json:"status"`
			StartedAt  time.Time  `json:"started_at"`
			FinishedAt *time.Time `json:"finished_at"`
			DurationMS *int64     `json:"duration_ms"`
			Error      *string    `json:"error"`
		} `json:"runs"`
	}
	d := json.NewDecoder(strings.NewReader(stdout))
	d.DisallowUnknownFields()
	if err := d.Decode(&got); err != nil {
		t.Fatalf("not the documented JSON: %v\n%s", err, stdout)
	}
	if len(got.Freshness) != 2 {
		t.Fatalf("%d freshness rows, want 2:\n%s", len(got.Freshness), stdout)
	}
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, f := range got.Freshness {
		if f.TenantID != tenant || f.NewestReportDate == nil || !date.MatchString(*f.NewestReportDate) || f.DaysBehind == nil ||
			f.LastSuccessAt == nil || f.LastReplayAt != nil || f.LastFileLoadAt != nil {
			t.Errorf("freshness row %+v", f)
		}
	}
	if len(got.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(got.Runs))
	}
	r := got.Runs[0]
	if r.RunID != 1 || r.Command != "run" || r.Period == nil || *r.Period != "D7" || r.Status != "succeeded" || r.FinishedAt == nil ||
		r.DurationMS == nil || *r.DurationMS < 0 || r.Error != nil {
		t.Errorf("run %+v", r)
	}
}
