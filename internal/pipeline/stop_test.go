package pipeline_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
)

// TestCancelledRun: a run whose context is cancelled (a signal, for the
// command) while it loads, while Graph answers or while it waits for the
// lock ends as failed with the cause "interrupted", recorded in
// ingest_runs and for every report in report_fetches; nothing of the
// cancelled reports lands, and the lock is let go: the next run loads.
func TestCancelledRun(t *testing.T) {
	t.Parallel()
	// interrupted checks what a cancelled run of w left, then that the next
	// run takes the lock and loads.
	interrupted := func(t *testing.T, w *warehouse, err error, o *outputs, fetches string) {
		t.Helper()
		if err == nil || err.Error() != "interrupted" {
			t.Fatalf("Execute: %v; want interrupted\n%s", err, o.all())
		}
		if got := w.scalar(t, `SELECT string_agg(status || ':' || error || ':' || (finished_at IS NOT NULL), ',') FROM S.ingest_runs`); got != "failed:interrupted:true" {
			t.Errorf("ingest_runs = %s, want failed:interrupted:true", got)
		}
		if got := w.scalar(t, `SELECT coalesce(string_agg(report || ':' || outcome || ':' || error, ',' ORDER BY report), '') FROM S.report_fetches`); got != fetches {
			t.Errorf("report_fetches = %s\nwant             %s", got, fetches)
		}
		if n := w.scalar(t, `SELECT (SELECT count(*) FROM S.skype_organizer_activity_user_counts) + (SELECT count(*) FROM S.skype_organizer_activity_minute_counts)`); n != "0" {
			t.Errorf("%s rows landed of the cancelled run", n)
		}
		clock := fakeclock.New(asOf)
		sim := startSim(t, clock, graphsim.Options{})
		next := &outputs{}
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, next, 2), clock, userReport, minuteReport)
		if err := pipeline.Execute(t.Context(), next.env(), w.connect(t), p.Plan); err != nil {
			t.Fatalf("next run: %v\n%s", err, next.all())
		}
		if got := w.scalar(t, `SELECT string_agg(status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "failed,succeeded" {
			t.Errorf("ingest_runs = %s, want failed,succeeded", got)
		}
	}
	both := minuteReport + ":failed:interrupted," + userReport + ":failed:interrupted"

	t.Run("before the load", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		clock := fakeclock.New(asOf)
		sim := startSim(t, clock, graphsim.Options{})
		o := &outputs{}
		// One report at a time: the second is asked for after the first is
		// cancelled.
		p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 1), clock, userReport, minuteReport)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var loads sync.Map
		p.BeforeLoad = func(_ context.Context, f load.Fetch) {
			loads.Store(f.Report.Name, true)
			cancel()
		}
		err := pipeline.Execute(ctx, o.env(), w.connect(t), p.Plan)
		if _, ok := loads.Load(userReport); !ok {
			t.Fatalf("%s never reached its load: %v", userReport, err)
		}
		if _, ok := loads.Load(minuteReport); ok {
			t.Errorf("%s reached its load after the run was cancelled", minuteReport)
		}
		interrupted(t, w, err, o, both)
	})
	t.Run("in a Graph request", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// Graph takes the first report's request, and the run is cancelled
		// while it waits for the answer; it answers only once the client has
		// gone (or the test ends).
		var mu sync.Mutex
		var asked []string
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked = append(asked, r.URL.Path)
			mu.Unlock()
			cancel()
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		clock := fakeclock.New(asOf)
		o := &outputs{}
		p := runPlan(t, graphAt(srv.URL, simToken, clock, o, 1), clock, userReport, minuteReport)
		err := pipeline.Execute(ctx, o.env(), w.connect(t), p.Plan)
		mu.Lock()
		if len(asked) != 1 || !strings.Contains(asked[0], "getSkypeForBusinessOrganizerActivityUserCounts") {
			t.Errorf("Graph was asked %v, want the first report only", asked)
		}
		mu.Unlock()
		interrupted(t, w, err, o, both)
	})
	t.Run("waiting for the lock", func(t *testing.T) {
		t.Parallel()
		w := newWarehouse(t)
		h := w.hold(t)
		clock := fakeclock.New(asOf)
		o := &outputs{}
		p := runPlan(t, graphAt("http://127.0.0.1:1", simToken, clock, o, 2), clock, userReport, minuteReport)
		p.Wait = 30 * time.Second
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		db := w.connect(t)
		done := make(chan error, 1)
		go func() { done <- pipeline.Execute(ctx, o.env(), db, p.Plan) }()
		w.waiterSeen(t)
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the waiting run did not end within 30 s of being cancelled")
		}
		if n := p.prepared.Load(); n != 0 {
			t.Errorf("prepared %d times, want never", n)
		}
		if err == nil || err.Error() != "interrupted" {
			t.Fatalf("Execute: %v; want interrupted\n%s", err, o.all())
		}
		if got := w.scalar(t, `SELECT string_agg(command || ':' || status || ':' || error || ':' || (finished_at IS NOT NULL), ',') FROM S.ingest_runs WHERE run_id <> $1`, h.runID); got != "run:failed:interrupted:true" {
			t.Errorf("ingest_runs = %s, want the cancelled run failed:interrupted", got)
		}
		// The holder goes on undisturbed, and the lock is free after it:
		// the cancelled run stopped waiting for it.
		if err := h.letGo(); err != nil {
			t.Fatalf("the holding run: %v", err)
		}
		if got := w.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE run_id <> $1`, h.runID); got != "0" {
			t.Errorf("%s fetches recorded for the cancelled run", got)
		}
		sim := startSim(t, clock, graphsim.Options{})
		next := &outputs{}
		p = runPlan(t, graphAt(sim.URL(), simToken, clock, next, 2), clock, userReport, minuteReport)
		if err := pipeline.Execute(t.Context(), next.env(), w.connect(t), p.Plan); err != nil {
			t.Fatalf("next run: %v\n%s", err, next.all())
		}
		if got := w.scalar(t, `SELECT string_agg(command || ':' || status, ',' ORDER BY run_id) FROM S.ingest_runs`); got != "load-file:succeeded,run:failed,run:succeeded" {
			t.Errorf("ingest_runs = %s", got)
		}
	})
}

// blockTable takes an ACCESS EXCLUSIVE lock on table from a connection of
// the test's own, in a transaction kept open until unblock is called (or
// the test ends): a load writing the table waits, as on a frozen backend.
func blockTable(t *testing.T, w *warehouse, table string) (unblock func(), err error) {
	tx, err := pgtest.Pool(t).Begin(context.Background())
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(context.Background(), w.sql(`LOCK TABLE S.`+table+` IN ACCESS EXCLUSIVE MODE`)); err != nil {
		tx.Rollback(context.Background())
		return nil, err
	}
	var once sync.Once
	unblock = func() { once.Do(func() { tx.Rollback(context.Background()) }) }
	// Without a timeout the load would wait for ever: after a generous
	// safety delay it may go on, so that such a test fails, not hangs.
	safety := time.AfterFunc(60*time.Second, unblock)
	t.Cleanup(func() { safety.Stop(); unblock() })
	return unblock, nil
}

// TestRunTimeoutAndStatementTimeout: a load blocked on a table (its
// statement waits for ever) fails with the statement timeout, whether the
// plan sets it or the database URL does, and a run whose work outlives
// RunTimeout fails with that; the error names the setting once, the run
// and the report are recorded with it, and the lock is let go: the next
// run loads.
func TestRunTimeoutAndStatementTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query string // added to the database URL
		set   func(p *pipeline.Plan)
		want  string
	}{
		{"statement timeout of the plan", "", func(p *pipeline.Plan) {
			p.StatementTimeout, p.StatementTimeoutSet = 500*time.Millisecond, true
		}, "canceling statement due to statement timeout (SQLSTATE 57014) (--statement-timeout 500ms)"},
		{"statement timeout of the URL", "statement_timeout=500", func(p *pipeline.Plan) {
			p.StatementTimeout = 10 * time.Minute // the flag's default, not given
		}, "canceling statement due to statement timeout (SQLSTATE 57014) (the database URL's statement_timeout)"},
		{"run timeout", "", func(p *pipeline.Plan) {
			p.StatementTimeout, p.StatementTimeoutSet, p.RunTimeout = 0, true, 3*time.Second
		}, "run timed out after 3s (--run-timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := migrated(t)
			url := w.url
			if tc.query != "" {
				sep := "?"
				if strings.Contains(url, "?") {
					sep = "&"
				}
				url += sep + tc.query
			}
			clock := fakeclock.New(asOf)
			sim := startSim(t, clock, graphsim.Options{})
			o := &outputs{}
			p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 1), clock, userReport)
			tc.set(&p.Plan)
			var unblock func()
			var blockErr error
			p.BeforeLoad = func(ctx context.Context, f load.Fetch) {
				unblock, blockErr = blockTable(t, w, f.Report.Table)
			}
			err := pipeline.Execute(t.Context(), o.env(), w.connectTo(t, url), p.Plan)
			if blockErr != nil {
				t.Fatalf("block the table: %v", blockErr)
			}
			if unblock == nil {
				t.Fatalf("the run never loaded: %v\n%s", err, o.all())
			}
			unblock()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Execute: %v; want %q", err, tc.want)
			}
			if n := strings.Count(err.Error(), "--") + strings.Count(err.Error(), "database URL's"); n != 1 {
				t.Errorf("error %q names the setting %d times, want once", err, n)
			}
			if got := w.scalar(t, `SELECT status || ': ' || error FROM S.ingest_runs`); got != "failed: "+err.Error() || strings.Count(got, tc.want) != 1 {
				t.Errorf("ingest_runs: %s, want failed with %q once", got, tc.want)
			}
			if got := w.scalar(t, `SELECT outcome || ': ' || error FROM S.report_fetches`); !strings.HasPrefix(got, "failed: ") || !strings.Contains(got, tc.want) {
				t.Errorf("report_fetches: %s, want failed with %q", got, tc.want)
			}
			if n := w.rows(t, "skype_organizer_activity_user_counts"); n != "0" {
				t.Errorf("%s rows landed of the timed-out load", n)
			}
			next := &outputs{}
			p = runPlan(t, graphAt(sim.URL(), simToken, clock, next, 1), clock, userReport)
			tc.set(&p.Plan)
			if err := pipeline.Execute(t.Context(), next.env(), w.connectTo(t, url), p.Plan); err != nil {
				t.Fatalf("next run: %v\n%s", err, next.all())
			}
			if n := w.rows(t, "skype_organizer_activity_user_counts"); n != "7" {
				t.Errorf("the next run loaded %s rows, want 7", n)
			}
		})
	}
}
