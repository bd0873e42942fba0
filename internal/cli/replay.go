package cli

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
)

func replayCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "replay",
		Usage: "re-transform and reload payloads stored by earlier runs; no Graph call",
		Flags: flags([]ucli.Flag{
			&ucli.StringSliceFlag{Name: "report", EnvVars: []string{"INGEST_REPORT"}, Usage: "replay only this report, repeatable; default all"},
			&ucli.TimestampFlag{Name: "since", Layout: time.DateOnly, EnvVars: []string{"INGEST_REPLAY_SINCE"}, Usage: "replay payloads fetched on or after this date (YYYY-MM-DD)"},
			&ucli.StringSliceFlag{Name: "sha256", EnvVars: []string{"INGEST_REPLAY_SHA256"},
				Usage: "replay only the payload whose sha256 starts with `PREFIX` (8 to 64 hex digits), repeatable; also one that never loaded"},
			&ucli.StringSliceFlag{Name: "skip-sha256", EnvVars: []string{"INGEST_REPLAY_SKIP_SHA256"},
				Usage: "leave out the payload whose sha256 starts with `PREFIX`, repeatable"},
		}, privacyFlags(), dbFlags(), personLockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action:       loading(parseReplay),
	}
}

// replayOptions are replay's flags, validated.
type replayOptions struct {
	log    *slog.Logger
	replay pipeline.Replay
}

// parseReplay validates replay's flags: no arguments, --report, --since,
// --sha256, --skip-sha256 and the log flags, in that order. Whether a
// prefix names a stored payload is for the run to find out (see
// pipeline.Run.ReplayWork).
func parseReplay(c *ucli.Context) (*replayOptions, error) {
	if err := noArgs(c, "use --report or --since"); err != nil {
		return nil, err
	}
	specs, err := selectReports(c)
	if err != nil {
		return nil, err
	}
	var rp pipeline.Replay
	if len(c.StringSlice("report")) > 0 {
		for _, s := range specs {
			rp.Reports = append(rp.Reports, s.Name)
		}
	}
	if ts := c.Timestamp("since"); ts != nil {
		rp.Since = *ts
	}
	if rp.Only, err = shaPrefixes(c, "sha256", "INGEST_REPLAY_SHA256"); err != nil {
		return nil, err
	}
	if rp.Skip, err = shaPrefixes(c, "skip-sha256", "INGEST_REPLAY_SKIP_SHA256"); err != nil {
		return nil, err
	}
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	return &replayOptions{log: log, replay: rp}, nil
}

// plan replays the stored payloads the flags select.
func (o *replayOptions) plan() pipeline.Plan {
	return pipeline.Plan{
		Noun: "payloads", ByPerson: true, NotLoaded: "nothing was replayed",
		Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
			return r.ReplayWork(ctx, o.replay)
		},
	}
}

func (o *replayOptions) logger() *slog.Logger { return o.log }

// shaPrefixes reads a flag of sha256 prefixes: each 8 to 64 hex digits
// (case does not matter), duplicates dropped.
func shaPrefixes(c *ucli.Context, flag, env string) ([]string, error) {
	var out []string
	for _, v := range c.StringSlice(flag) {
		p := strings.ToLower(strings.TrimSpace(v))
		if len(p) < 8 || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
			return nil, usagef("--%s (%s) %q: want a sha256 or its first 8 or more hex digits", flag, env, v)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
