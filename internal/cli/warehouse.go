package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

// lockFlags() are the flags of every command that writes report data.
func lockFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "wait", EnvVars: []string{"INGEST_WAIT"}, Usage: "when another run holds the lock, wait for it instead of exiting 0"},
		&ucli.DurationFlag{Name: "wait-timeout", Value: 30 * time.Minute, EnvVars: []string{"INGEST_WAIT_TIMEOUT"}, Usage: "how long --wait waits for the lock"},
	}
}

// errAnotherRun means the command did nothing because another run holds the
// lock; it exits 0.
var errAnotherRun = errors.New("another run holds the lock")

// beginRun opens the warehouse, takes the one-run-at-a-time lock for its
// schema and applies migrations. When another run holds the lock it prints
// one line and returns errAnotherRun, which the caller turns into exit 0.
// The returned release closes everything.
func beginRun(c *ucli.Context, log *slog.Logger) (*load.DB, func(), error) {
	db, err := openDB(c, log)
	if err != nil {
		return nil, nil, err
	}
	wait := time.Duration(0)
	if c.Bool("wait") {
		wait = c.Duration("wait-timeout")
		if wait <= 0 {
			db.Close()
			return nil, nil, usagef("--wait-timeout must be positive")
		}
	}
	lock, err := db.LockRun(c.Context, wait)
	if err != nil {
		db.Close()
		var le *load.LockedError
		if errors.As(err, &le) {
			if wait > 0 {
				return nil, nil, fmt.Errorf("%s; gave up after --wait-timeout %s", le, wait)
			}
			fmt.Fprintf(c.App.ErrWriter, "ingest: %s; not starting (use --wait to wait for it)\n", le)
			log.Info("not starting: another run holds the lock", "holder_run_id", le.RunID, "since", le.Since)
			return nil, nil, errAnotherRun
		}
		return nil, nil, err
	}
	release := func() {
		lock.Release()
		db.Close()
	}
	if err := db.Migrate(c.Context); err != nil {
		release()
		return nil, nil, err
	}
	return db, release, nil
}

// skipIfLocked turns errAnotherRun into success.
func skipIfLocked(err error) error {
	if errors.Is(err, errAnotherRun) {
		return nil
	}
	return err
}

func grantReaderCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "grant-reader",
		Usage:        "let an existing role read the views (USAGE on the schema, SELECT on the views; tables stay private)",
		ArgsUsage:    "ROLE",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if c.NArg() != 1 {
				return usagef("grant-reader needs exactly one ROLE")
			}
			db, err := openWarehouse(c, true)
			if err != nil {
				return err
			}
			defer db.Close()
			views, err := db.GrantReader(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "role %s can read %d views of schema %s: %v\n", c.Args().First(), len(views), db.Schema, views)
			return nil
		},
	}
}
