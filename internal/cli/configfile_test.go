package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ingest.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigPrecedence: a flag on the command line wins over its
// environment variable, which wins over the --config file, which wins
// over the default; ingest config says which gave each. Not parallel: it
// sets the environment.
func TestConfigPrecedence(t *testing.T) {
	t.Setenv("INGEST_CONCURRENCY", "5")
	path := writeConfig(t, "period: D30\nconcurrency: 2\nmax-attempts: 3\nreport: [teams-user-activity-counts, email-activity-counts]\n")
	b := setupFresh(t)
	code, out, errOut := b.ingest(t, "config", "--config", path, "--max-attempts", "4", "--access-token", "x", "--tenant-id", tenant)
	if code != ExitOK || !strings.Contains(out, "the configuration is valid") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		`--period\s+D30\s+config file`,
		`--report\s+teams-user-activity-counts,email-activity-counts\s+config file`,
		`--concurrency\s+5\s+INGEST_CONCURRENCY`,
		`--max-attempts\s+4\s+flag`,
		`--format\s+csv\s+default`,
		`--access-token\s+\(set, redacted\)\s+flag`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("ingest config lacks %s:\n%s", want, out)
		}
	}
}

// TestConfigMistakes: a key no command has, an inline secret, a password in
// the database URL, or an invalid value is exit 2 naming the file and the
// key, never showing a secret.
func TestConfigMistakes(t *testing.T) {
	t.Parallel()
	b := setupFresh(t)
	for _, tc := range []struct{ body, want string }{
		{"perod: D30\n", `unknown key "perod"`},
		{"client-secret: hunter2\n", "client-secret is a secret: give client-secret-file"},
		{"database-url: postgres://u:hunter2@h/db\n", "database-url holds a password"},
		{"period: D8\n", "D8"},
		{"- a\n- b\n", "not a YAML map of flag names"},
	} {
		path := writeConfig(t, tc.body)
		code, _, errOut := b.ingest(t, "config", "--config", path, "--access-token", "x", "--tenant-id", tenant)
		if code != ExitUsage || !strings.Contains(lastLine(errOut), tc.want) || strings.Contains(errOut, "hunter2") {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.body, code, lastLine(errOut), tc.want)
		}
	}
}

// TestRunReadsConfig: run takes its reports from the config file.
func TestRunReadsConfig(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	path := writeConfig(t, "report: [teams-user-activity-counts]\nformat: csv\n")
	code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "run", "--config", path, "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, `SELECT string_agg(report, ',') FROM S.report_fetches`); got != "teams-user-activity-counts" {
		t.Errorf("reports fetched: %s, want the config file's", got)
	}
}

// TestConfigSharedFile: a file shared by every command sets a key only
// where it means what it means for run: backfill keeps D180 (its --period
// reads no variable) and load-file's --format stays its own; a secret from
// the environment wins over the file's path to it; ingest config never
// shows a password of any URL. Not parallel: it sets the environment.
func TestConfigSharedFile(t *testing.T) {
	path := writeConfig(t, "period: D7\nformat: json\napi-version: beta\naccess-token-file: /nonexistent/token\npushgateway: http://user:s3cr3t@pg:9091\n")
	t.Setenv("GRAPH_ACCESS_TOKEN", "from-env")
	b := setupFresh(t)
	code, out, errOut := b.ingest(t, "config", "--config", path, "--tenant-id", tenant)
	if code != ExitOK {
		t.Fatalf("config: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{`--period\s+D7\s+config file`, `--access-token\s+\(set, redacted\)\s+GRAPH_ACCESS_TOKEN`, `--access-token-file\s+default`, `--pushgateway\s+http://user:xxxxx@pg:9091`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("ingest config lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "s3cr3t") || strings.Contains(out+errOut, "from-env") {
		t.Errorf("a secret is shown:\n%s\n%s", out, errOut)
	}
	// backfill: D180, not the file's D7.
	code, out, errOut = b.ingest(t, "backfill", "--config", path, "--tenant-id", tenant, "--graph-url", "http://127.0.0.1:1", "--max-retry-wait", "1s", "--request-timeout", "1s", "--max-attempts", "1")
	if !strings.Contains(out+errOut, "D180") || strings.Contains(out+errOut, "period D7") {
		t.Errorf("backfill took the file's period (exit %d):\n%s\n%s", code, out, errOut)
	}
}
