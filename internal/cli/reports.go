package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/report"
)

func reportsCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "reports",
		Usage:        "list the supported reports, their Graph functions, tables, keys and columns",
		Flags:        []ucli.Flag{jsonFlag()},
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			if c.Bool("json") {
				return writeReportsJSON(c.App.Writer)
			}
			w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "REPORT\tGRAPH FUNCTION\tTABLE\tKEY\tCOLUMNS")
			for _, s := range report.All {
				// Each column with what it is: a metric's type (but count)
				// and aggregation, a dimension marked as one.
				var cols []string
				for _, col := range s.Columns() {
					switch role := columnRole(s, col); {
					case role == "dimension":
						col.Name += " (dimension)"
					case role == "metric" && col.Type != report.Count:
						col.Name += fmt.Sprintf(" (%s, %s)", col.Type, s.Aggregation(col))
					case role == "metric":
						col.Name += fmt.Sprintf(" (%s)", s.Aggregation(col))
					}
					cols = append(cols, col.Name)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Function, s.Table, strings.Join(s.Key(), ", "), strings.Join(cols, ", "))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(report.Unsupported) > 0 {
				fmt.Fprintln(c.App.Writer, "\nNot supported:")
				for _, o := range report.Unsupported {
					fmt.Fprintf(c.App.Writer, "  %s: %s\n", o.Function, o.Reason)
				}
			}
			fmt.Fprintln(c.App.Writer, "\n--report takes a REPORT name (or its Graph function, or its table), repeated or comma-separated;\n"+
				"all (the default): every report but the per-user, site, group and team ones (key entity_key);\n"+
				"detail: those (large, and naming people), fetched a day at a time for Graph's last 28 days.")
			return nil
		},
	}
}
