package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
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
		}, dbFlags(), personLockFlags(), logFlags()),
		OnUsageError: onUsage,
		Action: func(c *ucli.Context) error {
			if err := noArgs(c, "use --report or --since"); err != nil {
				return err
			}
			specs, err := selectReports(c)
			if err != nil {
				return err
			}
			var reports []string
			if len(c.StringSlice("report")) > 0 {
				for _, s := range specs {
					reports = append(reports, s.Name)
				}
			}
			var since time.Time
			if ts := c.Timestamp("since"); ts != nil {
				since = *ts
			}
			only, err := shaPrefixes(c, "sha256", "INGEST_REPLAY_SHA256")
			if err != nil {
				return err
			}
			skip, err := shaPrefixes(c, "skip-sha256", "INGEST_REPLAY_SKIP_SHA256")
			if err != nil {
				return err
			}
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			wait := lockWait(c)
			rp := pipeline.Replay{Reports: reports, Since: since, Only: only, Skip: skip}
			return execute(c, log, pipeline.Plan{
				Run:  load.Run{Command: "replay", Host: hostname(), Version: version(c)},
				Wait: wait, Noun: "payloads", ByPerson: true, NotLoaded: "nothing was replayed",
				Prepare: func(ctx context.Context, r *pipeline.Run) (*pipeline.Work, error) {
					return r.ReplayWork(ctx, rp)
				},
			})
		},
	}
}

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
