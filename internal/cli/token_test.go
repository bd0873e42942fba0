package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// errorLines are the lines of stderr that are the app's error (not a log
// line).
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ingest: ") {
			out = append(out, l)
		}
	}
	return out
}

// TestRejectedTokenStopsTheRun: a 401 from Graph on the first report (an
// expired token, or a wrong one) stops the run before any other report is
// asked: exit 2, one error line with the token hint (not the permission
// one), every other report recorded as failed, not asked.
func TestRejectedTokenStopsTheRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    graphsim.Options
		token   string
		message string
	}{
		{"expired", graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.Fault401, Times: -1}}}, "test-token", "the token is expired"},
		{"wrong", graphsim.Options{}, "not-the-token", "Access token validation failed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			clock := fakeclock.New(asOf)
			sim := simOn(t, clock, tc.opts)
			code, stdout, stderr := b.ingestWith(t, hooks{clock: clock}, "run", "--graph-url", sim.URL(), "--access-token", tc.token,
				"--tenant-id", tenant, "--report", "all", "--concurrency", "1")
			if code != ExitUsage {
				t.Fatalf("exit %d, want 2\n%s", code, stderr)
			}
			if n := len(sim.APIRequests()); n != 1 {
				t.Errorf("Graph asked %d times, want once", n)
			}
			lines := errorLines(stderr)
			if len(lines) != 1 || lines[0] != lastLine(stderr) {
				t.Fatalf("error lines %q, want one, last", lines)
			}
			first := report.Default[0]
			for _, want := range []string{first.Name, "HTTP 401", "InvalidAuthenticationToken", tc.message, "invalid, expired", "--auth token",
				fmt.Sprintf("the run stopped: %d of %d reports not fetched", len(report.Default)-1, len(report.Default))} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("error %q lacks %q", lines[0], want)
				}
			}
			if strings.Contains(lines[0], "admin consent") {
				t.Errorf("error %q gives the permission hint for a rejected token", lines[0])
			}
			if !strings.Contains(stdout, fmt.Sprintf("\n  %d other reports: not fetched: Graph rejected the token (HTTP 401) on another report\n", len(report.Default)-1)) {
				t.Errorf("the summary does not say why the other reports were not fetched:\n%s", stdout)
			}
			if got := b.fetchOutcome(t, 1, first.Name); got != "failed:401:-/-/-" {
				t.Errorf("%s: %s", first.Name, got)
			}
			if got := b.scalar(t, `SELECT count(*) FILTER (WHERE outcome = 'failed' AND http_status IS NULL AND error = 'not asked: Graph rejected the token (HTTP 401) on another report') || '/' || count(*)
				FROM S.report_fetches WHERE report <> $1`, first.Name); got != fmt.Sprintf("%d/%d", len(report.Default)-1, len(report.Default)-1) {
				t.Errorf("the other reports: %s recorded as not asked, want all %d", got, len(report.Default)-1)
			}
			if got := b.scalar(t, `SELECT status || ':' || (error LIKE '%HTTP 401%') FROM S.ingest_runs`); got != "failed:true" {
				t.Errorf("run: %s", got)
			}
		})
	}
}

// TestRejectedTokenCancelsReportsInFlight: with reports fetched at once, a
// 401 on one cancels the requests in flight and asks no more: Graph sees
// --concurrency requests, not one per report. (--request-timeout bounds
// the held requests when they are not cancelled; report_fetches tells a
// cancelled request from a timed-out one.)
func TestRejectedTokenCancelsReportsInFlight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const workers = 4
	var mu sync.Mutex
	asked, cancelled := 0, 0
	arrived := make(chan struct{}, len(report.Default))
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked++
		n := asked
		mu.Unlock()
		if n < workers {
			// Held until the client gives up on it (a bound so that a
			// failing test cannot hang).
			arrived <- struct{}{}
			select {
			case <-r.Context().Done():
				mu.Lock()
				cancelled++
				mu.Unlock()
			case <-time.After(30 * time.Second):
			}
			return
		}
		if n == workers {
			for range workers - 1 {
				<-arrived
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}`))
	}))
	code, _, stderr := b.ingestWith(t, hooks{clock: fakeclock.New(asOf)}, "run", "--graph-url", graph.URL, "--access-token", "test-token",
		"--tenant-id", tenant, "--report", "all", "--concurrency", "4", "--max-attempts", "1", "--request-timeout", "3s")
	graph.Close() // waits for the handlers
	if code != ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	if asked != workers || cancelled != workers-1 {
		t.Errorf("Graph asked %d times, %d cancelled; want %d, %d", asked, cancelled, workers, workers-1)
	}
	if got := b.scalar(t, `SELECT count(*) FILTER (WHERE http_status = 401) || '/' ||
		count(*) FILTER (WHERE error LIKE 'cancelled in flight: Graph rejected the token%') || '/' ||
		count(*) FILTER (WHERE error LIKE 'not asked: Graph rejected the token%') FROM S.report_fetches WHERE outcome = 'failed'`); got != fmt.Sprintf("1/3/%d", len(report.Default)-4) {
		t.Errorf("report_fetches: %s failed with the 401, cancelled in flight, not asked; want 1/3/%d", got, len(report.Default)-4)
	}
	if lines := errorLines(stderr); len(lines) != 1 || !strings.Contains(lines[0], fmt.Sprintf("the run stopped: %d of %d reports not fetched", len(report.Default)-1, len(report.Default))) {
		t.Errorf("error lines %q", lines)
	}
}
