package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// maxStepBack is how many days before yesterday a run looks for the newest
// day Graph has of a detail report: Graph's data trails by two to three
// days.
const maxStepBack = 3

// SettingsReader is a Fetcher that can read the tenant's report settings
// (extract.Client): whether Microsoft conceals names in its reports.
type SettingsReader interface {
	ReportSettings(ctx context.Context) (concealed bool, err error)
}

// tenantSettings is a tenant's concealment setting, read once a run.
type tenantSettings struct {
	once      sync.Once
	concealed *bool // nil: could not be read
}

// concealment is the tenant's "display concealed names" setting, read once
// a run (GET /admin/reportSettings); nil when it cannot be read (the app
// lacks ReportSettings.Read.All): concealment is then told from the names.
func (r *Run) concealment(ctx context.Context, stop *graphStop, log *slog.Logger, g Graph) *bool {
	v, _ := r.settings.LoadOrStore(g.Tenant, &tenantSettings{})
	s := v.(*tenantSettings)
	s.once.Do(func() {
		sr, ok := g.Client.(SettingsReader)
		if !ok {
			return
		}
		concealed, err := sr.ReportSettings(stop.ctx)
		switch {
		case extract.TokenRejected(err):
			stop.reject(err)
		case stop.rejected() != nil, ctx.Err() != nil:
		case err == nil:
			s.concealed = &concealed
			log.Info("report settings read", "display_concealed_names", concealed)
		case extract.Forbidden(err):
			log.Info("cannot read the report settings (the app lacks ReportSettings.Read.All): concealment is told from the names")
		default:
			log.Warn("cannot read the report settings: concealment is told from the names", "error", err)
		}
	})
	return s.concealed
}

// fetchDetail fetches a detail report (report.Detail). One that takes
// date= is fetched a day at a time: the newest day Graph has (stepping
// back from yesterday to the first day that answers with rows, or one
// loaded before), then every day of Graph's window (report.DateWindow days
// ending there) not fetched before, newest first; a day fetched before is
// not asked again, so a nightly run asks for one or two days, and a
// backfill fills the window. One without date= is fetched for the period,
// as the other reports are. Each day is loaded as it streams (LoadStream).
func (r *Run) fetchDetail(ctx context.Context, stop *graphStop, log *slog.Logger, g Graph, spec *report.Spec, period string, days int) Result {
	log = log.With("report", spec.Name)
	if stop.rejected() != nil {
		return r.notAsked(ctx, log, load.Fetch{RunID: r.ID, TenantID: g.Tenant, Report: spec, Period: period,
			Source: g.Client.FunctionURL(extract.Request{Report: spec, Period: period, Format: g.Format})}, "not asked")
	}
	setting := r.concealment(ctx, stop, log, g)
	if !spec.Detail.ByDate {
		res, _ := r.fetchDetailDay(ctx, stop, log, g, spec, period, days, time.Time{}, setting, false)
		return res
	}
	y, m, d := r.now().UTC().Date()
	yesterday := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
	done, err := r.Store.DetailDays(ctx, g.Tenant, spec, yesterday.AddDate(0, 0, -(report.DateWindow+maxStepBack)))
	if err != nil {
		return Result{Report: spec.Name, Outcome: "failed", Err: err}
	}
	var results []Result
	var newest time.Time
	for back := 0; back <= maxStepBack && newest.IsZero(); back++ {
		day := yesterday.AddDate(0, 0, -back)
		if done[day] {
			newest = day
			break
		}
		res, notYet := r.fetchDetailDay(ctx, stop, log, g, spec, "", 0, day, setting, true)
		if errors.Is(res.Err, extract.ErrBudgetSpent) {
			// Not a failure: a run soon after another (a backfill) finds
			// the budget spent; the next run looks again.
			log.Info("Graph's request budget for the report is spent: the next run looks for the newest day")
			if len(results) == 0 {
				return Result{Report: spec.Name, Source: "request budget spent", Outcome: "not_modified"}
			}
			return detailResult(spec, results)
		}
		if notYet {
			log.Debug("no data for the day yet; stepping back", "date", day.Format(time.DateOnly))
			continue
		}
		results = append(results, res)
		if res.Err != nil {
			return detailResult(spec, results)
		}
		newest = day
	}
	if newest.IsZero() {
		log.Info("no day with data in the last days", "from", yesterday.AddDate(0, 0, -maxStepBack).Format(time.DateOnly),
			"to", yesterday.Format(time.DateOnly))
		if len(results) == 0 {
			return Result{Report: spec.Name, Source: "no day with data", Outcome: "empty"}
		}
		return detailResult(spec, results)
	}
	for back := 1; back < report.DateWindow; back++ {
		day := newest.AddDate(0, 0, -back)
		if _, ok := done[day]; ok {
			continue
		}
		res, _ := r.fetchDetailDay(ctx, stop, log, g, spec, "", 0, day, setting, false)
		if errors.Is(res.Err, extract.ErrBudgetSpent) {
			// Not a failure: the days left are asked for by the next run.
			log.Info("Graph's request budget for the report is spent: the days left are fetched by the next run",
				"days_left", report.DateWindow-back, "oldest_left", newest.AddDate(0, 0, 1-report.DateWindow).Format(time.DateOnly))
			break
		}
		results = append(results, res)
		if stop.rejected() != nil || ctx.Err() != nil {
			break
		}
	}
	if len(results) == 0 {
		return Result{Report: spec.Name, Source: "every day loaded before", Outcome: "not_modified"}
	}
	return detailResult(spec, results)
}

// detailResult is one result for the days of a detail report: the first
// failure, else loaded when any day loaded; the counts added up.
func detailResult(spec *report.Spec, results []Result) Result {
	out := Result{Report: spec.Name, Outcome: "empty"}
	for _, r := range results {
		out.Counts.Parsed += r.Counts.Parsed
		out.Counts.Inserted += r.Counts.Inserted
		out.Counts.Updated += r.Counts.Updated
		out.Counts.Unchanged += r.Counts.Unchanged
		out.Counts.Restated += r.Counts.Restated
		out.Duration += r.Duration
		out.ConcealmentChanged = out.ConcealmentChanged || r.ConcealmentChanged
		switch {
		case r.Err != nil && out.Err == nil:
			out.Outcome, out.Err, out.Source = "failed", r.Err, r.Source
		case r.Outcome == "loaded" && out.Err == nil:
			out.Outcome = "loaded"
			out.Days++
		}
		if out.Source == "" {
			out.Source = r.Source
		}
	}
	return out
}

// fetchDetailDay fetches one payload of a detail report, a day (date=)
// or, day zero, the period, and loads it as it streams. With probe, a day
// Graph has no data for yet (a 400 for the date, or no rows) is notYet: a
// 400 is then not recorded as a failure.
func (r *Run) fetchDetailDay(ctx context.Context, stop *graphStop, log *slog.Logger, g Graph, spec *report.Spec, period string, days int, day time.Time, setting *bool, probe bool) (res Result, notYet bool) {
	start := time.Now()
	req := extract.Request{Report: spec, Period: period, Format: g.Format, Stream: true}
	if !day.IsZero() {
		req.Date = day.Format(time.DateOnly)
		log = log.With("date", req.Date)
	}
	f := load.Fetch{RunID: r.ID, TenantID: g.Tenant, Report: spec, Period: period, Source: g.Client.FunctionURL(req),
		AskedDate: day, ConcealedSetting: setting}
	if stop.rejected() != nil {
		return r.notAsked(ctx, log, f, "not asked"), false
	}
	p, err := g.Client.Fetch(stop.ctx, req)
	if err != nil {
		var fe *extract.Error
		if errors.As(err, &fe) {
			f.HTTPStatus = fe.Status
			r.recordAttempts(ctx, log, g, spec, period, fe.Attempts)
			if probe && fe.Status == http.StatusBadRequest {
				return Result{}, true
			}
		}
		if errors.Is(err, extract.ErrBudgetSpent) {
			return Result{Report: spec.Name, Source: f.Source, Outcome: "failed", Err: err}, false // not recorded: see fetchDetail
		}
		f.Duration = time.Since(start)
		switch {
		case extract.TokenRejected(err):
			stop.reject(err)
		case stop.rejected() != nil:
			return r.notAsked(ctx, log, f, "cancelled in flight"), false
		}
		return r.Failed(ctx, log, f, err), false
	}
	r.recordAttempts(ctx, log, g, spec, period, p.Attempts)
	f.FetchedAt, f.HTTPStatus, f.ETag = p.FetchedAt, p.Status, p.ETag
	body := p.Stream
	if body == nil {
		body = io.NopCloser(bytes.NewReader(p.Body))
	}
	defer body.Close()
	if p.LaterAttempts != nil {
		// The requests for the pages made while the stream was read.
		defer func() { r.recordAttempts(ctx, log, g, spec, period, p.LaterAttempts()) }()
	}
	res = r.streamLoad(ctx, log, &f, body, p.ContentType, g.Format, transform.Options{Source: f.Source, Period: days, Date: day,
		Concealment: func() (bool, bool) {
			if setting == nil {
				return false, false
			}
			return *setting, true
		}}, start)
	return res, probe && res.Outcome == "empty"
}

// streamLoad loads a detail payload from body as it reads it
// (load.DB.LoadStream) and records the outcome.
func (r *Run) streamLoad(ctx context.Context, log *slog.Logger, f *load.Fetch, body io.Reader, contentType string, format report.Format, opts transform.Options, start time.Time) Result {
	opts.Now = r.now()
	// A failure to read the body (a cut download, a JSON page refused or
	// past Graph's request budget) is the cause of the load's failure,
	// whatever the parser made of the body cut short.
	rb := &readError{r: body}
	body = rb
	if r.plan != nil && r.plan.Pseudonymize != nil {
		if format != report.CSV {
			f.Payload = nil
			return r.Failed(ctx, log, *f, errors.New("--pseudonymize reads detail reports as CSV only: use --format csv"))
		}
		p := transform.NewPseudonymizer(f.Report, r.plan.Pseudonymize, body)
		body = p
		if setting := opts.Concealment; setting != nil {
			opts.Concealment = func() (bool, bool) {
				if c, known := setting(); known {
					return c, true
				}
				return p.Concealed()
			}
		} else {
			opts.Concealment = p.Concealed
		}
	}
	if r.plan != nil && r.plan.BeforeLoad != nil {
		r.plan.BeforeLoad(ctx, *f)
	}
	counts, parsed, err := r.Store.LoadStream(ctx, f, load.Stream{Body: body, ContentType: contentType, Format: format, Parse: opts, Started: start})
	f.Duration = time.Since(start)
	if err != nil {
		// Nothing of the payload was kept: the transaction that stored it
		// as it streamed rolled back.
		f.Payload = nil
		if rb.err != nil {
			err = rb.err
		}
		if errors.Is(err, extract.ErrBudgetSpent) {
			// The day is asked again by the next run (fetchDetail).
			return Result{Report: f.Report.Name, Source: f.Source, Outcome: "failed", Err: err}
		}
		var te *transform.Error
		if r.plan != nil && r.plan.Pseudonymize != nil && errors.As(err, &te) && te.Value != "" {
			// A value quoted in the error may be a name, or part of one
			// (a name with a comma, unquoted, shifts the columns after it).
			te.Value = "withheld under --pseudonymize"
		}
		return r.Failed(ctx, log, *f, err)
	}
	for _, w := range parsed.Warnings {
		log.Warn(w)
	}
	res := Result{Report: f.Report.Name, Source: f.Source, Outcome: load.LoadOutcome(counts.Parsed), Counts: counts,
		Duration: f.Duration, ConcealmentChanged: f.ConcealmentChanged}
	if res.Outcome == "empty" {
		log.Info("report empty: the payload has no rows")
		return res
	}
	if f.ConcealmentChanged {
		log.Warn("names are concealed differently from the last load: the rows are kept apart, under other entity keys",
			"concealed", *f.Concealed)
	}
	log.Info("report loaded", "rows", counts.Parsed, "inserted", counts.Inserted, "updated", counts.Updated,
		"unchanged", counts.Unchanged, "restated", counts.Restated, "bytes", f.Payload.Size, "concealed", *f.Concealed,
		"duration_ms", f.Duration.Milliseconds())
	return res
}

// readError is a reader that keeps its first error other than io.EOF.
type readError struct {
	r   io.Reader
	err error
}

func (e *readError) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
