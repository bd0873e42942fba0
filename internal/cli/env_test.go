package cli

import (
	"fmt"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// Tests that set environment variables: t.Setenv rules out t.Parallel, so
// they run before the parallel tests resume.

// TestBackfillIgnoresINGEST_PERIOD: with the nightly job's INGEST_PERIOD=D7
// in the environment, run fetches D7 but backfill still fetches D180 (and
// takes --period when given).
func TestBackfillIgnoresINGEST_PERIOD(t *testing.T) {
	t.Setenv("INGEST_PERIOD", "D7")
	spec, err := report.Lookup(userReport)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		command string
		extra   []string
		days    int
	}{
		{"run", nil, 7},
		{"backfill", nil, 180},
		{"backfill", []string{"--period", "D90"}, 90},
	} {
		b := setup(t)
		clock := fakeclock.New(asOf)
		sim := simOn(t, clock, graphsim.Options{})
		args := append([]string{tc.command, "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--report", userReport}, tc.extra...)
		code, out, errOut := b.ingestWith(t, hooks{clock: clock}, args...)
		if code != ExitOK {
			t.Fatalf("%s %v: exit %d\n%s\n%s", tc.command, tc.extra, code, out, errOut)
		}
		want := fmt.Sprintf("D%d %d:%d", tc.days, len(graphsim.Generate(spec, "", asOf.AddDate(0, 0, -2), tc.days)), tc.days)
		got := b.scalar(t, `SELECT (SELECT string_agg(period, ',') FROM S.ingest_runs) || ' ' ||
			(SELECT count(*) || ':' || string_agg(DISTINCT report_period::text, ',') FROM S.skype_organizer_activity_user_counts)`)
		if got != want {
			t.Errorf("%s %v with INGEST_PERIOD=D7: run period, rows:report_period = %s, want %s", tc.command, tc.extra, got, want)
		}
	}
}
