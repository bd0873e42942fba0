package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpInParallel runs the help paths of several apps at once; under
// -race it fails if two apps share a flag or command value.
func TestHelpInParallel(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "run"}, {"run", "--help"}, {"run", "-h"}, {"--help"}, {"help"}, {"--version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			if code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if out.Len() == 0 {
				t.Error("printed nothing")
			}
			if args[0] == "run" || len(args) > 1 {
				if !strings.Contains(out.String(), "DATABASE_URL") {
					t.Errorf("run help lacks DATABASE_URL:\n%s", out.String())
				}
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"ingest", "help", "nope"}, &out, &errOut, "test"); code != ExitUsage {
		t.Errorf("help nope: exit %d, want 2", code)
	}
}
