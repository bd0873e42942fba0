package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
)

func statusCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "status",
		Usage:        "show freshness per tenant and report, and the last runs",
		Flags:        flags([]ucli.Flag{jsonFlag()}, dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action:       onWarehouse(false, noArguments, printStatus),
	}
}

// printStatus prints the freshness of every tenant's reports and the last
// runs: two tables, or one JSON document with --json.
func printStatus(c *ucli.Context, db *load.DB) error {
	fresh, err := db.Freshness(c.Context)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		runs, err := db.LastRuns(c.Context, 10)
		if err != nil {
			return err
		}
		return writeStatusJSON(c.App.Writer, fresh, runs)
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tREPORT\tNEWEST REPORT DATE\tREFRESH DATE\tDAYS BEHIND\tLAST GRAPH FETCH\tLAST REPLAY\tLAST FILE LOAD")
	for _, f := range fresh {
		behind := "no data" // every payload so far was empty
		if f.DaysBehind != nil {
			behind = strconv.Itoa(*f.DaysBehind)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.TenantID, f.Report, dateOrDash(f.NewestReportDate),
			dateOrDash(f.NewestRefreshDate), behind, timeOrDash(f.LastSuccessAt), timeOrDash(f.LastReplayAt), timeOrDash(f.LastFileLoadAt))
	}
	w.Flush()
	runs, err := db.LastRuns(c.Context, 10)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer)
	w = tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tCOMMAND\tPERIOD\tSTATUS\tSTARTED\tDURATION\tERROR")
	for _, r := range runs {
		dur := "-"
		if r.FinishedAt != nil {
			dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Command, r.Period, r.Status, r.StartedAt.Format(time.RFC3339), dur, text.Cut(text.OneLine(r.Error), pipeline.MaxReason))
	}
	return w.Flush()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func dateOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateOnly)
}
