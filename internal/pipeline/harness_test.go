package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// Tests of the rules of a run (the lock, one item failing, the migration,
// stopping) against Execute itself: real Postgres, a schema per test, the
// Graph simulator in-process on a fake clock, and no command line. Each
// test is parallel: nothing here is process-wide.

const (
	tenant       = "3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51"
	userReport   = "skype-organizer-activity-user-counts"
	minuteReport = "skype-organizer-activity-minute-counts"
	simToken     = "test-token"
)

// asOf is the simulator's (and transform's) today.
var asOf = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// warehouse is a schema of the test's own on the test server, dropped when
// the test ends. The schema is not created: a run migrates it.
type warehouse struct{ url, schema string }

func newWarehouse(t *testing.T) *warehouse {
	t.Helper()
	url, schema := pgtest.Schema(t)
	return &warehouse{url: url, schema: schema}
}

// migrated is a warehouse whose schema is migrated, as a run would leave
// it: reused from an ended test of the package when one is free
// (pgtest.Migrated), its rows cleared.
func migrated(t *testing.T) *warehouse {
	t.Helper()
	url, schema := pgtest.Migrated(t, func(ctx context.Context, url, schema string) error {
		db, err := load.Connect(ctx, url, schema, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Migrate(ctx)
	})
	return &warehouse{url: url, schema: schema}
}

// connect is a DB of its own on the warehouse, closed when the test ends:
// as a process of its own would, it takes the run lock on its own session.
func (w *warehouse) connect(t *testing.T) *load.DB {
	t.Helper()
	return w.connectTo(t, w.url)
}

// connectTo is connect with another database URL (for its parameters).
func (w *warehouse) connectTo(t *testing.T, url string) *load.DB {
	t.Helper()
	db, err := load.Connect(t.Context(), url, w.schema, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	// Close waits for every connection to come back: one that never does
	// (the run lock's, say) fails the test rather than hanging it.
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() { db.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
			t.Error("the DB did not close within 30 s: a connection was never given back (the run lock's?)")
		}
	})
	return db
}

// sql replaces S. by the warehouse's schema.
func (w *warehouse) sql(q string) string {
	return strings.ReplaceAll(q, "S.", pgx.Identifier{w.schema}.Sanitize()+".")
}

// scalar is the one value q returns (S. is the warehouse's schema), as text.
func (w *warehouse) scalar(t *testing.T, q string, args ...any) string {
	t.Helper()
	var v any
	if err := pgtest.Pool(t).QueryRow(context.Background(), w.sql(q), args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return fmt.Sprint(v)
}

// rows is how many rows a table of the warehouse has.
func (w *warehouse) rows(t *testing.T, table string) string {
	t.Helper()
	return w.scalar(t, `SELECT count(*) FROM S.`+table)
}

// dataChecksum hashes the report tables without the bookkeeping columns,
// which differ between two schemas loaded at different times.
func (w *warehouse) dataChecksum(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, s := range report.Default {
		cols := []string{"tenant_id"}
		for _, c := range s.Columns() {
			cols = append(cols, c.Name)
		}
		parts = append(parts, w.scalar(t, `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM (SELECT `+
			strings.Join(cols, ", ")+` FROM S.`+s.Table+`) x`))
	}
	return strings.Join(parts, ",")
}

// waiterSeen polls, with a deadline, until a session waits for the
// warehouse's run lock in pg_locks.
func (w *warehouse) waiterSeen(t *testing.T) {
	t.Helper()
	const waiting = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
		AND (classid::bigint << 32 | objid::bigint) = $1 AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`
	poll(t, 20*time.Second, "a session waits for the run lock", func() bool {
		return w.scalar(t, waiting, load.RunLockKey(w.schema)) == "true"
	})
}

// poll calls ok until it is true, failing the test after within.
func poll(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
	}
}

// buffer is a bytes.Buffer safe for concurrent use: a run's items log
// from their own goroutines, and a test reads while a run waits.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// outputs is what a run wrote: its results, its notices and its log (JSON,
// debug and up; the Graph client logs there too).
type outputs struct {
	stdout, stderr, log buffer
	terminal            bool // Stderr is a terminal
}

func (o *outputs) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (o *outputs) env() pipeline.Env {
	return pipeline.Env{Stdout: &o.stdout, Stderr: &o.stderr, StderrIsTerminal: o.terminal, Log: o.logger()}
}

// all is everything the run wrote, to look for what must not be there.
func (o *outputs) all() string { return o.stdout.String() + o.stderr.String() + o.log.String() }

// startSim starts the Graph simulator on clock, with opts.
func startSim(t *testing.T, clock *fakeclock.Clock, opts graphsim.Options) *graphsim.Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = simToken
	}
	opts.Now = clock.Now
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// graphAt is the Graph side of a run against graphURL with token: CSV from
// v1.0, retries and throttling on clock, at most concurrency reports at
// once, logging to o.
func graphAt(graphURL, token string, clock *fakeclock.Clock, o *outputs, concurrency int) pipeline.Graph {
	c := &extract.Client{GraphURL: graphURL, APIVersion: "v1.0", Tokens: extract.StaticToken(token),
		Clock: clock, Limiter: extract.NewLimiter(clock, extract.Budget{}), Log: o.logger()}
	return pipeline.Graph{Client: c, Limiter: c.Limiter, Tenant: tenant, Format: report.CSV, Concurrency: concurrency}
}

// specs looks reports up by name.
func specs(t *testing.T, names ...string) []*report.Spec {
	t.Helper()
	var out []*report.Spec
	for _, n := range names {
		s, err := report.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// plan is a Plan and how often its Prepare was called: a run that does not
// get as far as its work asks nobody for anything.
type plan struct {
	pipeline.Plan
	prepared *atomic.Int32
}

// withPrepare counts the calls of prepare.
func withPrepare(p pipeline.Plan, prepare func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error)) plan {
	n := &atomic.Int32{}
	p.Prepare = func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
		n.Add(1)
		return prepare(ctx, r)
	}
	return plan{Plan: p, prepared: n}
}

// askedNobody fails the test when the run got to its work (Prepare) or
// asked Graph anything.
func askedNobody(t *testing.T, p plan, sim *graphsim.Server) {
	t.Helper()
	if n := p.prepared.Load(); n != 0 {
		t.Errorf("prepared %d times, want never", n)
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("Graph saw %d requests", n)
	}
}

// runPlan is what `ingest run --period D7` plans: the reports named, from
// Graph as g says, judged by clock.
func runPlan(t *testing.T, g pipeline.Graph, clock *fakeclock.Clock, names ...string) plan {
	t.Helper()
	ss := specs(t, names...)
	p := pipeline.Plan{Run: load.Run{Command: "run", Period: "D7", Host: "test", Version: "test"}, Noun: "reports", Now: clock.Now}
	return withPrepare(p, func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
		return r.GraphWork(ctx, g, ss, "D7", 7), nil
	})
}

// filePlan is what `ingest load-file --report skype-organizer-activity-minute-counts`
// plans for paths: a person's run, judged by clock.
func filePlan(t *testing.T, clock *fakeclock.Clock, paths ...string) plan {
	t.Helper()
	spec := specs(t, minuteReport)[0]
	notLoaded := fmt.Sprintf("none of the %d files was loaded", len(paths))
	if len(paths) == 1 {
		notLoaded = paths[0] + " was not loaded"
	}
	p := pipeline.Plan{Run: load.Run{Command: "load-file", Host: "test", Version: "test"}, Noun: "files",
		ByPerson: true, NotLoaded: notLoaded, Now: clock.Now}
	return withPrepare(p, func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
		return r.FileWork(ctx, pipeline.Files{Tenant: tenant, Report: spec, Paths: paths, MaxBytes: 1 << 20, Format: "auto"}), nil
	})
}

// minuteHeader is skype-organizer-activity-minute-counts' CSV header.
const minuteHeader = "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\r\n"

// minuteWeek is a whole D7 payload of skype-organizer-activity-minute-counts: the
// 7 report dates ending at newest (newest first, as Graph writes them),
// refreshed on refresh, each value base plus the day's offset.
func minuteWeek(refresh, newest string, base int) string {
	end, err := time.Parse(time.DateOnly, newest)
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	b.WriteString("\uFEFF" + minuteHeader)
	for i := range 7 {
		fmt.Fprintf(&b, "%s,%s,7,%d,%d,%d\r\n", refresh, end.AddDate(0, 0, -i).Format(time.DateOnly), base+i, base+10+i, base+20+i)
	}
	return b.String()
}

// writeFile writes body to a file named name in a directory of the test's.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// holder is a load-file run of a warehouse that holds the run lock, stopped
// just before its upsert until it is let go.
type holder struct {
	runID, pid int64
	letGo      func() error // lets the run go on and returns its error
}

// hold starts a run that takes w's run lock and holds it until letGo (or
// the end of the test); it returns once the run is recorded and about to
// load.
func (w *warehouse) hold(t *testing.T) *holder {
	t.Helper()
	db := w.connect(t)
	p := filePlan(t, fakeclock.New(asOf), writeFile(t, "held.csv", minuteWeek("2026-11-21", "2026-11-21", 100)))
	holding := make(chan int64, 1)
	release := make(chan struct{})
	p.BeforeLoad = func(ctx context.Context, f load.Fetch) {
		holding <- f.RunID
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	done := make(chan error, 1)
	go func() { done <- pipeline.Execute(t.Context(), (&outputs{}).env(), db, p.Plan) }()
	h := &holder{}
	var once sync.Once
	var err error
	h.letGo = func() error {
		once.Do(func() {
			close(release)
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("the holding run did not end within 30 s of being let go")
			}
		})
		return err
	}
	t.Cleanup(func() { h.letGo() })
	select {
	case h.runID = <-holding:
	case err := <-done:
		t.Fatalf("the holding run ended before loading: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the holding run did not reach its load within 30 s")
	}
	fmt.Sscan(w.scalar(t, `SELECT backend_pid FROM S.ingest_runs WHERE run_id = $1`, h.runID), &h.pid)
	return h
}
