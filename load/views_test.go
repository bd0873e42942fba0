package load

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// freshnessOf returns the ingest_freshness row of the report for tenant t1.
func freshnessOf(t *testing.T, b *bundle, rep string) *Freshness {
	t.Helper()
	fresh, err := b.db.Freshness(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range fresh {
		if fresh[i].TenantID == "t1" && fresh[i].Report == rep {
			return &fresh[i]
		}
	}
	return nil
}

// TestEmptyPayloadIsNotFresh: a valid payload without rows is recorded as
// empty, shows in freshness with no days behind (NULL, not 0) until a row
// lands, and an empty payload after real data keeps the data's age.
func TestEmptyPayloadIsNotFresh(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c := b.upsert(t) // header only
	if c != (Counts{}) {
		t.Errorf("counts of an empty payload = %+v", c)
	}
	if got := b.scalarText(t, `SELECT string_agg(outcome, ',') FROM report_fetches`); got != "empty" {
		t.Errorf("outcome = %s, want empty", got)
	}
	if has, err := b.db.HasData(ctx, b.spec, "t1"); err != nil || has {
		t.Errorf("HasData after an empty payload = %v, %v", has, err)
	}
	b.db.FinishRun(ctx, b.run, nil)
	f := freshnessOf(t, b, b.spec.Name)
	if f == nil || f.DaysBehind != nil || f.NewestReportDate != nil || f.NewestRefreshDate != nil || f.LastSuccessAt == nil {
		t.Fatalf("freshness after an empty payload = %+v, want no dates, days behind NULL, a last Graph fetch", f)
	}
	if got := b.scalarText(t, `SELECT coalesce(days_behind::text, 'NULL') FROM ingest_freshness`); got != "NULL" {
		t.Errorf("ingest_freshness.days_behind = %s, want NULL", got)
	}

	run2, _ := b.db.StartRun(ctx, Run{Command: "run"})
	rows := []transform.Row{row("2026-11-21", "2026-11-20", 1, 2, 3)}
	if _, err := b.db.Upsert(ctx, Fetch{RunID: run2, TenantID: "t1", Report: b.spec, Source: "test"}, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Upsert(ctx, Fetch{RunID: run2, TenantID: "t1", Report: b.spec, Source: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	b.db.FinishRun(ctx, run2, nil)
	f = freshnessOf(t, b, b.spec.Name)
	want := int(time.Since(day("2026-11-20")).Hours() / 24)
	if f == nil || f.DaysBehind == nil || f.NewestReportDate.Format(time.DateOnly) != "2026-11-20" {
		t.Fatalf("freshness after a row landed = %+v", f)
	}
	if d := *f.DaysBehind; d < want-1 || d > want+1 {
		t.Errorf("days behind = %d, want about %d (the data's age, not the empty payload's)", d, want)
	}
	if has, err := b.db.HasData(ctx, b.spec, "t1"); err != nil || !has {
		t.Errorf("HasData after a row = %v, %v", has, err)
	}
}

// TestLastSuccessIsAGraphFetch: freshness's last success is the last run or
// backfill; a replay and a file load show in columns of their own and move
// it not.
func TestLastSuccessIsAGraphFetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	load := func(command, refresh string) int64 {
		t.Helper()
		id, err := b.db.StartRun(ctx, Run{Command: command})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Upsert(ctx, Fetch{RunID: id, TenantID: "t1", Report: b.spec, Source: command},
			[]transform.Row{row(refresh, "2026-11-20", 1, 2, 3)}); err != nil {
			t.Fatal(err)
		}
		if err := b.db.FinishRun(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
		return id
	}
	b.db.FinishRun(ctx, b.run, nil) // setup's run, which loaded nothing
	graph := load("backfill", "2026-11-21")
	replay := load("replay", "2026-11-22")
	file := load("load-file", "2026-11-23")
	got := b.scalarText(t, `SELECT format('%s %s %s', last_success_run_id, last_replay_run_id, last_file_load_run_id) FROM ingest_freshness`)
	if want := strings.Join([]string{itoa(graph), itoa(replay), itoa(file)}, " "); got != want {
		t.Errorf("last success / replay / file load runs = %s, want %s", got, want)
	}
	f := freshnessOf(t, b, b.spec.Name)
	if f == nil || f.LastSuccessAt == nil || f.LastReplayAt == nil || f.LastFileLoadAt == nil ||
		!f.LastReplayAt.After(*f.LastSuccessAt) || !f.LastFileLoadAt.After(*f.LastReplayAt) {
		t.Errorf("freshness = %+v", f)
	}
	// The data is the newest of any source: the file's refresh date.
	if f != nil && (f.NewestRefreshDate == nil || f.NewestRefreshDate.Format(time.DateOnly) != "2026-11-23") {
		t.Errorf("newest refresh date = %v, want 2026-11-23", f.NewestRefreshDate)
	}
}

// TestPeriodViewsCountDaysPerMetric: a week with a row every day but one
// empty cell says so next to the average: im_organizers_days 6 of 7.
func TestPeriodViewsCountDaysPerMetric(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	users, _ := report.Lookup("skype-organizer-activity-user-counts")
	var urows, mrows []transform.Row
	for i, im := range []int64{5, 7, 3, -1, 9, 1, 2} { // Mon 2026-11-02 .. Sun 11-08, 11-05 empty
		d := day("2026-11-02").AddDate(0, 0, i).Format(time.DateOnly)
		urows = append(urows, row("2026-11-12", d, im, 1, 1, 1, 1, 1))
		dialIn := int64(i)
		if i == 6 {
			dialIn = -1
		}
		mrows = append(mrows, row("2026-11-12", d, 10, dialIn, -1))
	}
	if _, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: users, Source: "test"}, urows); err != nil {
		t.Fatal(err)
	}
	b.upsert(t, mrows...)
	got := b.scalarText(t, `SELECT format('days=%s partial=%s im_avg=%s im_days=%s av_days=%s in=%s in_days=%s out=%s out_days=%s',
		days_covered, partial, im_organizers_daily_avg, im_organizers_days, audio_video_organizers_days,
		dial_in_microsoft_minutes, dial_in_microsoft_minutes_days, coalesce(dial_out_microsoft_minutes::text, 'NULL'), dial_out_microsoft_minutes_days)
		FROM skype_organizer_weekly`)
	// im: 5+7+3+9+1+2 = 27 over 6 days = 4.50; dial-in 0..5 = 15 over 6 days.
	if want := "days=7 partial=f im_avg=4.50 im_days=6 av_days=7 in=15 in_days=6 out=NULL out_days=0"; got != want {
		t.Errorf("weekly:\n got %s\nwant %s", got, want)
	}
	got = b.scalarText(t, `SELECT format('days=%s im_days=%s in_days=%s', days_covered, im_organizers_days, dial_in_microsoft_minutes_days) FROM skype_organizer_monthly`)
	if want := "days=7 im_days=6 in_days=6"; got != want {
		t.Errorf("monthly: got %s, want %s", got, want)
	}
}

// TestEveryReportReachesTheReader: every metric of every report's table is
// shown by at least one view granted to the reader, and a reader role given
// grant-reader --detail can select from every view (and so from every
// report), as itself.
func TestEveryReportReachesTheReader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	role := readerRole(t, b)
	g, err := b.db.GrantReader(ctx, role, true) // every report: the detail ones by their views
	if err != nil {
		t.Fatal(err)
	}
	views := g.Views
	// Which metric columns of which table each view shows.
	rows, err := b.db.Pool.Query(ctx, `SELECT view_name, table_name, column_name FROM information_schema.view_column_usage
		WHERE view_schema = $1 AND table_schema = $1`, b.db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	uses := map[string]map[string]bool{} // view/table -> columns
	var view, table, col string
	if _, err := pgx.ForEachRow(rows, []any{&view, &table, &col}, func() error {
		k := view + "/" + table
		if uses[k] == nil {
			uses[k] = map[string]bool{}
		}
		uses[k][col] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range report.All {
		var shownBy []string
		for _, v := range views {
			all := true
			for _, m := range s.Metrics {
				all = all && uses[v+"/"+s.Table][m.Name]
			}
			if all {
				shownBy = append(shownBy, v)
			}
		}
		if len(shownBy) == 0 {
			t.Errorf("report %s (table %s): no view granted to the reader shows its metrics", s.Name, s.Table)
		}
	}
	for _, v := range views {
		err := pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `SELECT * FROM `+pgx.Identifier{v}.Sanitize()+` LIMIT 1`)
			return err
		})
		if err != nil {
			t.Errorf("reader cannot select from view %s: %v", v, err)
		}
	}
	// Every view of the schema is granted, and nothing else is.
	var all, tables string
	b.db.Pool.QueryRow(ctx, `SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE schemaname = $1`, b.db.Schema).Scan(&all)
	b.db.Pool.QueryRow(ctx, `SELECT coalesce(string_agg(tablename, ','), '') FROM pg_tables WHERE schemaname = $1
		AND has_table_privilege($2, quote_ident(schemaname) || '.' || quote_ident(tablename), 'SELECT')`, b.db.Schema, role).Scan(&tables)
	for _, v := range strings.Split(all, ",") {
		if !slices.Contains(views, v) {
			t.Errorf("view %s is not granted", v)
		}
	}
	if tables != "" {
		t.Errorf("the reader can select from tables: %s", tables)
	}
}

// TestEveryViewAndColumnHasAComment: \d+ and BI tools show what every view
// and every column of a view means.
func TestEveryViewAndColumnHasAComment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	rows, err := b.db.Pool.Query(ctx, `SELECT c.relname, coalesce(a.attname, ''), coalesce(d.description, '')
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = coalesce(a.attnum, 0)
		WHERE n.nspname = $1 AND c.relkind = 'v'
		UNION ALL
		SELECT c.relname, '', coalesce(obj_description(c.oid, 'pg_class'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v'
		ORDER BY 1, 2`, b.db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var view, col, text string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&view, &col, &text}, func() error {
		n++
		if strings.TrimSpace(text) == "" {
			if col == "" {
				t.Errorf("view %s has no COMMENT", view)
			} else {
				t.Errorf("column %s.%s has no COMMENT", view, col)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Errorf("only %d views and columns checked", n)
	}
	// The comments come from the report-spec table: a metric names its report and CSV column.
	if got := b.scalarText(t, `SELECT col_description('skype_participant_daily'::regclass,
		(SELECT attnum FROM pg_attribute WHERE attrelid = 'skype_participant_daily'::regclass AND attname = 'im_participants'))`); !strings.Contains(got, `"IM"`) ||
		!strings.Contains(got, "getSkypeForBusinessParticipantActivityUserCounts") || !strings.Contains(got, "never sum") {
		t.Errorf("im_participants comment = %q", got)
	}
}

func (b *bundle) scalarText(t *testing.T, sql string) string {
	t.Helper()
	var s string
	if err := b.db.Pool.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestIncompatibleChangeReplacesOnlyWhatItMust: when a later file changes
// incompatibly (weekly and monthly getting *_days columns in their middle),
// only its views and those after it are re-created; an analyst's view on an
// earlier, unchanged view of ours (the daily one) does not stop the
// migration.
func TestIncompatibleChangeReplacesOnlyWhatItMust(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if err := b.db.applyViews(ctx, chainedViews()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool.Exec(ctx, `CREATE VIEW analyst_view AS SELECT d FROM va`); err != nil {
		t.Fatal(err)
	}
	v2 := chainedViews()
	v2["020_b.sql"] = &fstest.MapFile{Data: []byte(`CREATE OR REPLACE VIEW vb AS SELECT 1 AS n, d FROM va;`)}
	if err := b.db.applyViews(ctx, v2); err != nil {
		t.Fatalf("incompatible change of vb with an analyst's view on va: %v", err)
	}
	if got := b.scalarText(t, `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = current_schema AND table_name = 'vb'`); got != "n,d" {
		t.Errorf("vb columns = %s, want n,d", got)
	}
	if got := b.scalarText(t, `SELECT count(*)::text FROM analyst_view`); got != "0" {
		t.Errorf("analyst view: %s", got)
	}
}
