package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"
)

func migrateCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "migrate",
		Usage:        "apply the embedded migrations and views; idempotent",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, ""); err != nil {
				return err
			}
			db, err := openWarehouse(c, true)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(c.App.Writer, "schema %s is up to date\n", db.Schema)
			return nil
		},
	}
}
