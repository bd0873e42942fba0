package cli

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// What `ingest reports --json` and `ingest status --json` print. The field
// names are a contract (README, "Machine-readable output"): they change
// only on purpose. Dates are YYYY-MM-DD, times RFC 3339 in UTC, durations
// whole milliseconds; what is unknown is null.

type reportsJSON struct {
	Reports     []reportJSON  `json:"reports"`
	Unsupported []omittedJSON `json:"unsupported"`
}

type reportJSON struct {
	Name     string       `json:"name"`
	Aliases  []string     `json:"aliases"`
	Function string       `json:"function"`
	Path     string       `json:"path"`
	Versions []string     `json:"versions"`
	Period   bool         `json:"period"`
	Table    string       `json:"table"`
	Title    string       `json:"title"`
	Snapshot bool         `json:"snapshot"`
	Detail   bool         `json:"detail"`
	Key      []string     `json:"key"`
	Columns  []columnJSON `json:"columns"`
}

type columnJSON struct {
	Name        string   `json:"name"`
	Header      string   `json:"header"`
	JSON        string   `json:"json"`
	Aliases     []string `json:"aliases"`
	Type        string   `json:"type"`
	Role        string   `json:"role"`
	Aggregation *string  `json:"aggregation"`
	Optional    bool     `json:"optional"`
}

// columnRole is what a column is to its report: "refresh_date",
// "report_date", "period", "dimension" (part of the key) or "metric".
func columnRole(s *report.Spec, c report.Column) string {
	switch c.Name {
	case report.RefreshDate.Name:
		return "refresh_date"
	case report.ReportDate.Name:
		return "report_date"
	case report.Period.Name:
		return "period"
	}
	for _, d := range s.Dims {
		if d.Name == c.Name {
			return "dimension"
		}
	}
	return "metric"
}

type omittedJSON struct {
	Function string `json:"function"`
	Reason   string `json:"reason"`
}

func writeReportsJSON(w io.Writer) error {
	out := reportsJSON{Reports: []reportJSON{}, Unsupported: []omittedJSON{}}
	for _, s := range report.All {
		versions := s.Versions
		if versions == nil {
			versions = []string{"v1.0", "beta"}
		}
		r := reportJSON{Name: s.Name, Aliases: append([]string{}, s.Aliases...), Function: s.Function,
			Path: strings.TrimPrefix(s.Path("{version}", "{period}"), "/"), Versions: versions, Period: !s.NoPeriod,
			Table: s.Table, Title: s.Title, Snapshot: !s.Dated(), Detail: s.Detail != nil, Key: s.Key()}
		for _, c := range s.Columns() {
			col := columnJSON{Name: c.Name, Header: c.Header, JSON: c.JSON, Aliases: append([]string{}, c.Aliases...),
				Type: c.Type.String(), Role: columnRole(s, c), Optional: c.Optional}
			switch c.Name {
			case report.RefreshDate.Name, report.ReportDate.Name:
				col.Type = report.Date.String()
			}
			if col.Role == "metric" {
				a := s.Aggregation(c).String()
				col.Aggregation = &a
			}
			r.Columns = append(r.Columns, col)
		}
		out.Reports = append(out.Reports, r)
	}
	for _, o := range report.Unsupported {
		out.Unsupported = append(out.Unsupported, omittedJSON{Function: o.Function, Reason: o.Reason})
	}
	return writeJSON(w, out)
}

type statusJSON struct {
	Check     *checkJSON      `json:"check,omitempty"`
	Freshness []freshnessJSON `json:"freshness"`
	Runs      []runJSON       `json:"runs"`
}

// checkJSON is status --max-lag's verdict.
type checkJSON struct {
	Status     string      `json:"status"` // OK or CRITICAL
	Line       string      `json:"line"`   // the first line of the text output
	MaxLagDays int         `json:"max_lag_days"`
	Reports    int         `json:"reports"` // dated reports with data, per tenant
	Stale      []staleJSON `json:"stale"`
}

type staleJSON struct {
	TenantID   string `json:"tenant_id"`
	Report     string `json:"report"`
	DaysBehind int    `json:"days_behind"`
}

// freshnessJSON is a row of the ingest_freshness view, named as its columns.
type freshnessJSON struct {
	TenantID          string     `json:"tenant_id"`
	Report            string     `json:"report"`
	NewestReportDate  *string    `json:"newest_report_date"`
	NewestRefreshDate *string    `json:"newest_refresh_date"`
	DaysBehind        *int       `json:"days_behind"`
	LastSuccessAt     *time.Time `json:"last_success_at"`
	LastReplayAt      *time.Time `json:"last_replay_at"`
	LastFileLoadAt    *time.Time `json:"last_file_load_at"`
}

// runJSON is a row of ingest_runs, named as its columns.
type runJSON struct {
	RunID      int64      `json:"run_id"`
	Command    string     `json:"command"`
	Period     *string    `json:"period"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	DurationMS *int64     `json:"duration_ms"`
	Error      *string    `json:"error"`
}

func writeStatusJSON(w io.Writer, fresh []load.Freshness, runs []load.RunStatus, check *lagCheck) error {
	out := statusJSON{Freshness: []freshnessJSON{}, Runs: []runJSON{}}
	if check != nil {
		c := &checkJSON{Status: "OK", Line: check.line(), MaxLagDays: check.MaxLag, Reports: check.Counted, Stale: []staleJSON{}}
		if len(check.Stale) > 0 {
			c.Status = "CRITICAL"
		}
		for _, f := range check.Stale {
			c.Stale = append(c.Stale, staleJSON{TenantID: f.TenantID, Report: f.Report, DaysBehind: *f.DaysBehind})
		}
		out.Check = c
	}
	for _, f := range fresh {
		out.Freshness = append(out.Freshness, freshnessJSON{
			TenantID: f.TenantID, Report: f.Report,
			NewestReportDate: dateJSON(f.NewestReportDate), NewestRefreshDate: dateJSON(f.NewestRefreshDate),
			DaysBehind:    f.DaysBehind,
			LastSuccessAt: utc(f.LastSuccessAt), LastReplayAt: utc(f.LastReplayAt), LastFileLoadAt: utc(f.LastFileLoadAt),
		})
	}
	for _, r := range runs {
		j := runJSON{RunID: r.ID, Command: r.Command, Status: r.Status, StartedAt: r.StartedAt.UTC(), FinishedAt: utc(r.FinishedAt)}
		if r.Period != "" {
			j.Period = &r.Period
		}
		if r.Error != "" {
			e := text.OneLine(r.Error)
			j.Error = &e
		}
		if r.FinishedAt != nil {
			ms := r.FinishedAt.Sub(r.StartedAt).Milliseconds()
			j.DurationMS = &ms
		}
		out.Runs = append(out.Runs, j)
	}
	return writeJSON(w, out)
}

func dateJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
