package cli

import (
	"flag"
	"fmt"
	"reflect"

	ucli "github.com/urfave/cli/v2"
)

// urfave/cli v2 writes into flag and command values while it parses (a
// flag's Apply records its default; a command's setup names its help
// subcommand). Tests run the whole app in-process, several at once, so no
// two apps may share one: flags() copies every flag, and the library's own
// global help and version flags and help command are replaced by values that
// are never written.

func init() {
	ucli.HelpFlag = &readOnlyBoolFlag{*ucli.HelpFlag.(*ucli.BoolFlag)}
	ucli.VersionFlag = &readOnlyBoolFlag{*ucli.VersionFlag.(*ucli.BoolFlag)}
}

// readOnlyBoolFlag applies a copy of itself, leaving the shared value alone.
type readOnlyBoolFlag struct{ ucli.BoolFlag }

func (f *readOnlyBoolFlag) Apply(set *flag.FlagSet) error {
	c := f.BoolFlag
	return c.Apply(set)
}

// copyFlag returns a fresh copy of a flag definition (urfave's flags are
// pointers to structs; any kind is copied).
func copyFlag(f ucli.Flag) ucli.Flag {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("cli: copyFlag: flag %T is not a pointer to a struct", f))
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface().(ucli.Flag)
}

// helpCommand stands in for urfave's global one: `ingest help [command]`.
func helpCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show the commands, or help for one command",
		ArgsUsage: "[command]",
		Action: func(c *ucli.Context) error {
			if c.Args().Present() {
				if err := ucli.ShowCommandHelp(c, c.Args().First()); err != nil {
					return usagef("no command %q (see ingest help)", c.Args().First())
				}
				return nil
			}
			return ucli.ShowAppHelp(c)
		},
	}
}

// privateHelp gives app its own help command and keeps urfave from adding
// its shared one to the app or to any command.
func privateHelp(app *ucli.App) *ucli.App {
	app.HideHelpCommand = true
	app.Commands = append(app.Commands, helpCommand())
	for _, c := range app.Commands {
		c.HideHelpCommand = true
	}
	app.Flags = append(app.Flags, ucli.HelpFlag)
	return app
}
