package main

import (
	"fmt"
	"io"
)

// Results are the figures of one run, as bench/out/latest.json holds them
// (bench/README.md documents every key).
type Results struct {
	Machine         Machine      `json:"machine"`
	RawCopy         RawCopy      `json:"raw_copy"`
	Floor           Floor        `json:"small_payload_floor"`
	Bulk            Bulk         `json:"bulk_load"`
	Small           Small        `json:"small_payloads"`
	Reload          Reload       `json:"noop_reload"`
	Restatement     Restatement  `json:"restatement"`
	Naive           Naive        `json:"naive_peer"`
	Transform       Transform    `json:"transform"`
	EndToEnd        []EndToEnd   `json:"end_to_end"`
	RSSGrowth       *float64     `json:"end_to_end_rss_growth,omitempty"`
	Detail          []DetailRun  `json:"detail"`
	DetailRSSGrowth *float64     `json:"detail_rss_growth,omitempty"`
	Seconds         float64      `json:"seconds"`
	Targets         []TargetLine `json:"targets"`
}

type Machine struct {
	CPUs              int    `json:"cpus"`
	GoVersion         string `json:"go"`
	Postgres          string `json:"postgres"`
	Concurrency       int    `json:"concurrency"`
	TenantConcurrency int    `json:"tenant_concurrency"`
	Runs              int    `json:"runs"`
	At                string `json:"at"`
}

type RawCopy struct {
	Rows        int     `json:"rows"`
	RowsPerS    float64 `json:"rows_per_s"`
	SmallRows   int     `json:"small_rows"`
	SmallSecond float64 `json:"small_seconds"`
}

type Floor struct {
	Payloads     int     `json:"payloads"`
	PayloadsPerS float64 `json:"payloads_per_s"`
}

type Bulk struct {
	Rows        int     `json:"rows"`
	Seconds     float64 `json:"seconds"`
	RowsPerS    float64 `json:"rows_per_s"`
	RatioToCopy float64 `json:"ratio_to_raw_copy"`
	// The file again, every row restated: the staged merge.
	RestateSeconds     float64 `json:"restate_seconds"`
	RestateRowsPerS    float64 `json:"restate_rows_per_s"`
	RestateRatioToCopy float64 `json:"restate_ratio_to_raw_copy"`
}

type Small struct {
	Payloads     int     `json:"payloads"`
	Rows         int     `json:"rows"`
	Seconds      float64 `json:"seconds"`
	PayloadsPerS float64 `json:"payloads_per_s"`
	RatioToFloor float64 `json:"ratio_to_floor"`
	RatioToCopy  float64 `json:"ratio_to_raw_copy"`
}

type Reload struct {
	Seconds            float64 `json:"seconds"`
	RatioToFirstLoad   float64 `json:"ratio_to_first_load"`
	DeadTuples         int64   `json:"dead_tuples"`
	CatalogDeadTuples  int64   `json:"catalog_dead_tuples"`
	FirstLoadCatalogDT int64   `json:"first_load_catalog_dead_tuples"`
}

type Restatement struct {
	RowsChanged      int     `json:"rows_changed"`
	Seconds          float64 `json:"seconds"`
	RatioToFirstLoad float64 `json:"ratio_to_first_load"`
	HistoryRows      int64   `json:"history_rows"`
	DeadTuples       int64   `json:"dead_tuples"`
}

type Naive struct {
	Rows         int     `json:"rows"`
	Payloads     int     `json:"payloads"`
	RowsPerS     float64 `json:"rows_per_s"`
	OursRowsPerS float64 `json:"ours_rows_per_s"`
	Speedup      float64 `json:"speedup"`
}

type Transform struct {
	Bytes       int64   `json:"bytes"`
	MBPerS      float64 `json:"mb_per_s"`
	CSVMBPerS   float64 `json:"csv_mb_per_s"`
	RatioToCSV  float64 `json:"ratio_to_csv"`
	BulkMBPerS  float64 `json:"bulk_mb_per_s"`
	BulkCSVMBPS float64 `json:"bulk_csv_mb_per_s"`
	BulkRatio   float64 `json:"bulk_ratio_to_csv"`
}

type EndToEnd struct {
	Tenants      int     `json:"tenants"`
	Reports      int     `json:"reports"`
	Requests     int     `json:"requests"`
	Workers      int     `json:"workers"`
	LatencyMS    int64   `json:"latency_ms"`
	Seconds      float64 `json:"seconds"`
	IdealSeconds float64 `json:"ideal_seconds"`
	RatioToIdeal float64 `json:"ratio_to_ideal"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	Loaded       int     `json:"loaded"`
}

// TargetLine is one of the targets and whether this run met it.
type TargetLine struct {
	Figure string  `json:"figure"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

func (r *Results) target(figure string, value float64, target string, met bool) {
	r.Targets = append(r.Targets, TargetLine{Figure: figure, Value: value, Target: target, Met: met})
}

// judge fills Targets from the figures.
func (r *Results) judge() {
	r.Targets = nil
	r.target("bulk load / raw COPY", r.Bulk.RatioToCopy, ">= 0.5", r.Bulk.RatioToCopy >= 0.5)
	r.target("small payloads / floor", r.Small.RatioToFloor, ">= 0.5", r.Small.RatioToFloor >= 0.5)
	r.target("no-op reload dead tuples", float64(r.Reload.DeadTuples), "0", r.Reload.DeadTuples == 0)
	r.target("no-op reload / first load", r.Reload.RatioToFirstLoad, "<= 0.33", r.Reload.RatioToFirstLoad <= 1.0/3)
	r.target("transform / encoding/csv", r.Transform.RatioToCSV, ">= 0.5", r.Transform.RatioToCSV >= 0.5)
	for _, e := range r.EndToEnd {
		r.target(fmt.Sprintf("end to end %d tenants / ideal", e.Tenants), e.RatioToIdeal, "<= 1.3", e.RatioToIdeal <= 1.3)
		r.target(fmt.Sprintf("end to end %d tenants peak RSS MiB", e.Tenants), e.PeakRSSMiB, "< 150", e.PeakRSSMiB < 150)
	}
	if r.RSSGrowth != nil {
		r.target("peak RSS growth, few -> many tenants", *r.RSSGrowth, "<= 0.10", *r.RSSGrowth <= 0.10)
	}
	for i, d := range r.Detail {
		r.target(fmt.Sprintf("detail %d rows peak RSS MiB", d.Rows), d.PeakRSSMiB, "< 200", d.PeakRSSMiB < 200)
		if i == len(r.Detail)-1 {
			r.target(fmt.Sprintf("detail %d rows / raw COPY", d.Rows), d.RatioToCopy, ">= 0.4", d.RatioToCopy >= 0.4)
		}
	}
	if r.DetailRSSGrowth != nil {
		r.target("detail peak RSS, smallest -> largest payload", *r.DetailRSSGrowth, "<= 0.20", *r.DetailRSSGrowth <= 0.20)
	}
}

// print writes the markdown table.
func (r *Results) print(w io.Writer) {
	r.judge()
	m := r.Machine
	fmt.Fprintf(w, "\n%d CPUs, Postgres %s, %s, concurrency %d (tenant-concurrency %d), medians of %d runs, %s, %.0f s in all\n\n",
		m.CPUs, m.Postgres, m.GoVersion, m.Concurrency, m.TenantConcurrency, m.Runs, m.At, r.Seconds)
	fmt.Fprintln(w, "| figure | measured | limit (same run) | ratio | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	row := func(fig, measured, limit, ratio, target string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", fig, measured, limit, ratio, target)
	}
	met := func(figure string) string {
		for _, t := range r.Targets {
			if t.Figure == figure {
				if t.Met {
					return t.Target + " ✓"
				}
				return t.Target + " ✗"
			}
		}
		return ""
	}
	row("raw COPY limit", fmt.Sprintf("%.0f rows/s (%d rows)", r.RawCopy.RowsPerS, r.RawCopy.Rows), "", "", "")
	row("small-payload floor", fmt.Sprintf("%.0f payloads/s", r.Floor.PayloadsPerS), "", "", "")
	row("bulk load", fmt.Sprintf("%.0f rows/s (%d rows, %.2f s)", r.Bulk.RowsPerS, r.Bulk.Rows, r.Bulk.Seconds),
		fmt.Sprintf("raw COPY %.0f rows/s", r.RawCopy.RowsPerS), fmt.Sprintf("%.2f", r.Bulk.RatioToCopy), met("bulk load / raw COPY"))
	row("bulk restatement (every row)", fmt.Sprintf("%.0f rows/s (%.2f s, history and update of every row)", r.Bulk.RestateRowsPerS, r.Bulk.RestateSeconds),
		fmt.Sprintf("raw COPY %.0f rows/s", r.RawCopy.RowsPerS), fmt.Sprintf("%.2f", r.Bulk.RestateRatioToCopy), "")
	row("small payloads", fmt.Sprintf("%.0f payloads/s (%d x %d rows, %.2f s)", r.Small.PayloadsPerS, r.Small.Payloads, r.Small.Rows/max(r.Small.Payloads, 1), r.Small.Seconds),
		fmt.Sprintf("floor %.0f payloads/s", r.Floor.PayloadsPerS), fmt.Sprintf("%.2f", r.Small.RatioToFloor), met("small payloads / floor"))
	row("small payloads vs COPY", fmt.Sprintf("%.2f s", r.Small.Seconds),
		fmt.Sprintf("raw COPY of the %d rows %.2f s", r.RawCopy.SmallRows, r.RawCopy.SmallSecond), fmt.Sprintf("%.2f", r.Small.RatioToCopy), "")
	row("no-op reload", fmt.Sprintf("%.2f s, %d dead tuples (catalog: %d; first load's: %d)", r.Reload.Seconds, r.Reload.DeadTuples, r.Reload.CatalogDeadTuples, r.Reload.FirstLoadCatalogDT),
		fmt.Sprintf("first load %.2f s", r.Small.Seconds), fmt.Sprintf("%.2f", r.Reload.RatioToFirstLoad), met("no-op reload / first load")+", dead "+met("no-op reload dead tuples"))
	row("1% restatement", fmt.Sprintf("%.2f s, %d history rows for %d rows changed, %d dead tuples", r.Restatement.Seconds, r.Restatement.HistoryRows, r.Restatement.RowsChanged, r.Restatement.DeadTuples),
		fmt.Sprintf("first load %.2f s", r.Small.Seconds), fmt.Sprintf("%.2f", r.Restatement.RatioToFirstLoad), "")
	row("naive peer (a statement a row)", fmt.Sprintf("%.0f rows/s (%d rows, %d payloads)", r.Naive.RowsPerS, r.Naive.Rows, r.Naive.Payloads),
		fmt.Sprintf("ours %.0f rows/s", r.Naive.OursRowsPerS), fmt.Sprintf("speed-up %.1f", r.Naive.Speedup), "")
	row("transform (payloads)", fmt.Sprintf("%.1f MB/s (%.1f MB)", r.Transform.MBPerS, float64(r.Transform.Bytes)/1e6),
		fmt.Sprintf("encoding/csv %.1f MB/s", r.Transform.CSVMBPerS), fmt.Sprintf("%.2f", r.Transform.RatioToCSV), met("transform / encoding/csv"))
	row("transform (bulk file)", fmt.Sprintf("%.1f MB/s", r.Transform.BulkMBPerS),
		fmt.Sprintf("encoding/csv %.1f MB/s", r.Transform.BulkCSVMBPS), fmt.Sprintf("%.2f", r.Transform.BulkRatio), "")
	for _, e := range r.EndToEnd {
		row(fmt.Sprintf("end to end, %d tenants", e.Tenants),
			fmt.Sprintf("%.1f s, %d requests, %d loaded, peak RSS %.0f MiB", e.Seconds, e.Requests, e.Loaded, e.PeakRSSMiB),
			fmt.Sprintf("ideal %.1f s (%d x %d ms / %d + load)", e.IdealSeconds, e.Requests, e.LatencyMS, e.Workers),
			fmt.Sprintf("%.2f", e.RatioToIdeal), met(fmt.Sprintf("end to end %d tenants / ideal", e.Tenants))+", RSS "+met(fmt.Sprintf("end to end %d tenants peak RSS MiB", e.Tenants)))
	}
	if r.RSSGrowth != nil {
		row("peak RSS, few -> many tenants", fmt.Sprintf("%+.1f%%", *r.RSSGrowth*100), "", "", met("peak RSS growth, few -> many tenants"))
	}
	for i, d := range r.Detail {
		target := "RSS " + met(fmt.Sprintf("detail %d rows peak RSS MiB", d.Rows))
		if i == len(r.Detail)-1 {
			target = met(fmt.Sprintf("detail %d rows / raw COPY", d.Rows)) + ", " + target
		}
		row(fmt.Sprintf("detail payload, %d rows (streamed)", d.Rows),
			fmt.Sprintf("%.0f rows/s (%.1f MB, %.2f s), peak RSS %.0f MiB", d.RowsPerS, float64(d.Bytes)/1e6, d.Seconds, d.PeakRSSMiB),
			fmt.Sprintf("raw COPY of the CSV, keyed %.0f rows/s (%.2f s); bare %.2f s", d.CopyRowsPer, d.CopySeconds, d.BareCopySeconds),
			fmt.Sprintf("%.2f (bare %.2f)", d.RatioToCopy, d.RatioToBareCopy), target)
	}
	if r.DetailRSSGrowth != nil {
		row("detail peak RSS, smallest -> largest", fmt.Sprintf("%+.1f%%", *r.DetailRSSGrowth*100), "", "", met("detail peak RSS, smallest -> largest payload"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Each run of a ratio pairs a figure with its limit measured right before it; the ratio is the median of the %d runs' ratios, the other columns the medians of their own runs, so the ratio need not be their quotient.\n\n", m.Runs)
}
