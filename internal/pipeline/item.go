package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// now is the plan's clock.
func (r *Run) now() time.Time {
	if r.plan != nil && r.plan.Now != nil {
		return r.plan.Now()
	}
	return time.Now()
}

// ParseAndLoad transforms a payload already in f and upserts it. A dated
// payload must cover its period (the coverage rule) unless the plan is
// Partial.
func (r *Run) ParseAndLoad(ctx context.Context, log *slog.Logger, f load.Fetch, format report.Format, days int, start time.Time) Result {
	return r.parseAndLoad(ctx, log, f, format, days, start, r.plan == nil || !r.plan.Partial)
}

// parseAndLoad is ParseAndLoad, the coverage rule applied when full is set.
func (r *Run) parseAndLoad(ctx context.Context, log *slog.Logger, f load.Fetch, format report.Format, days int, start time.Time, full bool) Result {
	if f.Report.Detail != nil {
		// A file or a stored payload of a detail report: loaded as one
		// fetched is, a batch at a time.
		p := f.Payload
		f.Payload = nil
		res := r.streamLoad(ctx, log, &f, bytes.NewReader(p.Body), p.ContentType, format,
			transform.Options{Source: f.Source, Period: days, Date: f.AskedDate}, start)
		return res
	}
	db := r.Store
	parsed, err := transform.Parse(f.Report, bytes.NewReader(f.Payload.Body), transform.Options{Format: format, Source: f.Source, Period: days,
		RequireFullPeriod: full, Now: r.now()})
	if err != nil {
		f.Duration = time.Since(start)
		return r.Failed(ctx, log, f, err)
	}
	for _, w := range parsed.Warnings {
		log.Warn(w)
	}
	f.Unknown = parsed.Unknown
	f.Duration = time.Since(start)
	if r.plan != nil && r.plan.BeforeLoad != nil {
		r.plan.BeforeLoad(ctx, f)
	}
	counts, err := db.Upsert(ctx, f, parsed.Rows)
	if err != nil {
		f.Duration = time.Since(start)
		return r.Failed(ctx, log, f, err)
	}
	outcome := load.LoadOutcome(counts.Parsed)
	if outcome == "empty" {
		return r.empty(ctx, log, f, counts)
	}
	log.Info("report loaded", "rows", counts.Parsed, "inserted", counts.Inserted, "updated", counts.Updated,
		"unchanged", counts.Unchanged, "restated", counts.Restated, "bytes", len(f.Payload.Body), "duration_ms", time.Since(start).Milliseconds())
	return Result{Report: f.Report.Name, Source: f.Source, Outcome: outcome, Counts: counts}
}

// empty is a payload that loaded without rows: not a failure, but when the
// report's table has no row of the tenant at all (it has only ever been
// empty), a warning, marked in the printed results.
func (r *Run) empty(ctx context.Context, log *slog.Logger, f load.Fetch, counts load.Counts) Result {
	res := Result{Report: f.Report.Name, Source: f.Source, Outcome: "empty", Counts: counts}
	has, err := r.Store.HasData(ctx, f.Report, f.TenantID)
	switch {
	case err != nil:
		log.Warn("report empty: the payload has no rows; cannot tell whether it ever had data", "error", err)
	case !has:
		res.NoData = true
		log.Warn("report empty and never had data: every payload so far had no rows (Graph answers so for a workload without data)")
	default:
		log.Info("report empty: the payload has no rows; the data loaded earlier stays")
	}
	return res
}

// Failed records an item that failed with err (as Stopped sees it).
func (r *Run) Failed(ctx context.Context, log *slog.Logger, f load.Fetch, err error) Result {
	err = Stopped(ctx, r.Store, err)
	log.Error("report failed", "error", err)
	if rerr := r.Store.RecordFetch(ctx, f, "failed", err); rerr != nil {
		log.Error("cannot record the failed fetch", "error", rerr)
	}
	return Result{Report: f.Report.Name, Source: f.Source, Outcome: "failed", Err: err}
}

// notModified records a report skipped on a 304.
func (r *Run) notModified(ctx context.Context, log *slog.Logger, f load.Fetch) Result {
	log.Info("report not modified since the last load; skipped", "etag", f.ETag)
	if err := r.Store.RecordFetch(ctx, f, "not_modified", nil); err != nil {
		log.Error("cannot record the fetch", "error", err)
	}
	return Result{Report: f.Report.Name, Source: f.Source, Outcome: "not_modified"}
}

// notAsked records a report left out because Graph rejected the token on
// another report (what: "not asked", "cancelled in flight"): as failed,
// report_fetches knowing no other outcome for it, with the reason.
func (r *Run) notAsked(ctx context.Context, log *slog.Logger, f load.Fetch, what string) Result {
	err := fmt.Errorf("%s: %w", what, errStopped)
	log.Info("report " + what + ": Graph rejected the token on another report")
	if rerr := r.Store.RecordFetch(ctx, f, "failed", err); rerr != nil {
		log.Error("cannot record the fetch", "error", rerr)
	}
	return Result{Report: f.Report.Name, Source: f.Source, Outcome: "failed", Err: err}
}

// Graph is the Graph side of a run: a client with its token, the tenant it
// is for, what to ask for and how many reports at once.
type Graph struct {
	Client      Fetcher
	Limiter     *extract.Limiter // the client's: charged with earlier runs' requests
	Tenant      string
	Format      report.Format
	Force       bool // ignore stored ETags
	Concurrency int
}

// GraphWork is the work of a run that fetches specs for period (days long)
// from Graph: a report an item, at most g.Concurrency at once.
func (r *Run) GraphWork(ctx context.Context, g Graph, specs []*report.Spec, period string, days int) *Work {
	// The work's own lines ("run finished") say the period once, of their
	// own (End.LogAttrs); the reports' lines with it.
	base := r.Log.With("tenant", g.Tenant)
	log := base.With("period", period)
	log.Info("fetching reports", "reports", len(specs), "concurrency", g.Concurrency, "force", g.Force)
	r.countSpentBudget(ctx, log, g)
	stop := newGraphStop(ctx)
	return &Work{N: len(specs), Workers: g.Concurrency, Log: base, Done: stop.close, Item: func(i int) Result {
		return r.fetchAndLoad(ctx, stop, log, g, specs[i], period, days)
	}}
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
func (r *Run) fetchAndLoad(ctx context.Context, stop *graphStop, log *slog.Logger, g Graph, spec *report.Spec, period string, days int) Result {
	if spec.Detail != nil {
		return r.fetchDetail(ctx, stop, log, g, spec, period, days)
	}
	log = log.With("report", spec.Name)
	start := time.Now()
	req := extract.Request{Report: spec, Period: period, Format: g.Format, IfNoneMatch: r.storedETag(ctx, log, g, spec, period)}
	f := load.Fetch{RunID: r.ID, TenantID: g.Tenant, Report: spec, Period: period, Source: g.Client.FunctionURL(req)}
	if stop.rejected() != nil {
		return r.notAsked(ctx, log, f, "not asked")
	}
	p, err := g.Client.Fetch(stop.ctx, req)
	if err != nil {
		var fe *extract.Error
		if errors.As(err, &fe) {
			f.HTTPStatus = fe.Status
			r.recordAttempts(ctx, log, g, spec, period, fe.Attempts)
		}
		f.Duration = time.Since(start)
		switch {
		case extract.TokenRejected(err):
			stop.reject(err)
		case stop.rejected() != nil:
			return r.notAsked(ctx, log, f, "cancelled in flight")
		}
		return r.Failed(ctx, log, f, err)
	}
	r.recordAttempts(ctx, log, g, spec, period, p.Attempts)
	f.FetchedAt, f.HTTPStatus, f.ETag = p.FetchedAt, p.Status, p.ETag
	if p.NotModified {
		f.Duration = time.Since(start)
		return r.notModified(ctx, log, f)
	}
	f.Payload = &load.Payload{SHA256: p.SHA256, Body: p.Body, ContentType: p.ContentType, Format: g.Format}
	if err := r.Store.StorePayload(ctx, f.Payload); err != nil {
		f.Duration = time.Since(start)
		return r.Failed(ctx, log, f, err)
	}
	res := r.ParseAndLoad(ctx, log, f, g.Format, days, start)
	if res.Err == nil {
		r.saveETag(ctx, log, g, spec, period, p.ETag)
	}
	return res
}

// storedETag is the If-None-Match to send: the ETag of the last payload
// loaded for the tenant, report and period in this format, unless Force.
func (r *Run) storedETag(ctx context.Context, log *slog.Logger, g Graph, spec *report.Spec, period string) string {
	if g.Force {
		return ""
	}
	e, err := r.Store.ETag(ctx, g.Tenant, spec.Name, period)
	if err != nil {
		log.Warn("cannot read the stored ETag; fetching in full", "error", err)
		return ""
	}
	if e == nil || e.Format != g.Format {
		return ""
	}
	return e.ETag
}

// saveETag stores the ETag of a payload that loaded.
func (r *Run) saveETag(ctx context.Context, log *slog.Logger, g Graph, spec *report.Spec, period, etag string) {
	if etag == "" {
		return
	}
	if err := r.Store.SaveETag(ctx, r.ID, g.Tenant, spec.Name, period, load.StoredETag{ETag: etag, Format: g.Format}); err != nil {
		log.Warn("cannot store the ETag; the next run fetches in full", "error", err)
	}
}

// recordAttempts keeps the HTTP requests of a report's fetch in the audit.
// It is the one place an extract.Attempt becomes a load.Attempt.
func (r *Run) recordAttempts(ctx context.Context, log *slog.Logger, g Graph, spec *report.Spec, period string, attempts []extract.Attempt) {
	rows := make([]load.Attempt, len(attempts))
	for i, a := range attempts {
		rows[i] = load.Attempt{Phase: a.Phase, URL: a.URL, SentAt: a.At, Status: a.Status, Error: a.Error, Wait: a.Wait}
	}
	of := load.AttemptsOf{RunID: r.ID, TenantID: g.Tenant, Report: spec.Name, Period: period, Format: g.Format}
	if err := r.Store.RecordAttempts(ctx, of, rows); err != nil {
		log.Error("cannot record the requests", "error", err)
	}
}

// countSpentBudget charges the tenant's limiter with the Graph requests that
// earlier runs sent within the budget window, so that back-to-back runs
// together stay within Graph's per-report budget too.
func (r *Run) countSpentBudget(ctx context.Context, log *slog.Logger, g Graph) {
	lim := g.Limiter
	if lim == nil {
		return
	}
	recent, err := r.Store.RecentGraphRequests(ctx, g.Tenant, lim.Now().Add(-lim.Budget().Window))
	if err != nil {
		log.Warn("cannot count earlier runs' requests against Graph's budget", "error", err)
		return
	}
	for key, at := range recent {
		lim.Record(key, at...)
	}
}

// Tenant is one tenant of a run over many (TenantsWork): its Graph side,
// ready, or why it could not be made ready (its credentials: then its
// reports fail with that cause, and the other tenants go on).
type Tenant struct {
	ID    string
	Graph Graph
	Err   error
}

// TenantsWork is the work of a run over many tenants: every report of
// every tenant, each tenant with its own client, token and request budget,
// and its own stop when Graph rejects its token (the reports of that tenant
// not yet asked are not asked; the other tenants go on), at most workers
// items at once. The run fails (exit 1) when any tenant has a failed
// report, naming each failed tenant and why.
func (r *Run) TenantsWork(ctx context.Context, tenants []Tenant, specs []*report.Spec, period string, days, workers int) *Work {
	var works []*Work
	for _, t := range tenants {
		if t.Err != nil {
			log := r.Log.With("tenant", t.ID, "period", period)
			log.Error("tenant failed", "error", t.Err)
			err := fmt.Errorf("tenant %s: %w", t.ID, t.Err)
			works = append(works, &Work{N: len(specs), Item: func(i int) Result {
				f := load.Fetch{RunID: r.ID, TenantID: t.ID, Report: specs[i], Period: period, Source: "tenant " + t.ID}
				return r.Failed(ctx, log.With("report", specs[i].Name), f, err)
			}})
			continue
		}
		works = append(works, r.GraphWork(ctx, t.Graph, specs, period, days))
	}
	// The items in turn across tenants (the first report of each tenant,
	// then the second...), so that the workers take different tenants at
	// once; a tenant has at most its own Concurrency of them in flight, so
	// that a rejected token is asked once, as in a run of one tenant.
	type at struct{ tenant, item int }
	var order []at
	for j := 0; ; j++ {
		added := false
		for k, w := range works {
			if j < w.N {
				order, added = append(order, at{k, j}), true
			}
		}
		if !added {
			break
		}
	}
	sems := make([]chan struct{}, len(works))
	for k := range works {
		sems[k] = make(chan struct{}, max(tenants[k].Graph.Concurrency, 1))
	}
	return &Work{N: len(order), Workers: workers, Log: r.Log,
		Item: func(i int) Result {
			a := order[i]
			sems[a.tenant] <- struct{}{}
			defer func() { <-sems[a.tenant] }()
			start := time.Now() // not the wait for the tenant's turn
			res := works[a.tenant].Item(a.item)
			res.Tenant, res.Duration = tenants[a.tenant].ID, time.Since(start)
			return res
		},
		Done: func() {
			for _, w := range works {
				if w.Done != nil {
					w.Done()
				}
			}
		},
		Summarize: func(results []Result) error { return summarizeTenants(results, len(tenants)) },
	}
}

// summarizeTenants is the error of a run over many tenants: nil when every
// report of every tenant loaded (or was unchanged, or empty); else how many
// tenants failed and, for each (the first few), why: the first failure of
// its reports. A rejected token is one tenant's failure, not the run's
// configuration: exit 1, as any other.
func summarizeTenants(results []Result, total int) error {
	var order []string
	first := map[string]error{}
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		prev, seen := first[r.Tenant]
		if !seen {
			order = append(order, r.Tenant)
		}
		// The cause rather than its consequence: a report not asked
		// because another of the tenant's was refused names the refusal.
		if !seen || errors.Is(prev, errStopped) && !errors.Is(r.Err, errStopped) {
			first[r.Tenant] = r.Err
		}
	}
	if len(order) == 0 {
		return nil
	}
	var why []string
	for _, t := range order[:min(len(order), maxTenantsNamed)] {
		// Longer than a report's reason: it names the report and URL first.
		why = append(why, fmt.Sprintf("%s: %s", t, text.Cut(text.OneLine(strings.TrimPrefix(first[t].Error(), "tenant "+t+": ")), 3*MaxReason)))
	}
	s := fmt.Sprintf("%d of %d tenants failed: %s", len(order), total, strings.Join(why, "; "))
	if more := len(order) - len(why); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return errors.New(s)
}

// maxTenantsNamed is how many failed tenants a run's error names.
const maxTenantsNamed = 5
