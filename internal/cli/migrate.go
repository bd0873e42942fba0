package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

func migrateCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "migrate",
		Usage:        "apply the embedded migrations and views; idempotent",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: onWarehouse(true, noArguments, func(c *ucli.Context, db *load.DB) error {
			fmt.Fprintf(c.App.Writer, "schema %s is up to date\n", db.Schema)
			return nil
		}),
	}
}
