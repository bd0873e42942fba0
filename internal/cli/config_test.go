package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
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
	}
	commands := map[string][]string{
		"run":       {"concurrency", "max-attempts", "max-payload-bytes", "max-retry-wait", "wait-timeout"},
		"backfill":  {"concurrency", "max-attempts", "max-payload-bytes", "max-retry-wait", "wait-timeout"},
		"load-file": {"max-payload-bytes", "wait-timeout"},
		"replay":    {"wait-timeout"},
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
			if def < r.min || def > r.max {
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
