package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// TestReportsListsTheFamily: `ingest reports` prints every report with its
// function, table, key and columns, says what all and detail select, and
// `run --report` takes the names it prints.
func TestReportsListsTheFamily(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"ingest", "reports"}, &out, &errOut, "test"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	var names []string
	for _, line := range strings.Split(text, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			break
		}
		names = append(names, f[0])
	}
	if len(names) != len(report.All) {
		t.Fatalf("printed %d reports, want %d:\n%s", len(names), len(report.All), text)
	}
	for i, s := range report.All {
		line := strings.Split(text, "\n")[i+1]
		for _, want := range []string{s.Name, s.Function, s.Table, strings.Join(s.Key(), ", ")} {
			if !strings.Contains(line, want) {
				t.Errorf("line %q lacks %q", line, want)
			}
		}
		for _, c := range s.Columns() {
			if !strings.Contains(line, c.Name) {
				t.Errorf("line %q lacks column %s", line, c.Name)
			}
		}
	}
	for _, want := range []string{"all (the default): every report but the per-user", "detail: those"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}

	// run takes every printed name: one run with all of them loads every
	// table.
	// The run's clock is the simulator's: the detail reports ask for
	// days (date=) back from the run's yesterday.
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	args := []string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant}
	for _, n := range names {
		args = append(args, "--report", n)
	}
	if code, stdout, stderr := b.ingestWith(t, hooks{clock: clock}, args...); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b.checkTables(t, asOf.AddDate(0, 0, -2), 7)
	// The detail reports too: checkTables compares the others with
	// graphsim.Generate; these have their own tests (detail_test.go).
	for _, s := range report.All {
		if s.Detail != nil {
			if n := b.scalar(t, `SELECT count(*) FROM S.`+s.Table); n == "0" {
				t.Errorf("%s: no rows", s.Table)
			}
		}
	}
}

// TestLoadFileSnapshotWithSchemaDrift: a device usage distribution file with
// a column Graph may add later loads, keyed by refresh date and period; the
// unknown column is in the fetch record and the log. status shows it.
func TestLoadFileSnapshotWithSchemaDrift(t *testing.T) {
	t.Parallel()
	b := setup(t)
	path := filepath.Join(t.TempDir(), "distribution.csv")
	body := "\uFEFFReport Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Mac,Report Period\r\n2026-11-21,120,,33,48,12,7,30\r\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := b.ingest(t, "load-file", "--report", "skype-device-usage-distribution-user-counts", "--tenant-id", tenant, path)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := b.scalar(t, `SELECT format('%s/%s=%s,%s,%s,%s,%s', report_refresh_date, report_period, windows, coalesce(windows_phone::text, 'NULL'), android_phone, iphone, ipad)
		FROM S.skype_device_usage_distribution_user_counts`); got != "2026-11-21/30=120,NULL,33,48,12" {
		t.Errorf("row = %s", got)
	}
	if got := b.scalar(t, `SELECT format('%s|%s|%s|%s', unknown_columns, report_refresh_date, coalesce(newest_report_date::text, '-'), outcome) FROM S.report_fetches`); got != "{Mac}|2026-11-21|-|loaded" {
		t.Errorf("fetch record = %s", got)
	}
	if !strings.Contains(stderr, `unknown column 7 \"Mac\" ignored`) {
		t.Errorf("log does not report the unknown column:\n%s", stderr)
	}
	code, stdout, stderr = b.ingest(t, "status")
	if code != ExitOK || !strings.Contains(stdout, "skype-device-usage-distribution-user-counts") {
		t.Errorf("status: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
