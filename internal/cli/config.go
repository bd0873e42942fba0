package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	ucli "github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/m365ingest/ingest/load"
)

// configFlag is --config, which every command takes: a YAML file whose keys
// are flag names. A flag on the command line wins, then its environment
// variable, then the file, then the default.
func configFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "config", EnvVars: []string{"INGEST_CONFIG"}, Usage: "read flags from this YAML `FILE` (keys are flag names; the command line and the environment win)"}
}

// configKeys are every flag name of every command of app: what a config
// file may set (a file shared by run and status holds keys of both).
func configKeys(app *ucli.App) map[string]bool {
	keys := map[string]bool{}
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			keys[f.Names()[0]] = true
		}
	}
	return keys
}

// inlineSecrets are the flags a config file may not set: their secret goes
// in a *-file flag or the environment.
var inlineSecrets = []string{"access-token", "client-secret", "client-certificate-password", "pseudonymize-key"}

// applyConfig sets, from the --config file, each flag of the command that
// neither the command line nor the environment set. A key that no command
// has, an inline secret or a database URL with a password refuses the file
// (exit 2) naming the key.
func applyConfig(c *ucli.Context) error {
	path := c.String("config")
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usagef("--config: %v", errors.Unwrap(err))
	}
	var doc map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return usagef("--config %s: not a YAML map of flag names: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	known := configKeys(c.App)
	// What each key means for run, the nightly job (see below).
	reference := runCommand("run", "", "D7", "INGEST_PERIOD")
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, key := range names {
		switch {
		case key == "config":
			return usagef("--config %s: a config file cannot name another one", path)
		case !known[key]:
			return usagef("--config %s: unknown key %q (keys are flag names, as ingest COMMAND --help lists them)", path, key)
		case slices.Contains(inlineSecrets, key):
			return usagef("--config %s: %s is a secret: give %s-file (a file's path) or its environment variable instead; the value is not shown", path, key, key)
		}
		value, err := configValue(doc[key])
		if err != nil {
			return usagef("--config %s: %s: %v", path, key, err)
		}
		if key == "database-url" && load.HasPassword(value) {
			return usagef("--config %s: database-url holds a password: use PGPASSWORD or PGPASSFILE; the value is not shown", path)
		}
		flag := flagOf(c.Command, key)
		if flag == nil || onCommandLine(c, key) || fromEnv(c, flag) != "" {
			continue // another command's key, or set by a stronger source
		}
		// A key means what it means for run (the nightly job): a flag of the
		// same name that reads other variables means something else here
		// (backfill's --period reads none, so that a shared file cannot
		// shrink a backfill; load-file's --format is the file's).
		if ref := flagOf(reference, key); ref != nil && !slices.Equal(envVars(ref), envVars(flag)) {
			continue
		}
		// A secret given by the environment or the command line wins over
		// the file's path to it (client-secret-file and the others).
		if base, ok := strings.CutSuffix(key, "-file"); ok && slices.Contains(inlineSecrets, base) {
			if bf := flagOf(c.Command, base); bf != nil && (onCommandLine(c, base) || fromEnv(c, bf) != "") {
				continue
			}
		}
		if err := c.Set(key, value); err != nil {
			return usagef("--config %s: %s: %v", path, key, err)
		}
		c.App.Metadata[configuredKey] = append(configuredOf(c), key)
	}
	return nil
}

// configuredKey is where applyConfig leaves, in the app's Metadata, the
// flags the config file set (for ingest config's FROM column).
const configuredKey = "configured"

// configValue is a YAML value as a flag takes it: a list joined with
// commas (--report), anything else as written.
func configValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		return "", errors.New("a map is not a flag value")
	}
	return fmt.Sprint(v), nil
}

// configCommand prints the effective configuration of run (the nightly
// job): every flag with its value and where it came from, secrets
// redacted; exit 2 with the reason when it is invalid, as run would.
func configCommand() *ucli.Command {
	cmd := runCommand("config", "print the effective configuration of run (flags, environment, --config), secrets redacted; exit 2 when invalid", "D7", "INGEST_PERIOD")
	cmd.Action = func(c *ucli.Context) error {
		if _, err := parseRun(c, "D7"); err != nil {
			return err
		}
		w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "FLAG\tVALUE\tFROM")
		for _, f := range c.Command.Flags {
			name := f.Names()[0]
			if name == "help" {
				continue
			}
			value := fmt.Sprint(c.Value(name))
			if sl, ok := c.Value(name).(ucli.StringSlice); ok {
				value = strings.Join(sl.Value(), ",")
			}
			from := "default"
			switch {
			case onCommandLine(c, name):
				from = "flag"
			case fromEnv(c, f) != "":
				from = fromEnv(c, f)
			case slices.Contains(configuredOf(c), name):
				from = "config file"
			}
			if slices.Contains(inlineSecrets, name) && value != "" {
				value = "(set, redacted)"
			}
			// A password in any URL or DSN (database, Pushgateway, Graph).
			value = load.Redact(value)
			fmt.Fprintf(w, "--%s\t%s\t%s\n", name, value, from)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(c.App.Writer, "ingest config: the configuration is valid")
		return nil
	}
	return cmd
}

func configuredOf(c *ucli.Context) []string {
	set, _ := c.App.Metadata[configuredKey].([]string)
	return set
}
