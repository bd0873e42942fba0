package transform

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

var update = flag.Bool("update", false, "rewrite transform/testdata/*/want.json from what Parse returns")

var seed = flag.Bool("seed", false, "create transform/testdata/<report>--csv/input.csv for each report without a golden case (then run -update and review)")

// TestGolden parses every transform/testdata/<report>--<case>/input.csv (or
// input.json) as that report, with the period D7 requested, and compares
// the rows, unknown columns, warnings and error with want.json beside it.
//
//	go test ./transform -run Golden -update   # after a deliberate change; review the diff
func TestGolden(t *testing.T) {
	t.Parallel()
	if *seed {
		seedGolden(t)
	}
	dirs, err := filepath.Glob("testdata/*--*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	covered := map[string]bool{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		reportName, _, _ := strings.Cut(name, "--")
		spec := mustSpec(t, reportName)
		covered[spec.Name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			input, format := filepath.Join(dir, "input.csv"), report.CSV
			if _, err := os.Stat(input); err != nil {
				input, format = filepath.Join(dir, "input.json"), report.JSON
			}
			body, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(spec, bytes.NewReader(body), Options{Format: format, Source: filepath.Base(input), Period: 7})
			got := render(spec, res, err)
			wantPath := filepath.Join(dir, "want.json")
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Parse(%s) differs from %s:\n--- got\n%s--- want\n%s", input, wantPath, got, want)
			}
		})
	}
	for _, s := range report.All {
		if !covered[s.Name] {
			t.Errorf("no golden case for report %s", s.Name)
		}
	}
}

// render describes a parse result as readable JSON, one row per line, each
// row's metrics named by their warehouse columns.
func render(spec *report.Spec, res *Result, err error) string {
	var b strings.Builder
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	list := func(items []string) string {
		if len(items) == 0 {
			return "[]"
		}
		var out []string
		for _, s := range items {
			out = append(out, "\n    "+q(s))
		}
		return "[" + strings.Join(out, ",") + "\n  ]"
	}
	fmt.Fprintf(&b, "{\n  \"report\": %s,\n", q(spec.Name))
	if err != nil {
		var pe *Error
		kind := "other"
		if errors.As(err, &pe) {
			kind = "*transform.Error"
		}
		fmt.Fprintf(&b, "  \"error\": %s,\n  \"error_type\": %s\n}\n", q(err.Error()), q(kind))
		return b.String()
	}
	var rows []string
	for _, r := range res.Rows {
		fields := []string{`"report_refresh_date": ` + q(r.RefreshDate.Format(time.DateOnly))}
		if spec.Dated() {
			fields = append(fields, `"report_date": `+q(r.ReportDate.Format(time.DateOnly)))
		} else if !r.ReportDate.IsZero() {
			fields = append(fields, `"report_date": "SNAPSHOT ROW WITH A REPORT DATE"`)
		}
		if spec.HasPeriodColumn() {
			fields = append(fields, fmt.Sprintf(`"report_period": %d`, r.Period))
		}
		for j, c := range spec.Fields() {
			v := "null"
			switch val := r.Values[j]; {
			case !val.Valid:
			case c.Type == report.Text || c.Type == report.List:
				v = q(val.S)
			case c.Type == report.Date:
				v = q(time.Unix(val.N*86400, 0).UTC().Format(time.DateOnly))
			case c.Type == report.Duration:
				v = q(time.Duration(val.N).String())
			case c.Type == report.Bool:
				v = fmt.Sprint(val.N != 0)
			default:
				v = fmt.Sprint(val.N)
			}
			fields = append(fields, q(c.Name)+": "+v)
		}
		rows = append(rows, "\n    {"+strings.Join(fields, ", ")+"}")
	}
	rowText := "[]"
	if len(rows) > 0 {
		rowText = "[" + strings.Join(rows, ",") + "\n  ]"
	}
	fmt.Fprintf(&b, "  \"rows\": %s,\n  \"unknown\": %s,\n  \"warnings\": %s,\n  \"next_link\": %s\n}\n",
		rowText, list(res.Unknown), list(res.Warnings), q(res.NextLink))
	return b.String()
}

// seedGolden writes a golden input for each report without a case: a week
// of graph-sim's CSV, a fixture of our own.
func seedGolden(t *testing.T) {
	for _, s := range report.All {
		if m, _ := filepath.Glob("testdata/" + s.Name + "--*"); len(m) > 0 {
			continue
		}
		dir := filepath.Join("testdata", s.Name+"--csv")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		var body []byte
		if s.Detail != nil {
			// A week's totals of three users (or of the groups, sites or
			// teams of three users), as a period= call answers.
			var b bytes.Buffer
			f := &graphsim.DetailFile{Spec: s, Seed: "golden", Users: 3, Refresh: day, Days: 7}
			if err := f.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			body = b.Bytes()
		} else {
			body = graphsim.CSV(s, graphsim.Generate(s, "golden", day, 7))
		}
		if err := os.WriteFile(filepath.Join(dir, "input.csv"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
