package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
)

// Result is what became of one item of a run.
type Result struct {
	Tenant  string // of a run over many tenants (TenantsWork); "" otherwise
	Report  string
	Source  string
	Outcome string // loaded, not_modified, empty or failed
	Counts  load.Counts
	Err     error
	NoData  bool // empty, and the report's table has no row of the tenant
	// Duration is how long the item took, fetch to load (0 when unknown).
	Duration time.Duration
	// Days is how many days of a detail report loaded (one payload each);
	// ConcealmentChanged that a payload's names were concealed where the
	// last payload's were not, or the other way round.
	Days               int
	ConcealmentChanged bool
}

// RejectedError is the error of a run that Graph stopped by rejecting its
// token (a 401): a configuration error, not a failure of the reports.
type RejectedError struct{ err error }

func (e *RejectedError) Error() string { return e.err.Error() }
func (e *RejectedError) Unwrap() error { return e.err }

// Summarize turns per-item results into the run's error: nil when all
// loaded, else one line naming how many failed and the first cause. Graph
// rejecting the token (a 401) is the cause whatever else failed, and a
// *RejectedError.
func Summarize(results []Result, noun string) error {
	var failed []Result
	var rejected error
	stopped := 0
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
		if rejected == nil && extract.TokenRejected(r.Err) {
			rejected = r.Err
		}
		if errors.Is(r.Err, errStopped) {
			stopped++
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if rejected != nil {
		return &RejectedError{fmt.Errorf("%w; the run stopped: %d of %d %s not fetched", rejected, stopped, len(results), noun)}
	}
	if ctxErr := failed[0].Err; errors.Is(ctxErr, context.Canceled) {
		return fmt.Errorf("interrupted: %w", ctxErr)
	}
	return fmt.Errorf("%d of %d %s failed; first: %w", len(failed), len(results), noun, failed[0].Err)
}

// tally is what the results of a run add up to: the printed summary and
// the run's last log line carry it.
type tally struct {
	items, loaded, notModified, empty, failed    int
	inserted, updated, unchanged, restated, rows int
}

func tallyOf(results []Result) tally {
	var t tally
	for _, r := range results {
		t.items++
		switch r.Outcome {
		case "loaded":
			t.loaded++
		case "not_modified":
			t.notModified++
		case "empty":
			t.empty++
		default:
			t.failed++
		}
		if r.Err == nil {
			t.rows += r.Counts.Parsed
			t.inserted += r.Counts.Inserted
			t.updated += r.Counts.Updated
			t.unchanged += r.Counts.Unchanged
			t.restated += r.Counts.Restated
		}
	}
	return t
}

// End is what the end of a run reports, printed and logged.
type End struct {
	RunID    int64
	Period   string // "" for load-file and replay
	Noun     string // what the items are: reports, files, payloads
	Duration time.Duration
	Results  []Result
}

// LogAttrs are the attributes of the run's last log line ("run finished"
// or "run failed"), as README's Logs section lists them.
func (e End) LogAttrs() []any {
	t := tallyOf(e.Results)
	attrs := []any{}
	if e.Period != "" {
		attrs = append(attrs, "period", e.Period)
	}
	return append(attrs, "items", t.items, "loaded", t.loaded, "not_modified", t.notModified, "empty", t.empty, "failed", t.failed,
		"rows", t.rows, "rows_inserted", t.inserted, "rows_updated", t.updated, "rows_unchanged", t.unchanged, "rows_restated", t.restated,
		"duration_ms", e.Duration.Milliseconds())
}

// MaxReason is how much of a failure's reason the printed summary shows;
// the whole error is in the log and in report_fetches.error.
const MaxReason = 100

// reasonOf is a failed result's error on one line without what the
// summary's line already says (the report, its URL or file), cut to
// MaxReason characters.
func reasonOf(r Result) string {
	msg := text.OneLine(r.Err.Error())
	var fe *extract.Error
	if errors.As(r.Err, &fe) {
		msg = strings.TrimPrefix(msg, "fetch "+fe.Report+": "+fe.URL+": ")
	}
	msg = strings.TrimPrefix(msg, "report "+r.Report+": "+r.Source+": ")
	return text.Cut(msg, MaxReason)
}

// PrintResults prints a run's results: a row per item, then one line per
// failure with its reason, then the totals with the period and the run's
// duration.
func PrintResults(w io.Writer, e End) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// A run over many tenants has a TENANT column first, its rows by tenant.
	tenants := slices.ContainsFunc(e.Results, func(r Result) bool { return r.Tenant != "" })
	if tenants {
		e.Results = slices.Clone(e.Results)
		slices.SortStableFunc(e.Results, func(a, b Result) int { return strings.Compare(a.Tenant, b.Tenant) })
	}
	tenantCol := func(r Result) string {
		if tenants {
			return r.Tenant + "\t"
		}
		return ""
	}
	if tenants {
		fmt.Fprint(tw, "TENANT\t")
	}
	fmt.Fprintln(tw, "REPORT\tOUTCOME\tROWS\tINSERTED\tUPDATED\tUNCHANGED\tRESTATED\tDURATION")
	noData, concealment := false, false
	for _, r := range e.Results {
		outcome := r.Outcome
		if r.NoData {
			outcome, noData = outcome+" (!)", true
		}
		if r.ConcealmentChanged {
			outcome, concealment = outcome+" (c)", true
		}
		if r.Days > 1 {
			outcome += fmt.Sprintf(" %d days", r.Days)
		}
		took := "-"
		if r.Duration > 0 {
			took = r.Duration.Round(time.Millisecond).String()
		}
		if r.Err != nil || r.Outcome == "not_modified" {
			fmt.Fprintf(tw, "%s%s\t%s\t-\t-\t-\t-\t-\t%s\n", tenantCol(r), r.Report, outcome, took)
			continue
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", tenantCol(r), r.Report, outcome, r.Counts.Parsed, r.Counts.Inserted, r.Counts.Updated, r.Counts.Unchanged, r.Counts.Restated, took)
	}
	tw.Flush()
	if noData {
		fmt.Fprintln(w, "(!) empty and never had data: no row of this tenant was ever loaded for the report (Graph sends header-only reports for a workload without data)")
	}
	if concealment {
		fmt.Fprintln(w, "(c) concealment changed: names are concealed where the last load's were not, or the other way round; the rows are kept apart under other entity keys (view detail_concealment_changes)")
	}
	t := tallyOf(e.Results)
	if t.failed > 0 {
		fmt.Fprintln(w, "failed:")
		stopped := 0
		for _, r := range e.Results {
			if errors.Is(r.Err, errStopped) {
				stopped++ // one line for them all, below
				continue
			}
			if r.Err == nil {
				continue
			}
			what := r.Report
			if e.Noun == "files" {
				what = r.Source
			}
			if r.Tenant != "" {
				what = r.Tenant + " " + what
			}
			fmt.Fprintf(w, "  %s: %s\n", what, reasonOf(r))
		}
		if stopped > 0 {
			fmt.Fprintf(w, "  %d other %s: not fetched: %v\n", stopped, e.Noun, errStopped)
		}
	}
	period := ""
	if e.Period != "" {
		period = ", period " + e.Period
	}
	fmt.Fprintf(w, "run %d%s: %d %s: %d loaded, %d not modified, %d empty, %d failed; rows: %d inserted, %d updated, %d unchanged; took %s\n",
		e.RunID, period, t.items, e.Noun, t.loaded, t.notModified, t.empty, t.failed, t.inserted, t.updated, t.unchanged, e.Duration.Round(time.Millisecond))
}
