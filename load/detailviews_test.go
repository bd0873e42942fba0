package load

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/m365ingest/ingest/report"
)

// exec runs SQL statements on the bundle's schema, failing the test on an
// error.
func (b *bundle) exec(t *testing.T, sqls ...string) {
	t.Helper()
	for _, sql := range sqls {
		if _, err := b.db.Pool.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// TestDetailCurrentAndHistory: _history shows every row; _current the newest
// of each entity, concealed and unconcealed apart, per tenant: for a report
// fetched by date= its newest day of one day (a period's row, from a file,
// is not a day's), for the others the newest refresh date, its shortest
// period first; for the activations per product type too.
func TestDetailCurrentAndHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO office365_active_user_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed, user_principal_name, exchange_last_activity_date) VALUES
		('t1', '2026-10-03', '2026-10-01', 1, 'alice@contoso.com', false, 'alice@contoso.com', '2026-09-30'),
		('t1', '2026-10-05', '2026-10-03', 1, 'alice@contoso.com', false, 'alice@contoso.com', '2026-10-02'),
		('t1', '2026-10-06', '2026-10-06', 7, 'alice@contoso.com', false, 'alice@contoso.com', '2026-10-06'),
		('t1', '2026-10-02', '2026-09-30', 1, '5535B4D580981B19AD1942C38063507F', true, '5535B4D580981B19AD1942C38063507F', '2026-09-29'),
		('t1', '2026-10-06', '2026-10-06', 7, 'bob@contoso.com', false, 'bob@contoso.com', '2026-10-05'),
		('t2', '2026-10-04', '2026-10-02', 1, 'alice@contoso.com', false, 'alice@contoso.com', '2026-10-01')`,
		`INSERT INTO mailbox_usage_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed, item_count) VALUES
		('t1', '2026-10-01', '2026-10-01', 7, 'alice@contoso.com', false, 1),
		('t1', '2026-10-05', '2026-10-05', 30, 'alice@contoso.com', false, 2),
		('t1', '2026-10-05', '2026-10-05', 7, 'alice@contoso.com', false, 3),
		('t1', '2026-10-04', '2026-10-04', 7, 'bob@contoso.com', false, 4)`,
		`INSERT INTO office365_activations_user_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed, product_type, windows) VALUES
		('t1', '2026-10-01', '2026-10-01', 0, 'alice@contoso.com', false, 'VISIO', 1),
		('t1', '2026-10-02', '2026-10-02', 0, 'alice@contoso.com', false, 'VISIO', 2),
		('t1', '2026-10-02', '2026-10-02', 0, 'alice@contoso.com', false, 'PROJECT', 3)`)
	for _, tc := range []struct{ query, want string }{
		{`SELECT count(*)::text FROM office365_active_user_detail_history`, "6"},
		{`SELECT string_agg(format('%s %s %s %s/%s', tenant_id, entity_key, concealed, report_date, report_period), ', '
			ORDER BY tenant_id, entity_key) FROM office365_active_user_detail_current`,
			"t1 5535B4D580981B19AD1942C38063507F t 2026-09-30/1, t1 alice@contoso.com f 2026-10-03/1, t2 alice@contoso.com f 2026-10-02/1"},
		{`SELECT string_agg(format('%s %s/%s items=%s', entity_key, report_date, report_period, item_count), ', ' ORDER BY entity_key)
			FROM mailbox_usage_detail_current`,
			"alice@contoso.com 2026-10-05/7 items=3, bob@contoso.com 2026-10-04/7 items=4"},
		{`SELECT string_agg(format('%s %s %s', entity_key, product_type, windows), ', ' ORDER BY product_type)
			FROM office365_activations_user_detail_current`,
			"alice@contoso.com PROJECT 3, alice@contoso.com VISIO 2"},
		{`SELECT count(*)::text FROM office365_activations_user_detail_history`, "3"},
	} {
		if got := b.scalarText(t, tc.query); got != tc.want {
			t.Errorf("%s\n got %q\nwant %q", tc.query, got, tc.want)
		}
	}
}

// TestLicensedUsersInactive: per workload, the users licensed for it whose
// last activity in it is more than 30 days before their row's day, or
// never; from their newest row; only users listed on the tenant's newest
// day (not one gone, nor the rows of a concealment the tenant has left).
func TestLicensedUsersInactive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO office365_active_user_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed,
		user_principal_name, has_exchange_license, exchange_last_activity_date, has_onedrive_license, onedrive_last_activity_date,
		has_teams_license, teams_last_activity_date, teams_license_assign_date) VALUES
		-- u1: exchange 11 days ago (active), onedrive 60 days ago, teams never
		('t1', '2026-11-02', '2026-10-31', 1, 'u1', false, 'u1', true, '2026-10-20', true, '2026-09-01', true, NULL, '2026-10-25'),
		-- u2: exchange 31 days ago; its older row said active (the newest row counts)
		('t1', '2026-10-03', '2026-10-01', 1, 'u2', false, 'u2', true, '2026-09-30', false, NULL, false, NULL, NULL),
		('t1', '2026-11-02', '2026-10-31', 1, 'u2', false, 'u2', true, '2026-09-30', false, NULL, false, NULL, NULL),
		-- u3: exchange exactly 30 days ago (not more), no other licence
		('t1', '2026-11-02', '2026-10-31', 1, 'u3', false, 'u3', true, '2026-10-01', false, NULL, NULL, NULL, NULL),
		-- u4: no licence, never active
		('t1', '2026-11-02', '2026-10-31', 1, 'u4', false, 'u4', false, NULL, false, NULL, false, NULL, NULL),
		-- gone: licensed and inactive, but not listed since October 1st
		('t1', '2026-10-03', '2026-10-01', 1, 'gone', false, 'gone', true, NULL, false, NULL, false, NULL, NULL),
		-- before t1 stopped concealing names: a hash, inactive then, left out now
		('t1', '2026-09-17', '2026-09-15', 1, '77E5979DD60BA6EAA53E814DBEEEFA5F', true, '77E5979DD60BA6EAA53E814DBEEEFA5F', true, NULL, false, NULL, false, NULL, NULL),
		-- t2 conceals names: its hashes are its users
		('t2', '2026-11-02', '2026-10-31', 1, '4291DA7C39EE3263E97336B42734A667', true, '4291DA7C39EE3263E97336B42734A667', true, '2026-08-01', false, NULL, false, NULL, NULL)`)
	got := b.scalarText(t, `SELECT string_agg(format('%s %s %s %s %s %s', tenant_id, workload, user_principal_name,
		coalesce(days_inactive::text, 'never'), as_of, concealed), ', ' ORDER BY tenant_id, user_principal_name, workload)
		FROM licensed_users_inactive_30d`)
	want := "t1 onedrive u1 60 2026-10-31 f, t1 teams u1 never 2026-10-31 f, t1 exchange u2 31 2026-10-31 f, " +
		"t2 exchange 4291DA7C39EE3263E97336B42734A667 91 2026-10-31 t"
	if got != want {
		t.Errorf("licensed_users_inactive_30d:\n got %s\nwant %s", got, want)
	}
	if got := b.scalarText(t, `SELECT format('%s %s', license_assign_date, last_activity_date IS NULL) FROM licensed_users_inactive_30d WHERE workload = 'teams'`); got != "2026-10-25 t" {
		t.Errorf("teams row: %s", got)
	}
}

// TestCopilotAdoptionWeekly: per ISO week with a snapshot, the users listed
// (licensed), those whose last activity falls in the week in any snapshot,
// overall and per app, and the rate. Worked out by hand:
//
//	week of 11-02 (snapshots 11-03, 11-04): licensed u1 u2 u3; active u1
//	  (11-02 word, 11-04 teams); u3's 10-20 is in a week without snapshot.
//	week of 11-09 (snapshot 11-10): licensed u1 u2; active u2 (11-09 chat).
func TestCopilotAdoptionWeekly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO copilot_usage_user_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed,
		user_principal_name, last_activity_date, word_copilot_last_activity_date, microsoft_teams_copilot_last_activity_date, copilot_chat_last_activity_date) VALUES
		('t1', '2026-11-03', '2026-11-03', 7, 'u1', false, 'u1', '2026-11-02', '2026-11-02', NULL, NULL),
		('t1', '2026-11-03', '2026-11-03', 30, 'u1', false, 'u1', '2026-11-02', '2026-11-02', NULL, NULL),
		('t1', '2026-11-04', '2026-11-04', 7, 'u1', false, 'u1', '2026-11-04', '2026-11-02', '2026-11-04', NULL),
		('t1', '2026-11-10', '2026-11-10', 7, 'u1', false, 'u1', '2026-11-04', '2026-11-02', '2026-11-04', NULL),
		('t1', '2026-11-03', '2026-11-03', 7, 'u2', false, 'u2', NULL, NULL, NULL, NULL),
		('t1', '2026-11-04', '2026-11-04', 7, 'u2', false, 'u2', NULL, NULL, NULL, NULL),
		('t1', '2026-11-10', '2026-11-10', 7, 'u2', false, 'u2', '2026-11-09', NULL, NULL, '2026-11-09'),
		('t1', '2026-11-03', '2026-11-03', 7, 'u3', false, 'u3', '2026-10-20', NULL, NULL, NULL),
		-- t2 starts concealing names on Wednesday: v1 is one user, once
		('t2', '2026-11-02', '2026-11-02', 7, 'v1', false, 'v1', '2026-11-02', NULL, NULL, NULL),
		('t2', '2026-11-04', '2026-11-04', 7, '0A1B2C3D4E5F60718293A4B5C6D7E8F9', true, '0A1B2C3D4E5F60718293A4B5C6D7E8F9', '2026-11-02', NULL, NULL, NULL)`)
	got := b.scalarText(t, `SELECT string_agg(format('%s..%s snapshots=%s licensed=%s active=%s rate=%s teams=%s word=%s excel=%s chat=%s',
		week_start, week_end, snapshot_days, licensed_users, active_users, adoption_rate, teams_active_users, word_active_users,
		excel_active_users, copilot_chat_active_users), '; ' ORDER BY week_start) FROM copilot_adoption_weekly WHERE tenant_id = 't1'`)
	want := "2026-11-02..2026-11-08 snapshots=2 licensed=3 active=1 rate=0.3333 teams=1 word=1 excel=0 chat=0; " +
		"2026-11-09..2026-11-15 snapshots=1 licensed=2 active=1 rate=0.5000 teams=0 word=0 excel=0 chat=1"
	if got != want {
		t.Errorf("copilot_adoption_weekly:\n got %s\nwant %s", got, want)
	}
	if got := b.scalarText(t, `SELECT format('%s snapshots=%s licensed=%s active=%s', week_start, snapshot_days, licensed_users, active_users)
		FROM copilot_adoption_weekly WHERE tenant_id = 't2'`); got != "2026-11-02 snapshots=2 licensed=1 active=1" {
		t.Errorf("a week in which names became concealed: %s, want each user once", got)
	}
}

// TestSitesUnused90d: OneDrive accounts and SharePoint sites whose last
// activity is more than 90 days before their newest row's day, or never;
// deleted ones, and those not listed on the tenant's newest day, left out.
func TestSitesUnused90d(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO onedrive_usage_account_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed,
		site_url, owner_display_name, owner_principal_name, is_deleted, last_activity_date, file_count, storage_used_byte) VALUES
		('t1', '2026-11-02', '2026-10-31', 1, 'https://c-my/od1', false, 'https://c-my/od1', 'One', 'one@c', false, '2026-06-01', 10, 1000),
		('t1', '2026-11-02', '2026-10-31', 1, 'https://c-my/od2', false, 'https://c-my/od2', 'Two', 'two@c', false, '2026-10-01', 20, 2000),
		('t1', '2026-11-02', '2026-10-31', 1, 'https://c-my/od3', false, 'https://c-my/od3', 'Three', 'three@c', false, NULL, 0, 0),
		('t1', '2026-11-02', '2026-10-31', 1, 'https://c-my/od4', false, 'https://c-my/od4', 'Four', 'four@c', true, NULL, 0, 0),
		-- od2 unused on an older day, used since: not listed
		('t1', '2026-09-02', '2026-08-31', 1, 'https://c-my/od5', false, 'https://c-my/od5', 'Five', 'five@c', false, '2026-01-01', 1, 1),
		('t1', '2026-11-02', '2026-10-31', 1, 'https://c-my/od5', false, 'https://c-my/od5', 'Five', 'five@c', false, '2026-10-30', 1, 1)`,
		`INSERT INTO sharepoint_site_usage_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed,
		site_id, site_url, owner_display_name, is_deleted, last_activity_date, file_count, storage_used_byte, root_web_template) VALUES
		('t1', '2026-11-02', '2026-10-31', 1, 's1', false, 's1', 'https://c/sites/s1', 'Owner', false, NULL, 5, 500, 'Group'),
		('t1', '2026-11-02', '2026-10-31', 1, 's2', false, 's2', 'https://c/sites/s2', 'Owner', false, '2026-08-02', 6, 600, 'Group'),
		('t1', '2026-11-02', '2026-10-31', 1, 's3', false, 's3', 'https://c/sites/s3', 'Owner', false, '2026-08-01', 7, 700, 'Team Site'),
		-- s4: unused, but not listed since August (gone)
		('t1', '2026-09-02', '2026-08-31', 1, 's4', false, 's4', 'https://c/sites/s4', 'Owner', false, NULL, 1, 100, 'Team Site')`)
	got := b.scalarText(t, `SELECT string_agg(format('%s %s %s %s %s %s %s', kind, site_url, owner_display_name,
		coalesce(days_unused::text, 'never'), storage_used_byte, file_count, coalesce(site_id, '-')), ', ' ORDER BY kind, site_url)
		FROM sites_unused_90d`)
	want := "onedrive https://c-my/od1 One 152 1000 10 -, onedrive https://c-my/od3 Three never 0 0 -, " +
		"sharepoint https://c/sites/s1 Owner never 500 5 s1, sharepoint https://c/sites/s3 Owner 91 700 7 s3"
	if got != want {
		t.Errorf("sites_unused_90d:\n got %s\nwant %s", got, want)
	}
}

// TestDetailGaps: ingest_gaps lists the missing days of a detail report
// fetched a day at a time (its rows of one day: a period's row fills no
// day), between its first and newest day, per tenant; a detail report
// fetched by period has no days to miss.
func TestDetailGaps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO office365_active_user_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed) VALUES
		('t1', '2026-10-03', '2026-10-01', 1, 'u1', false),
		('t1', '2026-10-03', '2026-10-01', 1, 'u2', false),
		('t1', '2026-10-04', '2026-10-02', 1, 'u1', false),
		('t1', '2026-10-05', '2026-10-03', 7, 'u1', false),
		('t1', '2026-10-07', '2026-10-05', 1, 'u2', false),
		('t2', '2026-10-07', '2026-10-05', 1, 'u1', false),
		('t2', '2026-10-08', '2026-10-07', 1, 'u1', false)`,
		`INSERT INTO mailbox_usage_detail (tenant_id, report_refresh_date, report_date, report_period, entity_key, concealed) VALUES
		('t1', '2026-10-01', '2026-10-01', 7, 'u1', false),
		('t1', '2026-10-05', '2026-10-05', 7, 'u1', false)`)
	got := b.scalarText(t, `SELECT coalesce(string_agg(format('%s %s %s (%s..%s)', tenant_id, report, missing_date, first_date, newest_date), ', '
		ORDER BY tenant_id, report, missing_date), '') FROM ingest_gaps`)
	want := "t1 office365-active-user-detail 2026-10-03 (2026-10-01..2026-10-05), t1 office365-active-user-detail 2026-10-04 (2026-10-01..2026-10-05), " +
		"t2 office365-active-user-detail 2026-10-06 (2026-10-05..2026-10-07)"
	if got != want {
		t.Errorf("ingest_gaps:\n got %s\nwant %s", got, want)
	}
}

// TestDetailConcealmentChanges: the fetches whose concealment differs from
// the last payload loaded, before and after.
func TestDetailConcealmentChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.exec(t, `INSERT INTO report_fetches (run_id, tenant_id, report, source, outcome, asked_date, report_refresh_date, concealed, concealed_setting, concealment_changed) VALUES
		(`+itoa(b.run)+`, 't1', 'office365-active-user-detail', 'test', 'loaded', '2026-10-01', '2026-10-03', true, true, false),
		(`+itoa(b.run)+`, 't1', 'office365-active-user-detail', 'test', 'loaded', '2026-10-02', '2026-10-04', false, false, true),
		(`+itoa(b.run)+`, 't1', 'mailbox-usage-detail', 'test', 'loaded', NULL, '2026-10-04', true, NULL, true),
		(`+itoa(b.run)+`, 't1', 'mailbox-usage-detail', 'test', 'loaded', NULL, '2026-10-05', true, NULL, false),
		(`+itoa(b.run)+`, 't1', 'skype-organizer-activity-counts', 'test', 'loaded', NULL, '2026-10-05', NULL, NULL, NULL)`)
	got := b.scalarText(t, `SELECT string_agg(format('%s %s %s %s->%s setting=%s run=%s', tenant_id, report, report_date,
		concealed_before, concealed_after, coalesce(concealed_setting::text, 'NULL'), run_id = `+itoa(b.run)+`), ', ' ORDER BY report)
		FROM detail_concealment_changes`)
	want := "t1 mailbox-usage-detail 2026-10-04 f->t setting=NULL run=t, t1 office365-active-user-detail 2026-10-02 t->f setting=false run=t"
	if got != want {
		t.Errorf("detail_concealment_changes:\n got %s\nwant %s", got, want)
	}
}

// detailViews are the views of the schema that applied_views marks as
// detail views.
func detailViews(t *testing.T, b *bundle) []string {
	t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `SELECT unnest(view_names) FROM applied_views WHERE detail ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	views, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return views
}

// TestDetailViewsAreMarked: the views over the detail tables, and the three
// analyst views, are detail views; the others are not.
func TestDetailViewsAreMarked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var want []string
	for _, s := range report.All {
		if s.Detail != nil {
			want = append(want, s.Table+"_current", s.Table+"_history")
		}
	}
	want = append(want, "licensed_users_inactive_30d", "copilot_adoption_weekly", "sites_unused_90d")
	slices.Sort(want)
	if got := detailViews(t, b); !slices.Equal(got, want) {
		t.Errorf("detail views:\n got %v\nwant %v", got, want)
	}
}

// TestDetailDataOnlyInDetailViews: no view but a detail view shows a column
// of a detail table (other than its tenant, day and period, which
// ingest_gaps counts days by) or any column of a detail view; so a view
// added to an unmarked file cannot hand per-user data to every reader.
func TestDetailDataOnlyInDetailViews(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	detail := detailViews(t, b)
	var tables []string
	for _, s := range report.All {
		if s.Detail != nil {
			tables = append(tables, s.Table)
		}
	}
	rows, err := b.db.Pool.Query(ctx, `SELECT view_name, table_name, column_name FROM information_schema.view_column_usage
		WHERE view_schema = $1 AND table_schema = $1`, b.db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var view, table, col string
	checked := 0
	if _, err := pgx.ForEachRow(rows, []any{&view, &table, &col}, func() error {
		if slices.Contains(detail, view) {
			return nil
		}
		checked++
		if slices.Contains(detail, table) || slices.Contains(tables, table) && !slices.Contains([]string{"tenant_id", "report_date", "report_period"}, col) {
			t.Errorf("view %s is not a detail view (its file has no -- ingest:grant detail line) but shows %s.%s", view, table, col)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Errorf("only %d columns of plain views checked", checked)
	}
}

// namedRole creates a role for the test, named for it and its schema, and
// drops it afterwards.
func namedRole(t *testing.T, b *bundle, prefix string) string {
	t.Helper()
	role := prefix + "_" + strings.TrimPrefix(b.db.Schema, "t_")
	if _, err := b.db.Pool.Exec(context.Background(), `CREATE ROLE `+pgx.Identifier{role}.Sanitize()+` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropRole(t, role) })
	return role
}

// selectAs selects from view as role: nil, or the error (permission denied).
func (b *bundle) selectAs(role, view string) error {
	ctx := context.Background()
	return pgx.BeginFunc(ctx, b.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT * FROM `+pgx.Identifier{view}.Sanitize()+` LIMIT 1`)
		return err
	})
}

func permissionDenied(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501" // insufficient_privilege
}

// TestGrantReaderDetail: grant-reader without --detail gives every view
// but the detail views (and says which it withheld), with --detail those
// too, and without it again takes them back.
func TestGrantReaderDetail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	role := namedRole(t, b, "rd")
	detail := detailViews(t, b)
	check := func(step string, wantDetail bool) {
		t.Helper()
		for _, v := range []string{"usage_daily", "ingest_gaps", "ingest_freshness", "detail_concealment_changes"} {
			if err := b.selectAs(role, v); err != nil {
				t.Errorf("%s: %s: %v", step, v, err)
			}
		}
		for _, v := range detail {
			err := b.selectAs(role, v)
			if wantDetail && err != nil {
				t.Errorf("%s: %s: %v", step, v, err)
			}
			if !wantDetail && !permissionDenied(err) {
				t.Errorf("%s: %s: %v, want permission denied", step, v, err)
			}
		}
	}
	g, err := b.db.GrantReader(ctx, role, false)
	if err != nil {
		t.Fatal(err)
	}
	withheld := slices.Sorted(slices.Values(g.Withheld))
	if !slices.Equal(withheld, detail) || slices.ContainsFunc(g.Views, func(v string) bool { return slices.Contains(detail, v) }) {
		t.Errorf("without --detail: granted %v, withheld %v", g.Views, g.Withheld)
	}
	check("without --detail", false)
	g, err = b.db.GrantReader(ctx, role, true)
	if err != nil {
		t.Fatal(err)
	}
	if g.Withheld != nil || !slices.Contains(g.Views, "licensed_users_inactive_30d") {
		t.Errorf("with --detail: granted %v, withheld %v", g.Views, g.Withheld)
	}
	check("with --detail", true)
	if _, err := b.db.GrantReader(ctx, role, false); err != nil {
		t.Fatal(err)
	}
	check("without --detail again", false)
}

// TestMigrateGrantsDetailViewsByRole: on a later migration a role granted
// with --detail gets the new detail views and one granted without never
// does; a view that becomes a detail view (replaced in place, which keeps
// grants) is taken back from the latter.
func TestMigrateGrantsDetailViewsByRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	files := fstest.MapFS{
		"010_a.sql": {Data: []byte(`CREATE OR REPLACE VIEW va AS SELECT tenant_id, report_date AS d FROM skype_organizer_activity_minute_counts;`)},
		"020_d.sql": {Data: []byte("-- ingest:grant detail\nCREATE OR REPLACE VIEW vd AS SELECT tenant_id, entity_key FROM office365_active_user_detail;")},
	}
	if err := b.db.applyViews(ctx, files); err != nil {
		t.Fatal(err)
	}
	plain, detail := namedRole(t, b, "rp"), namedRole(t, b, "rx")
	if _, err := b.db.GrantReader(ctx, plain, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.GrantReader(ctx, detail, true); err != nil {
		t.Fatal(err)
	}
	files["030_d2.sql"] = &fstest.MapFile{Data: []byte("-- ingest:grant detail\nCREATE OR REPLACE VIEW vd2 AS SELECT tenant_id, entity_key FROM mailbox_usage_detail;")}
	files["040_b.sql"] = &fstest.MapFile{Data: []byte(`CREATE OR REPLACE VIEW vb AS SELECT d FROM va;`)}
	if err := b.db.applyViews(ctx, files); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role string
		want map[string]bool
	}{
		{plain, map[string]bool{"va": true, "vb": true, "vd": false, "vd2": false}},
		{detail, map[string]bool{"va": true, "vb": true, "vd": true, "vd2": true}},
	} {
		for v, want := range tc.want {
			if err := b.selectAs(tc.role, v); (err == nil) != want || err != nil && !permissionDenied(err) {
				t.Errorf("after the migration, %s selecting from %s: %v (want allowed %v)", tc.role, v, err, want)
			}
		}
	}
	// va becomes a detail view: replaced in place, then taken back from plain.
	files["010_a.sql"] = &fstest.MapFile{Data: append([]byte("-- ingest:grant detail\n"), files["010_a.sql"].Data...)}
	if err := b.db.applyViews(ctx, files); err != nil {
		t.Fatal(err)
	}
	if err := b.selectAs(plain, "va"); !permissionDenied(err) {
		t.Errorf("va became a detail view: the plain reader selecting from it: %v, want permission denied", err)
	}
	if err := b.selectAs(detail, "va"); err != nil {
		t.Errorf("va became a detail view: the detail reader selecting from it: %v", err)
	}
	// A marker the renderer does not know is an error, not a plain view.
	files["050_x.sql"] = &fstest.MapFile{Data: []byte("-- ingest:grant everyone\nCREATE OR REPLACE VIEW vx AS SELECT 1 AS n;")}
	if err := b.db.applyViews(ctx, files); err == nil || !strings.Contains(err.Error(), "unknown marker") {
		t.Errorf("unknown marker: %v", err)
	}
}
