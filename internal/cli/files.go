package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
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
		}, dbFlags(), lockFlags(), logFlags()),
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
			if !isGUID(c.String("tenant-id")) {
				return usagef("load-file: --tenant-id %q is not a GUID: files carry no token to resolve a domain, so give the tenant id itself", c.String("tenant-id"))
			}
			if c.NArg() == 0 {
				return usagef("load-file needs at least one FILE")
			}
			stdins, files := 0, []string{}
			for _, a := range c.Args().Slice() {
				if isStdin(a) {
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
			formatFlag := c.String("format")
			if formatFlag != "auto" {
				if _, err := transform.ParseFormat(formatFlag); err != nil {
					return usagef("%v", err)
				}
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			wait, err := lockWait(c)
			if err != nil {
				return err
			}
			tenant, paths := strings.ToLower(c.String("tenant-id")), c.Args().Slice()
			return execute(c, log, runPlan{
				run:  load.Run{Command: "load-file", Host: hostname(), Version: version(c)},
				wait: wait, noun: "files",
				prepare: func(ctx context.Context, db *load.DB, runID int64, log *slog.Logger) (*runWork, error) {
					log = log.With("tenant", tenant, "report", spec.Name)
					return &runWork{n: len(paths), workers: 1, log: log, item: func(i int) result {
						path := paths[i]
						if isStdin(path) {
							path = stdinLabel
						}
						start := time.Now()
						f := load.Fetch{RunID: runID, TenantID: tenant, Report: spec, Source: path}
						body, err := readFile(paths[i], c.Int64("max-payload-bytes"))
						if err != nil {
							return failed(ctx, log, db, f, err)
						}
						format := sniffFormat(body, formatFlag)
						sum := sha256.Sum256(body)
						f.FetchedAt = time.Now().UTC()
						f.Payload = &load.Payload{SHA256: hex.EncodeToString(sum[:]), Body: body, Format: format.String()}
						return parseAndLoad(ctx, log.With("file", path), db, f, format, 0, start)
					}}, nil
				},
			})
		},
	}
}

// stdinLabel names standard input (the FILE -) in errors, logs and the audit.
const stdinLabel = "stdin"

func isStdin(arg string) bool { return arg == "-" }

// readFile reads a file, or standard input for -.
func readFile(path string, max int64) ([]byte, error) {
	var f io.Reader = os.Stdin
	if isStdin(path) {
		path = stdinLabel
	} else {
		file, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		f = file
	}
	body, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%s: larger than the limit of %d bytes (--max-payload-bytes)", path, max)
	}
	return body, nil
}

// sniffFormat decides CSV or JSON: the flag if given, else the content
// (transform.DetectFormat: JSON when it starts with '{' or '[' after any
// byte-order mark), whatever the file is called: the CLI for Microsoft
// 365's JSON is often saved as .csv, and an export as .txt.
func sniffFormat(body []byte, flag string) transform.Format {
	if flag != "auto" {
		f, _ := transform.ParseFormat(flag)
		return f
	}
	return transform.DetectFormat(body)
}

func replayCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "replay",
		Usage: "re-transform and reload payloads stored by earlier runs; no Graph call",
		Flags: flags([]ucli.Flag{
			&ucli.StringSliceFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "replay only this report, repeatable; default all"},
			&ucli.TimestampFlag{Name: "since", Layout: time.DateOnly, EnvVars: []string{"INGEST_REPLAY_SINCE"}, Usage: "replay payloads fetched on or after this date (YYYY-MM-DD)"},
		}, dbFlags(), lockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, "use --report or --since"); err != nil {
				return err
			}
			specs, err := selectReports(c)
			if err != nil {
				return err
			}
			filter := load.StoredFilter{}
			if len(c.StringSlice("report")) > 0 {
				for _, s := range specs {
					filter.Reports = append(filter.Reports, s.Name)
				}
			}
			if ts := c.Timestamp("since"); ts != nil {
				filter.Since = *ts
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			wait, err := lockWait(c)
			if err != nil {
				return err
			}
			return execute(c, log, runPlan{
				run:  load.Run{Command: "replay", Host: hostname(), Version: version(c)},
				wait: wait, noun: "payloads",
				prepare: func(ctx context.Context, db *load.DB, runID int64, log *slog.Logger) (*runWork, error) {
					stored, err := db.StoredPayloads(ctx, filter)
					if err != nil {
						return nil, err
					}
					log.Info("replay started", "payloads", len(stored))
					return &runWork{n: len(stored), workers: 1, log: log, item: func(i int) result {
						s := stored[i]
						start := time.Now()
						spec, err := report.Lookup(s.Report)
						f := load.Fetch{RunID: runID, TenantID: s.TenantID, Report: spec, Period: s.Period, Source: s.Source}
						if err != nil {
							return result{report: s.Report, source: s.Source, outcome: "failed", err: err}
						}
						body, ct, err := db.PayloadBody(ctx, s.SHA256)
						if err != nil {
							return failed(ctx, log, db, f, err)
						}
						f.FetchedAt = time.Now().UTC()
						f.Payload = &load.Payload{SHA256: s.SHA256, Body: body, ContentType: ct, Format: s.Format}
						format, _ := transform.ParseFormat(s.Format)
						_, days, _ := report.ValidPeriod(s.Period)
						return parseAndLoad(ctx, log.With("report", spec.Name, "sha256", s.SHA256), db, f, format, days, start)
					}}, nil
				},
			})
		},
	}
}

func reportsCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "reports",
		Usage:        "list the supported reports, their Graph functions, tables, keys and columns",
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
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
		Flags:        flags(dbFlags(), logFlags()),
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
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Command, r.Period, r.Status, r.StartedAt.Format(time.RFC3339), dur, oneLine(r.Error))
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
