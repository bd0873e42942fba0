package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// TestDemoShowOnATerminal runs the print step of `make demo`
// (scripts/demo.sh --show) on a pseudo-terminal 80 columns wide and 10 rows
// high, as a person at a terminal sees it: it must not start a pager (PAGER
// and PSQL_PAGER leave a mark when run), every line must fit 80 columns, and
// it prints the 7 newest days and the checksum line.
func TestDemoShowOnATerminal(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) (util-linux) for a pseudo-terminal")
	}
	if !havePsql() {
		t.Skip("no psql: demo.sh prints nothing to check")
	}
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	if code, out, errOut := b.run(t, hooks{clock: clock}, sim); code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(t.TempDir(), "pager-ran")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qec", "stty cols 80 rows 10 && exec bash scripts/demo.sh --show", "/dev/null")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DATABASE_URL="+b.url, "INGEST_SCHEMA="+b.schema, "COLUMNS=80", "LINES=10", "TERM=xterm",
		"PAGER=tee "+mark, "PSQL_PAGER=tee "+mark)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	text := strings.ReplaceAll(out.String(), "\r", "")
	if err != nil {
		t.Fatalf("demo.sh --show: %v\n%s", err, text)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("demo.sh --show started a pager on a terminal:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d columns, wider than an 80-column terminal: %q", n, line)
		}
	}
	newest := asOf.AddDate(0, 0, -2)
	for d := range 7 {
		if day := newest.AddDate(0, 0, -d).Format(time.DateOnly); !strings.Contains(text, day) {
			t.Errorf("no row for %s", day)
		}
	}
	if !regexp.MustCompile(`(?m)^demo: checksum of the report tables: [0-9a-f]{32}$`).MatchString(text) {
		t.Errorf("no checksum line")
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

// havePsql: demo.sh finds psql on PATH or in a server bindir.
func havePsql() bool {
	if _, err := exec.LookPath("psql"); err == nil {
		return true
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	return len(m) > 0
}
