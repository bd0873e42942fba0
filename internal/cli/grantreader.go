package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

func grantReaderCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "grant-reader",
		Usage: "let an existing role read the views (USAGE on the schema, SELECT on the views; tables stay private); the per-user views only with --detail",
		Description: "Gives ROLE SELECT on every view but the detail views, which show a row per user, mailbox,\n" +
			"site, group or team (<report>_current, <report>_history, licensed_users_inactive_30d,\n" +
			"copilot_adoption_weekly, sites_unused_90d): those only with --detail. Without --detail a\n" +
			"role granted them before loses them. The choice is remembered: every later migrate gives\n" +
			"the role the new views of its kind, and a role granted without --detail never gets a detail view.",
		ArgsUsage:    "ROLE",
		Flags:        flags(dbFlags(), []ucli.Flag{detailFlag()}, logFlags()),
		OnUsageError: onUsage,
		Action: onWarehouse(true, oneRole, func(c *ucli.Context, db *load.DB) error {
			role := c.Args().First()
			g, err := db.GrantReader(c.Context, role, c.Bool("detail"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "role %s can read %d views of schema %s: %v\n", role, len(g.Views), db.Schema, g.Views)
			if len(g.Withheld) > 0 {
				fmt.Fprintf(c.App.Writer, "not the %d detail (per user, site, group or team) views: grant-reader --detail %s gives them\n", len(g.Withheld), role)
			}
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
