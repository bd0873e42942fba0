// Package pipeline owns a loading run (run, backfill, load-file, replay):
// the one-run-at-a-time lock, the migration, the run's record in
// ingest_runs, the bounded worker pool over its items (a Graph report, a
// file, a stored payload), each item's fetch → parse → load step, and the
// summary. It knows nothing of the command line: the CLI builds a Plan from
// its flags and calls Execute. It reaches Graph through a Fetcher and the
// warehouse through a Store, which extract's Client and load's DB are.
package pipeline

import (
	"context"
	"time"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// Fetcher is what a run needs of Graph: one report's payload, and the URL
// it is asked at (the source of what it loads).
type Fetcher interface {
	Fetch(ctx context.Context, req extract.Request) (*extract.Payload, error)
	FunctionURL(req extract.Request) string
}

// Store is what a run needs of the warehouse.
type Store interface {
	// The run: its lock, its schema, its record.
	SetStatementTimeout(ctx context.Context, d time.Duration, keepURL bool) error
	StatementTimeout() time.Duration
	LockRun(ctx context.Context, wait time.Duration) (*load.RunLock, error)
	Migrate(ctx context.Context) error
	StartRun(ctx context.Context, r load.Run) (int64, error)
	FinishRun(ctx context.Context, runID int64, runErr error) error

	// An item: what it fetched and loaded, and the audit of how.
	StorePayload(ctx context.Context, p *load.Payload) error
	PayloadBody(ctx context.Context, sha string) ([]byte, string, error)
	Upsert(ctx context.Context, f load.Fetch, rows []transform.Row) (load.Counts, error)
	LoadStream(ctx context.Context, f *load.Fetch, s load.Stream) (load.Counts, *transform.Result, error)
	DetailDays(ctx context.Context, tenant string, spec *report.Spec, since time.Time) (map[time.Time]bool, error)
	HasData(ctx context.Context, spec *report.Spec, tenant string) (bool, error)
	RecordFetch(ctx context.Context, f load.Fetch, outcome string, cause error) error
	RecordAttempts(ctx context.Context, of load.AttemptsOf, attempts []load.Attempt) error
	ETag(ctx context.Context, tenant, report, period string) (*load.StoredETag, error)
	SaveETag(ctx context.Context, runID int64, tenant, report, period string, e load.StoredETag) error
	RecentGraphRequests(ctx context.Context, tenant string, since time.Time) (map[report.BudgetKey][]time.Time, error)

	// What replay selects: the stored payloads, and the sha256s a prefix
	// names.
	StoredPayloads(ctx context.Context, f load.StoredFilter) ([]load.Stored, error)
	PayloadsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)

	// What a run did per tenant and report, for its metrics.
	RunReports(ctx context.Context, runID int64) ([]load.ReportRun, error)
}

var (
	_ Fetcher = (*extract.Client)(nil)
	_ Store   = (*load.DB)(nil)
)
