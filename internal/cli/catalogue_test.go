package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// TestRetiredSkype: against graph-sim behaving as today's Microsoft 365
// (--retired-skype), `ingest run --report all` records the 13 Skype for
// Business reports as empty and loads every other report, exit 0; the
// summary says which reports never had data; a second run changes nothing.
func TestRetiredSkype(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{RetiredSkype: true})
	args := []string{"run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--report", "all"}
	code, stdout, stderr := b.ingestWith(t, hooks{clock: clock}, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	skype, others := 0, 0
	for _, s := range report.Default {
		want := "loaded"
		if strings.HasPrefix(s.Function, "getSkypeForBusiness") {
			want = "empty"
			skype++
		} else {
			others++
		}
		if got := b.scalar(t, `SELECT outcome FROM S.report_fetches WHERE run_id = 1 AND report = $1`, s.Name); got != want {
			t.Errorf("%s: %s, want %s", s.Name, got, want)
		}
	}
	if skype != 13 || others < 40 {
		t.Errorf("%d Skype reports and %d others", skype, others)
	}
	if !strings.Contains(stdout, fmt.Sprintf("%d reports: %d loaded", len(report.Default), others)) || !strings.Contains(stdout, "(!) empty and never had data") {
		t.Errorf("the summary does not tell the empty reports:\n%s", stdout)
	}
	code, stdout, stderr = b.ingestWith(t, hooks{clock: clock}, args...)
	if code != ExitOK {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := b.scalar(t, `SELECT coalesce(sum(rows_inserted + rows_updated), 0) || ' ' || count(*) FILTER (WHERE outcome NOT IN ('not_modified', 'empty', 'loaded')) FROM S.report_fetches WHERE run_id = 2`); got != "0 0" {
		t.Errorf("second run: %s rows changed, failures; want 0 0", got)
	}
}
