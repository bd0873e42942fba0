package cli

import (
	"context"
	"log/slog"
	"sync"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// forEach runs fn(0) … fn(n-1) on at most workers goroutines and waits for
// them all.
func forEach(workers, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// storedETag is the If-None-Match to send: the ETag of the last payload
// loaded for the tenant, report and period in this format, unless --force.
func storedETag(ctx context.Context, log *slog.Logger, db *load.DB, g *graphSetup, spec *report.Spec, period string) string {
	if g.force {
		return ""
	}
	e, err := db.ETag(ctx, g.tenant, spec.Name, period)
	if err != nil {
		log.Warn("cannot read the stored ETag; fetching in full", "error", err)
		return ""
	}
	if e == nil || e.Format != g.format {
		return ""
	}
	return e.ETag
}

// saveETag stores the ETag of a payload that loaded.
func saveETag(ctx context.Context, log *slog.Logger, db *load.DB, g *graphSetup, runID int64, spec *report.Spec, period, etag string) {
	if etag == "" {
		return
	}
	if err := db.SaveETag(ctx, runID, g.tenant, spec.Name, period, load.StoredETag{ETag: etag, Format: g.format}); err != nil {
		log.Warn("cannot store the ETag; the next run fetches in full", "error", err)
	}
}

// notModified records a report skipped on a 304.
func notModified(ctx context.Context, log *slog.Logger, db *load.DB, f load.Fetch) result {
	log.Info("report not modified since the last load; skipped", "etag", f.ETag)
	if err := db.RecordFetch(ctx, f, "not_modified", nil); err != nil {
		log.Error("cannot record the fetch", "error", err)
	}
	return result{report: f.Report.Name, source: f.Source, outcome: "not_modified"}
}

// recordAttempts keeps the HTTP requests of a report's fetch in the audit.
func recordAttempts(ctx context.Context, log *slog.Logger, db *load.DB, g *graphSetup, runID int64, spec *report.Spec, period string, attempts []extract.Attempt) {
	rows := make([]load.Attempt, len(attempts))
	for i, a := range attempts {
		rows[i] = load.Attempt{Phase: a.Phase, URL: a.URL, SentAt: a.At, Status: a.Status, Error: a.Error, Wait: a.Wait}
	}
	of := load.AttemptsOf{RunID: runID, TenantID: g.tenant, Report: spec.Name, Period: period, Format: g.format}
	if err := db.RecordAttempts(ctx, of, rows); err != nil {
		log.Error("cannot record the requests", "error", err)
	}
}

// countSpentBudget charges the tenant's limiter with the Graph requests that
// earlier runs sent within the budget window, so that back-to-back runs
// together stay within Graph's per-report budget too.
func countSpentBudget(ctx context.Context, log *slog.Logger, db *load.DB, g *graphSetup) {
	lim := g.client.Limiter
	recent, err := db.RecentGraphRequests(ctx, g.tenant, lim.Now().Add(-lim.Budget().Window))
	if err != nil {
		log.Warn("cannot count earlier runs' requests against Graph's budget", "error", err)
		return
	}
	for key, at := range recent {
		lim.Record(key, at...)
	}
}
