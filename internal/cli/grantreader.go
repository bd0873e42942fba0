package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

func grantReaderCommand() *ucli.Command {
	return &ucli.Command{
		Name:         "grant-reader",
		Usage:        "let an existing role read the views (USAGE on the schema, SELECT on the views; tables stay private)",
		ArgsUsage:    "ROLE",
		Flags:        flags(dbFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: onWarehouse(true, oneRole, func(c *ucli.Context, db *load.DB) error {
			views, err := db.GrantReader(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "role %s can read %d views of schema %s: %v\n", c.Args().First(), len(views), db.Schema, views)
			return nil
		}),
	}
}

// oneRole is grant-reader's rule for its arguments: exactly one, the ROLE.
func oneRole(c *ucli.Context) error {
	if c.NArg() != 1 {
		return usagef("grant-reader needs exactly one ROLE")
	}
	return nil
}
