// Package deploy holds the deployment files (Kubernetes, systemd); its
// test checks them with the tools that run them.
package deploy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// need finds a tool on PATH; without it the test is skipped, but not under
// CI=true, where a missing tool is a failure.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true makes this a failure)", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return path
}

// TestSystemdUnits: systemd-analyze verify passes on the service and the
// timer. verify checks that ExecStart's program exists, so the units are
// verified in a copy whose ExecStart names a program this machine has.
func TestSystemdUnits(t *testing.T) {
	t.Parallel()
	analyze := need(t, "systemd-analyze")
	dir := t.TempDir()
	for _, name := range []string{"ingest.service", "ingest.timer"} {
		body, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(body), "ExecStart=/usr/local/bin/ingest", "ExecStart=/bin/true")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", "ingest.service", "ingest.timer")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestKubernetesManifests: kubectl apply --dry-run=client accepts every
// manifest. kubectl asks the API server which kinds exist even in a
// client-side dry run, so it is pointed at a loopback server that answers
// discovery for the kinds the manifests use (and only that: no cluster, no
// network; the OpenAPI schema check needs a real server, so --validate is
// off here).
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	kubectl := need(t, "kubectl")
	resource := func(name, kind string, namespaced bool) map[string]any {
		return map[string]any{"name": name, "singularName": strings.ToLower(kind), "namespaced": namespaced, "kind": kind,
			"verbs": []string{"create", "get", "list", "patch", "update", "delete"}}
	}
	docs := map[string]any{
		"/api": map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []any{map[string]any{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}}},
		"/api/v1": map[string]any{"kind": "APIResourceList", "groupVersion": "v1", "resources": []any{
			resource("namespaces", "Namespace", false), resource("secrets", "Secret", true),
			resource("configmaps", "ConfigMap", true), resource("serviceaccounts", "ServiceAccount", true)}},
		"/apis": map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{map[string]any{"name": "batch",
			"versions":         []any{map[string]any{"groupVersion": "batch/v1", "version": "v1"}},
			"preferredVersion": map[string]any{"groupVersion": "batch/v1", "version": "v1"}}}},
		"/apis/batch/v1": map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1", "resources": []any{
			resource("cronjobs", "CronJob", true), resource("jobs", "Job", true)}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := docs[r.URL.Path]
		if !ok {
			// An object that does not exist yet: apply creates it.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	cmd := exec.Command(kubectl, "apply", "--dry-run=client", "--validate=false", "--server", srv.URL, "-f", "kubernetes/")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=client: %v\n%s", err, out)
	}
	for _, want := range []string{"namespace/ingest", "cronjob.batch/ingest", "configmap/ingest-tenants", "serviceaccount/ingest", "secret/ingest"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl did not take %s:\n%s", want, out)
		}
	}
}
