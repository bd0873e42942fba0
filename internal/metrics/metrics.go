// Package metrics turns what a run did (load.ReportRun, from the audit)
// into Prometheus metrics, written for node_exporter's textfile collector
// (--metrics-textfile, atomically) or pushed to a Pushgateway
// (--pushgateway). Names are DESIGN.md's ("Monitoring"), all prefixed
// ingest_; per tenant and report where they apply. A scheduled job ends
// after its run, so the values are those of the last run, not counters
// kept across runs: the _total series count what that run did.
package metrics

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/m365ingest/ingest/load"
)

// Run is what the metrics say of a run as a whole.
type Run struct {
	Command  string // run or backfill
	Duration time.Duration
	Reports  []load.ReportRun
}

// Registry builds the run's metrics.
func Registry(r Run) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	perReport := []string{"tenant", "report"}
	lastSuccess := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_report_last_success_timestamp_seconds",
		Help: "When the last run or backfill that fetched the report from Graph successfully ended (Unix time); absent until one has."}, perReport)
	rows := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_report_rows_total",
		Help: "Rows of the report the last run inserted, updated or left unchanged."}, append(perReport, "outcome"))
	fetched := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_report_fetch_outcome",
		Help: "1 for the outcome of the report's fetch in the last run (loaded, not_modified, empty, failed)."}, append(perReport, "outcome"))
	duration := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_report_fetch_duration_seconds",
		Help: "How long the last run took to fetch, parse and load the report."}, perReport)
	requests := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_http_requests_total",
		Help: "HTTP requests the last run made for the report, by status (0: no answer; 429: throttled)."}, append(perReport, "code"))
	retries := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_report_retries_total",
		Help: "Requests the last run retried for the report after a wait (throttling, 5xx, connection errors)."}, perReport)
	runDuration := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ingest_run_duration_seconds", Help: "How long the last run took."})
	tenants := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ingest_run_tenants",
		Help: "Tenants of the last run by outcome: ok (every report loaded, unchanged or empty) or failed."}, []string{"outcome"})
	reg.MustRegister(lastSuccess, rows, fetched, duration, requests, retries, runDuration, tenants)

	failed := map[string]bool{}
	for _, rr := range r.Reports {
		l := prometheus.Labels{"tenant": rr.TenantID, "report": rr.Report}
		if !rr.LastSuccess.IsZero() {
			lastSuccess.With(l).Set(float64(rr.LastSuccess.UnixNano()) / 1e9)
		}
		for outcome, n := range map[string]int64{"inserted": rr.Inserted, "updated": rr.Updated, "unchanged": rr.Unchanged} {
			rows.With(with(l, "outcome", outcome)).Set(float64(n))
		}
		fetched.With(with(l, "outcome", rr.Outcome)).Set(1)
		duration.With(l).Set(rr.Duration.Seconds())
		for code, n := range rr.Requests {
			requests.With(with(l, "code", strconv.Itoa(code))).Set(float64(n))
		}
		retries.With(l).Set(float64(rr.Retries))
		failed[rr.TenantID] = failed[rr.TenantID] || rr.Outcome == "failed"
	}
	runDuration.Set(r.Duration.Seconds())
	var ok, bad float64
	for _, f := range failed {
		if f {
			bad++
		} else {
			ok++
		}
	}
	tenants.With(prometheus.Labels{"outcome": "ok"}).Set(ok)
	tenants.With(prometheus.Labels{"outcome": "failed"}).Set(bad)
	return reg
}

func with(l prometheus.Labels, k, v string) prometheus.Labels {
	out := prometheus.Labels{k: v}
	for a, b := range l {
		out[a] = b
	}
	return out
}

// WriteTextfile writes the metrics for node_exporter's textfile collector:
// to a temporary file beside path, renamed over it, so that the collector
// never reads half a file.
func WriteTextfile(path string, reg *prometheus.Registry) error {
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("--metrics-textfile %s: %w", path, err)
	}
	return nil
}

// Push sends the metrics to a Pushgateway at url, grouped as job "ingest"
// with the command (run or backfill) as instance and the shard ("0-3", or
// "all" for a run of every tenant), replacing what the last run of that
// shard pushed: shards of one night do not overwrite each other.
func Push(url, command, shard string, reg *prometheus.Registry, client *http.Client) error {
	if shard == "" {
		shard = "all"
	}
	p := push.New(url, "ingest").Gatherer(reg).Grouping("instance", command).Grouping("shard", shard)
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second} // a gateway that hangs must not hold the job
	}
	p = p.Client(client)
	if err := p.Push(); err != nil {
		// The URL may carry a password (user:password@): never shown.
		return fmt.Errorf("--pushgateway: %s", load.Redact(err.Error()))
	}
	return nil
}
