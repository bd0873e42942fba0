package load

import (
	"context"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// TestUpsertKeyShapes: the upsert rule for each key shape beyond (tenant,
// report date): a dimension in the key (SharePoint storage per Site
// Type), a report without a period keyed by refresh date and dimension
// (the activations), and a dated report without a Report Period (Teams
// team counts).
func TestUpsertKeyShapes(t *testing.T) { bothWays(t, setup, testUpsertKeyShapes) }

func testUpsertKeyShapes(t *testing.T, b *bundle) {
	ctx := context.Background()
	upsert := func(name string, rows ...transform.Row) [4]int {
		t.Helper()
		spec, err := report.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test"}, rows)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return [4]int{c.Parsed, c.Inserted, c.Updated, c.Unchanged}
	}
	dimRow := func(refresh, date, dim string, period int, vals ...int64) transform.Row {
		r := row(refresh, date, append([]int64{0}, vals...)...)
		r.Values[0] = transform.Value{S: dim, Valid: true}
		r.Period = period
		if date == "" {
			r.ReportDate = time.Time{}
		}
		return r
	}
	for _, tc := range []struct {
		name string
		rows []transform.Row
		want [4]int // parsed, inserted, updated, unchanged
	}{
		// Site Type is part of the key: the same day twice, once per type.
		{"sharepoint-site-usage-storage", []transform.Row{dimRow("2026-11-21", "2026-11-20", "All", 7, 100), dimRow("2026-11-21", "2026-11-20", "Team", 7, 50)}, [4]int{2, 2, 0, 0}},
		{"sharepoint-site-usage-storage", []transform.Row{dimRow("2026-11-21", "2026-11-20", "All", 7, 100), dimRow("2026-11-21", "2026-11-20", "Team", 7, 50)}, [4]int{2, 0, 0, 2}},
		// A newer refresh restates one type's day; an older one changes nothing.
		{"sharepoint-site-usage-storage", []transform.Row{dimRow("2026-11-22", "2026-11-20", "All", 7, 120), dimRow("2026-11-22", "2026-11-20", "Team", 7, 50)}, [4]int{2, 0, 2, 0}},
		{"sharepoint-site-usage-storage", []transform.Row{dimRow("2026-11-21", "2026-11-20", "All", 7, 999)}, [4]int{1, 0, 0, 1}},
		// Activations: keyed by refresh date and product type; a new refresh
		// date is new rows (the history of the snapshots is kept).
		{"office365-activation-counts", []transform.Row{dimRow("2026-11-20", "", "VISIO", 0, 5, 0, 0, 0, 0), dimRow("2026-11-20", "", "PROJECT", 0, 1, 0, 0, 0, 0)}, [4]int{2, 2, 0, 0}},
		{"office365-activation-counts", []transform.Row{dimRow("2026-11-20", "", "VISIO", 0, 5, 0, 0, 0, 0)}, [4]int{1, 0, 0, 1}},
		{"office365-activation-counts", []transform.Row{dimRow("2026-11-21", "", "VISIO", 0, 6, 0, 0, 0, 0)}, [4]int{1, 1, 0, 0}},
		// Teams team counts: dated, no report_period column at all.
		{"teams-team-counts", []transform.Row{row("2026-11-21", "2026-11-20", 10, 4, 8, 2)}, [4]int{1, 1, 0, 0}},
		{"teams-team-counts", []transform.Row{row("2026-11-22", "2026-11-20", 10, 5, 8, 2)}, [4]int{1, 0, 1, 0}},
	} {
		if got := upsert(tc.name, tc.rows...); got != tc.want {
			t.Errorf("%s %v: parsed, inserted, updated, unchanged = %v, want %v", tc.name, tc.rows[0].RefreshDate.Format(time.DateOnly), got, tc.want)
		}
	}
	for _, tc := range []struct{ query, want string }{
		{`SELECT string_agg(format('%s/%s/%s', report_refresh_date, site_type, storage_used_byte), ' ' ORDER BY site_type) FROM sharepoint_site_usage_storage`,
			"2026-11-22/All/120 2026-11-22/Team/50"},
		{`SELECT string_agg(format('%s/%s/%s', report_refresh_date, product_type, windows), ' ' ORDER BY report_refresh_date, product_type) FROM office365_activation_counts`,
			"2026-11-20/PROJECT/1 2026-11-20/VISIO/5 2026-11-21/VISIO/6"},
		{`SELECT count(*) FROM row_history WHERE report_table = 'sharepoint_site_usage_storage'`, "1"}, // All's 100, restated
	} {
		if got := b.scalarText(t, tc.query); got != tc.want {
			t.Errorf("%s\n= %q, want %q", tc.query, got, tc.want)
		}
	}
}
