package load

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// TestEveryReportHasItsTable: after migrate, each report's table (the
// detail reports' too) has the columns load copies into it plus the
// bookkeeping, and its primary key is the spec's key. A detail report's
// columns also have the spec's types.
func TestEveryReportHasItsTable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, spec := range report.All {
		var cols []string
		err := b.db.Pool.QueryRow(ctx, `SELECT array_agg(column_name::text ORDER BY ordinal_position) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, spec.Table).Scan(&cols)
		if err != nil {
			t.Fatalf("%s: %v", spec.Table, err)
		}
		want := append(dataColumns(spec), "loaded_at", "changed_at", "run_id")
		slices.Sort(cols)
		slices.Sort(want)
		if !slices.Equal(cols, want) {
			t.Errorf("%s columns = %v, want %v", spec.Table, cols, want)
		}
		if spec.IsDetail() {
			for _, c := range spec.Columns() {
				var typ string
				err := b.db.Pool.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
					WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped`, spec.Table, c.Name).Scan(&typ)
				if err != nil {
					t.Fatalf("%s.%s: %v", spec.Table, c.Name, err)
				}
				wantType := c.Type.SQL()
				switch c.Name {
				case report.RefreshDate.Name, report.ReportDate.Name:
					wantType = "date"
				case report.Period.Name:
					wantType = "integer"
				}
				if typ != wantType {
					t.Errorf("%s.%s is %s, want %s", spec.Table, c.Name, typ, wantType)
				}
			}
		}
		var key []string
		err = b.db.Pool.QueryRow(ctx, `SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum))
			FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = $1::regclass AND i.indisprimary`, spec.Table).Scan(&key)
		if err != nil {
			t.Fatalf("%s key: %v", spec.Table, err)
		}
		if !slices.Equal(key, spec.Key()) {
			t.Errorf("%s primary key = %v, want %v", spec.Table, key, spec.Key())
		}
	}
}

// TestUpsertSnapshot: the device usage distribution has no report date; its
// rows are keyed by (tenant, refresh date, period), and the upsert rule holds
// for that key.
func TestUpsertSnapshot(t *testing.T) { bothWays(t, setup, testUpsertSnapshot) }

func testUpsertSnapshot(t *testing.T, b *bundle) {
	ctx := context.Background()
	spec, err := report.Lookup("skype-device-usage-distribution-user-counts")
	if err != nil {
		t.Fatal(err)
	}
	snap := func(refresh string, period int, vals ...int64) transform.Row {
		r := row(refresh, refresh, vals...)
		r.ReportDate = time.Time{} // a snapshot row has no report date
		r.Period = period
		return r
	}
	// upsert returns parsed, inserted, updated and unchanged.
	upsert := func(rows ...transform.Row) [4]int {
		t.Helper()
		c, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test"}, rows)
		if err != nil {
			t.Fatal(err)
		}
		return [4]int{c.Parsed, c.Inserted, c.Updated, c.Unchanged}
	}
	table := func() string {
		t.Helper()
		var s string
		err := b.db.Pool.QueryRow(ctx, `SELECT coalesce(string_agg(format('%s/D%s=%s,%s,%s,%s,%s', report_refresh_date, report_period,
			windows, coalesce(windows_phone::text, 'NULL'), android_phone, iphone, ipad), ' ' ORDER BY report_refresh_date, report_period), '')
			FROM skype_device_usage_distribution_user_counts`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// D7 and D30 of the same refresh are two rows: the period is in the key.
	if c := upsert(snap("2026-11-21", 7, 10, -1, 3, 4, 5), snap("2026-11-21", 30, 40, 1, 9, 12, 15)); c != [4]int{2, 2, 0, 0} {
		t.Errorf("insert counts = %v", c)
	}
	if c := upsert(snap("2026-11-21", 7, 10, -1, 3, 4, 5)); c != [4]int{1, 0, 0, 1} {
		t.Errorf("identical counts = %v", c)
	}
	// A newer refresh is a new snapshot, not an update of the old one.
	if c := upsert(snap("2026-11-22", 7, 11, 0, 3, 4, 5)); c != [4]int{1, 1, 0, 0} {
		t.Errorf("newer refresh counts = %v", c)
	}
	// The same key with another value is a restatement.
	if c := upsert(snap("2026-11-21", 7, 10, 2, 3, 4, 5)); c != [4]int{1, 0, 1, 0} {
		t.Errorf("restatement counts = %v", c)
	}
	want := "2026-11-21/D7=10,2,3,4,5 2026-11-21/D30=40,1,9,12,15 2026-11-22/D7=11,0,3,4,5"
	if got := table(); got != want {
		t.Errorf("table = %s\nwant    %s", got, want)
	}
	// The restated snapshot's previous version is kept, with no report date.
	var hist string
	if err := b.db.Pool.QueryRow(ctx, `SELECT string_agg(format('%s %s %s windows_phone=%s', report_table, coalesce(report_date::text, '-'),
		old_row->>'report_refresh_date', coalesce(old_row->>'windows_phone', 'NULL')), '; ') FROM row_history`).Scan(&hist); err != nil {
		t.Fatal(err)
	}
	if want := "skype_device_usage_distribution_user_counts - 2026-11-21 windows_phone=NULL"; hist != want {
		t.Errorf("history = %q, want %q", hist, want)
	}
	// The audit has the refresh date and no report dates.
	var s string
	if err := b.db.Pool.QueryRow(ctx, `SELECT string_agg(format('%s|%s|%s', report_refresh_date, coalesce(oldest_report_date::text, '-'),
		coalesce(newest_report_date::text, '-')), ' ' ORDER BY fetch_id) FROM report_fetches`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if want := "2026-11-21|-|- 2026-11-21|-|- 2026-11-22|-|- 2026-11-21|-|-"; s != want {
		t.Errorf("fetch audit = %s, want %s", s, want)
	}
	// Two rows with one key in a payload fail whole.
	if _, err := b.db.Upsert(ctx, Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test"},
		[]transform.Row{snap("2026-11-23", 7, 1, 1, 1, 1, 1), snap("2026-11-23", 7, 2, 2, 2, 2, 2)}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("duplicate snapshot key: err = %v", err)
	}
}
