package cli

import (
	"errors"
	"log/slog"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/load"
)

// secretValue is the secret of flag name (access-token, client-secret,
// client-certificate-password), given itself or read from the file its
// name-file flag (or that flag's *_FILE variable) names, without one
// trailing newline. Both given at one level (both on the command line, or
// both in the environment) is a usage error; otherwise the command line wins.
// An unreadable or empty file is a usage error naming where its path came
// from and the path.
func secretValue(c *ucli.Context, name string) (string, error) {
	fileFlag := name + "-file"
	value, path := c.String(name), c.String(fileFlag)
	if path == "" {
		return value, nil
	}
	if value != "" {
		switch valueCmd, fileCmd := onCommandLine(c, name), onCommandLine(c, fileFlag); {
		case valueCmd == fileCmd:
			return "", usagef("%s and %s are both set: give the secret or the file that holds it, not both", source(c, name), source(c, fileFlag))
		case valueCmd:
			return value, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("%s: cannot read the file %s: %v", source(c, fileFlag), path, errors.Unwrap(err))
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if secret == "" {
		return "", usagef("%s: the file %s is empty", source(c, fileFlag), path)
	}
	return secret, nil
}

// source names where flag name's value came from: its environment variable
// or the flag.
func source(c *ucli.Context, name string) string {
	for _, f := range c.Command.Flags {
		if f.Names()[0] == name {
			if env := fromEnv(c, f); env != "" {
				return env
			}
		}
	}
	return "--" + name
}

// fromEnv is the environment variable that gave f its value, or "" when the
// command line did (or nothing did).
func fromEnv(c *ucli.Context, f ucli.Flag) string {
	if onCommandLine(c, f.Names()[0]) {
		return ""
	}
	for _, e := range envVars(f) {
		if _, ok := os.LookupEnv(e); ok {
			return e
		}
	}
	return ""
}

// onCommandLine reports whether the flag name was given on the command line
// (-name, --name, -name=… or --name=…, anywhere in it), not from the
// environment. Main keeps the arguments in the app's Metadata.
func onCommandLine(c *ucli.Context, name string) bool {
	args, _ := c.App.Metadata["args"].([]string)
	for _, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// secretFlags are the flags that carry a secret, with where the secret had
// better come from.
var secretFlags = []struct{ name, instead string }{
	{"access-token", "GRAPH_ACCESS_TOKEN_FILE or GRAPH_ACCESS_TOKEN"},
	{"client-secret", "AZURE_CLIENT_SECRET_FILE or AZURE_CLIENT_SECRET"},
	{"client-certificate-password", "AZURE_CLIENT_CERTIFICATE_PASSWORD_FILE or AZURE_CLIENT_CERTIFICATE_PASSWORD"},
	{"database-url", "PGPASSFILE or PGPASSWORD for the password, or DATABASE_URL"},
	{"pseudonymize-key", "INGEST_PSEUDONYMIZE_KEY_FILE or INGEST_PSEUDONYMIZE_KEY"},
}

// warnSecretFlags logs one warning when secrets were given on the command
// line, where every local user can read them (ps, /proc): it names the flags
// and the alternatives. A --database-url counts when it holds a password.
func warnSecretFlags(c *ucli.Context, log *slog.Logger) {
	var names, instead []string
	for _, sf := range secretFlags {
		if c.Command == nil || !hasFlag(c.Command, sf.name) || !onCommandLine(c, sf.name) || c.String(sf.name) == "" {
			continue
		}
		if sf.name == "database-url" && !load.HasPassword(c.String(sf.name)) {
			continue
		}
		names = append(names, "--"+sf.name)
		instead = append(instead, sf.instead)
	}
	if len(names) > 0 {
		log.Warn("secrets given on the command line are visible to every local user (ps); use the environment or a file instead",
			"flags", strings.Join(names, ", "), "instead", strings.Join(instead, "; "))
	}
}
