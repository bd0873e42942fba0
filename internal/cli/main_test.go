package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/pgtest"
)

// callerEnvPrefixes are the variables the app reads (or that pgx and
// azidentity read for it). The tests run the CLI in-process, so a
// developer's shell with the nightly job's env file sourced would change
// what they test: they start without any of them, and a test that wants
// one sets it with t.Setenv. DATABASE_URL stays: it says where the test
// server is, and every test passes --database-url itself.
var callerEnvPrefixes = []string{"INGEST_", "GRAPH_", "AZURE_", "PG", "MSI_", "IDENTITY_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// asMain is set in the environment of a test binary that a test starts as
// the ingest command (see ingestCommand).
const asMain = "INGEST_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		// Run as cmd/ingest's main does, with the environment the test gave.
		os.Unsetenv(asMain)
		os.Exit(Main(StopOnSignal(context.Background()), os.Args, os.Stdout, os.Stderr, "dev"))
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range callerEnvPrefixes {
			if strings.HasPrefix(name, p) {
				os.Unsetenv(name)
			}
		}
	}
	os.Exit(pgtest.Main(m))
}

// ingestCommand is the ingest command with args, as a separate process: the
// test binary itself, run as cmd/ingest's main (see TestMain), so that no
// test has to build the command. Its environment is the tests' (cleared of
// the caller's, see callerEnvPrefixes); append to cmd.Env to add to it.
func ingestCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("the test binary: %v", err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asMain+"=1")
	return cmd
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
