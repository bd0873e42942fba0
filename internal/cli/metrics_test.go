package cli

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// TestRunMetrics: after a run, the textfile holds the per-tenant,
// per-report series with the values the audit has (rows by outcome, HTTP
// requests by status, a 429 retried, the last success), and a fake
// Pushgateway received the same push.
func TestRunMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{RetryAfter: 1, Faults: []graphsim.Fault{{Kind: graphsim.Fault429, Report: minuteReport}}})
	var mu sync.Mutex
	var pushed []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		pushed = append(pushed, r.Method+" "+r.URL.Path+" "+fmt.Sprint(len(body) > 0))
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(gw.Close)
	textfile := filepath.Join(t.TempDir(), "ingest.prom")
	code, out, errOut := b.run(t, hooks{clock: clock}, sim, "--metrics-textfile", textfile, "--pushgateway", gw.URL)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(textfile)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the textfile does not parse: %v\n%s", err, data)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f := families[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				if label(m, k) != v {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	for _, rep := range []string{minuteReport, userReport} {
		l := map[string]string{"tenant": tenant, "report": rep}
		with := func(k, v string) map[string]string {
			m := map[string]string{k: v}
			for a, b := range l {
				m[a] = b
			}
			return m
		}
		if got, ok := value("ingest_report_rows_total", with("outcome", "inserted")); !ok || fmt.Sprint(got) != b.scalar(t, `SELECT rows_inserted FROM S.report_fetches WHERE report = $1`, rep) {
			t.Errorf("%s rows inserted = %v (%v), want the audit's", rep, got, ok)
		}
		if got, ok := value("ingest_report_fetch_outcome", with("outcome", "loaded")); !ok || got != 1 {
			t.Errorf("%s outcome loaded = %v (%v)", rep, got, ok)
		}
		if got, ok := value("ingest_http_requests_total", with("code", "302")); !ok || got != 1 {
			t.Errorf("%s 302s = %v (%v), want 1", rep, got, ok)
		}
		// The run has ended and is recorded when the metrics are written: it
		// is the last success.
		if got, ok := value("ingest_report_last_success_timestamp_seconds", l); !ok || math.Abs(got-float64(time.Now().Unix())) > 120 {
			t.Errorf("%s last success = %v (%v), want about now", rep, got, ok)
		}
	}
	if got, ok := value("ingest_http_requests_total", map[string]string{"report": minuteReport, "code": "429"}); !ok || got != 1 {
		t.Errorf("429s = %v (%v), want 1", got, ok)
	}
	if got, ok := value("ingest_report_retries_total", map[string]string{"report": minuteReport}); !ok || got != 1 {
		t.Errorf("retries = %v (%v), want 1", got, ok)
	}
	if got, ok := value("ingest_run_tenants", map[string]string{"outcome": "ok"}); !ok || got != 1 {
		t.Errorf("tenants ok = %v (%v), want 1", got, ok)
	}
	if _, ok := value("ingest_run_duration_seconds", nil); !ok {
		t.Error("no ingest_run_duration_seconds")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushed) != 1 || !strings.HasPrefix(pushed[0], "PUT /metrics/job/ingest/") || !strings.Contains(pushed[0], "/instance/run") ||
		!strings.Contains(pushed[0], "/shard/all") || !strings.HasSuffix(pushed[0], " true") {
		t.Errorf("pushgateway saw %q, want one PUT of the run's metrics", pushed)
	}
	// A report that fails (a 403) makes its tenant a failed one.
	denied := simOn(t, clock, graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.Fault403, Report: userReport, Times: -1}}})
	if code, out, errOut := b.run(t, hooks{clock: clock}, denied, "--metrics-textfile", textfile, "--force"); code != ExitFailed {
		t.Fatalf("run with a 403: exit %d\n%s\n%s", code, out, errOut)
	}
	data, _ = os.ReadFile(textfile)
	for _, want := range []string{`ingest_run_tenants{outcome="failed"} 1`, `ingest_run_tenants{outcome="ok"} 0`,
		`ingest_report_fetch_outcome{outcome="failed",report="` + userReport + `",tenant="` + tenant + `"} 1`,
		`ingest_http_requests_total{code="403",report="` + userReport + `",tenant="` + tenant + `"} 1`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the textfile after a failed report lacks %s:\n%s", want, data)
		}
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
