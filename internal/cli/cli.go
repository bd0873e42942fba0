// Package cli is the urfave/cli/v2 front of ingest: commands, flags with
// their environment variables, logging and exit codes. Main runs the whole
// application in-process, which is how the tests drive it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
)

// Exit codes, as DESIGN.md contracts them.
const (
	ExitOK     = 0 // every report loaded or unchanged
	ExitFailed = 1 // at least one report (or the run) failed
	ExitUsage  = 2 // bad usage or configuration
)

// usageError marks bad usage or configuration (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Main runs ingest with args (args[0] is the program name) and returns the
// exit code. Errors are printed to stderr on one line.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, version string) int {
	err := parseAndRun(ctx, args, stdout, stderr, version)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "ingest: %s\n", text.OneLine(err.Error()))
	return exitCode(err)
}

// parseAndRun runs the app in two steps. urfave/cli v2 writes package-level
// state while it sets up and parses (its HelpFlag's defaults, its help
// command's name and separator), so two apps must not do that at once in
// one process (tests do run several): that step holds appMu. A command
// whose work takes long (a loading run) does not do it in its Action: it
// leaves it with later, and the work runs here once urfave/cli is done,
// without the mutex, so that runs in one process go concurrently.
func parseAndRun(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	appMu.Lock()
	app := newApp(stdout, stderr, version)
	app.Metadata["args"] = args
	err := app.RunContext(ctx, args)
	work, _ := app.Metadata[laterKey].(func() error)
	appMu.Unlock()
	if err != nil || work == nil {
		return err
	}
	return work()
}

// laterKey is where later keeps a command's work in the app's Metadata.
const laterKey = "later"

// later leaves work to run once urfave/cli has parsed the command line (see
// parseAndRun). The work may read c's flags but not change them.
func later(c *ucli.Context, work func() error) error {
	c.App.Metadata[laterKey] = work
	return nil
}

// exitCode decides the exit code of an error by its type, never by its
// text: bad usage (a *usageError), configuration that the warehouse
// refuses (a *load.ConfigError: a database that does not exist, a schema
// never migrated, an unknown role), credentials or a tenant that do not
// add up (an *auth.ConfigError), a token Graph rejects (a
// *pipeline.RejectedError) and a replay selection that the stored payloads
// do not bear out (a *pipeline.SelectionError) exit 2; anything else, 1.
func exitCode(err error) int {
	var ue *usageError
	var ce *load.ConfigError
	var re *pipeline.RejectedError
	var se *pipeline.SelectionError
	var ae *auth.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.As(err, &re) || errors.As(err, &se) || errors.As(err, &ae) {
		return ExitUsage
	}
	return ExitFailed
}

// appMu serialises urfave/cli's setup and parsing (see parseAndRun).
var appMu sync.Mutex

func newApp(stdout, stderr io.Writer, version string) *ucli.App {
	app := &ucli.App{
		Name:      "ingest",
		Usage:     "load Microsoft 365 usage reports from Microsoft Graph into Postgres",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		// Exit codes are decided in Main, never by os.Exit inside the app.
		ExitErrHandler: func(*ucli.Context, error) {},
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			if msg := flagBeforeCommand(c.App, argsOf(c)); msg != "" {
				return usagef("%s", msg)
			}
			return &usageError{err}
		},
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q (see ingest --help)", c.Args().First())
			}
			ucli.ShowAppHelp(c)
			return usagef("no command given")
		},
		Commands: []*ucli.Command{
			migrateCommand(),
			runCommand("run", "the nightly job: fetch every report for --period (default D7) and load it; migrates first", "D7", "INGEST_PERIOD"),
			runCommand("backfill", "run with --period D180 to fill history (INGEST_PERIOD does not apply)", "D180"),
			loadFileCommand(),
			replayCommand(),
			reportsCommand(),
			statusCommand(),
			grantReaderCommand(),
			graphSimCommand(),
			configCommand(),
		},
		Metadata: map[string]any{"version": version},
	}
	// One rule for the numeric flags of every command.
	// --config for every command, applied before anything reads the flags.
	for _, cmd := range app.Commands {
		cmd.Flags = append(cmd.Flags, configFlag())
		cmd.Before = func(c *ucli.Context) error {
			if err := applyConfig(c); err != nil {
				return err
			}
			return checkNumbers(c)
		}
	}
	return app
}

// onUsage makes a command's flag errors exit 2, saying what a value that
// does not parse should look like.
func onUsage(c *ucli.Context, err error, _ bool) error {
	if e := explainFlagValue(c, argsOf(c)); e != nil {
		return e
	}
	return &usageError{err}
}

// argsOf are the arguments Main was given, kept in the app's Metadata.
func argsOf(c *ucli.Context) []string {
	args, _ := c.App.Metadata["args"].([]string)
	return args
}
