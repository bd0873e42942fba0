package cli

import (
	"context"
	"net/http"
	"net/url"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/metrics"
	"github.com/m365ingest/ingest/internal/pipeline"
)

func metricsFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "metrics-textfile", EnvVars: []string{"INGEST_METRICS_TEXTFILE"}, Usage: "write the run's Prometheus metrics to this `FILE` (node_exporter's textfile collector; written atomically)"},
		&ucli.StringFlag{Name: "pushgateway", EnvVars: []string{"INGEST_PUSHGATEWAY"}, Usage: "push the run's Prometheus metrics to this Pushgateway `URL` (job ingest)"},
	}
}

// metricsOptions are where a run's metrics go: a textfile, a Pushgateway,
// both or neither.
type metricsOptions struct {
	textfile, pushgateway, command string
	shard                          string // "0-3" for shard 0/3 of a tenants file, "" for all
	client                         *http.Client
}

func parseMetrics(c *ucli.Context) (metricsOptions, error) {
	m := metricsOptions{textfile: c.String("metrics-textfile"), pushgateway: c.String("pushgateway"), command: c.Command.Name}
	if p := m.pushgateway; p != "" {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return m, usagef("--pushgateway %q: want an http or https URL such as http://pushgateway:9091", extract.RedactURL(p))
		}
		m.client = &http.Client{Timeout: 30 * time.Second}
	}
	return m, nil
}

// write is the plan's Finished: the run's metrics, from the audit, to the
// textfile and the Pushgateway.
func (m metricsOptions) write(ctx context.Context, db pipeline.Store, runID int64, d time.Duration) error {
	if m.textfile == "" && m.pushgateway == "" {
		return nil
	}
	reports, err := db.RunReports(ctx, runID)
	if err != nil {
		return err
	}
	reg := metrics.Registry(metrics.Run{Command: m.command, Duration: d, Reports: reports})
	if m.textfile != "" {
		if err := metrics.WriteTextfile(m.textfile, reg); err != nil {
			return err
		}
	}
	if m.pushgateway != "" {
		return metrics.Push(m.pushgateway, m.command, m.shard, reg, m.client)
	}
	return nil
}
