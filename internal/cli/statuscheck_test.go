package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// TestStatusMaxLag: status --max-lag is a check. Data refreshed 2 days ago
// passes --max-lag 3 (exit 0, "INGEST OK - ..."); data three weeks old
// fails it (exit 1, "INGEST CRITICAL - N of N reports older than 3
// days", naming the stalest); reports that have only ever been empty (the
// retired Skype reports) do not count; --json carries the same verdict.
func TestStatusMaxLag(t *testing.T) {
	t.Parallel()
	today := time.Now().UTC()
	dated := 0
	for _, s := range report.Default {
		if s.Dated() && !strings.HasPrefix(s.Function, "getSkypeForBusiness") {
			dated++
		}
	}
	for _, tc := range []struct {
		name     string
		asOf     time.Time // graph-sim's today: its refresh date is 2 days before
		code     int
		first    string
		stale    int
		jsonStat string
	}{
		{"fresh", today, ExitOK, fmt.Sprintf("INGEST OK - %d of %d reports within 3 days", dated, dated), 0, "OK"},
		{"stale", today.AddDate(0, 0, -21), ExitFailed, fmt.Sprintf("INGEST CRITICAL - %d of %d reports older than 3 days: %s ", dated, dated, tenant), dated, "CRITICAL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			clock := fakeclock.New(tc.asOf)
			sim := simOn(t, clock, graphsim.Options{RetiredSkype: true})
			if code, out, errOut := b.ingestWith(t, hooks{clock: clock}, "run", "--graph-url", sim.URL(), "--access-token", "test-token", "--tenant-id", tenant, "--report", "all"); code != ExitOK {
				t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut := b.ingest(t, "status", "--max-lag", "3")
			if first, _, _ := strings.Cut(out, "\n"); code != tc.code || !strings.HasPrefix(first, tc.first) {
				t.Errorf("status --max-lag 3: exit %d, first line %q; want %d, %q\n%s", code, first, tc.code, tc.first, errOut)
			}
			if tc.code != ExitOK && !strings.Contains(lastLine(errOut), "reports older than 3 days") {
				t.Errorf("no reason on stderr: %q", lastLine(errOut))
			}
			code, out, _ = b.ingest(t, "status", "--max-lag", "3", "--json")
			var got struct {
				Check struct {
					Status     string
					Line       string
					MaxLagDays int `json:"max_lag_days"`
					Reports    int
					Stale      []struct {
						TenantID   string `json:"tenant_id"`
						Report     string
						DaysBehind int `json:"days_behind"`
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("status --json: %v\n%s", err, out)
			}
			c := got.Check
			if code != tc.code || c.Status != tc.jsonStat || c.MaxLagDays != 3 || c.Reports != dated || len(c.Stale) != tc.stale || !strings.HasPrefix(c.Line, tc.first) {
				t.Errorf("status --json: exit %d, check %+v", code, c)
			}
			for _, s := range c.Stale {
				if s.TenantID != tenant || s.DaysBehind <= 3 || strings.HasPrefix(s.Report, "skype-") {
					t.Errorf("stale %+v", s)
				}
			}
		})
	}
	// Out of range: a usage error naming the flag.
	b := setupFresh(t)
	if code, _, errOut := b.ingest(t, "status", "--max-lag", "-1"); code != ExitUsage || !strings.Contains(errOut, "--max-lag") {
		t.Errorf("--max-lag -1: exit %d, %s", code, lastLine(errOut))
	}
}
