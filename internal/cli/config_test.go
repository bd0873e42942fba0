package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// main runs the app in-process with no database behind it, returning the
// exit code, stdout and stderr.
func mainArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test")
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
