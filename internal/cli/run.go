package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

func migrateCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "migrate",
		Usage:        "apply the embedded migrations and views; idempotent",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			db, err := openWarehouse(c, true)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(c.App.Writer, "schema %s is up to date\n", db.Schema)
			return nil
		},
	}
}

// runCommand is run or backfill. Only run reads INGEST_PERIOD: the nightly
// job's environment must not turn a backfill into a D7 run.
func runCommand(name, usage, defaultPeriod string, periodEnv ...string) *ucli.Command {
	period := &ucli.StringFlag{Name: "period", Value: defaultPeriod, EnvVars: periodEnv, Usage: "D7, D30, D90 or D180"}
	return &ucli.Command{
		Name:         name,
		Usage:        usage,
		Flags:        flags(graphFlags(period), dbFlags(), lockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			hint := "use --report"
			if _, _, err := report.ValidPeriod(c.Args().First()); err == nil {
				hint = "use --period"
			}
			if err := noArgs(c, hint); err != nil {
				return err
			}
			period := c.String("period")
			if period == "" {
				period = defaultPeriod
			}
			given := period
			period, days, err := report.ValidPeriod(given)
			if err != nil {
				return periodError(c, given)
			}
			specs, err := selectReports(c)
			if err != nil {
				return err
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			gc, err := parseGraph(c, log)
			if err != nil {
				return err
			}
			wait, err := lockWait(c)
			if err != nil {
				return err
			}
			return execute(c, log, runPlan{
				run:  load.Run{Command: name, Period: period, Host: hostname(), Version: version(c)},
				wait: wait, noun: "reports",
				prepare: func(ctx context.Context, db *load.DB, runID int64, log *slog.Logger) (*runWork, error) {
					g, err := gc.connect(ctx, log)
					if err != nil {
						return nil, err
					}
					log = log.With("tenant", g.tenant)
					log.Info("fetching reports", "reports", len(specs), "concurrency", g.concurrency, "force", g.force)
					countSpentBudget(ctx, log, db, g)
					stop := newGraphStop(ctx)
					return &runWork{n: len(specs), workers: g.concurrency, log: log, done: stop.close, item: func(i int) result {
						return fetchAndLoad(ctx, stop, log, db, g, runID, specs[i], period, days)
					}}, nil
				},
			})
		},
	}
}

// selectReports resolves --report (INGEST_REPORT) of run, backfill and
// replay: not given, every report; given but naming none (--report "",
// INGEST_REPORT=' '), a usage error.
func selectReports(c *ucli.Context) ([]*report.Spec, error) {
	specs, err := report.Select(c.StringSlice("report"))
	if err != nil {
		return nil, usagef("--report (INGEST_REPORT): %v", err)
	}
	return specs, nil
}

// result is what became of one report in a run.
type result struct {
	report  string
	source  string
	outcome string
	counts  load.Counts
	err     error
	noData  bool // empty, and the report's table has no row of the tenant
}

// graphStop ends a run's Graph requests once Graph rejects the token (a
// 401): the token is no good for any report, so the reports not yet asked
// are not asked, and the requests in flight are cancelled. Only the Graph
// requests stop: recording what became of each report still uses the run's
// context.
type graphStop struct {
	ctx    context.Context // for Graph requests
	cancel context.CancelCauseFunc
}

func newGraphStop(ctx context.Context) *graphStop {
	gctx, cancel := context.WithCancelCause(ctx)
	return &graphStop{ctx: gctx, cancel: cancel}
}

// reject stops the Graph requests because of err, a 401 from Graph.
func (s *graphStop) reject(err error) { s.cancel(err) }

// rejected is the 401 that stopped the run's Graph requests, nil while none
// did (also when the run's context ended for another reason).
func (s *graphStop) rejected() error {
	if cause := context.Cause(s.ctx); cause != nil && extract.TokenRejected(cause) {
		return cause
	}
	return nil
}

// close releases the context once the run's work is done.
func (s *graphStop) close() { s.cancel(nil) }

// errStopped is why a report was not fetched, or its fetch cancelled in
// flight: Graph rejected the token on another report.
var errStopped = errors.New("Graph rejected the token (HTTP 401) on another report")

// fetchAndLoad fetches one report, parses it and loads it. Every outcome is
// recorded in report_fetches (and every HTTP request in fetch_attempts); an
// error is returned in the result, never panics through, so that one report
// failing does not stop the others, but for a 401 from Graph, which stops
// the run's Graph requests (see graphStop). It runs concurrently with the
// other reports of the run.
func fetchAndLoad(ctx context.Context, stop *graphStop, log *slog.Logger, db *load.DB, g *graphSetup, runID int64, spec *report.Spec, period string, days int) result {
	log = log.With("report", spec.Name)
	start := time.Now()
	req := extract.Request{Report: spec, Period: period, Format: g.format, IfNoneMatch: storedETag(ctx, log, db, g, spec, period)}
	f := load.Fetch{RunID: runID, TenantID: g.tenant, Report: spec, Period: period, Source: g.client.FunctionURL(req)}
	if stop.rejected() != nil {
		return notAsked(ctx, log, db, f, "not asked")
	}
	p, err := g.client.Fetch(stop.ctx, req)
	if err != nil {
		var fe *extract.Error
		if errors.As(err, &fe) {
			f.HTTPStatus = fe.Status
			recordAttempts(ctx, log, db, g, runID, spec, period, fe.Attempts)
		}
		f.Duration = time.Since(start)
		switch {
		case extract.TokenRejected(err):
			stop.reject(err)
		case stop.rejected() != nil:
			return notAsked(ctx, log, db, f, "cancelled in flight")
		}
		return failed(ctx, log, db, f, err)
	}
	recordAttempts(ctx, log, db, g, runID, spec, period, p.Attempts)
	f.FetchedAt, f.HTTPStatus, f.ETag = p.FetchedAt, p.Status, p.ETag
	if p.NotModified {
		f.Duration = time.Since(start)
		return notModified(ctx, log, db, f)
	}
	f.Payload = &load.Payload{SHA256: p.SHA256, Body: p.Body, ContentType: p.ContentType, Format: g.format}
	if err := db.StorePayload(ctx, f.Payload); err != nil {
		f.Duration = time.Since(start)
		return failed(ctx, log, db, f, err)
	}
	r := parseAndLoad(ctx, log, db, f, g.format, days, start)
	if r.err == nil {
		saveETag(ctx, log, db, g, runID, spec, period, p.ETag)
	}
	return r
}

// parseAndLoad transforms a payload already in f and upserts it.
func parseAndLoad(ctx context.Context, log *slog.Logger, db *load.DB, f load.Fetch, format report.Format, days int, start time.Time) result {
	parsed, err := transform.Parse(f.Report, bytes.NewReader(f.Payload.Body), transform.Options{Format: format, Source: f.Source, Period: days,
		RequireFullPeriod: true, Now: clockNow(ctx)})
	if err != nil {
		f.Duration = time.Since(start)
		return failed(ctx, log, db, f, err)
	}
	for _, w := range parsed.Warnings {
		log.Warn(w)
	}
	f.Unknown = parsed.Unknown
	f.Duration = time.Since(start)
	if h := hooksFrom(ctx).beforeLoad; h != nil {
		h(ctx, f)
	}
	counts, err := db.Upsert(ctx, f, parsed.Rows)
	if err != nil {
		f.Duration = time.Since(start)
		return failed(ctx, log, db, f, err)
	}
	outcome := load.LoadOutcome(counts.Parsed)
	if outcome == "empty" {
		return empty(ctx, log, db, f, counts)
	}
	log.Info("report loaded", "rows", counts.Parsed, "inserted", counts.Inserted, "updated", counts.Updated,
		"unchanged", counts.Unchanged, "restated", counts.Restated, "bytes", len(f.Payload.Body), "duration_ms", time.Since(start).Milliseconds())
	return result{report: f.Report.Name, source: f.Source, outcome: outcome, counts: counts}
}

// empty is a payload that loaded without rows: not a failure, but when the
// report's table has no row of the tenant at all (it has only ever been
// empty), a warning, marked in the printed results.
func empty(ctx context.Context, log *slog.Logger, db *load.DB, f load.Fetch, counts load.Counts) result {
	r := result{report: f.Report.Name, source: f.Source, outcome: "empty", counts: counts}
	has, err := db.HasData(ctx, f.Report, f.TenantID)
	switch {
	case err != nil:
		log.Warn("report empty: the payload has no rows; cannot tell whether it ever had data", "error", err)
	case !has:
		r.noData = true
		log.Warn("report empty and never had data: every payload so far had no rows (Graph answers so for a workload without data)")
	default:
		log.Info("report empty: the payload has no rows; the data loaded earlier stays")
	}
	return r
}

// notAsked records a report left out because Graph rejected the token on
// another report (what: "not asked", "cancelled in flight"): as failed,
// report_fetches knowing no other outcome for it, with the reason.
func notAsked(ctx context.Context, log *slog.Logger, db *load.DB, f load.Fetch, what string) result {
	err := fmt.Errorf("%s: %w", what, errStopped)
	log.Info("report " + what + ": Graph rejected the token on another report")
	if rerr := db.RecordFetch(ctx, f, "failed", err); rerr != nil {
		log.Error("cannot record the fetch", "error", rerr)
	}
	return result{report: f.Report.Name, source: f.Source, outcome: "failed", err: err}
}

func failed(ctx context.Context, log *slog.Logger, db *load.DB, f load.Fetch, err error) result {
	err = stopped(ctx, db, err)
	log.Error("report failed", "error", err)
	if rerr := db.RecordFetch(ctx, f, "failed", err); rerr != nil {
		log.Error("cannot record the failed fetch", "error", rerr)
	}
	return result{report: f.Report.Name, source: f.Source, outcome: "failed", err: err}
}

// summarize turns per-report results into the run's error: nil when all
// loaded, else one line naming how many failed and the first cause. Graph
// rejecting the token (a 401) is the cause whatever else failed, and a
// configuration error (exit 2).
func summarize(results []result, noun string) error {
	var failed []result
	var rejected error
	stopped := 0
	for _, r := range results {
		if r.err != nil {
			failed = append(failed, r)
		}
		if rejected == nil && extract.TokenRejected(r.err) {
			rejected = r.err
		}
		if errors.Is(r.err, errStopped) {
			stopped++
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if rejected != nil {
		return &usageError{fmt.Errorf("%w; the run stopped: %d of %d %s not fetched", rejected, stopped, len(results), noun)}
	}
	if ctxErr := failed[0].err; errors.Is(ctxErr, context.Canceled) {
		return fmt.Errorf("interrupted: %w", ctxErr)
	}
	return fmt.Errorf("%d of %d %s failed; first: %w", len(failed), len(results), noun, failed[0].err)
}

// tally is what the results of a run add up to: the printed summary and
// the run's last log line carry it.
type tally struct {
	items, loaded, notModified, empty, failed    int
	inserted, updated, unchanged, restated, rows int
}

func tallyOf(results []result) tally {
	var t tally
	for _, r := range results {
		t.items++
		switch r.outcome {
		case "loaded":
			t.loaded++
		case "not_modified":
			t.notModified++
		case "empty":
			t.empty++
		default:
			t.failed++
		}
		if r.err == nil {
			t.rows += r.counts.Parsed
			t.inserted += r.counts.Inserted
			t.updated += r.counts.Updated
			t.unchanged += r.counts.Unchanged
			t.restated += r.counts.Restated
		}
	}
	return t
}

// runEnd is what the end of a run reports, printed and logged.
type runEnd struct {
	runID    int64
	period   string // "" for load-file and replay
	noun     string // what the items are: reports, files, payloads
	duration time.Duration
	results  []result
}

// logAttrs are the attributes of the run's last log line ("run finished"
// or "run failed"), as README's Logs section lists them.
func (e runEnd) logAttrs() []any {
	t := tallyOf(e.results)
	attrs := []any{}
	if e.period != "" {
		attrs = append(attrs, "period", e.period)
	}
	return append(attrs, "items", t.items, "loaded", t.loaded, "not_modified", t.notModified, "empty", t.empty, "failed", t.failed,
		"rows", t.rows, "rows_inserted", t.inserted, "rows_updated", t.updated, "rows_unchanged", t.unchanged, "rows_restated", t.restated,
		"duration_ms", e.duration.Milliseconds())
}

// maxReason is how much of a failure's reason the printed summary shows;
// the whole error is in the log and in report_fetches.error.
const maxReason = 100

// reasonOf is a failed result's error on one line without what the
// summary's line already says (the report, its URL or file), cut to
// maxReason characters.
func reasonOf(r result) string {
	msg := text.OneLine(r.err.Error())
	var fe *extract.Error
	if errors.As(r.err, &fe) {
		msg = strings.TrimPrefix(msg, "fetch "+fe.Report+": "+fe.URL+": ")
	}
	msg = strings.TrimPrefix(msg, "report "+r.report+": "+r.source+": ")
	return cut(msg, maxReason)
}

// cut shortens s to n characters, the last one "…" when it had more.
func cut(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}

// printResults prints a run's results: a row per item, then one line per
// failure with its reason, then the totals with the period and the run's
// duration.
func printResults(w io.Writer, e runEnd) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPORT\tOUTCOME\tROWS\tINSERTED\tUPDATED\tUNCHANGED\tRESTATED")
	noData := false
	for _, r := range e.results {
		outcome := r.outcome
		if r.noData {
			outcome, noData = outcome+" (!)", true
		}
		if r.err != nil || r.outcome == "not_modified" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\n", r.report, outcome)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.report, outcome, r.counts.Parsed, r.counts.Inserted, r.counts.Updated, r.counts.Unchanged, r.counts.Restated)
	}
	tw.Flush()
	if noData {
		fmt.Fprintln(w, "(!) empty and never had data: no row of this tenant was ever loaded for the report (Graph sends header-only reports for a workload without data)")
	}
	t := tallyOf(e.results)
	if t.failed > 0 {
		fmt.Fprintln(w, "failed:")
		stopped := 0
		for _, r := range e.results {
			if errors.Is(r.err, errStopped) {
				stopped++ // one line for them all, below
				continue
			}
			if r.err == nil {
				continue
			}
			what := r.report
			if e.noun == "files" {
				what = r.source
			}
			fmt.Fprintf(w, "  %s: %s\n", what, reasonOf(r))
		}
		if stopped > 0 {
			fmt.Fprintf(w, "  %d other %s: not fetched: %v\n", stopped, e.noun, errStopped)
		}
	}
	period := ""
	if e.period != "" {
		period = ", period " + e.period
	}
	fmt.Fprintf(w, "run %d%s: %d %s: %d loaded, %d not modified, %d empty, %d failed; rows: %d inserted, %d updated, %d unchanged; took %s\n",
		e.runID, period, t.items, e.noun, t.loaded, t.notModified, t.empty, t.failed, t.inserted, t.updated, t.unchanged, e.duration.Round(time.Millisecond))
}

func version(c *ucli.Context) string {
	if v := c.App.Version; v != "" {
		return v
	}
	return "dev"
}
