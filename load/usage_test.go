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
