package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestGraphURLRefused: the token goes to --graph-url, so it must be https
// (plain http on loopback only, for the simulator) and a scheme and host
// only; --request-timeout must be positive. Each mistake is a usage error,
// found before the warehouse is touched, that says what is wrong.
func TestGraphURLRefused(t *testing.T) {
	t.Parallel()
	run := func(extra ...string) (int, string) {
		var out, errOut bytes.Buffer
		args := append([]string{"ingest", "run", "--database-url", deadDatabase, "--access-token", "x", "--tenant-id", tenant}, extra...)
		code := Main(context.Background(), args, &out, &errOut, "test")
		return code, lastLine(errOut.String())
	}
	for _, tc := range []struct{ arg, want string }{
		{"--graph-url=http://graph.microsoft.com", "plain http"},
		{"--graph-url=http://proxy.example.com:8080", "plain http"},
		{"--graph-url=http://127.0.0.1:28000#x", "fragment"},
		{"--graph-url=http://127.0.0.1:28000#", "fragment"},
		{"--graph-url=https://graph.microsoft.com?", "query"},
		{"--graph-url=https://graph.microsoft.com/?$top=1", "query"},
		{"--graph-url=https://u:pa55@graph.microsoft.com", "user info"},
		{"--graph-url=https://graph.microsoft.com/v1.0", "path"},
		{"--graph-url=ftp://graph.microsoft.com", "want https"},
		{"--request-timeout=0s", "--request-timeout"},
		{"--request-timeout=-1m", "--request-timeout"},
	} {
		code, msg := run(tc.arg)
		if code != ExitUsage || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "ingest: ") {
			t.Errorf("%s: exit %d, %q; want exit 2 naming %q", tc.arg, code, msg, tc.want)
		}
		if strings.Contains(msg, "pa55") {
			t.Errorf("%s: the message shows the password: %q", tc.arg, msg)
		}
	}
	// Accepted: the run goes on to the (dead) warehouse.
	for _, ok := range []string{"http://127.0.0.1:1", "http://localhost:1/", "http://[::1]:1", "https://graph.microsoft.com"} {
		if code, msg := run("--graph-url", ok, "--request-timeout", "10s"); code == ExitUsage {
			t.Errorf("--graph-url %s refused: %s", ok, msg)
		}
	}
}
