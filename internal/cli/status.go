package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

func statusCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "status",
		Usage: "show freshness per tenant and report, and the last runs; with --max-lag, a check for monitoring",
		Flags: flags([]ucli.Flag{jsonFlag(),
			&ucli.IntFlag{Name: "max-lag", EnvVars: []string{"INGEST_MAX_LAG"}, Usage: "exit 1 when a dated report that has data is more than `DAYS` behind today; the first line reads as a Nagios check (0: no check)"},
		}, dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: onWarehouse(false, func(c *ucli.Context) error {
			if err := noArguments(c); err != nil {
				return err
			}
			return checkNumbers(c)
		}, printStatus),
	}
}

// printStatus prints the freshness of every tenant's reports and the last
// runs: two tables, or one JSON document with --json.
func printStatus(c *ucli.Context, db *load.DB) error {
	fresh, err := db.Freshness(c.Context)
	if err != nil {
		return err
	}
	var check *lagCheck
	if days := c.Int("max-lag"); days > 0 {
		check = checkLag(fresh, days)
	}
	if c.Bool("json") {
		runs, err := db.LastRuns(c.Context, 10)
		if err != nil {
			return err
		}
		if err := writeStatusJSON(c.App.Writer, fresh, runs, check); err != nil {
			return err
		}
		return check.err()
	}
	if check != nil {
		fmt.Fprintln(c.App.Writer, check.line())
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
	if err := w.Flush(); err != nil {
		return err
	}
	return check.err()
}

// lagCheck is status --max-lag's verdict: the dated reports that have data
// (per tenant), and those of them more than MaxLag days behind today. A
// report that has only ever been empty has no days behind and is not
// counted; nor is a snapshot report, whose data is as of its refresh.
type lagCheck struct {
	MaxLag  int
	Counted int
	Stale   []load.Freshness
}

func checkLag(fresh []load.Freshness, days int) *lagCheck {
	c := &lagCheck{MaxLag: days}
	for _, f := range fresh {
		spec, err := report.Lookup(f.Report)
		if err != nil || !spec.Dated() || f.DaysBehind == nil {
			continue
		}
		c.Counted++
		if *f.DaysBehind > days {
			c.Stale = append(c.Stale, f)
		}
	}
	return c
}

// maxStaleNamed is how many stale reports the check's line names.
const maxStaleNamed = 5

// line is the first line of status with --max-lag, as a Nagios plugin
// prints it: INGEST OK - ... or INGEST CRITICAL - ..., naming the stalest.
func (c *lagCheck) line() string {
	if len(c.Stale) == 0 {
		if c.Counted == 0 {
			return fmt.Sprintf("INGEST OK - no dated report has data yet (max lag %d days)", c.MaxLag)
		}
		return fmt.Sprintf("INGEST OK - %d of %d reports within %d days", c.Counted, c.Counted, c.MaxLag)
	}
	return "INGEST CRITICAL - " + c.summary()
}

func (c *lagCheck) summary() string {
	stale := slices.Clone(c.Stale)
	slices.SortStableFunc(stale, func(a, b load.Freshness) int { return *b.DaysBehind - *a.DaysBehind })
	var named []string
	for _, f := range stale[:min(len(stale), maxStaleNamed)] {
		named = append(named, fmt.Sprintf("%s %s %d days behind", f.TenantID, f.Report, *f.DaysBehind))
	}
	s := fmt.Sprintf("%d of %d reports older than %d days: %s", len(c.Stale), c.Counted, c.MaxLag, strings.Join(named, ", "))
	if more := len(stale) - len(named); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// err is the check's failure (exit 1), or nil: no check, or nothing stale.
func (c *lagCheck) err() error {
	if c == nil || len(c.Stale) == 0 {
		return nil
	}
	return errors.New(c.summary())
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
