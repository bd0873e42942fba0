package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/report"
)

// snapshot hashes the data of a report's table: every column but the
// bookkeeping ones (loaded_at, changed_at, run_id), which a reload sets anew.
func (b *bundle) snapshot(t *testing.T, spec *report.Spec) string {
	t.Helper()
	cols := []string{"tenant_id"}
	for _, c := range spec.Columns() {
		cols = append(cols, c.Name)
	}
	for i, c := range cols {
		cols[i] = "coalesce(" + pgx.Identifier{c}.Sanitize() + "::text, 'NULL')"
	}
	row := "concat_ws(',', " + strings.Join(cols, ", ") + ")"
	return b.scalar(t, `SELECT count(*) || ':' || md5(coalesce(string_agg(`+row+`, '|' ORDER BY `+row+`), ''))
		FROM S.`+pgx.Identifier{spec.Table}.Sanitize())
}

// TestReplayIntoEmptySchema: after a run, the report tables are emptied and
// `ingest replay` reloads the stored payloads, without calling Graph, into
// the same rows, for CSV and for paged beta JSON (stored as one document).
// CSV and JSON of the same data give the same rows.
func TestReplayIntoEmptySchema(t *testing.T) {
	t.Parallel()
	// The two formats load schemas of their own, at once.
	var mu sync.Mutex
	snapshots := map[string]map[string]string{}
	t.Run("formats", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			opts graphsim.Options
			args []string
		}{
			{"csv", graphsim.Options{}, []string{"--report", "all"}},
			{"json in pages", graphsim.Options{PageSize: 3}, []string{"--report", "all", "--api-version", "beta", "--format", "json"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				clock := fakeclock.New(asOf)
				sim := simOn(t, clock, tc.opts)
				if code, out, errOut := b.run(t, hooks{clock: clock}, sim, tc.args...); code != ExitOK {
					t.Fatalf("%s run: exit %d\n%s\n%s", tc.name, code, out, errOut)
				}
				before := map[string]string{}
				for _, s := range report.Default {
					before[s.Table] = b.snapshot(t, s)
					// A row per day (one of totals for a snapshot), for
					// each value of a dimension.
					want := fmt.Sprintf("%d:", len(graphsim.Generate(s, "", asOf, 7)))
					if !strings.HasPrefix(before[s.Table], want) {
						t.Fatalf("%s: %s = %s, want %s rows", tc.name, s.Table, before[s.Table], want)
					}
					if _, err := pgtest.Pool(t).Exec(context.Background(), "TRUNCATE "+pgx.Identifier{b.schema, s.Table}.Sanitize()); err != nil {
						t.Fatal(err)
					}
				}
				graphCalls := len(sim.APIRequests())

				code, out, errOut := b.ingestWith(t, hooks{}, "replay")
				if code != ExitOK {
					t.Fatalf("%s replay: exit %d\n%s\n%s", tc.name, code, out, errOut)
				}
				for _, s := range report.Default {
					if got := b.snapshot(t, s); got != before[s.Table] {
						t.Errorf("%s: %s after replay = %s, want %s", tc.name, s.Table, got, before[s.Table])
					}
				}
				mu.Lock()
				snapshots[tc.name] = before
				mu.Unlock()
				if got := b.scalar(t, `SELECT string_agg(outcome || ':' || rows_inserted || ':' || sha256, ',' ORDER BY report) FROM S.report_fetches WHERE run_id = 2`); got !=
					b.scalar(t, `SELECT string_agg('loaded:' || rows_parsed || ':' || sha256, ',' ORDER BY report) FROM S.report_fetches WHERE run_id = 1`) {
					t.Errorf("%s: replay fetches = %s", tc.name, got)
				}
				if n := len(sim.APIRequests()); n != graphCalls {
					t.Errorf("%s: replay called Graph %d times", tc.name, n-graphCalls)
				}
				if tc.opts.PageSize > 0 {
					// 7 daily rows in pages of 3 take 3 requests; a snapshot's one
					// row, 1; the rows of every dimension value count.
					var want []string
					for _, s := range report.Default {
						rows := len(graphsim.Generate(s, "", asOf, 7))
						want = append(want, fmt.Sprintf("%s=%d", s.Name, (rows+2)/3))
					}
					slices.Sort(want)
					if got := b.scalar(t, `SELECT string_agg(report || '=' || n, ',' ORDER BY report) FROM (
						SELECT report, count(*) AS n FROM S.fetch_attempts WHERE run_id = 1 AND phase = 'graph' GROUP BY report) x`); got != strings.Join(want, ",") {
						t.Errorf("Graph requests per report = %s, want %s", got, strings.Join(want, ","))
					}
					if got := b.scalar(t, `SELECT count(*) || ' ' || string_agg(DISTINCT format, ',') FROM S.payloads`); got != fmt.Sprintf("%d json", len(report.Default)) {
						t.Errorf("payloads = %s, want one joined JSON document per report", got)
					}
				}
				// --since after the fetch replays nothing.
				if code, out, _ := b.ingestWith(t, hooks{}, "replay", "--since", "2099-01-01"); code != ExitOK || !strings.Contains(out, ": 0 payloads: 0 loaded,") {
					t.Errorf("%s: replay --since 2099: exit %d\n%s", tc.name, code, out)
				}
			})
		}
	})
	if len(snapshots) != 2 {
		return // a format failed
	}
	for table, csv := range snapshots["csv"] {
		if json := snapshots["json in pages"][table]; json != csv {
			t.Errorf("%s: JSON gives %s, CSV %s", table, json, csv)
		}
	}
}
