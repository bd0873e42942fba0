package localpg

import (
	"os"
	"strings"
	"testing"
)

// The shell cannot import Go: the scripts' copy of the default is checked
// here instead.
func TestScriptsDefault(t *testing.T) {
	b, err := os.ReadFile("../../scripts/ensure-postgres.sh")
	if err != nil {
		t.Fatal(err)
	}
	if want := "\ndefault_url='" + URL + "'\n"; !strings.Contains(string(b), want) {
		t.Errorf("scripts/ensure-postgres.sh does not set %q", strings.TrimSpace(want))
	}
}
