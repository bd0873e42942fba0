package cli

import (
	"io"
	"log/slog"
	"os"

	ucli "github.com/urfave/cli/v2"
)

// newLogger builds the logger from --log-level and --log-format: text on a
// terminal, JSON otherwise. Every command builds its one logger here, which
// is where it warns of secrets given on the command line.
func newLogger(c *ucli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, usagef("invalid --log-level %q: want debug, info, warn or error", c.String("log-level"))
	}
	w := c.App.ErrWriter
	opts := &slog.HandlerOptions{Level: level}
	var log *slog.Logger
	switch f := c.String("log-format"); f {
	case "json":
		log = slog.New(slog.NewJSONHandler(w, opts))
	case "text":
		log = slog.New(slog.NewTextHandler(termOf(c), opts))
	case "auto", "":
		if isTerminal(w) {
			log = slog.New(slog.NewTextHandler(termOf(c), opts))
		} else {
			log = slog.New(slog.NewJSONHandler(w, opts))
		}
	default:
		return nil, usagef("invalid --log-format %q: want auto, text or json", f)
	}
	warnSecretFlags(c, log)
	return log, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
