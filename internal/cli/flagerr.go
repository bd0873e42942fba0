package cli

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/report"
)

// What urfave/cli says of a flag it cannot take is Go's flag package
// speaking ("flag provided but not defined: -period", "parse error",
// "parsing time … as \"2006-01-02\""). These functions say it as a person
// needs it, from the arguments and the environment themselves, not from
// urfave's text: which flag, where its value came from, and an example.

// flagBeforeCommand explains a flag given before the command name (ingest
// --period D30 run), or "" when the arguments hold none. The app itself has
// no flags but --help and --version.
func flagBeforeCommand(app *ucli.App, args []string) string {
	if len(args) < 2 {
		return ""
	}
	flag := ""
	var cmd *ucli.Command
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if flag == "" && strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if name != "" && !slices.Contains([]string{"help", "h", "version", "v"}, name) {
				flag = name
			}
			continue
		}
		if flag != "" {
			if cmd = app.Command(a); cmd != nil {
				break
			}
		}
	}
	if flag == "" {
		return ""
	}
	switch {
	case cmd == nil:
		return fmt.Sprintf("unknown flag --%s: flags go after the command name (ingest COMMAND --%s …); see ingest --help", flag, flag)
	case !hasFlag(cmd, flag):
		return fmt.Sprintf("--%s is given before the command: flags go after the command name, and %s has no --%s (see ingest %s --help)", flag, cmd.Name, flag, cmd.Name)
	}
	return fmt.Sprintf("--%s is given before the command: flags go after the command name: ingest %s --%s …", flag, cmd.Name, flag)
}

// explainFlagValue is the usage error for the first flag of the command
// whose value (from the command line, else from its environment variable)
// does not parse, or nil when every value parses (urfave's error is then
// about something else).
func explainFlagValue(c *ucli.Context, args []string) error {
	if c.Command == nil {
		return nil
	}
	for _, f := range c.Command.Flags {
		var what string
		var ok func(string) bool
		var suggest func(string) string
		switch f.(type) {
		case *ucli.DurationFlag:
			what = "want a duration with its unit, such as 30s, 10m or 1h30m"
			ok = func(v string) bool { _, err := time.ParseDuration(v); return err == nil }
			suggest = func(v string) string {
				if _, err := strconv.ParseUint(v, 10, 32); err == nil {
					return v + "s"
				}
				return ""
			}
		case *ucli.TimestampFlag:
			what = "want a date such as 2026-11-01 (year-month-day)"
			ok = func(v string) bool { _, err := time.Parse(time.DateOnly, v); return err == nil }
		case *ucli.IntFlag, *ucli.Int64Flag:
			what = "want a whole number"
			ok = func(v string) bool { _, err := strconv.ParseInt(v, 0, 64); return err == nil }
		default:
			continue
		}
		raw, env, found := rawFlagValue(c.Command, f, args)
		if !found || ok(strings.TrimSpace(raw)) {
			continue
		}
		name := "--" + f.Names()[0]
		if strings.HasPrefix(raw, "-") && env == "" {
			// The next flag taken as the value: do not quote it.
			return usagef("%s needs a value: %s", name, what)
		}
		msg := fmt.Sprintf("invalid %s: %s", quoteValue(name, env, raw), what)
		if suggest != nil {
			if s := suggest(raw); s != "" {
				msg += "; did you mean " + s + "?"
			}
		}
		return usagef("%s", msg)
	}
	return nil
}

// quoteValue shows a flag's value v as a message does: `--since "x"`, or
// `INGEST_REPLAY_SINCE "x" (--since)` when the variable env gave it.
func quoteValue(flag, env, v string) string {
	if env != "" {
		return fmt.Sprintf("%s %q (%s)", env, v, flag)
	}
	return fmt.Sprintf("%s %q", flag, v)
}

// rawFlagValue is the text given for f: its last value on the command line
// after the command's name (--name v, --name=v, -name v), else the value of
// its first environment variable that is set, env naming that variable.
func rawFlagValue(cmd *ucli.Command, f ucli.Flag, args []string) (raw, env string, found bool) {
	i := slices.Index(args, cmd.Name)
	if i < 0 {
		i = len(args)
	}
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, v, eq := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(f.Names(), n) {
			continue
		}
		switch {
		case eq:
			raw, found = v, true
		case j+1 < len(rest):
			raw, found = rest[j+1], true
			j++
		}
	}
	if found {
		return raw, "", true
	}
	for _, e := range envVars(f) {
		if v, ok := os.LookupEnv(e); ok {
			return v, e, true
		}
	}
	return "", "", false
}

// periodError is the usage error for an invalid --period value p, naming
// the environment variable when the value came from there, with the period
// meant when it is plain to see (7 → D7, 30d → D30).
func periodError(c *ucli.Context, p string) error {
	env := ""
	for _, f := range c.Command.Flags {
		if f.Names()[0] == "period" {
			env = fromEnv(c, f)
		}
	}
	msg := fmt.Sprintf("invalid %s: want %s or %s", quoteValue("--period", env, p),
		strings.Join(report.Periods[:len(report.Periods)-1], ", "), report.Periods[len(report.Periods)-1])
	digits := strings.TrimFunc(strings.TrimSpace(p), func(r rune) bool { return r < '0' || r > '9' })
	if v, _, err := report.ValidPeriod("D" + digits); err == nil && digits != "" {
		msg += "; did you mean " + v + "?"
	}
	return usagef("%s", msg)
}
