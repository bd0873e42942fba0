package cli

import (
	"os"
	"strings"
	"testing"
)

// callerEnvPrefixes are the variables the app reads (or that pgx and
// azidentity read for it). The tests run the CLI in-process, so a
// developer's shell with the nightly job's env file sourced would change
// what they test: they start without any of them, and a test that wants
// one sets it with t.Setenv. DATABASE_URL stays: it says where the test
// server is, and every test passes --database-url itself.
var callerEnvPrefixes = []string{"INGEST_", "GRAPH_", "AZURE_", "PG", "MSI_", "IDENTITY_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range callerEnvPrefixes {
			if strings.HasPrefix(name, p) {
				os.Unsetenv(name)
			}
		}
	}
	os.Exit(m.Run())
}

// TestCallerEnvironmentIsCleared fails when a variable of the caller's that
// the app would read reaches the tests (run `INGEST_REPORT=x make test`).
func TestCallerEnvironmentIsCleared(t *testing.T) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range callerEnvPrefixes {
			if strings.HasPrefix(name, p) {
				t.Errorf("%s is set in the tests' environment", name)
			}
		}
	}
}
