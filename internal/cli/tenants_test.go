package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/load"
)

const (
	tenantA = "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0001"
	tenantB = "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0002"
	tenantC = "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0003"
)

// TestTenantsFileOneBadToken: three tenants on graph-sim, one of which has
// a token Graph rejects. The two others load; that tenant fails after one
// Graph request (its other reports are not asked); the run exits 1, and
// its summary names the tenant and why.
func TestTenantsFileOneBadToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "tenants.yaml")
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	for path, token := range map[string]string{good: "test-token", bad: "not-the-token"} {
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tenantsYAML := fmt.Sprintf(`tenants:
  - tenant_id: %s
    name: Contoso
    auth: token
    access_token_file: %s
  - tenant_id: %s
    name: Fabrikam
    auth: token
    access_token_file: %s
  - tenant_id: %s
    name: Northwind
    auth: token
    access_token_file: %s
`, tenantA, good, tenantB, bad, tenantC, good)
	if err := os.WriteFile(file, []byte(tenantsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := b.ingestWith(t, hooks{clock: clock}, append([]string{"run", "--graph-url", sim.URL(), "--tenants-file", file, "--concurrency", "1"}, organizerReports...)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	last := lastLine(stderr)
	for _, want := range []string{"1 of 3 tenants failed", tenantB, "HTTP 401", "InvalidAuthenticationToken"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
	for _, tn := range []string{tenantA, tenantC} {
		if got := b.scalar(t, `SELECT count(*) FILTER (WHERE outcome = 'loaded') || '/' || count(*) FROM S.report_fetches WHERE tenant_id = $1`, tn); got != "2/2" {
			t.Errorf("tenant %s: %s reports loaded, want 2/2", tn, got)
		}
	}
	if got := b.scalar(t, `SELECT count(*) FROM S.fetch_attempts WHERE tenant_id = $1 AND phase = 'graph'`, tenantB); got != "1" {
		t.Errorf("tenant %s: %s Graph requests, want 1", tenantB, got)
	}
	if got := b.scalar(t, `SELECT count(*) FILTER (WHERE outcome = 'failed') FROM S.report_fetches WHERE tenant_id = $1`, tenantB); got != "2" {
		t.Errorf("tenant %s: %s reports failed, want 2", tenantB, got)
	}
	if !strings.Contains(stdout, "TENANT") || !strings.Contains(stdout, tenantB+" ") || !strings.Contains(stdout, "failed:") {
		t.Errorf("the summary does not show the tenants and the failure:\n%s", stdout)
	}
	// Every log line of a tenant's report carries the tenant, the report,
	// the period and the run.
	loaded := 0
	for _, line := range strings.Split(stderr, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "report loaded" {
			continue
		}
		loaded++
		if rec["tenant"] == nil || rec["report"] == nil || rec["period"] != "D7" || rec["run_id"] == nil {
			t.Errorf("log line without tenant, report, period or run id: %s", line)
		}
	}
	if loaded != 4 {
		t.Errorf("%d 'report loaded' log lines, want 4", loaded)
	}
}

// TestTenantsFileMistakes: an inline secret refuses the file (exit 2)
// naming the tenant and the field, before anything runs; --shard without a
// file, and --tenant-id with one, are usage errors.
func TestTenantsFileMistakes(t *testing.T) {
	t.Parallel()
	b := setupFresh(t)
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte("tenants:\n  - tenant_id: "+tenantA+"\n    client_secret: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tenants-file", file}, "tenant 1 (" + tenantA + ", line 2): client_secret is inline"},
		{[]string{"--shard", "0/2"}, "--shard and --shards need --tenants-file"},
		{[]string{"--tenants-file", file, "--tenant-id", tenantA}, "--tenant-id and --tenants-file: give one"},
	} {
		code, _, stderr := b.ingest(t, append([]string{"run", "--graph-url", "http://127.0.0.1:1"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(lastLine(stderr), tc.want) || strings.Contains(stderr, "hunter2") {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, lastLine(stderr), tc.want)
		}
	}
	if n := b.scalar(t, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, b.schema); n != "0" {
		t.Errorf("the schema was created: the file was checked only after touching the warehouse")
	}
}

// TestShardsRunAtOnce: shards 0/2 and 1/2 of one tenants file have run
// locks of their own: while shard 0's run holds its lock (held in the
// middle of its first load), shard 1's runs and loads; every tenant loads
// once; shard 0's run ends as well.
func TestShardsRunAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("test-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	var yaml strings.Builder
	yaml.WriteString("tenants:\n")
	var ids []string
	for i := range 6 {
		id := fmt.Sprintf("5b6f3c2e-0d1a-4c7e-9f00-%012x", i+1)
		ids = append(ids, id)
		fmt.Fprintf(&yaml, "  - tenant_id: %s\n    auth: token\n    access_token_file: %s\n", id, token)
	}
	file := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(file, []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(shard string, h hooks) (int, string, string) {
		return b.ingestWith(t, h, append([]string{"run", "--graph-url", sim.URL(), "--tenants-file", file, "--shard", shard}, organizerReports...)...)
	}
	loading, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	first := make(chan string, 1)
	go func() {
		code, out, errOut := run("0/2", hooks{clock: clock, beforeLoad: func(ctx context.Context, f load.Fetch) {
			once.Do(func() { close(loading); <-release })
		}})
		first <- fmt.Sprintf("%d\n%s\n%s", code, out, errOut)
	}()
	select {
	case <-loading:
	case <-time.After(time.Minute):
		close(release)
		t.Fatal("shard 0/2 never reached its first load")
	}
	code, out, errOut := run("1/2", hooks{clock: clock})
	close(release)
	if code != ExitOK || strings.Contains(errOut, "not starting") {
		t.Errorf("shard 1/2 while 0/2 runs: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := <-first; !strings.HasPrefix(got, "0\n") {
		t.Errorf("shard 0/2: exit %s", got)
	}
	for _, id := range ids {
		if got := b.scalar(t, `SELECT count(*) FILTER (WHERE outcome = 'loaded') || '/' || count(*) FROM S.report_fetches WHERE tenant_id = $1`, id); got != "2/2" {
			t.Errorf("tenant %s: %s reports loaded, want 2/2 (each tenant in one shard)", id, got)
		}
	}
}

// TestTenantsFileWithAzureTenantID: AZURE_TENANT_ID in the environment
// (Azure workload identity's webhook sets it in the pod) is no conflict
// with a tenants file; only --tenant-id on the command line is. Not
// parallel: it sets the environment.
func TestTenantsFileWithAzureTenantID(t *testing.T) {
	t.Setenv("AZURE_TENANT_ID", tenantC)
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	file := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(token, []byte("test-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("tenants:\n  - tenant_id: "+tenantA+"\n    auth: token\n    access_token_file: "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := b.ingestWith(t, hooks{clock: clock}, append([]string{"run", "--graph-url", sim.URL(), "--tenants-file", file}, organizerReports...)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, `SELECT count(*) FILTER (WHERE tenant_id = $1) || '/' || count(*) FROM S.report_fetches`, tenantA); got != "2/2" {
		t.Errorf("fetches of the file's tenant / all: %s, want 2/2", got)
	}
}
