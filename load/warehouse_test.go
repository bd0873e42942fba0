package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// week builds rows for n consecutive dates ending at last.
func week(refresh, last string, n int, val func(i int) []int64) []transform.Row {
	end := day(last)
	var rows []transform.Row
	for i := 0; i < n; i++ {
		d := end.AddDate(0, 0, -i).Format(time.DateOnly)
		rows = append(rows, row(refresh, d, val(i)...))
	}
	return rows
}

// tableStats reads the statistics of a table once this session's view of the
// statistics is fresh and the server has flushed the counters of the
// transaction that inserted wantFetches fetch records.
func tableStats(t *testing.T, b *bundle, table string, wantFetches int64) (ins, upd, dead int64) {
	t.Helper()
	ctx := context.Background()
	conn, err := b.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		var fetches int64
		err := conn.QueryRow(ctx, `SELECT coalesce((SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'report_fetches'::regclass), 0)`).Scan(&fetches)
		if err != nil {
			t.Fatal(err)
		}
		if fetches >= wantFetches {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics not flushed: report_fetches n_tup_ins = %d, want %d", fetches, wantFetches)
		}
		time.Sleep(100 * time.Millisecond)
	}
	err = conn.QueryRow(ctx, `SELECT n_tup_ins, n_tup_upd, n_dead_tup FROM pg_stat_user_tables WHERE relid = $1::regclass`, table).Scan(&ins, &upd, &dead)
	if err != nil {
		t.Fatal(err)
	}
	return ins, upd, dead
}

// TestIdenticalRerunLeavesNoDeadTuples: the no-op re-run updates nothing, so
// it leaves no dead tuple behind (statistics read after they are flushed).
func TestIdenticalRerunLeavesNoDeadTuples(t *testing.T) {
	bothWays(t, setupFresh, testIdenticalRerunLeavesNoDeadTuples)
}

func testIdenticalRerunLeavesNoDeadTuples(t *testing.T, b *bundle) {
	rows := week("2026-11-21", "2026-11-21", 7, func(i int) []int64 { return []int64{int64(100 + i), int64(i), -1} })
	if c := b.upsert(t, rows...); c.Inserted != 7 {
		t.Fatalf("first load = %+v", c)
	}
	ins1, upd1, dead1 := tableStats(t, b, "skype_organizer_activity_minute_counts", 1)
	if ins1 != 7 || upd1 != 0 {
		t.Fatalf("after first load: ins %d upd %d", ins1, upd1)
	}
	if c := b.upsert(t, rows...); c != (Counts{7, 0, 0, 7, 0}) {
		t.Fatalf("re-run = %+v", c)
	}
	// Nor does it lock a row: ON CONFLICT DO UPDATE locks the row it
	// conflicts with (writing its xmax, the page and the WAL) before its
	// WHERE says no, so unchanged rows must not reach it.
	var locked int
	if err := b.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM skype_organizer_activity_minute_counts WHERE xmax <> 0`).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	if locked != 0 {
		t.Errorf("the identical re-run locked %d of 7 rows", locked)
	}
	ins2, upd2, dead2 := tableStats(t, b, "skype_organizer_activity_minute_counts", 2)
	if ins2 != ins1 || upd2 != upd1 || dead2 != dead1 {
		t.Errorf("identical re-run changed the table: ins %d→%d upd %d→%d dead %d→%d", ins1, ins2, upd1, upd2, dead1, dead2)
	}
}

// TestCancelDuringCopy: a context cancelled in the middle of COPY leaves
// nothing of the payload, and the run is recorded as failed.
func TestCancelDuringCopy(t *testing.T) {
	b := setup(t) // not parallel: it sets the package's copy hook
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen atomic.Int64
	copyHook = func(i int) {
		seen.Store(int64(i))
		if i == 5000 {
			cancel()
		}
	}
	defer func() { copyHook = nil }()
	rows := week("2026-11-21", "2026-11-21", 20000, func(i int) []int64 { return []int64{int64(i), 1, 2} })
	f := Fetch{RunID: b.run, TenantID: "t1", Report: b.spec, Source: "test",
		Payload: &Payload{SHA256: strings.Repeat("cd", 32), Body: []byte("x"), Format: report.CSV}}
	_, err := b.db.Upsert(ctx, f, rows)
	if err == nil {
		t.Fatal("cancelled load succeeded")
	}
	if n := seen.Load(); n < 5000 || n >= int64(len(rows)) {
		t.Fatalf("COPY read %d of %d rows: the cancellation did not land in the middle of it", n, len(rows))
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want one wrapping context.Canceled", err)
	}
	if err := b.db.RecordFetch(ctx, f, "failed", err); err != nil {
		t.Fatal(err)
	}
	if err := b.db.FinishRun(ctx, b.run, err); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	var n int
	b.db.Pool.QueryRow(bg, `SELECT count(*) FROM skype_organizer_activity_minute_counts`).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows landed from a cancelled load", n)
	}
	var status, outcome string
	b.db.Pool.QueryRow(bg, `SELECT r.status, f.outcome FROM ingest_runs r JOIN report_fetches f USING (run_id)`).Scan(&status, &outcome)
	if status != "failed" || outcome != "failed" {
		t.Errorf("run %q fetch %q, want failed/failed", status, outcome)
	}
}

// TestViewsOnHandComputedData checks daily, weekly, monthly, gaps and
// freshness on a small data set worked out by hand.
func TestViewsOnHandComputedData(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	users, _ := reportSpec("skype-organizer-activity-user-counts")
	// Minutes, week of Mon 2026-11-02 .. Sun 11-08, all 7 days; and Mon 11-09,
	// Tue 11-10 (a partial week); 11-05 missing from user counts only.
	minutes := []transform.Row{}
	for i := 0; i < 9; i++ {
		d := day("2026-11-02").AddDate(0, 0, i).Format(time.DateOnly)
		minutes = append(minutes, row("2026-11-12", d, int64(10*(i+1)), int64(i), -1))
	}
	b.upsert(t, minutes...)
	var urows []transform.Row
	for i, im := range []int64{5, 7, 3, -1, 9, 1, 2, 4, 6} { // 11-05 gets a NULL im
		d := day("2026-11-02").AddDate(0, 0, i)
		if d.Day() == 6 { // 11-06 missing: a gap
			continue
		}
		urows = append(urows, row("2026-11-12", d.Format(time.DateOnly), im, 1, 1, 1, 1, 1))
	}
	if _, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: users, Source: "test"}, urows); err != nil {
		t.Fatal(err)
	}
	b.db.FinishRun(ctx, b.run, nil)

	q := func(sql string) string {
		t.Helper()
		var s string
		if err := b.db.Pool.QueryRow(ctx, sql).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}
	// Weekly: week 1 has 7 minute days; im over 11-02..08 = 5,7,3,NULL,(gap),1,2 → avg 3.6, peak 7.
	// Minutes audio_video = 10+20+...+70 = 280; dial_out all NULL → NULL sum.
	got := q(`SELECT string_agg(format('%s days=%s partial=%s im_avg=%s im_peak=%s av=%s out=%s', week_start, days_covered, partial,
		im_organizers_daily_avg, im_organizers_daily_peak, audio_video_minutes, coalesce(dial_out_microsoft_minutes::text, 'NULL')), '; ' ORDER BY week_start)
		FROM skype_organizer_weekly`)
	want := "2026-11-02 days=7 partial=f im_avg=3.60 im_peak=7 av=280 out=NULL; 2026-11-09 days=2 partial=t im_avg=5.00 im_peak=6 av=170 out=NULL"
	if got != want {
		t.Errorf("weekly:\n got %s\nwant %s", got, want)
	}
	// Monthly: November has 30 days, 9 covered; im avg over 5,7,3,9... = (5+7+3+1+2+4+6)/7 = 4.00; minutes 10..90 = 450.
	got = q(`SELECT format('%s..%s in=%s days=%s partial=%s im_avg=%s im_peak=%s av=%s dial_in=%s', month_start, month_end, days_in_month, days_covered, partial,
		im_organizers_daily_avg, im_organizers_daily_peak, audio_video_minutes, dial_in_microsoft_minutes) FROM skype_organizer_monthly`)
	if want := "2026-11-01..2026-11-30 in=30 days=9 partial=t im_avg=4.00 im_peak=7 av=450 dial_in=36"; got != want {
		t.Errorf("monthly:\n got %s\nwant %s", got, want)
	}
	// Gaps: 11-06 missing from user counts only.
	got = q(`SELECT coalesce(string_agg(report || ' ' || missing_date, ', ' ORDER BY report, missing_date), '') FROM ingest_gaps`)
	if want := "skype-organizer-activity-user-counts 2026-11-06"; got != want {
		t.Errorf("gaps = %q, want %q", got, want)
	}
	// Daily: both sides, NULL where a side has no row.
	got = q(`SELECT format('%s/%s', coalesce(im_organizers::text, 'NULL'), audio_video_minutes) FROM skype_organizer_daily WHERE report_date = '2026-11-06'`)
	if got != "NULL/50" {
		t.Errorf("daily 11-06 = %s", got)
	}
	// Freshness: per report, newest date and refresh, days behind today.
	got = q(`SELECT string_agg(format('%s %s %s %s', report, newest_report_date, newest_refresh_date, days_behind = current_date - date '2026-11-10'), '; ' ORDER BY report) FROM ingest_freshness`)
	if want := "skype-organizer-activity-minute-counts 2026-11-10 2026-11-12 t; skype-organizer-activity-user-counts 2026-11-10 2026-11-12 t"; got != want {
		t.Errorf("freshness:\n got %s\nwant %s", got, want)
	}
	if q(`SELECT count(*) FROM ingest_freshness WHERE last_success_run_id IS NULL`) != "0" {
		t.Errorf("freshness has no last successful run")
	}
}

// chainedViews is a view set where vb is built on va.
func chainedViews() fstest.MapFS {
	return fstest.MapFS{
		"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date AS d FROM skype_organizer_activity_minute_counts;`)},
		"020_b.sql": {Data: []byte(`CREATE OR REPLACE VIEW vb AS SELECT d FROM va;`)},
	}
}

// TestViewsRecreatedOnlyWhenChanged: an unchanged set of view files touches
// nothing; a changed one (here a column renamed, which CREATE OR REPLACE
// alone cannot do) replaces the views and keeps the readers' grants.
func TestViewsRecreatedOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	v1 := chainedViews()
	if err := b.db.applyViews(ctx, v1); err != nil {
		t.Fatal(err)
	}
	var at1 time.Time
	b.db.Pool.QueryRow(ctx, `SELECT max(applied_at) FROM applied_views`).Scan(&at1)
	if err := b.db.applyViews(ctx, v1); err != nil {
		t.Fatal(err)
	}
	var at2 time.Time
	b.db.Pool.QueryRow(ctx, `SELECT max(applied_at) FROM applied_views`).Scan(&at2)
	if !at1.Equal(at2) {
		t.Errorf("unchanged views were re-created")
	}
	role := readerRole(t, b)
	if _, err := b.db.GrantReader(ctx, role, false); err != nil {
		t.Fatal(err)
	}
	v2 := fstest.MapFS{
		"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date AS day FROM skype_organizer_activity_minute_counts;`)},
		"020_b.sql": {Data: []byte(`CREATE OR REPLACE VIEW vb AS SELECT day FROM va;`)},
	}
	if err := b.db.applyViews(ctx, v2); err != nil {
		t.Fatal(err)
	}
	var col string
	b.db.Pool.QueryRow(ctx, `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'vb'`, b.db.Schema).Scan(&col)
	if col != "day" {
		t.Errorf("vb column = %q, want day", col)
	}
	var ok bool
	b.db.Pool.QueryRow(ctx, `SELECT has_table_privilege($1, $2, 'SELECT')`, role, b.db.Schema+".vb").Scan(&ok)
	if !ok {
		t.Errorf("reader lost SELECT on re-created view")
	}
}

// readerRole creates a role for the test and drops it afterwards.
func readerRole(t *testing.T, b *bundle) string {
	t.Helper()
	role := "reader_" + strings.TrimPrefix(b.db.Schema, "t_")
	ctx := context.Background()
	if _, err := b.db.Pool.Exec(ctx, `CREATE ROLE `+pgx.Identifier{role}.Sanitize()+` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropRole(t, role) })
	return role
}

// dropRole drops a role a test created, and its privileges. Cleanups run
// last-in first-out: it runs before the schema is dropped.
func dropRole(t *testing.T, role string) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	pool.Exec(ctx, `DROP OWNED BY `+pgx.Identifier{role}.Sanitize())
	if _, err := pool.Exec(ctx, `DROP ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Errorf("drop role: %v", err)
	}
}

// TestReaderRole: a reader selects from the views and can neither select
// from the tables nor write anything.
func TestReaderRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.upsert(t, row("2026-11-21", "2026-11-21", 1, 2, 3))
	role := readerRole(t, b)
	g, err := b.db.GrantReader(ctx, role, false)
	if err != nil {
		t.Fatal(err)
	}
	views := g.Views
	if len(views) < 5 {
		t.Fatalf("granted %v", views)
	}
	if _, err := b.db.GrantReader(ctx, "no_such_role_x", false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("grant to a missing role: %v", err)
	}
	as := func(sql string) error {
		return pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sql)
			return err
		})
	}
	for _, v := range views {
		if err := as(`SELECT * FROM ` + pgx.Identifier{v}.Sanitize()); err != nil {
			t.Errorf("reader cannot select from view %s: %v", v, err)
		}
	}
	for _, sql := range []string{
		`SELECT * FROM skype_organizer_activity_minute_counts`,
		`SELECT * FROM payloads`,
		`SELECT * FROM ingest_runs`,
		`INSERT INTO skype_organizer_activity_minute_counts (tenant_id, report_date, report_refresh_date, report_period) VALUES ('x', '2026-01-01', '2026-01-01', 7)`,
		`DELETE FROM skype_organizer_activity_user_counts`,
		`CREATE TABLE mine (x int)`,
		`UPDATE reader_roles SET role_name = 'x'`,
	} {
		if err := as(sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("reader ran %q: %v", sql, err)
		}
	}
	// Views are not writable either (none is auto-updatable).
	if err := as(`DELETE FROM skype_organizer_daily`); err == nil {
		t.Errorf("reader deleted from a view")
	}
}

// TestLeastPrivilegedRole: the grants the README documents are enough. An
// admin creates a login role and a schema it owns; ingest, connected as that
// role, migrates, loads, and grants readers.
func TestLeastPrivilegedRole(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.Schema(t)
	ctx := context.Background()
	admin := pgtest.Pool(t)
	role := "ingest_" + strings.TrimPrefix(schema, "t_")
	reader := "analyst_" + strings.TrimPrefix(schema, "t_")
	for _, sql := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`CREATE SCHEMA ` + schema + ` AUTHORIZATION ` + role,
		`CREATE ROLE ` + reader + ` NOLOGIN`,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		for _, r := range []string{reader, role} {
			admin.Exec(ctx, `DROP OWNED BY `+r)
			if _, err := admin.Exec(ctx, `DROP ROLE `+r); err != nil {
				t.Errorf("drop role %s: %v", r, err)
			}
		}
	})
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	roleURL := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", role, cfg.Host, cfg.Port, cfg.Database)
	db, err := Connect(ctx, roleURL, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate as %s: %v", role, err)
	}
	lock, err := db.LockRun(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	run, err := db.StartRun(ctx, Run{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := reportSpec("skype-organizer-activity-minute-counts")
	if _, err := db.Upsert(ctx, Fetch{RunID: run, TenantID: "t1", Report: spec, Source: "test"}, []transform.Row{row("2026-11-21", "2026-11-21", 1, 2, 3)}); err != nil {
		t.Fatalf("load as %s: %v", role, err)
	}
	for _, detail := range []bool{true, false} { // granting, and revoking the detail views
		if _, err := db.GrantReader(ctx, reader, detail); err != nil {
			t.Fatalf("grant-reader (detail %v) as %s: %v", detail, role, err)
		}
	}
}

// TestFreshnessDuringARun: while a run is going (or after a crash left it
// "running") freshness shows the data loaded so far and no last success yet.
func TestFreshnessDuringARun(t *testing.T) {
	t.Parallel()
	b := setup(t) // its run is started and never finished
	b.upsert(t, row("2026-11-21", "2026-11-21", 1, 2, 3))
	fresh, err := b.db.Freshness(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 1 || fresh[0].LastSuccessAt != nil || fresh[0].NewestReportDate == nil ||
		fresh[0].NewestReportDate.Format(time.DateOnly) != "2026-11-21" {
		t.Fatalf("freshness = %+v", fresh)
	}
	if err := b.db.FinishRun(context.Background(), b.run, nil); err != nil {
		t.Fatal(err)
	}
	fresh, err = b.db.Freshness(context.Background())
	if err != nil || fresh[0].LastSuccessAt == nil {
		t.Fatalf("after the run ended: %+v, %v", fresh, err)
	}
}

// TestViewsKeepWhatOthersBuilt: a compatible change replaces our views in
// place, so an analyst's view on top of them survives; an incompatible one
// stops with an error naming the analyst's view instead of dropping it; a
// view dropped by hand is created again by the next migrate.
func TestViewsKeepWhatOthersBuilt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	v1 := fstest.MapFS{"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date FROM skype_organizer_activity_minute_counts;`)}}
	if err := b.db.applyViews(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool.Exec(ctx, `CREATE VIEW analyst_view AS SELECT report_date FROM va`); err != nil {
		t.Fatal(err)
	}
	compatible := fstest.MapFS{"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date, audio_video FROM skype_organizer_activity_minute_counts;`)}}
	if err := b.db.applyViews(ctx, compatible); err != nil {
		t.Fatalf("compatible change: %v", err)
	}
	var n int
	b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'va'`, b.db.Schema).Scan(&n)
	if n != 3 {
		t.Errorf("va has %d columns after the change, want 3", n)
	}
	incompatible := fstest.MapFS{"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date AS day FROM skype_organizer_activity_minute_counts;`)}}
	err := b.db.applyViews(ctx, incompatible)
	if err == nil || !strings.Contains(err.Error(), "analyst_view") {
		t.Fatalf("incompatible change over an analyst's view: %v", err)
	}
	if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM analyst_view`).Scan(&n); err != nil {
		t.Errorf("analyst view gone: %v", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `DROP VIEW analyst_view; DROP VIEW va`); err != nil {
		t.Fatal(err)
	}
	if err := b.db.applyViews(ctx, compatible); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM va`).Scan(&n); err != nil {
		t.Errorf("a view dropped by hand was not re-created: %v", err)
	}
}

// TestViewRemovedWhileItsBaseChanges: a view that the new files no longer
// create, built on a view that changes incompatibly, goes without blocking.
func TestViewRemovedWhileItsBaseChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	v1 := chainedViews()
	if err := b.db.applyViews(ctx, v1); err != nil {
		t.Fatal(err)
	}
	v2 := fstest.MapFS{
		"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date AS day FROM skype_organizer_activity_minute_counts;`)},
	}
	if err := b.db.applyViews(ctx, v2); err != nil {
		t.Fatalf("removing vb while va changes: %v", err)
	}
	var views string
	b.db.Pool.QueryRow(ctx, `SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE schemaname = $1`, b.db.Schema).Scan(&views)
	if views != "va" {
		t.Errorf("views = %s, want va", views)
	}
}

// TestPoolOfOneStillRuns: a URL asking for one connection would leave a run
// holding the lock and waiting forever for a second; Connect keeps at least
// three.
func TestPoolOfOneStillRuns(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.Schema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := Connect(ctx, url+sep+"pool_max_conns=1", schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.LockRun(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate while holding the lock on a pool of one: %v", err)
	}
}
