package cli

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// TestComposePassesEveryVariable: the ingest service of docker-compose.yml
// passes through every environment variable a flag of ingest reads (but
// graph-sim's own, GRAPH_SIM_*), so that a setting that works for the
// binary works for the container; each is listed without a value (unset
// stays unset) but DATABASE_URL, which names the compose db. A new flag with
// a variable fails this test until docker-compose.yml lists it.
func TestComposePassesEveryVariable(t *testing.T) {
	t.Parallel()
	var want []string
	var walk func(cmds []*ucli.Command)
	walk = func(cmds []*ucli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				for _, e := range envVars(f) {
					// INGEST_DAILY_AT is the nightly profile's command's, never
					// passed: the one-shot ingest service would never end.
					if !strings.HasPrefix(e, "GRAPH_SIM_") && e != "INGEST_DAILY_AT" && !slices.Contains(want, e) {
						want = append(want, e)
					}
				}
			}
			walk(c.Subcommands)
		}
	}
	app := newApp(io.Discard, io.Discard, "test")
	walk(app.Commands)
	if len(want) < 10 {
		t.Fatalf("found only %d variables in the flags: %v", len(want), want)
	}

	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	env := composeEnvironment(t, string(b), "ingest")
	for _, e := range want {
		v, ok := env[e]
		switch {
		case !ok:
			t.Errorf("docker-compose.yml: the ingest service does not pass %s", e)
		case e == "DATABASE_URL" && !strings.Contains(v, "@db:5432/"):
			t.Errorf("docker-compose.yml: the ingest service's DATABASE_URL %q is not the db service", v)
		case e != "DATABASE_URL" && v != "":
			t.Errorf("docker-compose.yml: the ingest service sets %s=%s; list it bare to pass the caller's (unset stays unset)", e, v)
		}
	}
}

// composeEnvironment reads the list-form environment of a service from a
// compose file: "      - NAME" (value "") or "      - NAME=value".
func composeEnvironment(t *testing.T, compose, service string) map[string]string {
	t.Helper()
	lines := strings.Split(compose, "\n")
	start := slices.Index(lines, "  "+service+":")
	if start < 0 {
		t.Fatalf("docker-compose.yml: no service %s", service)
	}
	item := regexp.MustCompile(`^      - ([A-Z_][A-Z0-9_]*)(?:=(.*))?$`)
	env := map[string]string{}
	in := false
	for _, l := range lines[start+1:] {
		if l != "" && !strings.HasPrefix(l, "   ") { // the next service or section
			break
		}
		switch {
		case l == "    environment:" || strings.HasPrefix(l, "    environment: &"): // an anchor other services reuse
			in = true
		case strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     "):
			in = false
		case in:
			if m := item.FindStringSubmatch(l); m != nil {
				env[m[1]] = m[2]
			}
		}
	}
	if len(env) == 0 {
		t.Fatalf("docker-compose.yml: service %s has no list-form environment", service)
	}
	return env
}
