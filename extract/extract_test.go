package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/report"
)

func spec(t *testing.T) *report.Spec {
	s, err := report.Lookup("skype-organizer-activity-minute-counts")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const csvBody = "\uFEFFReport Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\r\n2026-11-21,2026-11-21,7,1,2,3\r\n"

// sameHost serves the Graph function and the download URL on one host and
// port, and records the Authorization header each path saw.
type sameHost struct {
	mu   sync.Mutex
	auth map[string][]string
	srv  *httptest.Server
}

func newSameHost(t *testing.T, api http.HandlerFunc) *sameHost {
	h := &sameHost{auth: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.0/reports/", func(w http.ResponseWriter, r *http.Request) {
		h.record("api", r)
		api(w, r)
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		h.record("download", r)
		if r.URL.Query().Get("sig") != "s3cr3t" {
			http.Error(w, "bad sig", http.StatusForbidden)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, csvBody)
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *sameHost) record(path string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.auth[path] = append(h.auth[path], r.Header.Get("Authorization")+"|"+r.Header.Get("Cookie"))
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func (h *sameHost) client() *Client {
	return &Client{GraphURL: h.srv.URL, APIVersion: "v1.0", Tokens: StaticToken("tok3n"), Clock: fakeclock.New(t0)}
}

// TestSameHostRedirectCarriesNoAuthorization: even when the download URL is
// on the very host and port of the API, where net/http's own redirect rules
// would keep the header, the token is not sent.
func TestSameHostRedirectCarriesNoAuthorization(t *testing.T) {
	t.Parallel()
	var h *sameHost
	h = newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "c00kie"})
		http.Redirect(w, r, h.srv.URL+"/download?sig=s3cr3t", http.StatusFound)
	})
	p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Body) != csvBody || p.ETag != `"abc"` || p.Status != 200 || len(p.SHA256) != 64 {
		t.Errorf("payload = %+v", p)
	}
	if got := h.auth["api"]; len(got) != 1 || got[0] != "Bearer tok3n|" {
		t.Errorf("API saw %q", got)
	}
	if got := h.auth["download"]; len(got) != 1 || got[0] != "|" {
		t.Errorf("download saw credentials: %q", got)
	}
	if strings.Contains(p.Source, "s3cr3t") {
		t.Errorf("source holds the download signature: %s", p.Source)
	}
}

func TestDirect200(t *testing.T) {
	t.Parallel()
	h := newSameHost(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"value":[]}`) })
	p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err != nil || string(p.Body) != `{"value":[]}` {
		t.Fatalf("payload %v, err %v", p, err)
	}
}

func TestErrorsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	t.Run("download fails", func(t *testing.T) {
		var h *sameHost
		h = newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.srv.URL+"/download?sig=wrong-s3cr3t", http.StatusFound)
		})
		_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "tok3n") {
			t.Fatalf("error = %v", err)
		}
		if !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "/[redacted sha256:") {
			t.Errorf("error does not say what failed: %v", err)
		}
	})
	t.Run("download host unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close()
		h := newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, deadURL+"/download?sig=s3cr3t", http.StatusFound)
		})
		_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("401 names Graph's code and the token hint", func(t *testing.T) {
		h := newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}`)
		})
		_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		var fe *Error
		if !errors.As(err, &fe) || fe.Status != 401 || fe.Code != "InvalidAuthenticationToken" {
			t.Fatalf("error = %#v", err)
		}
		for _, want := range []string{"HTTP 401", "InvalidAuthenticationToken", "Access token validation failure.", "expired"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
}

func TestRefusesPlainHTTPDownloadOffLoopback(t *testing.T) {
	t.Parallel()
	h := newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://reports.example.com/data?sig=s3cr3t", http.StatusFound)
	})
	_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err == nil || !strings.Contains(err.Error(), "not https") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error = %v", err)
	}
}

func TestRetries429ThenLoads(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	var h *sameHost
	h = newSameHost(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		http.Redirect(w, r, h.srv.URL+"/download?sig=s3cr3t", http.StatusFound)
	})
	c := h.client()
	if _, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"}); err != nil {
		t.Fatal(err)
	}
	if waits := c.Clock.(*fakeclock.Clock).Sleeps(); len(waits) != 1 || waits[0] != 3*time.Second {
		t.Errorf("waits = %v, want [3s]", c.Clock.(*fakeclock.Clock).Sleeps())
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              -1,
		"7":                             7 * time.Second,
		"Mon, 23 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Mon, 23 Nov 2026 09:00:00 GMT": 0,
		"soon":                          -1,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://reports.office.com/data/download/abc?sig=x&se=y": "https://reports.office.com/data/download/abc?REDACTED",
		"https://user:pw@host/path":                               "https://host/path",
		"https://graph.microsoft.com/v1.0/reports/f(period='D7')": "https://graph.microsoft.com/v1.0/reports/f(period='D7')",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTenantFromToken(t *testing.T) {
	t.Parallel()
	// {"alg":"none"}.{"tid":"3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51"}.sig
	tok := "eyJhbGciOiJub25lIn0.eyJ0aWQiOiIzZjJkOGMxZS01YjdhLTRlNjAtOWQxNC0yYTZjMGI5ZTdkNTEifQ.c2ln"
	if tid, ok := TenantFromToken(tok); !ok || tid != "3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51" {
		t.Errorf("tid = %q %v", tid, ok)
	}
	if _, ok := TenantFromToken("opaque-token"); ok {
		t.Error("opaque token gave a tenant")
	}
}
