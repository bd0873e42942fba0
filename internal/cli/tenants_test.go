package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
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
