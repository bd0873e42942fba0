package load

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

type bundle struct {
	db   *DB
	spec *report.Spec
	run  int64
	url  string // the test database's, for a second connection pool
}

// setup gives a test a migrated schema, reused from an ended test when one
// is free (pgtest.Migrated; one whose shape a test changed is dropped
// instead), and a run.
func setup(t *testing.T) *bundle {
	t.Helper()
	url, schema := pgtest.Migrated(t, migrateSchema)
	return setupIn(t, url, schema)
}

// setupFresh is setup in a schema of the test's own, migrated now: for a
// test that reads the server's cumulative statistics of its tables.
func setupFresh(t *testing.T) *bundle {
	t.Helper()
	url, schema := pgtest.Schema(t)
	if err := migrateSchema(context.Background(), url, schema); err != nil {
		t.Fatal(err)
	}
	return setupIn(t, url, schema)
}

func migrateSchema(ctx context.Context, url, schema string) error {
	db, err := Connect(ctx, url, schema, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

func setupIn(t *testing.T, url, schema string) *bundle {
	t.Helper()
	ctx := context.Background()
	db, err := Connect(ctx, url, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	run, err := db.StartRun(ctx, Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := report.Lookup("skype-organizer-activity-minute-counts")
	return &bundle{db: db, spec: spec, run: run, url: url}
}

// bothWays runs a test of the upsert rule once for each way a payload's
// rows reach its merge statement: as arrays bound to it (up to arrayRows
// rows) and copied into the staging table (a larger payload).
func bothWays(t *testing.T, setup func(*testing.T) *bundle, test func(*testing.T, *bundle)) {
	t.Parallel()
	for _, way := range []struct {
		name    string
		copyAll bool
	}{{"arrays", false}, {"copy", true}} {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.db.copyAll = way.copyAll
			test(t, b)
		})
	}
}

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

func row(refresh, date string, vals ...int64) transform.Row {
	r := transform.Row{RefreshDate: day(refresh), ReportDate: day(date), Period: 7}
	for _, v := range vals {
		if v < 0 {
			r.Values = append(r.Values, transform.Value{})
		} else {
			r.Values = append(r.Values, transform.Value{N: v, Valid: true})
		}
	}
	return r
}

func (b *bundle) upsert(t *testing.T, rows ...transform.Row) Counts {
	t.Helper()
	c, err := b.db.Upsert(context.Background(), Fetch{RunID: b.run, TenantID: "t1", Report: b.spec, Source: "test"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *bundle) table(t *testing.T) string {
	t.Helper()
	var s string
	err := b.db.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(format('%s=%s/%s/%s@%s', report_date, audio_video,
		coalesce(dial_in_microsoft::text, 'NULL'), dial_out_microsoft, report_refresh_date), ' ' ORDER BY report_date), '')
		FROM skype_organizer_activity_minute_counts`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUpsertRule(t *testing.T) { bothWays(t, setup, testUpsertRule) }

func testUpsertRule(t *testing.T, b *bundle) {
	ctx := context.Background()

	if c := b.upsert(t, row("2026-11-21", "2026-11-20", 1, 2, 3), row("2026-11-21", "2026-11-21", 4, -1, 6)); c != (Counts{2, 2, 0, 0, 0}) {
		t.Errorf("insert counts = %+v", c)
	}
	if got, want := b.table(t), "2026-11-20=1/2/3@2026-11-21 2026-11-21=4/NULL/6@2026-11-21"; got != want {
		t.Errorf("after insert: %s, want %s", got, want)
	}
	var changed1 time.Time
	b.db.Pool.QueryRow(ctx, `SELECT changed_at FROM skype_organizer_activity_minute_counts WHERE report_date = '2026-11-20'`).Scan(&changed1)

	// Identical again: nothing written.
	if c := b.upsert(t, row("2026-11-21", "2026-11-20", 1, 2, 3), row("2026-11-21", "2026-11-21", 4, -1, 6)); c != (Counts{2, 0, 0, 2, 0}) {
		t.Errorf("no-op counts = %+v", c)
	}
	// A different period alone is not a change.
	r := row("2026-11-21", "2026-11-20", 1, 2, 3)
	r.Period = 180
	if c := b.upsert(t, r); c != (Counts{1, 0, 0, 1, 0}) {
		t.Errorf("period-only counts = %+v", c)
	}

	// A restatement on a newer refresh: updated, bookkeeping moves.
	run2, _ := b.db.StartRun(ctx, Run{Command: "test"})
	b.run = run2
	if c := b.upsert(t, row("2026-11-22", "2026-11-20", 1, 2, 30)); c != (Counts{1, 0, 1, 0, 1}) {
		t.Errorf("restatement counts = %+v", c)
	}
	var hist string
	b.db.Pool.QueryRow(ctx, `SELECT string_agg(format('%s %s %s dial_out=%s refresh=%s run=%s', report_table, tenant_id, report_date,
		old_row->>'dial_out_microsoft', old_row->>'report_refresh_date', replaced_by_run), '; ') FROM row_history`).Scan(&hist)
	if want := fmt.Sprintf("skype_organizer_activity_minute_counts t1 2026-11-20 dial_out=3 refresh=2026-11-21 run=%d", run2); hist != want {
		t.Errorf("history = %q\nwant      %q", hist, want)
	}
	var changed2, loaded time.Time
	var runID int64
	b.db.Pool.QueryRow(ctx, `SELECT changed_at, loaded_at, run_id FROM skype_organizer_activity_minute_counts WHERE report_date = '2026-11-20'`).Scan(&changed2, &loaded, &runID)
	if !changed2.After(changed1) || runID != run2 || !loaded.Equal(changed1) {
		t.Errorf("bookkeeping after restatement: changed %v (was %v), loaded %v, run %d (want %d)", changed2, changed1, loaded, runID, run2)
	}

	// An older refresh with other values: kept out; a missing date: inserted.
	if c := b.upsert(t, row("2026-11-19", "2026-11-20", 9, 9, 9), row("2026-11-19", "2026-11-19", 7, 8, 9)); c != (Counts{2, 1, 0, 1, 0}) {
		t.Errorf("older counts = %+v", c)
	}
	if got, want := b.table(t), "2026-11-19=7/8/9@2026-11-19 2026-11-20=1/2/30@2026-11-22 2026-11-21=4/NULL/6@2026-11-21"; got != want {
		t.Errorf("after older payload: %s\nwant %s", got, want)
	}

	// A value going from a number to empty is a restatement too.
	if c := b.upsert(t, row("2026-11-22", "2026-11-20", 1, -1, 30)); c != (Counts{1, 0, 1, 0, 1}) {
		t.Errorf("to-NULL counts = %+v", c)
	}
	// A newer refresh with the same values moves the refresh date and keeps
	// no history: nothing was restated.
	var changedBefore time.Time
	var runBefore int64
	b.db.Pool.QueryRow(ctx, `SELECT changed_at, run_id FROM skype_organizer_activity_minute_counts WHERE report_date = '2026-11-21'`).Scan(&changedBefore, &runBefore)
	run3, _ := b.db.StartRun(ctx, Run{Command: "test"})
	b.run = run3
	if c := b.upsert(t, row("2026-11-23", "2026-11-21", 4, -1, 6)); c != (Counts{1, 0, 1, 0, 0}) {
		t.Errorf("refresh-only counts = %+v", c)
	}
	var changedAfter time.Time
	var runAfter int64
	var refresh time.Time
	b.db.Pool.QueryRow(ctx, `SELECT changed_at, run_id, report_refresh_date FROM skype_organizer_activity_minute_counts WHERE report_date = '2026-11-21'`).Scan(&changedAfter, &runAfter, &refresh)
	if !changedAfter.Equal(changedBefore) || runAfter != runBefore || refresh.Format(time.DateOnly) != "2026-11-23" {
		t.Errorf("refresh-only update: changed_at %v→%v, run %d→%d (want unchanged), refresh %v (want 2026-11-23)",
			changedBefore, changedAfter, runBefore, runAfter, refresh)
	}
	var n int
	b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM row_history`).Scan(&n)
	if n != 2 {
		t.Errorf("row_history has %d rows, want 2", n)
	}
}

// TestUpsertAllOrNothing: when the load fails at its very end (here the
// audit row's foreign key: the run does not exist, checked when the
// statement that wrote the rows ends), no row, payload or fetch record
// stays; and a payload with a key twice is refused before anything is
// written, naming the rows.
func TestUpsertAllOrNothing(t *testing.T) { bothWays(t, setup, testUpsertAllOrNothing) }

func testUpsertAllOrNothing(t *testing.T, b *bundle) {
	ctx := context.Background()
	f := Fetch{RunID: b.run + 1000, TenantID: "t1", Report: b.spec, Source: "test",
		Payload: &Payload{SHA256: strings.Repeat("ab", 32), Body: []byte("x"), Format: report.CSV}}
	// Enough rows for every way (arrays, a direct copy, a staged merge).
	rows := week("2026-11-21", "2026-11-21", 6000, func(i int) []int64 { return []int64{int64(i), 1, 2} })
	for _, rs := range [][]transform.Row{rows[:7], rows} {
		if _, err := b.db.Upsert(ctx, f, rs); err == nil {
			t.Fatalf("%d rows of a run that does not exist loaded", len(rs))
		}
	}
	for _, table := range []string{"skype_organizer_activity_minute_counts", "payloads", "report_fetches"} {
		var n int
		b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
		if n != 0 {
			t.Errorf("%s has %d rows after a failed load", table, n)
		}
	}
	// A restatement of every row, rolled back at its end.
	f.RunID = b.run
	if _, err := b.db.Upsert(ctx, f, rows); err != nil {
		t.Fatal(err)
	}
	before := b.table(t)
	f.RunID = b.run + 1000
	restated := week("2026-11-22", "2026-11-21", 6000, func(i int) []int64 { return []int64{int64(i), 9, 2} })
	for _, rs := range [][]transform.Row{restated[:7], restated} {
		if _, err := b.db.Upsert(ctx, f, rs); err == nil {
			t.Fatalf("a restatement of %d rows by a run that does not exist loaded", len(rs))
		}
	}
	var n int
	b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM row_history`).Scan(&n)
	if n != 0 || b.table(t) != before {
		t.Errorf("a failed restatement left %d history rows, or changed the table", n)
	}
	var err error

	f.RunID = b.run
	_, err = b.db.Upsert(ctx, f, []transform.Row{row("2026-11-21", "2026-11-20", 1, 2, 3), row("2026-11-21", "2026-11-20", 1, 2, 4)})
	if err == nil {
		t.Fatal("duplicate report date in one payload loaded")
	}
	if !strings.Contains(err.Error(), "rows 1 and 2 of the payload have the same key") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %q, want one line naming rows 1 and 2", err)
	}
	b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM payloads`).Scan(&n)
	if n != 1 { // the staged merge's
		t.Errorf("payloads has %d rows, want the one that loaded", n)
	}
}

func TestMigrateIsIdempotentAndConnectHidesPassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.db.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	_, err := Connect(context.Background(), "postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "m365", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("connect error = %v", err)
	}
	_, err = Connect(context.Background(), "postgres://postgres:hunter2@127.0.0.1:5432/x", "Bad-Schema", nil)
	if err == nil || !strings.Contains(err.Error(), "invalid schema") {
		t.Fatalf("schema error = %v", err)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:hunter2@h:5432/db":      "postgres://u:xxxxx@h:5432/db",
		"host=h user=u password=hunter2 db=x": "host=h user=u password=xxxxx db=x",
		"postgres://u@h/db":                   "postgres://u@h/db",
		"postgres://u:p@ss@h:5432/db":         "postgres://u:xxxxx@h:5432/db",
		"host=h password='two words' user=u":  "host=h password=xxxxx user=u",
		"postgres://h/db?password=pw&x=1":     "postgres://h/db?password=xxxxx&x=1",
		"connect to postgres://u:pw@h failed": "connect to postgres://u:xxxxx@h failed",
		"postgres://u:pa/ss@h/db":             "postgres://u:xxxxx@h/db",
		"host=h sslpassword=KEY password=PW":  "host=h sslpassword=xxxxx password=xxxxx",
		"postgres://u@h/db?sslpassword=KEY":   "postgres://u@h/db?sslpassword=xxxxx",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func reportSpec(name string) (*report.Spec, error) { return report.Lookup(name) }
