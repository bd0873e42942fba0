package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// startGraphSim runs `ingest graph-sim` with args on loopback until the
// test ends and returns its API URL.
func startGraphSim(t *testing.T, args ...string) string {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- Main(ctx, append([]string{"ingest", "graph-sim", "--addr", "127.0.0.1:0", "--download-addr", "127.0.0.1:0",
			"--url-file", urlFile}, args...), &out, &errOut, "test")
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != ExitOK {
			t.Errorf("graph-sim %v: exit %d after cancel: %s", args, code, errOut.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if b, err := os.ReadFile(urlFile); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("graph-sim %v exited %d before listening: %s", args, code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("graph-sim %v wrote no URL file within 10 s", args)
	return ""
}

// simGet GETs url with the simulator's token, following the redirect.
func simGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer sim-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestGraphSimUsersAndConcealed: --users sets the tenant's size (a row per
// user in a detail report), --concealed starts it with names concealed
// (reportSettings says so), --no-report-settings refuses reportSettings.
func TestGraphSimUsersAndConcealed(t *testing.T) {
	t.Parallel()
	var spec *report.Spec
	for _, s := range report.DetailReports {
		if s.Function == "getTeamsUserActivityUserDetail" {
			spec = s
		}
	}
	if spec == nil {
		t.Fatal("no getTeamsUserActivityUserDetail among the detail reports")
	}
	url := startGraphSim(t, "--users", "7", "--concealed", "--as-of", "2024-05-15")
	code, body := simGet(t, url+spec.DatePath("v1.0", "2024-05-10"))
	if code != http.StatusOK {
		t.Fatalf("date=: status %d: %s", code, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(recs) != 1+7 {
		t.Fatalf("%d records (%v), want a header and 7 users", len(recs), err)
	}
	upn := -1
	for i, h := range recs[0] {
		if h == "User Principal Name" {
			upn = i
		}
	}
	for _, r := range recs[1:] {
		if !report.LooksConcealed(r[upn]) {
			t.Errorf("--concealed: UPN %q is not concealed", r[upn])
		}
	}
	if code, body := simGet(t, url+"/v1.0/admin/reportSettings"); code != http.StatusOK || !strings.Contains(string(body), `"displayConcealedNames":true`) {
		t.Errorf("reportSettings: %d %s, want displayConcealedNames true", code, body)
	}

	url = startGraphSim(t, "--no-report-settings")
	if code, body := simGet(t, url+"/v1.0/admin/reportSettings"); code != http.StatusForbidden || !strings.Contains(string(body), "Authorization_RequestDenied") {
		t.Errorf("--no-report-settings: %d %s, want 403 Authorization_RequestDenied", code, body)
	}
	code, body = simGet(t, url+spec.Path("v1.0", "D7"))
	if n := bytes.Count(body, []byte("\r\n")); code != http.StatusOK || n != 1+50 {
		t.Errorf("default --users: %d, %d lines, want a header and 50 users", code, n)
	}
}

// TestGraphSimUsersRange: --users outside 1 to 10000000 is a usage error
// naming the flag and its range, before listening.
func TestGraphSimUsersRange(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "10000001"} {
		code, out, errOut := mainArgs("graph-sim", "--users", v, "--addr", "127.0.0.1:0", "--download-addr", "127.0.0.1:0")
		if code != ExitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--users") || !strings.Contains(errOut, "1 to 10000000") {
			t.Errorf("--users %s: exit %d, stderr %q; want 2 and one line naming --users and its range\n%s", v, code, errOut, out)
		}
	}
}
