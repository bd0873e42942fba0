package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

func loadFileCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "load-file",
		Usage:     "load CSV or JSON report files from disk (admin center export, PowerShell -OutFile, the CLI for Microsoft 365); - reads standard input; no Graph call",
		ArgsUsage: "FILE...",
		Flags: flags([]ucli.Flag{
			&ucli.StringFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "the `REPORT` the files hold (a name that ingest reports prints)"},
			tenantFlag("Entra tenant id (a GUID) the files came from"),
			// Not GRAPH_FORMAT: what Graph is asked for says nothing of a file.
			&ucli.StringFlag{Name: "format", Value: "auto", EnvVars: []string{"INGEST_FILE_FORMAT"}, Usage: "auto (by content: JSON if it starts with { or [), csv or json"},
			&ucli.Int64Flag{Name: "max-payload-bytes", Value: extract.DefaultMaxPayloadBytes, EnvVars: []string{"INGEST_MAX_PAYLOAD_BYTES"}, Usage: "refuse a file larger than this"},
		}, dbFlags(), personLockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			// One report: blanks and commas alone (--report ',',
			// INGEST_REPORT=' ') name none.
			name := strings.TrimSpace(c.String("report"))
			if strings.Trim(name, ", \t") == "" {
				return usagef("load-file needs --report (INGEST_REPORT) naming one report (see `ingest reports`)")
			}
			spec, err := report.Lookup(name)
			if err != nil {
				return usagef("%v", err)
			}
			if c.String("tenant-id") == "" {
				return usagef("load-file needs --tenant-id (or AZURE_TENANT_ID): files do not say which tenant they came from")
			}
			if !auth.IsGUID(c.String("tenant-id")) {
				return usagef("load-file: --tenant-id %q is not a GUID: files carry no token to resolve a domain, so give the tenant id itself", c.String("tenant-id"))
			}
			if c.NArg() == 0 {
				return usagef("load-file needs at least one FILE")
			}
			stdins, files := 0, []string{}
			for _, a := range c.Args().Slice() {
				if pipeline.IsStdin(a) {
					stdins++
				} else {
					files = append(files, a)
				}
			}
			if flagsAfterArgs(files) {
				// urfave/cli reads no flag after the first FILE; quoting them
				// back could print a secret.
				return usagef("load-file: flags must come before the FILE arguments")
			}
			if stdins > 1 {
				return usagef("load-file: - (standard input) given %d times; it can be read once", stdins)
			}
			// A file that is not there (or is no file) is a mistake on the
			// command line: refused before the warehouse is touched, and
			// before any of the others is loaded.
			for _, path := range files {
				if err := checkFile(path); err != nil {
					return err
				}
			}
			formatFlag := c.String("format")
			if formatFlag != "auto" {
				if _, err := report.ParseFormat(formatFlag); err != nil {
					return usagef("%v", err)
				}
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			wait := lockWait(c)
			tenant, paths := strings.ToLower(c.String("tenant-id")), c.Args().Slice()
			return execute(c, log, pipeline.Plan{
				Run:  load.Run{Command: "load-file", Host: hostname(), Version: version(c)},
				Wait: wait, Noun: "files", ByPerson: true, NotLoaded: notLoaded(paths),
				Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
					return r.FileWork(ctx, pipeline.Files{Tenant: tenant, Report: spec, Paths: paths,
						MaxBytes: c.Int64("max-payload-bytes"), Format: formatFlag}), nil
				},
			})
		},
	}
}

// notLoaded says that the files were not loaded, for a run that did not
// get the lock.
func notLoaded(paths []string) string {
	if len(paths) == 1 {
		return paths[0] + " was not loaded"
	}
	return fmt.Sprintf("none of the %d files was loaded", len(paths))
}

// checkFile is a usage error naming path when it cannot be a FILE to load:
// it does not exist, cannot be looked at, or is a directory. A FIFO or a
// device passes: reading it is readFile's.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usagef("load-file: %s: no such file", path)
	case err != nil:
		return usagef("load-file: %s: %v", path, errors.Unwrap(err))
	case fi.IsDir():
		return usagef("load-file: %s is a directory, not a file", path)
	}
	return nil
}

func replayCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "replay",
		Usage: "re-transform and reload payloads stored by earlier runs; no Graph call",
		Flags: flags([]ucli.Flag{
			&ucli.StringSliceFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "replay only this report, repeatable; default all"},
			&ucli.TimestampFlag{Name: "since", Layout: time.DateOnly, EnvVars: []string{"INGEST_REPLAY_SINCE"}, Usage: "replay payloads fetched on or after this date (YYYY-MM-DD)"},
			&ucli.StringSliceFlag{Name: "sha256", EnvVars: []string{"INGEST_REPLAY_SHA256"},
				Usage: "replay only the payload whose sha256 starts with `PREFIX` (8 to 64 hex digits), repeatable; also one that never loaded"},
			&ucli.StringSliceFlag{Name: "skip-sha256", EnvVars: []string{"INGEST_REPLAY_SKIP_SHA256"},
				Usage: "leave out the payload whose sha256 starts with `PREFIX`, repeatable"},
		}, dbFlags(), personLockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, "use --report or --since"); err != nil {
				return err
			}
			specs, err := selectReports(c)
			if err != nil {
				return err
			}
			var reports []string
			if len(c.StringSlice("report")) > 0 {
				for _, s := range specs {
					reports = append(reports, s.Name)
				}
			}
			var since time.Time
			if ts := c.Timestamp("since"); ts != nil {
				since = *ts
			}
			only, err := shaPrefixes(c, "sha256", "INGEST_REPLAY_SHA256")
			if err != nil {
				return err
			}
			skip, err := shaPrefixes(c, "skip-sha256", "INGEST_REPLAY_SKIP_SHA256")
			if err != nil {
				return err
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			wait := lockWait(c)
			rp := pipeline.Replay{Reports: reports, Since: since, Only: only, Skip: skip}
			return execute(c, log, pipeline.Plan{
				Run:  load.Run{Command: "replay", Host: hostname(), Version: version(c)},
				Wait: wait, Noun: "payloads", ByPerson: true, NotLoaded: "nothing was replayed",
				Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
					return r.ReplayWork(ctx, rp)
				},
			})
		},
	}
}

// shaPrefixes reads a flag of sha256 prefixes: each 8 to 64 hex digits
// (case does not matter), duplicates dropped.
func shaPrefixes(c *ucli.Context, flag, env string) ([]string, error) {
	var out []string
	for _, v := range c.StringSlice(flag) {
		p := strings.ToLower(strings.TrimSpace(v))
		if len(p) < 8 || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
			return nil, usagef("--%s (%s) %q: want a sha256 or its first 8 or more hex digits", flag, env, v)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

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
				var cols []string
				for _, col := range s.Columns() {
					cols = append(cols, col.Name)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Function, s.Table, strings.Join(s.Key(), ", "), strings.Join(cols, ", "))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, "\nNot supported:")
			for _, o := range report.Unsupported {
				fmt.Fprintf(c.App.Writer, "  %s: %s\n", o.Function, o.Reason)
			}
			fmt.Fprintln(c.App.Writer, "\n--report takes a REPORT name (or its Graph function, or its table), repeated or comma-separated, or all.")
			return nil
		},
	}
}

func statusCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "status",
		Usage:        "show freshness per tenant and report, and the last runs",
		Flags:        flags([]ucli.Flag{jsonFlag()}, dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			db, err := openWarehouse(c, false)
			if err != nil {
				return err
			}
			defer db.Close()
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
		},
	}
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
