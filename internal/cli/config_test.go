package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// mainArgs runs the app in-process with no database behind it, returning
// the exit code, stdout and stderr. A command that should have refused its
// flags but serves (graph-sim) stops after 10 seconds.
func mainArgs(args ...string) (int, string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := Main(ctx, append([]string{"ingest"}, args...), &out, &errOut, "test")
	return code, out.String(), errOut.String()
}

// TestDatabaseURLPasswordNeverShown: a password with an unencoded '@' (pgx
// ends the user info at the first '@', so its tail would be the host) or '/'
// (the tail would be the database) is refused as configuration, exit 2,
// at debug level too, without any part of it in the output.
func TestDatabaseURLPasswordNeverShown(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"postgresql://u:Pa55@W0rd@127.0.0.1:1/db",
		"postgresql://localhost:1/Pa55W0rd@127.0.0.1:1/db",
		"host=127.0.0.1 port=1 user=u password=Pa55 W0rd dbname=db",
	} {
		for _, cmd := range []string{"status", "migrate", "replay"} {
			code, out, errOut := mainArgs(cmd, "--database-url", url, "--log-level", "debug", "--log-format", "json")
			if code != ExitUsage {
				t.Errorf("%s %s: exit %d, want 2\n%s", cmd, url, code, errOut)
			}
			all := strings.ToLower(out + errOut)
			if strings.Contains(all, "pa55") || strings.Contains(all, "w0rd") {
				t.Errorf("%s %s: a part of the password is shown:\n%s", cmd, url, out+errOut)
			}
		}
	}
}

// TestSystemSchemaRefused: --schema information_schema (or pg_catalog, or
// any pg_ schema) is a usage error, exit 2, naming the schema, from every
// command that opens the warehouse, before it connects.
func TestSystemSchemaRefused(t *testing.T) {
	t.Parallel()
	for _, schema := range []string{"information_schema", "pg_catalog", "pg_toast"} {
		for _, cmd := range []string{"migrate", "status", "replay", "grant-reader"} {
			args := []string{cmd, "--database-url", "postgres://u@127.0.0.1:1/db", "--schema", schema}
			if cmd == "grant-reader" {
				args = append(args, "someone")
			}
			code, _, errOut := mainArgs(args...)
			if code != ExitUsage || !strings.Contains(lastLine(errOut), schema) || !strings.Contains(lastLine(errOut), "system schema") {
				t.Errorf("%s --schema %s: exit %d, %q; want 2 naming the system schema", cmd, schema, code, lastLine(errOut))
			}
		}
	}
}

// TestNumericFlagsValidated: every numeric flag of every command goes
// through one rule: a value outside its range is exit 2 with one line that
// names the flag and the range. --max-payload-bytes near 2^63 used to wrap
// (the reader reads max+1 bytes) and load-file took 0 and negatives.
func TestNumericFlagsValidated(t *testing.T) {
	t.Parallel()
	bad := map[string][]string{
		"concurrency":       {"0", "-1", "1000"},
		"max-attempts":      {"0", "-3", "1000"},
		"max-payload-bytes": {"0", "-1", "9223372036854775807", "1073741825"},
		"max-retry-wait":    {"0s", "-1s", "500ms", "1000h"},
		"wait-timeout":      {"0s", "-1s", "500us", "600h"},
		"latency-days":      {"-1", "366"},
		"retry-after":       {"-1s", "25h"},
		"page-size":         {"-1", "1000001"},
		"request-timeout":   {"0s", "-1s", "500ms", "25h"},
		"statement-timeout": {"-1s", "500us", "600h"},
		"run-timeout":       {"-1s", "500ms", "600h"},
	}
	commands := map[string][]string{
		"run":       {"concurrency", "max-attempts", "max-payload-bytes", "max-retry-wait", "request-timeout", "wait-timeout", "statement-timeout", "run-timeout"},
		"backfill":  {"concurrency", "max-attempts", "max-payload-bytes", "max-retry-wait", "request-timeout", "wait-timeout", "statement-timeout", "run-timeout"},
		"load-file": {"max-payload-bytes", "wait-timeout", "statement-timeout", "run-timeout"},
		"replay":    {"wait-timeout", "statement-timeout", "run-timeout"},
		"graph-sim": {"latency-days", "retry-after", "page-size"},
	}
	// Should a value get through, the command must still talk to nothing
	// but a closed loopback port.
	dead := []string{"--database-url", "postgres://u@127.0.0.1:1/db?connect_timeout=2"}
	graph := []string{"--graph-url", "http://127.0.0.1:1", "--access-token", "t", "--tenant-id", tenant}
	safe := map[string][]string{
		"run":       append(graph, dead...),
		"backfill":  append(graph, dead...),
		"load-file": append([]string{"--report", userReport, "--tenant-id", tenant}, append(dead, "no-such-file.csv")...),
		"replay":    dead,
		"graph-sim": {"--addr", "127.0.0.1:0", "--download-addr", "127.0.0.1:0"},
	}
	for cmd, names := range commands {
		for _, name := range names {
			for _, v := range bad[name] {
				args := append([]string{cmd, "--" + name, v}, safe[cmd]...)
				code, out, errOut := mainArgs(args...)
				if code != ExitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--"+name) || !strings.Contains(errOut, " to ") {
					t.Errorf("%s --%s %s: exit %d, stderr %q; want 2 and one line naming the flag and its range\n%s", cmd, name, v, code, errOut, out)
				}
			}
		}
	}
}

// TestEveryNumericFlagHasARange: the one rule covers every numeric flag of
// every command (a flag added without a range fails here), and every
// default is inside its range.
func TestEveryNumericFlagHasARange(t *testing.T) {
	t.Parallel()
	app := newApp(io.Discard, io.Discard, "test")
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			def, numeric := numericDefault(f)
			if !numeric {
				continue
			}
			r, ok := numericRanges[name]
			if !ok {
				t.Errorf("%s --%s is numeric and has no range in numericRanges", cmd.Name, name)
				continue
			}
			if (def < r.min || def > r.max) && !(def == 0 && r.zeroIsNone) {
				t.Errorf("%s --%s: default %d outside its range %d to %d", cmd.Name, name, def, r.min, r.max)
			}
		}
	}
}

// TestNumericFlagFromEnvironment: a bad value from the environment is named
// by its variable; the command line, which wins, by its flag. Not parallel:
// it sets the environment.
func TestNumericFlagFromEnvironment(t *testing.T) {
	t.Setenv("INGEST_MAX_PAYLOAD_BYTES", "0")
	args := []string{"load-file", "--report", userReport, "--tenant-id", tenant, "--database-url", "postgres://u@127.0.0.1:1/db", "no-such-file.csv"}
	code, _, errOut := mainArgs(args...)
	if code != ExitUsage || !strings.Contains(errOut, "INGEST_MAX_PAYLOAD_BYTES") {
		t.Errorf("INGEST_MAX_PAYLOAD_BYTES=0 load-file: exit %d, %q; want 2 naming the variable", code, errOut)
	}
	code, _, errOut = mainArgs(append([]string{"load-file", "--max-payload-bytes", "-5"}, args[1:]...)...)
	if code != ExitUsage || strings.Contains(errOut, "INGEST_MAX_PAYLOAD_BYTES") || !strings.Contains(errOut, "--max-payload-bytes -5") {
		t.Errorf("load-file --max-payload-bytes -5 with INGEST_MAX_PAYLOAD_BYTES=0: exit %d, %q; want 2 naming the flag", code, errOut)
	}
}

// warnings counts the warn-level log lines (JSON) about secrets on the
// command line.
func secretWarnings(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "command line") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestSecretFlagsWarnOnce: secrets given as flags are visible to every
// local user in ps: one warning line names every such flag and the
// alternatives, and shows none of the secrets. A --database-url without a
// password is no secret.
func TestSecretFlagsWarnOnce(t *testing.T) {
	t.Parallel()
	dead := "postgres://u@127.0.0.1:1/db?connect_timeout=2"
	base := []string{"run", "--log-format", "json", "--graph-url", "http://127.0.0.1:1", "--tenant-id", tenant}
	for _, tc := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"--access-token", "T0ken-x", "--database-url", dead}, []string{"--access-token"}},
		{[]string{"--access-token=T0ken-x", "--database-url", dead}, []string{"--access-token"}},
		{[]string{"--access-token", "T0ken-x", "--client-secret", "S3cret-x", "--client-certificate-password", "P4ss-x",
			"--database-url", "postgres://u:Pa55W0rd@127.0.0.1:1/db?connect_timeout=2"},
			[]string{"--access-token", "--client-secret", "--client-certificate-password", "--database-url"}},
	} {
		code, out, errOut := mainArgs(append(base, tc.args...)...)
		if code != ExitFailed {
			t.Errorf("%v: exit %d, want 1 (no database)\n%s", tc.args, code, errOut)
		}
		w := secretWarnings(errOut)
		if len(w) != 1 {
			t.Errorf("%v: %d warnings about secrets on the command line, want 1:\n%s", tc.args, len(w), errOut)
			continue
		}
		for _, f := range tc.flags {
			if !strings.Contains(w[0], f) {
				t.Errorf("%v: the warning does not name %s: %s", tc.args, f, w[0])
			}
		}
		if !strings.Contains(w[0], "GRAPH_ACCESS_TOKEN_FILE") {
			t.Errorf("%v: the warning does not name the alternative: %s", tc.args, w[0])
		}
		for _, s := range []string{"T0ken-x", "S3cret-x", "P4ss-x", "Pa55W0rd"} {
			if strings.Contains(out+errOut, s) {
				t.Errorf("%v: the output shows the secret %s", tc.args, s)
			}
		}
	}
	code, _, errOut := mainArgs("status", "--log-format", "json", "--database-url", dead)
	if code != ExitFailed || len(secretWarnings(errOut)) != 0 {
		t.Errorf("status with a database URL without password: exit %d, warnings %q", code, secretWarnings(errOut))
	}
}

// TestSecretsFromEnvironmentAndFiles: a secret from the environment or a
// *_FILE draws no warning; a *_FILE (or --*-file) is read, one trailing
// newline dropped; the secret and its file at one level, an unreadable or
// an empty file are usage errors naming the variable (or flag) and the
// file. Not parallel: it sets the environment.
func TestSecretsFromEnvironmentAndFiles(t *testing.T) {
	b := setup(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := write("token", "test-token\n")
	sim := startSim(t, asOf)
	run := func(extra ...string) (int, string, string) {
		return b.ingestWith(t, hooks{}, append([]string{"run", "--graph-url", sim.URL(), "--tenant-id", tenant, "--report", userReport, "--force"}, extra...)...)
	}

	t.Setenv("GRAPH_ACCESS_TOKEN", "test-token")
	if code, out, errOut := run(); code != ExitOK || len(secretWarnings(errOut)) != 0 {
		t.Errorf("GRAPH_ACCESS_TOKEN: exit %d, warnings %q\n%s\n%s", code, secretWarnings(errOut), out, errOut)
	}
	os.Unsetenv("GRAPH_ACCESS_TOKEN")
	if code, out, errOut := run("--access-token-file", tokenFile); code != ExitOK || len(secretWarnings(errOut)) != 0 {
		t.Errorf("--access-token-file: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Setenv("GRAPH_ACCESS_TOKEN_FILE", tokenFile)
	if code, out, errOut := run(); code != ExitOK || len(secretWarnings(errOut)) != 0 {
		t.Errorf("GRAPH_ACCESS_TOKEN_FILE: exit %d\n%s\n%s", code, out, errOut)
	}
	// The command line wins over the environment.
	if code, out, errOut := run("--access-token", "test-token"); code != ExitOK {
		t.Errorf("--access-token with GRAPH_ACCESS_TOKEN_FILE set: exit %d\n%s\n%s", code, out, errOut)
	}

	// A client secret from AZURE_CLIENT_SECRET_FILE, its CRLF dropped.
	a := newAuthority(t)
	a.secret = "cl1ent-s3cret-" + randomText(4)
	os.Unsetenv("GRAPH_ACCESS_TOKEN_FILE")
	t.Setenv("AZURE_CLIENT_SECRET_FILE", write("secret", a.secret+"\r\n"))
	clock := fakeclock.New(asOf)
	appSim := simOn(t, clock, graphsim.Options{Token: a.token})
	code, out, errOut := b.ingestWith(t, hooks{clock: clock, authTransport: a.srv.Client()}, "run", "--graph-url", appSim.URL(), "--tenant-id", tenant,
		"--report", userReport, "--force", "--authority-host", a.srv.URL, "--client-id", clientID)
	if code != ExitOK || strings.Contains(out+errOut, a.secret) {
		t.Errorf("AZURE_CLIENT_SECRET_FILE: exit %d\n%s\n%s", code, out, errOut)
	}
	os.Unsetenv("AZURE_CLIENT_SECRET_FILE")

	missing := filepath.Join(dir, "missing")
	empty := write("empty", "\n")
	for _, tc := range []struct {
		env   map[string]string
		args  []string
		names []string
	}{
		{map[string]string{"GRAPH_ACCESS_TOKEN": "x", "GRAPH_ACCESS_TOKEN_FILE": tokenFile}, nil, []string{"GRAPH_ACCESS_TOKEN ", "GRAPH_ACCESS_TOKEN_FILE", "both"}},
		{nil, []string{"--access-token", "x", "--access-token-file", tokenFile}, []string{"--access-token ", "--access-token-file", "both"}},
		{map[string]string{"GRAPH_ACCESS_TOKEN_FILE": missing}, nil, []string{"GRAPH_ACCESS_TOKEN_FILE", missing}},
		{map[string]string{"AZURE_CLIENT_SECRET_FILE": empty}, nil, []string{"AZURE_CLIENT_SECRET_FILE", empty, "empty"}},
		{nil, []string{"--client-certificate-password-file", missing}, []string{"--client-certificate-password-file", missing}},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		code, _, errOut := mainArgs(append([]string{"run", "--database-url", "postgres://u@127.0.0.1:1/db", "--graph-url", "http://127.0.0.1:1", "--tenant-id", tenant}, tc.args...)...)
		last := lastLine(errOut)
		if code != ExitUsage {
			t.Errorf("%v %v: exit %d, want 2: %s", tc.env, tc.args, code, last)
		}
		for _, n := range tc.names {
			if !strings.Contains(last, n) {
				t.Errorf("%v %v: the error does not name %q: %s", tc.env, tc.args, n, last)
			}
		}
		for k := range tc.env {
			os.Unsetenv(k)
		}
	}
}
