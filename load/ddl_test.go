package load

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/report"
)

var ddl = flag.String("ddl", "", "print the CREATE TABLE of the reports whose Graph function matches this regexp (to write a migration), then pass")

// TestPrintDDL writes a report's table as the migrations have it, for a
// new report's migration: go test ./load -run PrintDDL -ddl '^getEmail'
// (the detail reports too: -ddl '^get.*Detail$').
// TestEveryReportHasItsTable checks every migration against the spec.
func TestPrintDDL(t *testing.T) {
	if *ddl == "" {
		t.Skip("-ddl not given")
	}
	re := regexp.MustCompile(*ddl)
	for _, s := range report.All {
		if re.MatchString(s.Function) {
			fmt.Println(createTable(s))
		}
	}
}

// createTable is the table of a report: its key, columns typed by the spec,
// the bookkeeping. Every key column is NOT NULL, the dimensions of any type
// (a detail report's boolean concealed) as well.
func createTable(s *report.Spec) string {
	type col struct{ name, typ string }
	var cols []col
	cols = append(cols, col{report.TenantID, "text        NOT NULL"})
	for _, c := range s.Columns() {
		switch c.Name {
		case report.ReportDate.Name, report.RefreshDate.Name:
			cols = append(cols, col{c.Name, "date        NOT NULL"})
		case report.Period.Name:
			cols = append(cols, col{c.Name, "integer     NOT NULL"})
		default:
			typ := c.Type.SQL()
			if isDim(s, c) {
				typ = fmt.Sprintf("%-11s NOT NULL", typ)
			}
			cols = append(cols, col{c.Name, typ})
		}
	}
	cols = append(cols, col{"loaded_at", "timestamptz NOT NULL DEFAULT now()"}, col{"changed_at", "timestamptz NOT NULL DEFAULT now()"},
		col{"run_id", "bigint"}) // no foreign key: see migration 00015
	width := 0
	for _, c := range cols {
		width = max(width, len(c.name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\nCREATE TABLE %s (\n", s.Title, s.Table)
	for _, c := range cols {
		fmt.Fprintf(&b, "    %-*s %s,\n", width, c.name, c.typ)
	}
	fmt.Fprintf(&b, "    PRIMARY KEY (%s)\n);\n", strings.Join(s.Key(), ", "))
	return b.String()
}

// TestCreateTableKeyNotNull: createTable writes every key column NOT NULL,
// whatever its type (a detail report's boolean concealed), so that the
// migrations say what the primary key implies.
func TestCreateTableKeyNotNull(t *testing.T) {
	t.Parallel()
	for _, s := range report.All {
		ddl := createTable(s)
		for _, k := range s.Key() {
			re := regexp.MustCompile(`(?m)^    ` + k + ` +\S+ +NOT NULL,$`)
			if !re.MatchString(ddl) {
				t.Errorf("%s: key column %s is not NOT NULL in\n%s", s.Table, k, ddl)
			}
		}
	}
}

func isDim(s *report.Spec, c report.Column) bool {
	for _, d := range s.Dims {
		if d.Name == c.Name {
			return true
		}
	}
	return false
}
