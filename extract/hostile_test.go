package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/report"
)

// hostile is a Graph and download host that a test scripts freely: api
// answers the report function, dl every other path.
type hostile struct {
	mu       sync.Mutex
	api, dl  int
	srv      *httptest.Server
	logs     bytes.Buffer
	clock    *fakeclock.Clock
	apiFunc  http.HandlerFunc
	dlFunc   http.HandlerFunc
	lastPath string
}

func newHostile(t *testing.T, api, dl http.HandlerFunc) *hostile {
	t.Helper()
	h := &hostile{clock: fakeclock.New(t0), apiFunc: api, dlFunc: dl}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		isAPI := strings.Contains(r.URL.Path, "/reports/")
		if isAPI {
			h.api++
		} else {
			h.dl++
		}
		h.mu.Unlock()
		if isAPI {
			h.apiFunc(w, r)
			return
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("download request carried Authorization")
		}
		h.dlFunc(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hostile) client() *Client {
	return &Client{GraphURL: h.srv.URL, APIVersion: "v1.0", Tokens: StaticToken("tok3n-SECRET-value"), Clock: h.clock,
		Log: slog.New(slog.NewTextHandler(syncWriter{&h.mu, &h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

func (h *hostile) calls() (api, dl int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.api, h.dl
}

func (h *hostile) logText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs.String()
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// everything is the text a fetch leaves behind: the error (with its
// fields), every attempt and every log line.
func everything(h *hostile, p *Payload, err error) string {
	var b strings.Builder
	if err != nil {
		b.WriteString(err.Error() + "\n")
		var fe *Error
		if errors.As(err, &fe) {
			fmt.Fprintf(&b, "%s %s %s %s\n", fe.URL, fe.Code, fe.Message, fe.Hint)
			for _, a := range fe.Attempts {
				fmt.Fprintf(&b, "%s %s\n", a.URL, a.Error)
			}
		}
	}
	if p != nil {
		b.WriteString(p.Source + "\n")
		for _, a := range p.Attempts {
			fmt.Fprintf(&b, "%s %s\n", a.URL, a.Error)
		}
	}
	b.WriteString(h.logText())
	return b.String()
}

func noSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q found in:\n%s", s, text)
		}
	}
}

// TestDownloadURLPathCredentialIsMasked: Microsoft's documented download
// URL has its credential in the path, with no query string. Neither the
// attempts, the debug log nor the error show more than scheme and host,
// and a fingerprint tells two URLs apart.
func TestDownloadURLPathCredentialIsMasked(t *testing.T) {
	t.Parallel()
	const cred = "JDFKdf2_eJXKS034dbc7e0t__XDe"
	t.Run("download fails", func(t *testing.T) {
		t.Parallel()
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.srv.URL+"/data/download/"+cred, http.StatusFound)
		}, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
		c := h.client()
		c.MaxAttempts = 2
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil {
			t.Fatal("fetch succeeded")
		}
		noSecret(t, everything(h, nil, err), cred, "/data/download")
		var fe *Error
		errors.As(err, &fe)
		if want := MaskURL(h.srv.URL + "/data/download/" + cred); fe.URL != want || fe.Attempts[1].URL != want {
			t.Errorf("URL %q, attempt %q; want %q", fe.URL, fe.Attempts[1].URL, want)
		}
	})
	t.Run("download host unreachable", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String()
		ln.Close()
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, dead+"/data/download/"+cred, http.StatusFound)
		}, nil)
		c := h.client()
		c.MaxAttempts = 1
		_, ferr := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if ferr == nil {
			t.Fatal("fetch succeeded")
		}
		noSecret(t, everything(h, nil, ferr), cred, "/data/download")
	})
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.srv.URL+"/data/download/"+cred, http.StatusFound)
		}, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, csvBody) })
		p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err != nil {
			t.Fatal(err)
		}
		noSecret(t, everything(h, p, nil), cred, "/data/download")
		if !strings.HasPrefix(p.Attempts[1].URL, h.srv.URL+"/") {
			t.Errorf("attempt URL %q lacks the scheme and host", p.Attempts[1].URL)
		}
	})
	t.Run("fingerprints differ", func(t *testing.T) {
		t.Parallel()
		a, b := MaskURL("https://reports.office.com/data/download/"+cred), MaskURL("https://reports.office.com/data/download/other")
		if a == b || !strings.HasPrefix(a, "https://reports.office.com/") || strings.Contains(a, "download") {
			t.Errorf("MaskURL gave %q and %q", a, b)
		}
		for _, bad := range []string{"http://[::1/dl?sig=" + cred, "https://h/%zz/" + cred, "https://u:" + cred + "@h/x"} {
			if m := MaskURL(bad); strings.Contains(m, cred) {
				t.Errorf("MaskURL(%q) = %q", bad, m)
			}
		}
	})
	t.Run("nextLink in error text", func(t *testing.T) {
		t.Parallel()
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "page2") {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"%s/beta/reports/page2/%s?$skiptoken=%s"}`, h.srv.URL, cred, cred)
		}, nil)
		c := h.client()
		c.APIVersion = "beta"
		p, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON})
		if err == nil {
			t.Fatal("fetch succeeded")
		}
		noSecret(t, everything(h, p, err), cred)

		off := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"https://evil.example.com/page2/%s"}`, cred)
		}, nil)
		c = off.client()
		c.APIVersion = "beta"
		_, err = c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON})
		if err == nil || !strings.Contains(err.Error(), "refusing @odata.nextLink") {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, everything(off, nil, err), cred)

		// The page echoes one piece of its link alone: the skiptoken's
		// value, or a path segment.
		skip, seg := "SkipTok3n"+cred, "PathSeg"+cred
		var echo *hostile
		echo = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "page2") {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, "bad skiptoken %s in %s", r.URL.Query().Get("$skiptoken"), seg)
				return
			}
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"%s/beta/reports/page2/%s?$skiptoken=%s"}`, echo.srv.URL, seg, skip)
		}, nil)
		c = echo.client()
		c.APIVersion = "beta"
		p, err = c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON})
		if err == nil || !strings.Contains(err.Error(), "bad skiptoken") {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, everything(echo, p, err), skip, seg)
	})
}

// TestMalformedLocationIsNotRetried: a Location that does not parse fails
// the fetch at once, says so, and is not shown.
func TestMalformedLocationIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"http://[::1/dl?sig=SECRET", "https://h/%zz?sig=SECRET", "https:///dl?sig=SECRET"} {
		t.Run(loc, func(t *testing.T) {
			t.Parallel()
			h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Location"] = []string{loc}
				w.WriteHeader(http.StatusFound)
			}, nil)
			_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			if err == nil || !strings.Contains(err.Error(), "redirect without a usable Location") {
				t.Fatalf("error = %v", err)
			}
			noSecret(t, everything(h, nil, err), "SECRET", "%zz", "[::1")
			var fe *Error
			if errors.As(err, &fe); len(fe.Attempts) != 1 {
				t.Errorf("attempts = %s, want one", statuses(fe.Attempts))
			}
			if api, dl := h.calls(); api != 1 || dl != 0 {
				t.Errorf("calls: api %d, download %d; want 1, 0", api, dl)
			}
			if s := h.clock.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
		})
	}
}

// TestGraphURLMustBeHTTPSOrLoopback: the token goes over plain http only to
// loopback, and the Graph URL is a scheme and host only.
func TestGraphURLMustBeHTTPSOrLoopback(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"https://graph.microsoft.com", "https://graph.microsoft.com/", "http://127.0.0.1:8765", "http://127.9.9.9",
		"http://localhost:1", "http://[::1]:8765", "HTTPS://Graph.Microsoft.com"} {
		if err := CheckGraphURL(ok); err != nil {
			t.Errorf("CheckGraphURL(%q) = %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"http://graph.microsoft.com":          "plain http",
		"http://127.0.0.1.example.com":        "plain http",
		"http://10.0.0.1:8080":                "plain http",
		"ftp://graph.microsoft.com":           "https",
		"http://127.0.0.1:28000#x":            "fragment",
		"http://127.0.0.1:28000#":             "fragment",
		"https://graph.microsoft.com?":        "query",
		"https://graph.microsoft.com/?a=b":    "query",
		"https://user:pw@graph.microsoft.com": "user info",
		"https://graph.microsoft.com/v1.0":    "path",
		"https://":                            "host",
		"graph.microsoft.com":                 "host",
		"https://[::1":                        "not a URL",
	} {
		err := CheckGraphURL(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckGraphURL(%q) = %v, want it to mention %q", bad, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckGraphURL(%q) shows the password: %v", bad, err)
		}
	}
}

// TestTokenNeverGoesOutInClear runs a fetch in a child process whose
// HTTP_PROXY and HTTPS_PROXY point at a recording proxy on loopback: a plain
// http Graph URL off loopback is refused before anything is sent (today's
// main sent the token to the proxy in clear), and one on loopback goes
// straight to the server, not through the proxy (ProxyFromEnvironment skips
// loopback).
func TestTokenNeverGoesOutInClear(t *testing.T) {
	if os.Getenv("EXTRACT_PROXY_CHILD") != "" {
		proxyChild(t)
		return
	}
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer proxy.Close()
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, csvBody) }, nil)

	cmd := exec.Command(os.Args[0], "-test.run=^TestTokenNeverGoesOutInClear$", "-test.count=1")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "EXTRACT_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "HTTPS_PROXY="+proxy.URL, "GRAPH_LOOPBACK="+h.srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 0 {
		t.Errorf("the proxy saw %q", seen)
	}
	if api, _ := h.calls(); api != 1 {
		t.Errorf("the loopback Graph saw %d requests, want 1", api)
	}
}

func proxyChild(t *testing.T) {
	c := &Client{GraphURL: "http://graph.example.com", APIVersion: "v1.0", Tokens: StaticToken("tok3n"), Clock: fakeclock.New(t0), MaxAttempts: 1}
	_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http off loopback: error = %v", err)
	}
	c.GraphURL = os.Getenv("GRAPH_LOOPBACK")
	if _, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"}); err != nil {
		t.Errorf("loopback: %v", err)
	}
}

// TestTokenIsScrubbedFromErrorText: a server that echoes the token, or any
// bearer credential, does not get it into the error, the attempts or the
// log.
func TestTokenIsScrubbedFromErrorText(t *testing.T) {
	t.Parallel()
	const tok, other = "tok3n-SECRET-value", "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2ln"
	t.Run("Graph's message", func(t *testing.T) {
		t.Parallel()
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"code":"InvalidAuthenticationToken","message":"%s is not valid; header was %s; also Bearer %s"}}`,
				tok, r.Header.Get("Authorization"), other)
		}, nil)
		_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "InvalidAuthenticationToken") || !strings.Contains(err.Error(), "is not valid") {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, everything(h, nil, err), tok, other)
	})
	t.Run("token URL-encoded", func(t *testing.T) {
		t.Parallel()
		// An opaque token with characters that URL encoding changes.
		const opaque = "Tk-ABC+def/ghi=XYZ123"
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"code":"InvalidAuthenticationToken","message":"bad token %s / %s"}}`, url.QueryEscape(opaque), url.PathEscape(opaque))
		}, nil)
		c := h.client()
		c.Tokens = StaticToken(opaque)
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "bad token") {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, everything(h, nil, err), url.QueryEscape(opaque), url.PathEscape(opaque))
	})
	t.Run("plain body", func(t *testing.T) {
		t.Parallel()
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "bad request from %s", r.Header.Get("Authorization"))
		}, nil)
		_, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "bad request from") {
			t.Fatalf("error = %v", err)
		}
		noSecret(t, everything(h, nil, err), tok)
	})
	t.Run("attempt error", func(t *testing.T) {
		t.Parallel()
		// A malformed response that net/http quotes in its error.
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n", tok)
		}, nil)
		c := h.client()
		c.MaxAttempts = 2
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil {
			t.Fatal("fetch succeeded")
		}
		var fe *Error
		if errors.As(err, &fe); len(fe.Attempts) != 2 || fe.Attempts[0].Error == "" {
			t.Fatalf("attempts = %+v", fe.Attempts)
		}
		noSecret(t, everything(h, nil, err), tok)
	})
}

// TestLongRetryAfterFailsAtOnce: a Retry-After beyond what is left under
// --max-retry-wait fails without sleeping, whatever its size.
func TestLongRetryAfterFailsAtOnce(t *testing.T) {
	t.Parallel()
	for _, ra := range []string{"18446744074", "99999999999999999999", "300"} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(http.StatusTooManyRequests)
			}, nil)
			c := h.client()
			c.MaxWait = 2 * time.Minute
			_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			if err == nil || !strings.Contains(err.Error(), "Retry-After") || !strings.Contains(err.Error(), "--max-retry-wait") {
				t.Fatalf("error = %v", err)
			}
			if s := h.clock.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
			if api, _ := h.calls(); api != 1 {
				t.Errorf("%d requests, want 1", api)
			}
		})
	}
	if d := retryAfter("18446744074", t0); d < 1000000*time.Hour {
		t.Errorf("retryAfter(18446744074) = %v", d)
	}
}

// stall serves the first bytes of a body promised longer, then holds the
// connection until release is closed.
func stall(release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(csvBody)))
		w.Write([]byte(csvBody[:10]))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

// fetchWithin runs Fetch and fails the test when it has not returned within
// limit (it would otherwise hang on a body that never ends).
func fetchWithin(t *testing.T, c *Client, req Request, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), req)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("Fetch still running after %v", limit)
		return nil
	}
}

// TestSlowBodyTimesOut: a body that never finishes fails its request after
// --request-timeout, and a request started late gets no more than what is
// left of --max-retry-wait plus one request timeout.
func TestSlowBodyTimesOut(t *testing.T) {
	t.Parallel()
	t.Run("request timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		defer close(release) // before the server's Close, which waits for the handler
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.srv.URL+"/dl", http.StatusFound)
		}, stall(release))
		c := h.client()
		c.MaxAttempts, c.RequestTimeout = 1, 100*time.Millisecond
		err := fetchWithin(t, c, Request{Report: spec(t), Period: "D7"}, 20*time.Second)
		if err == nil || !strings.Contains(err.Error(), "--request-timeout") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("graph body", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		defer close(release)
		h := newHostile(t, stall(release), nil)
		c := h.client()
		c.MaxAttempts, c.RequestTimeout = 1, 100*time.Millisecond
		err := fetchWithin(t, c, Request{Report: spec(t), Period: "D7"}, 20*time.Second)
		if err == nil || !strings.Contains(err.Error(), "--request-timeout") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("tied to the retry deadline", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		defer close(release)
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			h.clock.Add(2 * time.Minute) // Graph took long: the retry time is spent
			http.Redirect(w, r, h.srv.URL+"/dl", http.StatusFound)
		}, stall(release))
		c := h.client()
		// The download starts a minute past the retry deadline: of its
		// request timeout, 100ms are left.
		c.MaxWait, c.RequestTimeout = time.Minute, time.Minute+100*time.Millisecond
		err := fetchWithin(t, c, Request{Report: spec(t), Period: "D7"}, 20*time.Second)
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("error = %v", err)
		}
	})
}

// TestUnsolicited304IsAFailure: a 304 when no If-None-Match was sent is not
// "not modified".
func TestUnsolicited304IsAFailure(t *testing.T) {
	t.Parallel()
	notModified := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }
	t.Run("graph", func(t *testing.T) {
		t.Parallel()
		h := newHostile(t, notModified, nil)
		p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "304 Not Modified without If-None-Match") {
			t.Fatalf("payload %+v, error %v", p, err)
		}
	})
	t.Run("download", func(t *testing.T) {
		t.Parallel()
		var h *hostile
		h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, h.srv.URL+"/dl", http.StatusFound)
		}, notModified)
		p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "304 Not Modified without If-None-Match") {
			t.Fatalf("payload %+v, error %v", p, err)
		}
	})
}

// TestCloseDelimitedBodyCutMidLine: a download without Content-Length ends
// where its connection does, so a body cut inside its last value (306 sent
// as 30) looks whole and its rows would pass every later check. A CSV ends
// in a line break: one that ends mid-line fails (after the retries), and
// the same body with its final line break loads.
func TestCloseDelimitedBodyCutMidLine(t *testing.T) {
	t.Parallel()
	const whole = "Report Refresh Date,Report Date,Report Period,IM\r\n2026-11-22,2026-11-22,7,306\r\n"
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"+body)
			buf.Flush()
		}
	}
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"cut mid-line", whole[:len(whole)-3], false},
		{"whole", whole, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var h *hostile
			h = newHostile(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, h.srv.URL+"/dl", http.StatusFound)
			}, serve(tc.body))
			p, err := h.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			switch {
			case tc.ok && (err != nil || string(p.Body) != tc.body):
				t.Fatalf("payload %v, error %v; want the whole body", p, err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), "ends mid-line")):
				t.Fatalf("payload %v, error %v; want a failure saying it ends mid-line", p, err)
			}
		})
	}
}
