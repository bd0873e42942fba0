package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

const tenant = "3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51"

// bundle is what an end-to-end test needs: a schema, the URL and a way to
// run the app in-process.
type bundle struct {
	url, schema string
}

// setup gives a test a migrated warehouse schema, reused from an ended
// test of the package when one is free (pgtest.Migrated): most tests load
// and read, and a fresh migration of 58 report tables is the suite's
// largest cost. A test about migration itself, or about a schema ingest has
// never seen, takes setupFresh.
func setup(t *testing.T) *bundle {
	t.Helper()
	url, schema := pgtest.Migrated(t, migrateSchema)
	return &bundle{url: url, schema: schema}
}

// setupFresh gives a test the name of a schema that does not exist yet.
func setupFresh(t *testing.T) *bundle {
	t.Helper()
	url, schema := pgtest.Schema(t)
	return &bundle{url: url, schema: schema}
}

func migrateSchema(ctx context.Context, url, schema string) error {
	db, err := load.Connect(ctx, url, schema, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// ingest runs the app in-process with the bundle's database and schema and
// returns the exit code and what it printed.
func (b *bundle) ingest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	// Flags go right after the command name, before any FILE argument.
	full := []string{"ingest", args[0], "--database-url", b.url, "--schema", b.schema, "--log-format", "json", "--log-level", "debug"}
	full = append(full, args[1:]...)
	code = Main(withHooks(context.Background(), offline(t, hooks{})), full, &out, &errOut, "test")
	return code, out.String(), errOut.String()
}

func (b *bundle) query(t *testing.T, sql string, args ...any) pgx.Rows {
	t.Helper()
	rows, err := pgtest.Pool(t).Query(context.Background(), strings.ReplaceAll(sql, "S.", pgx.Identifier{b.schema}.Sanitize()+"."), args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rows
}

func (b *bundle) scalar(t *testing.T, sql string, args ...any) string {
	t.Helper()
	rows := b.query(t, sql, args...)
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", sql, rows.Err())
	}
	var v any
	if err := rows.Scan(&v); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v)
}

// checksum hashes a whole table, bookkeeping columns included.
func (b *bundle) checksum(t *testing.T, table string) string {
	t.Helper()
	return b.scalar(t, `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM S.`+table+` x`)
}

func startSim(t *testing.T, asOf time.Time) *graphsim.Server {
	t.Helper()
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", graphsim.Options{Token: "test-token", Now: func() time.Time { return asOf }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

var asOf = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// TestRunLoadsEveryReport drives `ingest run --report all --period D30`
// against the simulator, over CSV from v1.0 and JSON from beta, and checks
// every value of every report's table against what the simulator served.
// D30, not D7: the simulated month has empty 3rd-party cells, the week none.
func TestRunLoadsEveryReport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, version, format string }{
		{"csv", "v1.0", "csv"},
		{"json", "beta", "json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			sim := startSim(t, asOf)
			code, stdout, stderr := b.ingest(t, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant,
				"--report", "all", "--period", "D30", "--api-version", tc.version, "--format", tc.format)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			refresh := asOf.AddDate(0, 0, -2)
			b.checkTables(t, refresh, 30)
			// An empty cell is NULL, never 0: as many NULL 3rd-party counts as
			// the simulator served empty cells, and it did serve some.
			spec, err := report.Lookup(userReport)
			if err != nil {
				t.Fatal(err)
			}
			col := slices.IndexFunc(spec.Metrics, func(c report.Column) bool { return c.Name == "dial_in_out_3rd_party" })
			if col < 0 {
				t.Fatalf("%s has no dial_in_out_3rd_party", spec.Name)
			}
			served := 0
			for _, r := range graphsim.Generate(spec, "", refresh, 30) {
				if r.Values[col] == nil {
					served++
				}
			}
			if served == 0 {
				t.Fatal("the simulator served no empty 3rd-party cell in D30: the NULL check below proves nothing")
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_user_counts WHERE dial_in_out_3rd_party IS NULL`); n != fmt.Sprint(served) {
				t.Errorf("%s NULL dial_in_out_3rd_party, want %d (the empty cells served)", n, served)
			}
			var audit []string
			for _, spec := range report.Default {
				audit = append(audit, fmt.Sprintf("%s:loaded:%d", spec.Name, len(graphsim.Generate(spec, "", asOf, 30))))
			}
			slices.Sort(audit)
			if s := b.scalar(t, `SELECT string_agg(report || ':' || outcome || ':' || rows_inserted, ',' ORDER BY report) FROM S.report_fetches`); s != strings.Join(audit, ",") {
				t.Errorf("fetch audit = %s\nwant          %s", s, strings.Join(audit, ","))
			}
			if s := b.scalar(t, `SELECT status FROM S.ingest_runs`); s != "succeeded" {
				t.Errorf("run status = %s", s)
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_daily WHERE tenant_id = $1`, tenant); n != "30" {
				t.Errorf("skype_organizer_daily has %s rows, want 30", n)
			}
			if strings.Contains(stderr, "test-token") || strings.Contains(stderr, "sig=") {
				t.Errorf("logs hold a secret:\n%s", stderr)
			}
			// The download host never saw our token (JSON has no download).
			reqs := sim.DownloadRequests()
			if want := map[string]int{"csv": len(report.Default), "json": 0}[tc.format]; len(reqs) != want {
				t.Fatalf("download host saw %d requests, want %d", len(reqs), want)
			}
			for _, r := range reqs {
				if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
					t.Errorf("download request %s carried credentials: %v", r.Path, r.Header)
				}
			}
		})
	}
}

// checkTables compares every report's table with what the simulator serves
// for the refresh date and period: the same rows, keys and values, NULL for
// an empty cell.
func (b *bundle) checkTables(t *testing.T, refresh time.Time, days int) {
	t.Helper()
	for _, spec := range report.Default {
		want := graphsim.Generate(spec, "", refresh, days)
		if n := b.scalar(t, `SELECT count(*) FROM S.`+spec.Table); n != fmt.Sprint(len(want)) {
			t.Errorf("%s has %s rows, want %d", spec.Table, n, len(want))
			continue
		}
		var cols []string
		for _, c := range spec.Metrics {
			cols = append(cols, pgx.Identifier{c.Name}.Sanitize()+"::text")
		}
		period := "report_period"
		if !spec.HasPeriodColumn() {
			period = "0"
		}
		for _, w := range want {
			// The row of the served row's key: its date (or refresh date and
			// period) and dimensions.
			var where []string
			args := []any{}
			arg := func(col string, v any) {
				args = append(args, v)
				where = append(where, fmt.Sprintf("%s = $%d", pgx.Identifier{col}.Sanitize(), len(args)))
			}
			switch {
			case spec.Dated():
				arg("report_date", w.ReportDate)
			case spec.NoPeriod:
				arg("report_refresh_date", w.RefreshDate)
			default:
				arg("report_refresh_date", w.RefreshDate)
				arg("report_period", days)
			}
			for i, d := range spec.Dims {
				arg(d.Name, w.Dims[i])
			}
			rows := b.query(t, `SELECT tenant_id, report_refresh_date, `+period+`, `+strings.Join(cols, ", ")+
				` FROM S.`+spec.Table+` WHERE `+strings.Join(where, " AND "), args...)
			if !rows.Next() {
				rows.Close()
				t.Errorf("%s: no row for %s %v", spec.Table, where, args)
				continue
			}
			var gotTenant string
			var gotRefresh time.Time
			var gotPeriod int
			vals := make([]*string, len(cols))
			dest := []any{&gotTenant, &gotRefresh, &gotPeriod}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			key := fmt.Sprint(args...)
			wantPeriod := days
			if !spec.HasPeriodColumn() {
				wantPeriod = 0
			}
			if gotTenant != tenant || !gotRefresh.Equal(w.RefreshDate) || gotPeriod != wantPeriod {
				t.Errorf("%s %s: tenant %s refresh %s period %d", spec.Table, key, gotTenant, gotRefresh, gotPeriod)
			}
			for i, c := range spec.Metrics {
				if got, want := derefText(vals[i]), servedText(spec, c, w.Values[i]); got != want {
					t.Errorf("%s %s %s = %v, want %v", spec.Table, key, c.Name, got, want)
				}
			}
		}
		// An empty cell is NULL, never 0: per column, as many NULLs as the
		// simulator served empty cells.
		for i, c := range spec.Metrics {
			served := 0
			for _, w := range want {
				if w.Values[i] == nil {
					served++
				}
			}
			if n := b.scalar(t, `SELECT count(*) FROM S.`+spec.Table+` WHERE `+pgx.Identifier{c.Name}.Sanitize()+` IS NULL`); n != fmt.Sprint(served) {
				t.Errorf("%s.%s has %s NULLs, want %d (the empty cells served)", spec.Table, c.Name, n, served)
			}
		}
	}
}

// servedText is how Postgres shows (as text) a value graph-sim served (see
// graphsim.Row.Values): a count as is, a boolean as true or false, a
// duration as an interval; "<nil>" for an empty cell.
func servedText(spec *report.Spec, c report.Column, v *int64) string {
	if v == nil {
		return "<nil>"
	}
	switch c.Type {
	case report.Bool:
		if *v != 0 {
			return "true"
		}
		return "false"
	case report.Duration:
		d := time.Duration(*v) * time.Second
		return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	case report.Date:
		return time.Unix(*v*86400, 0).UTC().Format(time.DateOnly)
	}
	return fmt.Sprint(*v)
}

func derefText(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestSecondRunChangesNothing: an identical second run inserts and updates
// nothing, and leaves even the bookkeeping columns alone.
func TestSecondRunChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := startSim(t, asOf)
	args := []string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant}
	if code, out, errOut := b.ingest(t, args...); code != ExitOK {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errOut)
	}
	before := map[string]string{}
	for _, s := range report.Default {
		before[s.Table] = b.checksum(t, s.Table)
	}
	// --force: without it the stored ETag makes Graph answer 304 and the
	// upsert is never reached (TestNotModifiedSkipsTheReport covers that).
	code, out, errOut := b.ingest(t, append(args, "--force")...)
	if code != ExitOK {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, s := range report.Default {
		if got := b.checksum(t, s.Table); got != before[s.Table] {
			t.Errorf("%s changed on an identical run", s.Table)
		}
	}
	got := b.scalar(t, `SELECT string_agg(report || '=' || rows_inserted || '/' || rows_updated || '/' || rows_unchanged, ',' ORDER BY report) FROM S.report_fetches WHERE run_id = 2`)
	var want []string
	for _, s := range report.Default {
		n := len(graphsim.Generate(s, "", asOf, 7))
		want = append(want, fmt.Sprintf("%s=0/0/%d", s.Name, n))
	}
	slices.Sort(want)
	if got != strings.Join(want, ",") {
		t.Errorf("second run inserted/updated/unchanged = %s\nwant %s", got, strings.Join(want, ","))
	}
}

// TestOlderFileKeepsNewerRows: a payload with an older refresh date inserts
// the dates that were missing and overwrites none that a newer one loaded.
// Each file is a whole week (a file that does not cover its period is
// refused): the newer one 2026-11-15..21, refreshed on the 21st; the older
// one 2026-11-14..20, refreshed on the 20th, with other values.
func TestOlderFileKeepsNewerRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.csv")
	older := filepath.Join(dir, "older.csv")
	os.WriteFile(newer, []byte(minuteWeek("2026-11-21", "2026-11-21", 100)), 0o644)
	// The older file's oldest day has an empty Dial-out cell: NULL.
	os.WriteFile(older, []byte(strings.Replace(minuteWeek("2026-11-20", "2026-11-20", 900), "2026-11-14,7,906,916,926", "2026-11-14,7,906,916,", 1)), 0o644)
	load := func(path string) {
		t.Helper()
		code, out, errOut := b.ingest(t, "load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant, path)
		if code != ExitOK {
			t.Fatalf("load-file %s: exit %d\n%s\n%s", path, code, out, errOut)
		}
	}
	load(newer)
	load(older)
	got := b.scalar(t, `SELECT string_agg(report_date || '=' || audio_video || '/' || coalesce(dial_out_microsoft::text, 'NULL') || '@' || report_refresh_date, ' ' ORDER BY report_date)
		FROM S.skype_organizer_activity_minute_counts`)
	want := "2026-11-14=906/NULL@2026-11-20 2026-11-15=106/126@2026-11-21 2026-11-16=105/125@2026-11-21 2026-11-17=104/124@2026-11-21 " +
		"2026-11-18=103/123@2026-11-21 2026-11-19=102/122@2026-11-21 2026-11-20=101/121@2026-11-21 2026-11-21=100/120@2026-11-21"
	if got != want {
		t.Errorf("rows = %s\nwant   %s", got, want)
	}
	if s := b.scalar(t, `SELECT rows_inserted || '/' || rows_updated || '/' || rows_unchanged FROM S.report_fetches WHERE run_id = 2`); s != "1/0/6" {
		t.Errorf("older file inserted/updated/unchanged = %s, want 1/0/6", s)
	}
}

// deadDatabase is a database URL where nothing answers: a command given it
// that exits 2 has found the usage error before connecting.
const deadDatabase = "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"no-such-command"},
		{"run", "--period", "D8", "--access-token", "x", "--tenant-id", tenant},
		{"run", "--no-such-flag"},
		{"run", "--format", "json", "--access-token", "x", "--tenant-id", tenant},
		{"run", "--report", "nope", "--access-token", "x"},
		{"run", "--auth", "client-secret", "--tenant-id", tenant}, // no client id or secret (auto would try DefaultAzureCredential)
		{"run", "--graph-url", "https://graph.microsoft.com/v1.0", "--access-token", "x", "--tenant-id", tenant},
		{"run", "--access-token", "x", "--tenant-id", tenant, "--wait", "--wait-timeout", "0s"},
		{"load-file", "--tenant-id", tenant, "x.csv"},
		{"load-file", "--report", "skype-organizer-activity-user-counts", "--tenant-id", tenant, "--wait", "--wait-timeout", "-1s", "x.csv"},
		{"replay", "--report", "nope"},
	} {
		if args[0] != "no-such-command" {
			// Nothing answers there: the usage error is found first.
			args = append([]string{args[0], "--database-url", deadDatabase}, args[1:]...)
		}
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test")
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
		if !strings.HasPrefix(lastLine(errOut.String()), "ingest: ") {
			t.Errorf("%v: no one-line reason: %q", args, errOut.String())
		}
	}
}

// TestExtraArgumentsAreUsageErrors: a command that takes no arguments says
// so and exits 2 instead of ignoring them (and fetching every report, or
// showing the status), before connecting to anything.
func TestExtraArgumentsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dead := []string{"--database-url", deadDatabase}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--access-token", "x", "--tenant-id", tenant, "skype-organizer-activity-user-counts"}, `run takes no arguments (got "skype-organizer-activity-user-counts"); use --report`},
		{[]string{"run", "--access-token", "x", "--tenant-id", tenant, "D30"}, `run takes no arguments (got "D30"); use --period`},
		{[]string{"run", "x", "--period", "D30"}, `run takes no arguments (got "x"); flags must come before arguments; use --report`},
		{[]string{"backfill", "--access-token", "x", "--tenant-id", tenant, "all"}, `backfill takes no arguments (got "all"); use --report`},
		{[]string{"replay", "2026-11-01"}, `replay takes no arguments (got "2026-11-01"); use --report or --since`},
		{[]string{"status", "D30"}, `status takes no arguments (got "D30")`},
		{[]string{"migrate", "oops"}, `migrate takes no arguments (got "oops")`},
		{[]string{"reports", "skype"}, `reports takes no arguments (got "skype")`},
		{[]string{"graph-sim", "--addr", "127.0.0.1:0", "now"}, `graph-sim takes no arguments (got "now")`},
	} {
		args := tc.args
		if args[0] != "reports" && args[0] != "graph-sim" {
			args = append(append([]string{args[0]}, dead...), args[1:]...)
		}
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test")
		if last := lastLine(errOut.String()); code != ExitUsage || last != "ingest: "+tc.want {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, last, "ingest: "+tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q", tc.args, out.String())
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
