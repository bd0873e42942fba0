package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/pipeline"
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
			&ucli.BoolFlag{Name: "partial", EnvVars: []string{"INGEST_PARTIAL"}, Usage: "load a file that covers fewer days than its Report Period (an excerpt, rows deleted by hand) instead of refusing it as cut short"},
		}, privacyFlags(), dbFlags(), personLockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action:       loading(parseLoadFile),
	}
}

// loadFileOptions are load-file's flags and arguments, validated.
type loadFileOptions struct {
	log     *slog.Logger
	files   pipeline.Files
	partial bool
}

// parseLoadFile validates load-file's flags and FILE arguments: one
// --report, a --tenant-id that is a GUID, FILEs that are there (- once at
// most), --format, and the log flags, in that order.
func parseLoadFile(c *ucli.Context) (*loadFileOptions, error) {
	// One report: blanks and commas alone (--report ',',
	// INGEST_REPORT=' ') name none.
	name := strings.TrimSpace(c.String("report"))
	if strings.Trim(name, ", \t") == "" {
		return nil, usagef("load-file needs --report (INGEST_REPORT) naming one report (see `ingest reports`)")
	}
	spec, err := report.Lookup(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if c.String("tenant-id") == "" {
		return nil, usagef("load-file needs --tenant-id (or AZURE_TENANT_ID): files do not say which tenant they came from")
	}
	if !auth.IsGUID(c.String("tenant-id")) {
		return nil, usagef("load-file: --tenant-id %q is not a GUID: files carry no token to resolve a domain, so give the tenant id itself", c.String("tenant-id"))
	}
	if c.NArg() == 0 {
		return nil, usagef("load-file needs at least one FILE")
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
		return nil, usagef("load-file: flags must come before the FILE arguments")
	}
	if stdins > 1 {
		return nil, usagef("load-file: - (standard input) given %d times; it can be read once", stdins)
	}
	// A file that is not there (or is no file) is a mistake on the
	// command line: refused before the warehouse is touched, and
	// before any of the others is loaded.
	for _, path := range files {
		if err := checkFile(path); err != nil {
			return nil, err
		}
	}
	format := c.String("format")
	if format != "auto" {
		if _, err := report.ParseFormat(format); err != nil {
			return nil, usagef("%v", err)
		}
	}
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	return &loadFileOptions{log: log, files: pipeline.Files{Tenant: strings.ToLower(c.String("tenant-id")), Report: spec,
		Paths: c.Args().Slice(), MaxBytes: c.Int64("max-payload-bytes"), Format: format}, partial: c.Bool("partial")}, nil
}

// plan loads the files, one at a time.
func (o *loadFileOptions) plan() pipeline.Plan {
	return pipeline.Plan{
		Noun: "files", ByPerson: true, NotLoaded: notLoaded(o.files.Paths), Partial: o.partial,
		Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
			return r.FileWork(ctx, o.files), nil
		},
	}
}

func (o *loadFileOptions) logger() *slog.Logger { return o.log }

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
