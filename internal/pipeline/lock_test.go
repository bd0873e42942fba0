package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
)

// TestLockedRun: while a run holds the lock, another run of the schema
// does not load. A scheduled one (run, backfill) stands aside: one line,
// no error, nothing recorded, nobody asked. A person's (load-file, replay)
// fails, recorded, saying what was not loaded. One that waits says for
// whom, then runs once the lock is let go, or gives up when its wait runs
// out.
func TestLockedRun(t *testing.T) {
	t.Parallel()
	t.Run("scheduled stands aside", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		h := w.hold(t)
		clock := fakeclock.New(asOf)
		sim := startSim(t, clock, graphsim.Options{})
		o := &outputs{}
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
		if err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan); err != nil {
			t.Fatalf("Execute: %v", err)
		}
		want := fmt.Sprintf("(run %d, load-file, backend pid %d); not starting (use --wait to wait for it)\n", h.runID, h.pid)
		if got := o.stderr.String(); !strings.HasPrefix(got, "ingest: another run holds the lock since ") || !strings.HasSuffix(got, want) || strings.Count(got, "\n") != 1 {
			t.Errorf("stderr %q, want one line ending %q", got, want)
		}
		if o.stdout.String() != "" || o.log.String() != "" {
			t.Errorf("a run that stood aside printed or logged:\n%s", o.all())
		}
		askedNobody(t, p, sim)
		if got := w.scalar(t, `SELECT string_agg(command || ':' || status, ',') FROM S.ingest_runs`); got != "load-file:running" {
			t.Errorf("ingest_runs = %s, want only the holder's", got)
		}
		if err := h.letGo(); err != nil {
			t.Fatalf("the holding run: %v", err)
		}
		if got := w.scalar(t, `SELECT string_agg(command || ':' || status, ',') FROM S.ingest_runs`); got != "load-file:succeeded" {
			t.Errorf("ingest_runs = %s, want only the holder's, succeeded", got)
		}
	})
	t.Run("by a person fails", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		h := w.hold(t)
		clock := fakeclock.New(asOf)
		path := writeFile(t, "mine.csv", minuteWeek("2026-11-14", "2026-11-14", 500))
		p := filePlan(t, clock, path)
		o := &outputs{}
		err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
		holderRun := fmt.Sprintf("(run %d, load-file, backend pid %d)", h.runID, h.pid)
		if err == nil || !strings.HasPrefix(err.Error(), "another run holds the lock since ") ||
			!strings.HasSuffix(err.Error(), holderRun+"; not waiting (--wait=false): "+path+" was not loaded") {
			t.Fatalf("Execute: %v; want the holder %s, not waiting, and what was not loaded", err, holderRun)
		}
		if n := p.prepared.Load(); n != 0 {
			t.Errorf("prepared %d times, want never", n)
		}
		if got, want := w.scalar(t, `SELECT string_agg(command || ':' || status || ':' || error || ':' || (finished_at IS NOT NULL), ',') FROM S.ingest_runs WHERE run_id <> $1`, h.runID),
			"load-file:failed:"+err.Error()+":true"; got != want {
			t.Errorf("ingest_runs = %s\nwant          %s", got, want)
		}
		if err := h.letGo(); err != nil {
			t.Fatalf("the holding run: %v", err)
		}
		// Only the holder's file landed.
		if got := w.scalar(t, `SELECT count(*) || ':' || min(report_date) FROM S.skype_organizer_activity_minute_counts`); got != "7:2026-11-15" {
			t.Errorf("minute counts rows:oldest = %s, want the holder's week only", got)
		}
		if got := w.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE run_id <> $1`, h.runID); got != "0" {
			t.Errorf("%s fetches recorded for the run that did not get the lock", got)
		}
	})
	t.Run("waits then runs", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		h := w.hold(t)
		clock := fakeclock.New(asOf)
		sim := startSim(t, clock, graphsim.Options{})
		o := &outputs{}
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
		p.Wait = 30 * time.Second
		db := w.connect(t)
		done := make(chan error, 1)
		go func() { done <- pipeline.Execute(t.Context(), o.env(), db, p.Plan) }()
		w.waiterSeen(t)
		if n := p.prepared.Load(); n != 0 {
			t.Errorf("prepared %d times while waiting, want never", n)
		}
		if err := h.letGo(); err != nil {
			t.Fatalf("the holding run: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the waiting run: %v\n%s", err, o.all())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the waiting run did not end within 30 s of the lock being let go")
		}
		logged := o.log.String()
		want := fmt.Sprintf(`"msg":"waiting for the run lock","holder_run_id":%d,"holder_command":"load-file"`, h.runID)
		if n := strings.Count(logged, `"msg":"waiting for the run lock"`); n != 1 || !strings.Contains(logged, want) {
			t.Errorf("the log says %d times that the run waits, want once with %s:\n%s", n, want, logged)
		}
		if o.stderr.String() != "" {
			t.Errorf("stderr (not a terminal) %q, want nothing: the log says it", o.stderr.String())
		}
		if got := w.scalar(t, `SELECT string_agg(command || ':' || status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "load-file:succeeded,run:succeeded" {
			t.Errorf("ingest_runs = %s", got)
		}
		if got := w.scalar(t, `SELECT string_agg(report || ':' || outcome, ',' ORDER BY report) FROM S.report_fetches WHERE run_id <> $1`, h.runID); got != minuteReport+":loaded,"+userReport+":loaded" {
			t.Errorf("the waiting run's fetches: %s", got)
		}
		if n := w.rows(t, "skype_organizer_activity_user_counts"); n != "7" {
			t.Errorf("user counts has %s rows, want 7", n)
		}
	})
	t.Run("waits and gives up", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		h := w.hold(t)
		clock := fakeclock.New(asOf)
		sim := startSim(t, clock, graphsim.Options{})
		o := &outputs{terminal: true}
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
		p.Wait = 200 * time.Millisecond
		err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
		holderRun := fmt.Sprintf("(run %d, load-file, backend pid %d)", h.runID, h.pid)
		if err == nil || !strings.HasSuffix(err.Error(), holderRun+"; gave up after --wait-timeout 200ms") {
			t.Fatalf("Execute: %v; want the holder %s and giving up", err, holderRun)
		}
		// On a terminal, a line says for whom the run waits.
		wantLine := fmt.Sprintf("ingest: waiting for the run lock held by run %d (load-file, since ", h.runID)
		if got := o.stderr.String(); !strings.HasPrefix(got, wantLine) || !strings.HasSuffix(got, fmt.Sprintf("backend pid %d), up to --wait-timeout 200ms\n", h.pid)) {
			t.Errorf("stderr %q, want the line %q…", got, wantLine)
		}
		askedNobody(t, p, sim)
		if got, want := w.scalar(t, `SELECT string_agg(command || ':' || status || ':' || error, ',') FROM S.ingest_runs WHERE run_id <> $1`, h.runID),
			"run:failed:"+err.Error(); got != want {
			t.Errorf("ingest_runs = %s\nwant          %s", got, want)
		}
	})
}

// TestTwoRunsAtOnce starts two scheduled runs of one schema at the same
// moment, each on a DB of its own: one loads, the other stands aside
// without error, having asked Graph nothing, and the tables equal those of
// a single run.
func TestTwoRunsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWarehouse(t)
	clock := fakeclock.New(asOf)
	sim := startSim(t, clock, graphsim.Options{})
	// The run that took the lock does not load until one of the two has
	// returned, so that it still holds the lock however late the other
	// starts. A bug that let both take it would have both wait here: after
	// a generous safety timeout the gate opens anyway, so that the test
	// fails rather than hangs.
	gate := make(chan struct{})
	var openOnce sync.Once
	var openedBy atomic.Value
	open := func(by string) {
		openOnce.Do(func() {
			openedBy.Store(by)
			close(gate)
		})
	}
	safety := time.AfterFunc(60*time.Second, func() { open("the 60 s safety timeout") })
	defer safety.Stop()

	type run struct {
		o   *outputs
		p   plan
		db  *load.DB
		err error
	}
	runs := make([]*run, 2)
	for i := range runs {
		o := &outputs{}
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
		p.BeforeLoad = func(ctx context.Context, f load.Fetch) {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		runs[i] = &run{o: o, p: p, db: w.connect(t)}
	}
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			r.err = pipeline.Execute(t.Context(), r.o.env(), r.db, r.p.Plan)
			open(fmt.Sprintf("run %d returning", i))
		})
	}
	wg.Wait()
	if by := openedBy.Load(); by != "run 0 returning" && by != "run 1 returning" {
		t.Errorf("the gate was opened by %v, not by a run returning", by)
	}
	stoodAside := 0
	for i, r := range runs {
		if r.err != nil {
			t.Errorf("run %d: %v\n%s", i, r.err, r.o.all())
		}
		if strings.Contains(r.o.stderr.String(), "another run holds the lock since") {
			stoodAside++
			if strings.Count(r.o.stderr.String(), "\n") != 1 || r.o.stdout.String() != "" || r.p.prepared.Load() != 0 {
				t.Errorf("run %d stood aside without its one line, or printed or prepared too:\n%s", i, r.o.all())
			}
		} else if !strings.Contains(r.o.stdout.String(), "2 reports: 2 loaded") {
			t.Errorf("run %d neither stood aside nor loaded:\n%s", i, r.o.all())
		}
	}
	if stoodAside != 1 {
		t.Fatalf("%d runs stood aside, want 1", stoodAside)
	}
	if got := w.scalar(t, `SELECT string_agg(status, ',') FROM S.ingest_runs`); got != "succeeded" {
		t.Errorf("ingest_runs = %s, want one run, succeeded", got)
	}
	if n := len(sim.APIRequests()); n != 2 {
		t.Errorf("Graph saw %d requests, want 2 (one run's)", n)
	}

	single := newWarehouse(t)
	o := &outputs{}
	p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
	if err := pipeline.Execute(t.Context(), o.env(), single.connect(t), p.Plan); err != nil {
		t.Fatalf("single run: %v\n%s", err, o.all())
	}
	if got, want := w.dataChecksum(t), single.dataChecksum(t); got != want {
		t.Errorf("tables after two runs at once differ from a single run: %s vs %s", got, want)
	}
}

// holdKey takes the run lock's key of schema on a connection of the test's
// own, as any session of any role may, until the test ends; it returns the
// connection's backend pid and the connection.
func holdKey(t *testing.T, schema string) (int, func(q string) error) {
	t.Helper()
	conn, err := pgtest.Pool(t).Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	key := load.RunLockKey(schema)
	var pid int
	if err := conn.QueryRow(t.Context(), `SELECT pg_backend_pid(), pg_advisory_lock($1)`, key).Scan(&pid, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key) })
	return pid, func(q string) error { _, err := conn.Exec(t.Context(), q); return err }
}

// TestLockHeldByStrangerFails: a session that is not a running ingest run
// of the schema (any role may take an advisory lock) holding the run
// lock's key makes a run fail, naming the holder, instead of standing
// aside without loading. So does a run of another schema holding it: the
// holder's run must be recorded in this schema's ingest_runs.
func TestLockHeldByStrangerFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// hold takes the lock of w's schema and returns the holder's pid
		hold func(t *testing.T, w *warehouse) int
	}{
		{"plain session", func(t *testing.T, w *warehouse) int {
			pid, _ := holdKey(t, w.schema)
			return pid
		}},
		{"run of another schema", func(t *testing.T, w *warehouse) int {
			other := migrated(t)
			pid, exec := holdKey(t, w.schema)
			const q = `INSERT INTO S.ingest_runs (command, backend_pid, backend_start)
				SELECT 'run', pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`
			if err := exec(other.sql(q)); err != nil {
				t.Fatal(err)
			}
			return pid
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := migrated(t)
			pid := tc.hold(t, w)
			clock := fakeclock.New(asOf)
			sim := startSim(t, clock, graphsim.Options{})
			o := &outputs{}
			p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
			err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
			var he *load.HeldError
			want := fmt.Sprintf(`held by backend pid %d (application_name "", user "postgres"`, pid)
			if !errors.As(err, &he) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not a running ingest run") {
				t.Fatalf("Execute: %v; want a *load.HeldError naming %q", err, want)
			}
			askedNobody(t, p, sim)
			if got, want := w.scalar(t, `SELECT string_agg(status || ':' || error, ',') FROM S.ingest_runs`), "failed:"+err.Error(); got != want {
				t.Errorf("ingest_runs = %s\nwant          %s", got, want)
			}
		})
	}
}

// TestLockLostMidRun: the run lock's backend is terminated while the run
// loads (a deterministic seam: just before the first upsert). The load is
// rolled back, nothing is committed after, the other report is not loaded
// either, and the run fails saying so; the next run takes the lock and
// loads.
func TestLockLostMidRun(t *testing.T) {
	t.Parallel()
	w := migrated(t)
	clock := fakeclock.New(asOf)
	sim := startSim(t, clock, graphsim.Options{})
	o := &outputs{}
	p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 1), clock, userReport, minuteReport)
	var once sync.Once
	var killed error
	p.BeforeLoad = func(ctx context.Context, f load.Fetch) {
		once.Do(func() {
			var pid int
			if killed = pgtest.Pool(t).QueryRow(ctx, w.sql(`SELECT backend_pid FROM S.ingest_runs WHERE status = 'running'`)).Scan(&pid); killed != nil {
				return
			}
			var ok bool
			killed = pgtest.Pool(t).QueryRow(ctx, `SELECT pg_terminate_backend($1, 10000)`, pid).Scan(&ok)
			if killed == nil && !ok {
				killed = fmt.Errorf("backend %d did not end", pid)
			}
		})
	}
	err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
	if killed != nil {
		t.Fatalf("terminate the lock's backend: %v", killed)
	}
	if !errors.Is(err, load.ErrLockLost) || !strings.Contains(err.Error(), "the run lock was lost") {
		t.Fatalf("Execute: %v; want the lock lost", err)
	}
	if got := w.scalar(t, `SELECT status || ':' || (error LIKE '%the run lock was lost%') FROM S.ingest_runs`); got != "failed:true" {
		t.Errorf("ingest_runs: %s, want failed:true", got)
	}
	if n := w.scalar(t, `SELECT (SELECT count(*) FROM S.skype_organizer_activity_user_counts) + (SELECT count(*) FROM S.skype_organizer_activity_minute_counts)`); n != "0" {
		t.Errorf("%s rows committed after the lock was lost", n)
	}
	if got := w.scalar(t, `SELECT string_agg(outcome || ':' || (error LIKE '%the run lock was lost%'), ',') FROM S.report_fetches`); got != "failed:true,failed:true" {
		t.Errorf("report_fetches: %s, want both failed for the lost lock", got)
	}
	// The next run takes the lock and loads.
	o = &outputs{}
	p = runPlan(t, graphAt(sim.URL(), simToken, clock, o, 1), clock, userReport, minuteReport)
	if err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan); err != nil {
		t.Fatalf("next run: %v\n%s", err, o.all())
	}
	if got := w.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "failed,succeeded" {
		t.Errorf("ingest_runs = %s, want failed,succeeded", got)
	}
	if n := w.rows(t, "skype_organizer_activity_user_counts"); n != "7" {
		t.Errorf("the next run loaded %s rows, want 7", n)
	}
}
