package cli

import (
	"strings"
	"testing"
)

// TestFlagMistakesExplained: the mistakes people make with flags get one
// line that says what to type instead: a flag before the command, a period
// without its D, a duration without its unit, a date in another layout, a
// database URL with a typo'd scheme. A value from an environment variable
// names the variable. Exit 2, nothing reached.
func TestFlagMistakesExplained(t *testing.T) {
	const dead = "postgres://u@127.0.0.1:1/db"
	for _, tc := range []struct {
		env     map[string]string
		args    []string
		want    []string
		notWant []string
	}{
		{nil, []string{"--period", "D30", "run"}, []string{"--period", "after the command name", "ingest run --period"}, []string{"flag provided but not defined"}},
		{nil, []string{"--report=x", "status"}, []string{"--report", "after the command name", "status has no --report"}, nil},
		{nil, []string{"run", "--period", "7", "--database-url", dead}, []string{`invalid --period "7"`, "D7, D30, D90 or D180", "did you mean D7?"}, nil},
		{map[string]string{"INGEST_PERIOD": "7"}, []string{"run", "--database-url", dead}, []string{`invalid INGEST_PERIOD "7" (--period)`, "did you mean D7?"}, nil},
		{nil, []string{"run", "--max-retry-wait", "30", "--database-url", dead}, []string{`invalid --max-retry-wait "30"`, "30s", "did you mean 30s?"}, []string{"parse error"}},
		{map[string]string{"INGEST_REQUEST_TIMEOUT": "1 minute"}, []string{"run", "--database-url", dead}, []string{`invalid INGEST_REQUEST_TIMEOUT "1 minute" (--request-timeout)`, "30s"}, []string{"time:"}},
		{nil, []string{"replay", "--since", "1.11.2026", "--database-url", dead}, []string{`invalid --since "1.11.2026"`, "2026-11-01"}, []string{"2006"}},
		{map[string]string{"INGEST_REPLAY_SINCE": "yesterday"}, []string{"replay", "--database-url", dead}, []string{`invalid INGEST_REPLAY_SINCE "yesterday" (--since)`, "2026-11-01"}, []string{"2006"}},
		{nil, []string{"run", "--concurrency", "four", "--database-url", dead}, []string{`invalid --concurrency "four"`, "whole number"}, nil},
		{nil, []string{"migrate", "--database-url", "postgress://u:pw@127.0.0.1:1/db"}, []string{`"postgress://"`, "postgres://", "postgresql://", "key=value"}, []string{"pw", "xxxxx", "password"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, stderr := mainArgs(tc.args...)
			last := lastLine(stderr)
			if code != ExitUsage {
				t.Errorf("exit %d, want 2: %s", code, last)
			}
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("%q lacks %q", last, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(last, w) {
					t.Errorf("%q has %q", last, w)
				}
			}
		})
	}
}
