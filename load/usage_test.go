package load

import (
	"context"
	"testing"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// TestUsageAggregations: the long views aggregate each metric by its kind,
// checked on hand-computed data. Three days of November 2026 (a Sunday, a
// Monday, the last day), with an empty cell:
//
//	day         total (level)  active (users)  send (sum)
//	2026-11-01  100            10              5
//	2026-11-02  110            20              7
//	2026-11-30   90            30              -
//
// The month: total is its last day's 90 (peak 110), active the daily
// average 20 (peak 30, never the sum 60), send the sum 12 over 2 days with
// a value. The week of Monday 2026-11-02 has that day alone.
func TestUsageAggregations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	load := func(name string, rows ...transform.Row) {
		t.Helper()
		spec, err := report.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test"}, rows); err != nil {
			t.Fatal(err)
		}
	}
	load("mailbox-usage-mailbox-counts",
		row("2026-12-01", "2026-11-01", 100, 10), row("2026-12-01", "2026-11-02", 110, 20), row("2026-12-01", "2026-11-30", 90, 30))
	load("email-activity-counts",
		row("2026-12-01", "2026-11-01", 5, 0, 0, 0, 0), row("2026-12-01", "2026-11-02", 7, 0, 0, 0, 0), row("2026-12-01", "2026-11-30", -1, 0, 0, 0, 0))

	for _, tc := range []struct{ query, want string }{
		{`SELECT format('%s %s %s %s %s', value, peak, aggregation, unit, days_with_value) FROM usage_monthly
			WHERE report = 'mailbox-usage-mailbox-counts' AND metric = 'total' AND month_start = '2026-11-01'`, "90 110 level count 3"},
		{`SELECT format('%s %s %s %s', value, peak, aggregation, days_with_value) FROM usage_monthly
			WHERE report = 'mailbox-usage-mailbox-counts' AND metric = 'active' AND month_start = '2026-11-01'`, "20.00 30 users 3"},
		{`SELECT format('%s %s %s %s %s', value, peak, aggregation, days_with_value, days_covered) FROM usage_monthly
			WHERE report = 'email-activity-counts' AND metric = 'send' AND month_start = '2026-11-01'`, "12 7 sum 2 3"},
		{`SELECT format('%s %s %s %s', week_end, value, days_covered, partial_week) FROM usage_weekly
			WHERE report = 'mailbox-usage-mailbox-counts' AND metric = 'total' AND week_start = '2026-11-02'`, "2026-11-08 110 1 t"},
		{`SELECT format('%s %s', month_end, partial_month) FROM usage_monthly
			WHERE report = 'email-activity-counts' AND metric = 'send'`, "2026-11-30 t"},
		{`SELECT format('%s %s %s', value, unit, dimension IS NULL) FROM usage_daily
			WHERE report = 'email-activity-counts' AND metric = 'send' AND report_date = '2026-11-30'`, " count t"}, // an empty cell stays NULL
	} {
		if got := b.scalarText(t, tc.query); got != tc.want {
			t.Errorf("%s\n= %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestWorkloadViews: the wide daily views put a report's counts and its
// unique users side by side (a duration as an interval), and storage_daily
// gathers mailbox, OneDrive and SharePoint storage.
func TestWorkloadViews(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	load := func(name string, rows ...transform.Row) {
		t.Helper()
		spec, err := report.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test"}, rows); err != nil {
			t.Fatal(err)
		}
	}
	// team chat, private chat, calls, meetings, organized, attended, audio
	// (90 minutes in nanoseconds), video, screen share, posts, replies
	load("teams-user-activity-counts", row("2026-11-21", "2026-11-20", 40, 30, 5, 7, 3, 6, 90*60*1e9, 0, -1, 2, 1))
	load("teams-user-activity-user-counts", row("2026-11-22", "2026-11-20", 12, 9, 4, 6, 1))
	siteRow := func(site string, bytes int64) transform.Row {
		r := row("2026-11-21", "2026-11-20", 0, bytes)
		r.Values[0] = transform.Value{S: site, Valid: true}
		return r
	}
	load("mailbox-usage-storage", row("2026-11-21", "2026-11-20", 1000))
	load("onedrive-usage-storage", siteRow("OneDrive", 2000))
	load("sharepoint-site-usage-storage", siteRow("All", 3000))
	for _, tc := range []struct{ query, want string }{
		{`SELECT format('%s %s %s %s %s %s', team_chat_messages, team_chat_messages_users, audio_duration, screen_share_duration IS NULL, other_actions_users, report_refresh_date)
			FROM teams_user_activity_daily WHERE tenant_id = 't1' AND report_date = '2026-11-20'`, "40 12 01:30:00 t 1 2026-11-22"},
		{`SELECT string_agg(format('%s/%s=%s', workload, coalesce(site_type, '-'), storage_used_byte), ' ' ORDER BY workload) FROM storage_daily`,
			"exchange/-=1000 onedrive/OneDrive=2000 sharepoint/All=3000"},
		{`SELECT string_agg(format('%s=%s', metric, value), ' ' ORDER BY metric) FROM usage_daily WHERE report = 'teams-user-activity-counts' AND metric LIKE '%duration'`,
			"audio_duration=5400.000000 screen_share_duration= video_duration=0.000000"},
	} {
		if got := b.scalarText(t, tc.query); got != tc.want {
			t.Errorf("%s\n= %q, want %q", tc.query, got, tc.want)
		}
	}
}
