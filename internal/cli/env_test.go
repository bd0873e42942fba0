package cli

import (
	"fmt"
	"strings"
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
		name    string
		command string
		extra   []string
		days    int
	}{
		{"run", "run", nil, 7},
		{"backfill", "backfill", nil, 180},
		{"backfill D90", "backfill", []string{"--period", "D90"}, 90},
	} {
		// The cases, on schemas of their own, run at once: their parent
		// is not parallel, so no other test runs meanwhile, and the
		// environment it set stays until they are all done.
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
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
		})
	}
}

// TestReplaySinceFromEnvironment: INGEST_REPLAY_SINCE is replay's --since:
// a date after the fetch replays nothing, one before it replays every
// payload, --since on the command line wins, and a bad date is a usage
// error.
func TestReplaySinceFromEnvironment(t *testing.T) {
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	if code, out, errOut := b.run(t, hooks{clock: clock}, sim); code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	for i, tc := range []struct {
		env   string
		extra []string
		want  int // payloads replayed
	}{
		{"2099-01-01", nil, 0},
		{"2000-01-01", nil, 2},
		{"2000-01-01", []string{"--since", "2099-01-01"}, 0},
	} {
		t.Setenv("INGEST_REPLAY_SINCE", tc.env)
		code, out, errOut := b.ingestWith(t, hooks{}, append([]string{"replay"}, tc.extra...)...)
		if code != ExitOK {
			t.Fatalf("INGEST_REPLAY_SINCE=%s replay %v: exit %d\n%s\n%s", tc.env, tc.extra, code, out, errOut)
		}
		runID := i + 2
		if got := b.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE run_id = $1`, runID); got != fmt.Sprint(tc.want) {
			t.Errorf("INGEST_REPLAY_SINCE=%s replay %v replayed %s payloads, want %d", tc.env, tc.extra, got, tc.want)
		}
	}
	t.Setenv("INGEST_REPLAY_SINCE", "yesterday")
	if code, _, errOut := b.ingestWith(t, hooks{}, "replay"); code != ExitUsage || !strings.Contains(lastLine(errOut), "INGEST_REPLAY_SINCE") {
		t.Errorf("INGEST_REPLAY_SINCE=yesterday: exit %d, %q; want 2 naming the variable", code, lastLine(errOut))
	}
}
