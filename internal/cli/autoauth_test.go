package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// offLoopback is a transport (http.RoundTripper and azcore's
// policy.Transporter) that never reaches the network beyond loopback: a
// request to a loopback host goes there; any other is recorded and
// answered in-process by handler (a fake of Azure's instance metadata
// service), or fails when there is none.
type offLoopback struct {
	handler http.Handler

	mu    sync.Mutex
	asked []string // "GET host/path" of every request beyond loopback
}

func (o *offLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); (ip != nil && ip.IsLoopback()) || r.URL.Hostname() == "localhost" {
		return http.DefaultTransport.RoundTrip(r)
	}
	o.mu.Lock()
	o.asked = append(o.asked, r.Method+" "+r.URL.Host+r.URL.Path)
	o.mu.Unlock()
	if o.handler == nil {
		return nil, fmt.Errorf("test transport: %s is not loopback", r.URL.Host)
	}
	rec := httptest.NewRecorder()
	o.handler.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func (o *offLoopback) Do(r *http.Request) (*http.Response, error) { return o.RoundTrip(r) }

func (o *offLoopback) requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.asked...)
}

func noAzureCLI(string) (string, error) { return "", exec.ErrNotFound }

// offline is h for a test's run of the app: what --auth auto would find on
// this machine (Azure's instance metadata service, the Azure CLI) is not
// looked for unless h says so, and a question to the metadata service
// fails the test.
func offline(t *testing.T, h hooks) hooks {
	t.Helper()
	if h.metadata == nil {
		g := &offLoopback{}
		h.metadata = g
		t.Cleanup(func() {
			if r := g.requests(); len(r) != 0 {
				t.Errorf("the run asked the instance metadata service: %v", r)
			}
		})
	}
	if h.lookPath == nil {
		h.lookPath = noAzureCLI
	}
	return h
}

// fakeIMDS answers as Azure's instance metadata service does on a VM: the
// host's cloud, and tokens for its managed identity (the simulator's).
func fakeIMDS(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metadata/instance/compute/azEnvironment", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" {
			http.Error(w, `{"error":"Bad request. Required metadata header not specified"}`, http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "AzurePublicCloud")
	})
	mux.HandleFunc("GET /metadata/identity/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" || r.URL.Query().Get("resource") != "https://graph.microsoft.com" {
			t.Errorf("IMDS token request %s without the Metadata header or for another resource", r.URL)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"access_token": "test-token", "token_type": "Bearer",
			"expires_in": "3599", "expires_on": fmt.Sprint(time.Now().Add(time.Hour).Unix()), "resource": "https://graph.microsoft.com"})
	})
	return mux
}

// TestNoCredentialsSaysWhatToSet: with nothing configured, on a host where
// something that is not Azure answers at 169.254.169.254 (403, as a
// container proxy does), --auth auto finds no credential: exit 2, one line
// naming what to set, before the warehouse is touched; nothing asks that
// endpoint for a token, and nothing at all goes to Entra ID or Graph.
func TestNoCredentialsSaysWhatToSet(t *testing.T) {
	t.Parallel()
	b := setupFresh(t) // it must not be created
	sim := startSim(t, asOf)
	metadata := &offLoopback{handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	})}
	auth := &offLoopback{}
	code, _, stderr := b.ingestWith(t, hooks{metadata: metadata, authTransport: auth, lookPath: noAzureCLI},
		"run", "--graph-url", sim.URL(), "--tenant-id", tenant)
	last := lastLine(stderr)
	if code != ExitUsage {
		t.Errorf("exit %d, want 2: %s", code, last)
	}
	for _, want := range []string{"no credentials configured", "GRAPH_ACCESS_TOKEN", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "--auth managed-identity", "--auth azure-cli"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
	if got := auth.requests(); len(got) != 0 {
		t.Errorf("azidentity sent %v, want nothing (no token request to a metadata endpoint that is not Azure's)", got)
	}
	for _, r := range metadata.requests() {
		if r != "GET 169.254.169.254/metadata/instance/compute/azEnvironment" {
			t.Errorf("asked the metadata endpoint %s, want only the question whether it is Azure's", r)
		}
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("Graph saw %d requests", n)
	}
	if got := b.scalar(t, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, b.schema); got != "0" {
		t.Errorf("schema %s was created: no credential was found only after touching the warehouse", b.schema)
	}
}

// TestAutoUsesManagedIdentityOnAzureVM: where Azure's instance metadata
// service answers as Azure's, --auth auto uses the VM's managed identity.
func TestAutoUsesManagedIdentityOnAzureVM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	imds := &offLoopback{handler: fakeIMDS(t)}
	code, out, stderr := b.ingestWith(t, hooks{clock: clock, metadata: imds, authTransport: imds, lookPath: noAzureCLI},
		append([]string{"run", "--graph-url", sim.URL(), "--tenant-id", tenant}, organizerReports...)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, `"auth":"managed-identity"`) {
		t.Errorf("the log does not say that auto chose managed-identity:\n%s", stderr)
	}
	// The token may come from MSAL's managed-identity cache, which is the
	// process's: another test may have filled it.
	got := imds.requests()
	if len(got) == 0 || got[0] != "GET 169.254.169.254/metadata/instance/compute/azEnvironment" {
		t.Errorf("asked %v, want the question whether it is Azure's first", got)
	}
	for _, r := range got[1:] {
		if r != "GET 169.254.169.254/metadata/identity/oauth2/token" {
			t.Errorf("asked %s of the instance metadata service", r)
		}
	}
}

// TestAutoUsesManagedIdentityOfAppService: IDENTITY_ENDPOINT and
// IDENTITY_HEADER (App Service, Functions, Container Apps) make --auth auto
// use their managed identity, without asking the instance metadata
// service. Not parallel: it sets the environment.
func TestAutoUsesManagedIdentityOfAppService(t *testing.T) {
	const header = "identity-header-secret"
	var asked []string
	var mu sync.Mutex
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("resource"))
		mu.Unlock()
		if r.Header.Get("X-IDENTITY-HEADER") != header {
			http.Error(w, "no identity header", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"access_token": "test-token", "token_type": "Bearer",
			"expires_on": fmt.Sprint(time.Now().Add(time.Hour).Unix()), "resource": r.URL.Query().Get("resource")})
	}))
	t.Cleanup(endpoint.Close)
	t.Setenv("IDENTITY_ENDPOINT", endpoint.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", header)
	b := setup(t)
	clock := fakeclock.New(asOf)
	sim := simOn(t, clock, graphsim.Options{})
	metadata, auth := &offLoopback{}, &offLoopback{}
	code, out, stderr := b.ingestWith(t, hooks{clock: clock, metadata: metadata, authTransport: auth, lookPath: noAzureCLI},
		append([]string{"run", "--graph-url", sim.URL(), "--tenant-id", tenant}, organizerReports...)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || asked[0] != "https://graph.microsoft.com" {
		t.Errorf("the identity endpoint was asked for %v, want https://graph.microsoft.com", asked)
	}
	if got := append(metadata.requests(), auth.requests()...); len(got) != 0 {
		t.Errorf("requests beyond loopback: %v", got)
	}
}
