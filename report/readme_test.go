package report

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the report catalogue in ../README.md from the spec table")

const (
	catalogueStart = "<!-- catalogue: generated from report.All by go test ./report -run Readme -update-readme; do not edit -->"
	catalogueEnd   = "<!-- end of catalogue -->"
)

// TestReadmeCatalogue fails when the README's report catalogue is not what
// the spec table says (run go test ./report -run Readme -update-readme).
func TestReadmeCatalogue(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, catalogueStart), strings.Index(text, catalogueEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the catalogue markers %q ... %q", catalogueStart, catalogueEnd)
	}
	want := catalogueStart + "\n" + catalogueMarkdown()
	if got := text[i:j]; got != want {
		if *updateReadme {
			if err := os.WriteFile("../README.md", []byte(text[:i]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's report catalogue is stale: run go test ./report -run Readme -update-readme")
	}
}

// catalogueMarkdown is the report catalogue: a table per workload's
// reports, in fetch order.
func catalogueMarkdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d reports. Key: the columns that identify a row besides `tenant_id`. Metrics: each with its aggregation over a week or a month (sum, users: daily average and peak, level: last value and peak) and, where it is not a count, its type; `?` marks a column real files may lack.\n\n", len(All))
	b.WriteString("| report (`--report`) | Graph function | key | metrics |\n|---|---|---|---|\n")
	for _, s := range All {
		name := "`" + s.Name + "`"
		for _, a := range s.Aliases {
			name += " (`" + a + "`)"
		}
		fn := "`" + s.Function + "`"
		if s.Root != "" {
			fn += " under `" + s.Root + "`"
		}
		if s.NoPeriod {
			fn += ", no period"
		}
		var metrics []string
		for _, c := range s.Metrics {
			m := "`" + c.Name + "`"
			if c.Optional {
				m += "?"
			}
			what := s.Aggregation(c).String()
			if c.Type != Count {
				what = c.Type.String() + ", " + what
			}
			metrics = append(metrics, m+" ("+what+")")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, fn, strings.Join(s.Key()[1:], ", "), strings.Join(metrics, ", "))
	}
	return b.String()
}
