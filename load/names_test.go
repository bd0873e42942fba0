package load

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/migrations"
	"github.com/m365ingest/ingest/sql/views"
)

// TestSkypeNamesMigrate: a warehouse whose audit recorded the Skype reports
// under their old short names has them under the new (skype-...) names
// after migrate, and only them: a Teams report of the same name but for its
// prefix is left alone.
func TestSkypeNamesMigrate(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.Schema(t)
	ctx := context.Background()
	db, err := Connect(ctx, url, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	// The migrations before the rename, and no views (which name the new
	// reports, and whose bookkeeping needs the latest migrations).
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n >= "00014" {
			continue
		}
		body, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = &fstest.MapFile{Data: body}
	}
	if err := db.MigrateFS(ctx, before, nil); err != nil {
		t.Fatal(err)
	}
	run, err := db.StartRun(ctx, Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"device-usage-user-counts", "teams-device-usage-user-counts", "activity-counts"} {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO report_fetches (run_id, tenant_id, report, period, source, fetched_at, outcome) VALUES ($1, 't1', $2, 'D7', 'x', now(), 'empty')`, run, r); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, `INSERT INTO report_etags (tenant_id, report, period, format, etag, updated_at) VALUES ('t1', $1, 'D7', 'csv', '"e"', now())`, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MigrateFS(ctx, migrations.FS, views.FS); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"report_fetches", "report_etags"} {
		var got string
		if err := db.Pool.QueryRow(ctx, `SELECT string_agg(report, ' ' ORDER BY report) FROM `+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := "skype-activity-counts skype-device-usage-user-counts teams-device-usage-user-counts"; got != want {
			t.Errorf("%s: %s, want %s", table, got, want)
		}
	}
}
