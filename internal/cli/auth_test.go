package cli

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

const clientID = "6a3f0c2e-1b7d-4c8e-9f10-2d3e4f5a6b7c"

// authority is a fake Entra ID token endpoint on an httptest TLS server: it
// serves the tenant's OpenID metadata and answers client-credentials token
// requests that carry the right client secret or a client assertion signed
// by the right certificate.
type authority struct {
	srv       *httptest.Server
	secret    string
	cert      *x509.Certificate
	federated string // a federated token accepted as client assertion
	token     string // the access token it issues
	// down, when set, is the HTTP status every token request gets, as from
	// an authority that fails rather than refuses.
	down int

	mu       sync.Mutex
	requests []url.Values // token requests
	paths    []string     // every path asked
}

func newAuthority(t *testing.T) *authority {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	a := &authority{token: enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc([]byte(`{"tid":"`+tenant+`","aud":"https://graph.microsoft.com","nonce":"`+randomText(8)+`"}`)) + ".c2lnbmF0dXJl"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		a.saw(r)
		base := a.srv.URL + "/" + r.PathValue("tenant")
		json.NewEncoder(w).Encode(map[string]string{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"issuer":                 base + "/v2.0",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		a.saw(r)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.requests = append(a.requests, r.PostForm)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if a.down != 0 {
			w.WriteHeader(a.down)
			json.NewEncoder(w).Encode(map[string]any{"error": "temporarily_unavailable", "error_description": "AADSTS90033: A transient error has occurred."})
			return
		}
		if err := a.check(r); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_codes": []int{7000215},
				"error_description": "AADSTS7000215: " + err.Error() + "\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-11-23 09:00:00Z"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": a.token})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.saw(r)
		http.NotFound(w, r)
	})
	a.srv = httptest.NewTLSServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authority) saw(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.paths = append(a.paths, r.Method+" "+r.URL.Path)
}

func (a *authority) check(r *http.Request) error {
	f := r.PostForm
	if r.PathValue("tenant") != tenant || f.Get("client_id") != clientID || f.Get("grant_type") != "client_credentials" {
		return fmt.Errorf("unexpected tenant %s, client %s or grant %s", r.PathValue("tenant"), f.Get("client_id"), f.Get("grant_type"))
	}
	switch {
	case f.Get("client_secret") != "":
		if a.secret == "" || f.Get("client_secret") != a.secret {
			return errors.New("Invalid client secret provided.")
		}
	case f.Get("client_assertion") != "" && a.federated != "":
		if f.Get("client_assertion") != a.federated || f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return errors.New("federated token does not match")
		}
	case f.Get("client_assertion") != "":
		if a.cert == nil {
			return errors.New("no certificate registered")
		}
		return verifyAssertion(f.Get("client_assertion"), a.cert, a.srv.URL+r.URL.Path)
	default:
		return errors.New("no client credential")
	}
	return nil
}

// verifyAssertion checks a client assertion JWT: signed (PS256 or RS256) by
// cert's key, issued by and for the client, for the token endpoint.
func verifyAssertion(jwt string, cert *x509.Certificate, audience string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("client assertion is not a JWT")
	}
	var hdr struct{ Alg string }
	var claims struct {
		Aud any
		Iss string
		Sub string
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if json.Unmarshal(h, &hdr) != nil || json.Unmarshal(c, &claims) != nil {
		return errors.New("client assertion is not JSON")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := cert.PublicKey.(*rsa.PublicKey)
	var err error
	switch hdr.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		err = fmt.Errorf("alg %q", hdr.Alg)
	}
	if err != nil {
		return fmt.Errorf("client assertion signature: %v", err)
	}
	if claims.Iss != clientID || claims.Sub != clientID || fmt.Sprint(claims.Aud) != audience {
		return fmt.Errorf("client assertion claims iss %s sub %s aud %v", claims.Iss, claims.Sub, claims.Aud)
	}
	return nil
}

func (a *authority) tokenRequests() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]url.Values(nil), a.requests...)
}

func (a *authority) sawPath(sub string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.paths {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// pemCertificate writes a fresh self-signed certificate and its key as PEM.
func pemCertificate(t *testing.T) (string, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ingest test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	path := filepath.Join(t.TempDir(), "client.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, cert
}

const pfxPath, pfxPassword = "testdata/test-only-client-cert.pfx", "test-only-pfx-password"

func pfxCertificate(t *testing.T) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(pfxPath)
	if err != nil {
		t.Fatal(err)
	}
	certs, _, err := azidentity.ParseCertificates(data, []byte(pfxPassword))
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// TestAzureIdentity: client-secret, client-certificate (PEM and PFX) and
// workload-identity credentials get a token from a local fake authority (TLS, instance
// discovery off because --authority-host is set), for the cloud's scope, and
// that token is what the Graph calls carry (graph-sim accepts no other).
func TestAzureIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  func(t *testing.T, a *authority) []string
		scope string
	}{
		{"client secret", func(t *testing.T, a *authority) []string {
			a.secret = "cl1ent-s3cret-" + randomText(4)
			return []string{"--auth", "client-secret", "--client-secret", a.secret}
		}, "https://graph.microsoft.com/.default"},
		{"client secret chosen by auto", func(t *testing.T, a *authority) []string {
			a.secret = "cl1ent-s3cret-" + randomText(4)
			return []string{"--client-secret", a.secret}
		}, "https://graph.microsoft.com/.default"},
		{"client certificate PEM", func(t *testing.T, a *authority) []string {
			path, cert := pemCertificate(t)
			a.cert = cert
			return []string{"--auth", "client-certificate", "--client-certificate-path", path}
		}, "https://graph.microsoft.com/.default"},
		{"client certificate PFX with password", func(t *testing.T, a *authority) []string {
			a.cert = pfxCertificate(t)
			return []string{"--auth", "client-certificate", "--client-certificate-path", pfxPath, "--client-certificate-password", pfxPassword}
		}, "https://graph.microsoft.com/.default"},
		{"workload identity", func(t *testing.T, a *authority) []string {
			a.federated = "federated." + randomText(8) + ".token"
			path := filepath.Join(t.TempDir(), "token")
			os.WriteFile(path, []byte(a.federated), 0o600)
			return []string{"--auth", "workload-identity", "--federated-token-file", path}
		}, "https://graph.microsoft.com/.default"},
		{"national cloud scope", func(t *testing.T, a *authority) []string {
			a.secret = "cl1ent-s3cret-" + randomText(4)
			return []string{"--auth", "client-secret", "--client-secret", a.secret, "--cloud", "china"}
		}, "https://microsoftgraph.chinacloudapi.cn/.default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := newAuthority(t)
			extra := tc.args(t, a)
			clock := fakeclock.New(asOf)
			sim := simOn(t, clock, graphsim.Options{Token: a.token})
			args := append([]string{"run", "--graph-url", sim.URL(), "--authority-host", a.srv.URL,
				"--tenant-id", tenant, "--client-id", clientID}, organizerReports...)
			args = append(args, extra...)
			code, stdout, stderr := b.ingestWith(t, hooks{clock: clock, authTransport: a.srv.Client()}, args...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			reqs := a.tokenRequests()
			if len(reqs) != 1 {
				t.Errorf("%d token requests, want 1 (azidentity caches the token)", len(reqs))
			}
			for _, r := range reqs {
				// MSAL adds the OpenID scopes to ours.
				if scopes := strings.Fields(r.Get("scope")); len(scopes) == 0 || scopes[0] != tc.scope || strings.Count(r.Get("scope"), ".default") != 1 {
					t.Errorf("scope %q, want %q", r.Get("scope"), tc.scope)
				}
			}
			if a.sawPath("discovery/instance") {
				t.Error("instance discovery was asked despite --authority-host")
			}
			api := sim.APIRequests()
			if len(api) != 2 {
				t.Fatalf("Graph saw %d requests, want 2", len(api))
			}
			for _, r := range api {
				if r.Header.Get("Authorization") != "Bearer "+a.token {
					t.Errorf("Graph request carried %q, not the authority's token", r.Header.Get("Authorization"))
				}
			}
			if got := b.scalar(t, `SELECT string_agg(tenant_id || ':' || outcome || ':' || rows_inserted, ',') FROM S.report_fetches`); got != tenant+":loaded:7,"+tenant+":loaded:7" {
				t.Errorf("fetches = %s", got)
			}
		})
	}
}

// TestAzureIdentityRejected: a wrong secret is a configuration error (exit
// 2) told on one line with Entra's code and AADSTS message, and the secret
// is not in it.
func TestAzureIdentityRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := newAuthority(t)
	a.secret = "the-right-one"
	code, _, stderr := b.ingestWith(t, hooks{authTransport: a.srv.Client()}, "run", "--graph-url", "http://127.0.0.1:1",
		"--authority-host", a.srv.URL, "--tenant-id", tenant, "--client-id", clientID, "--client-secret", "wr0ng-s3cret-value")
	if code != ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	last := lastLine(stderr)
	for _, want := range []string{"--auth client-secret", "https://graph.microsoft.com/.default", "HTTP 401 invalid_client", "AADSTS7000215: Invalid client secret provided."} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
	if strings.Contains(stderr, "wr0ng-s3cret-value") || strings.Contains(last, "Trace ID") {
		t.Errorf("stderr holds the secret or Entra's trace lines:\n%s", stderr)
	}
	// The run is recorded as failed, with the same one line.
	if got, want := b.scalar(t, `SELECT string_agg(command || ':' || period || ':' || status || ':' || error, ',') FROM S.ingest_runs`),
		"run:D7:failed:"+strings.TrimPrefix(last, "ingest: "); got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
}

// TestAzureIdentityFails: an authority that fails (403 here, which azcore
// does not retry) rather than refusing the credentials is a failed run,
// exit 1, recorded with its reason; Graph is never called.
func TestAzureIdentityFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := newAuthority(t)
	a.secret, a.down = "the-right-one", http.StatusForbidden
	sim := startSim(t, asOf)
	code, _, stderr := b.ingestWith(t, hooks{authTransport: a.srv.Client()}, "run", "--graph-url", sim.URL(),
		"--authority-host", a.srv.URL, "--tenant-id", tenant, "--client-id", clientID, "--client-secret", a.secret)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	last := lastLine(stderr)
	if !strings.Contains(last, "HTTP 403") || !strings.Contains(last, "AADSTS90033") {
		t.Errorf("last line %q lacks the authority's answer", last)
	}
	if got, want := b.scalar(t, `SELECT string_agg(status || ':' || error, ',') FROM S.ingest_runs`), "failed:"+strings.TrimPrefix(last, "ingest: "); got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
	if n := len(sim.APIRequests()); n != 0 {
		t.Errorf("Graph saw %d requests without a token", n)
	}
}

// TestAuthModesNeedTheirSettings: each --auth mode names what it lacks, and
// exits 2 without calling anything.
func TestAuthModesNeedTheirSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "client-secret", "--client-id", clientID}, "--auth client-secret needs --client-secret (AZURE_CLIENT_SECRET)"},
		{[]string{"--auth", "client-certificate", "--client-id", clientID}, "needs --client-certificate-path (AZURE_CLIENT_CERTIFICATE_PATH)"},
		{[]string{"--auth", "client-certificate", "--client-id", clientID, "--client-certificate-path", pfxPath, "--client-certificate-password", "wrong"}, "the password is wrong"},
		{[]string{"--auth", "workload-identity", "--client-id", clientID}, "needs --federated-token-file (AZURE_FEDERATED_TOKEN_FILE)"},
		{[]string{"--auth", "token"}, "--auth token needs --access-token"},
		{[]string{"--auth", "client-secret", "--access-token", "x"}, "--access-token (GRAPH_ACCESS_TOKEN) is used only with --auth token"},
		{[]string{"--auth", "kerberos"}, `invalid --auth "kerberos"`},
		{[]string{"--access-token", "x", "--cloud", "mars"}, `invalid cloud "mars"`},
		{[]string{"--access-token", "x", "--authority-host", "http://login.example.com"}, "invalid --authority-host"},
		{[]string{"--access-token", "x", "--concurrency", "0"}, "invalid --concurrency 0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var out, errOut strings.Builder
			// No database answers there: the flags are checked before any
			// connection, to the warehouse or to Entra ID.
			code := Main(t.Context(), append([]string{"ingest", "run", "--database-url", deadDatabase, "--tenant-id", tenant}, tc.args...), &out, &errOut, "test")
			if code != ExitUsage || !strings.Contains(lastLine(errOut.String()), tc.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, lastLine(errOut.String()), tc.want)
			}
		})
	}
}
