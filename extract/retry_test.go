package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// scripted serves the Graph function at /v1.0/reports/ and /beta/reports/
// and a download at /dl; each handler is told which call (1-based) it is
// answering, and the fake-clock time of every API call is kept.
type scripted struct {
	mu      sync.Mutex
	clock   *fakeclock.Clock
	apiAt   []time.Time
	apiHdr  []http.Header
	dlCalls int
	srv     *httptest.Server
}

func newScripted(t *testing.T, clock *fakeclock.Clock, api func(n int, w http.ResponseWriter, r *http.Request), dl func(n int, w http.ResponseWriter, r *http.Request)) *scripted {
	t.Helper()
	s := &scripted{clock: clock}
	mux := http.NewServeMux()
	apiHandler := func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.apiAt = append(s.apiAt, clock.Now())
		s.apiHdr = append(s.apiHdr, r.Header.Clone())
		n := len(s.apiAt)
		s.mu.Unlock()
		api(n, w, r)
	}
	mux.HandleFunc("/v1.0/reports/", apiHandler)
	mux.HandleFunc("/beta/reports/", apiHandler)
	mux.HandleFunc("/dl", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.dlCalls++
		n := s.dlCalls
		s.mu.Unlock()
		if r.Header.Get("Authorization") != "" {
			t.Errorf("download request carried Authorization")
		}
		dl(n, w, r)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) calls() (api, dl int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.apiAt), s.dlCalls
}

func (s *scripted) client() *Client {
	return &Client{GraphURL: s.srv.URL, APIVersion: "v1.0", Tokens: StaticToken("tok3n"), Clock: s.clock}
}

func redirectTo(s **scripted) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, (*s).srv.URL+"/dl?sig=s3cr3t", http.StatusFound)
	}
}

func serveCSV(_ int, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("ETag", `"v1"`)
	fmt.Fprint(w, csvBody)
}

func statuses(as []Attempt) string {
	var parts []string
	for _, a := range as {
		p := a.Phase + ":" + strconv.Itoa(a.Status)
		if a.Wait > 0 {
			p += "+" + a.Wait.String()
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func TestRetryAfterForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", t0.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.New(t0)
			var s *scripted
			s = newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", tc.header)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				redirectTo(&s)(n, w, r)
			}, serveCSV)
			p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			if err != nil {
				t.Fatal(err)
			}
			if got := clock.Sleeps(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("sleeps = %v, want [%v]", got, tc.want)
			}
			if got, want := statuses(p.Attempts), "graph:429+"+tc.want.String()+" graph:302 download:200"; got != want {
				t.Errorf("attempts = %s, want %s", got, want)
			}
		})
	}
}

func Test503And504BackOffWithJitter(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	var s *scripted
	s = newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusGatewayTimeout)
		default:
			redirectTo(&s)(n, w, r)
		}
	}, serveCSV)
	p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err != nil {
		t.Fatal(err)
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 2 || sleeps[0] <= 0 || sleeps[0] > time.Second || sleeps[1] <= 0 || sleeps[1] > 2*time.Second {
		t.Errorf("sleeps = %v, want full jitter within [1ms,1s] then [1ms,2s]", sleeps)
	}
	if !strings.HasPrefix(statuses(p.Attempts), "graph:503+") {
		t.Errorf("attempts = %s", statuses(p.Attempts))
	}
}

// A backoff is at least a millisecond: fetch_attempts.wait_ms and the
// "retrying" log count whole milliseconds, and a wait under one read as 0,
// "retried at once" (1 in 1,000 first backoffs did; TestFaults/503_backs_off
// failed on it now and then).
func TestBackoffIsAtLeastAMillisecond(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= 8; attempt++ {
		ceil := time.Second << min(attempt-1, 6)
		// 20,000 draws: with waits in (0, 1s], the old range, P(none under
		// 1 ms) = 0.999^20000, about 2e-9.
		for range 20000 {
			if d := backoff(attempt); d < time.Millisecond || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [1ms, %v]", attempt, d, ceil)
			}
		}
	}
}

func TestTruncatedBodyIsRetried(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	var s *scripted
	s = newScripted(t, clock, redirectTo(&s), func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Content-Length", strconv.Itoa(len(csvBody)))
			w.Write([]byte(csvBody[:20]))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		serveCSV(n, w, r)
	})
	p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Body) != csvBody {
		t.Errorf("body = %q", p.Body)
	}
	if got := statuses(p.Attempts); !strings.HasPrefix(got, "graph:302 download:200+") || !strings.HasSuffix(got, " download:200") {
		t.Errorf("attempts = %s, want the download tried twice", got)
	}
	if !strings.Contains(p.Attempts[1].Error, "truncated") || strings.Contains(p.Attempts[1].Error, "s3cr3t") {
		t.Errorf("first download error = %q", p.Attempts[1].Error)
	}
	if api, dl := s.calls(); api != 1 || dl != 2 {
		t.Errorf("calls: api %d, download %d; want 1, 2", api, dl)
	}
}

func TestConnectionResetIsRetried(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	var s *scripted
	s = newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		redirectTo(&s)(n, w, r)
	}, serveCSV)
	p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(p.Attempts); !strings.HasPrefix(got, "graph:0+") {
		t.Errorf("attempts = %s", got)
	}
}

func TestExpiredDownloadURLAsksGraphAgain(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusGone} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.New(t0)
			var s *scripted
			s = newScripted(t, clock, redirectTo(&s), func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					http.Error(w, "link expired", status)
					return
				}
				serveCSV(n, w, r)
			})
			p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := statuses(p.Attempts), fmt.Sprintf("graph:302 download:%d graph:302 download:200", status); got != want {
				t.Errorf("attempts = %s, want %s", got, want)
			}
			if len(clock.Sleeps()) != 0 {
				t.Errorf("waited %v before asking again", clock.Sleeps())
			}
		})
	}
	t.Run("every time", func(t *testing.T) {
		t.Parallel()
		clock := fakeclock.New(t0)
		var s *scripted
		s = newScripted(t, clock, redirectTo(&s), func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "link expired", http.StatusGone)
		})
		c := s.client()
		c.MaxAttempts = 3
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "expired or refused, and all 3 tries of the Graph call are spent") || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("error = %v", err)
		}
		if api, _ := s.calls(); api != 3 {
			t.Errorf("Graph asked %d times, want 3", api)
		}
	})
}

// TestUnauthorizedIsNotRetried: a 401 or 403 from Graph fails at once,
// with a hint of its own: a 401 is the token (TokenRejected), a 403 the
// permission and its consent.
func TestUnauthorizedIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status        int
		code          string
		rejected      bool
		want, wantNot []string
	}{
		{http.StatusUnauthorized, "InvalidAuthenticationToken", true,
			[]string{"InvalidAuthenticationToken", "invalid, expired", "--auth token", "client id"}, []string{"admin consent"}},
		{http.StatusForbidden, "Authorization_RequestDenied", false,
			[]string{"Authorization_RequestDenied", "Reports.Read.All", "admin consent"}, []string{"expired"}},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			s := newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error":{"code":%q,"message":"Refused."}}`, tc.code)
			}, serveCSV)
			_, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
			var fe *Error
			if !errors.As(err, &fe) || fe.Status != tc.status || fe.Phase != "graph" || len(fe.Attempts) != 1 {
				t.Fatalf("error = %#v", err)
			}
			if got := TokenRejected(err); got != tc.rejected {
				t.Errorf("TokenRejected = %v, want %v", got, tc.rejected)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			for _, no := range tc.wantNot {
				if strings.Contains(err.Error(), no) {
					t.Errorf("error %q has %q, the other status's hint", err, no)
				}
			}
		})
	}
	t.Run("401 from the download host", func(t *testing.T) {
		t.Parallel()
		var s *scripted
		s = newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, s.srv.URL+"/dl", http.StatusFound)
		}, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		})
		_, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		var fe *Error
		if !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized || fe.Phase != "download" {
			t.Fatalf("error = %#v", err)
		}
		if TokenRejected(err) {
			t.Error("a download host's 401 taken for Graph rejecting the token")
		}
	})
}

func TestRetryLimits(t *testing.T) {
	t.Parallel()
	t.Run("attempts", func(t *testing.T) {
		t.Parallel()
		clock := fakeclock.New(t0)
		s := newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, serveCSV)
		c := s.client()
		c.MaxAttempts = 3
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "giving up after 3 tries (--max-attempts)") || !strings.Contains(err.Error(), "HTTP 429") {
			t.Fatalf("error = %v", err)
		}
		if api, _ := s.calls(); api != 3 {
			t.Errorf("%d requests, want 3", api)
		}
	})
	t.Run("total time", func(t *testing.T) {
		t.Parallel()
		clock := fakeclock.New(t0)
		s := newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "40")
			w.WriteHeader(http.StatusTooManyRequests)
		}, serveCSV)
		c := s.client()
		c.MaxAttempts, c.MaxWait = 100, time.Minute
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "--max-retry-wait") {
			t.Fatalf("error = %v", err)
		}
		if api, _ := s.calls(); api != 2 {
			t.Errorf("%d requests, want 2 (0s, 40s; 80s is past a minute)", api)
		}
		if got := clock.Now().Sub(t0); got > time.Minute {
			t.Errorf("spent %v, more than --max-retry-wait", got)
		}
	})
}

// TestBudgetIsNeverExceeded: with a budget of 3 requests per 10 minutes and
// a Graph that always answers 503, no 10-minute window sees more than 3
// requests, whatever the retries.
func TestBudgetIsNeverExceeded(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	s := newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}, serveCSV)
	lim := NewLimiter(clock, Budget{CSV: 3, Window: 10 * time.Minute})
	for i := range 2 { // two runs back to back, sharing the tenant's limiter
		c := s.client()
		c.Limiter, c.MaxAttempts, c.MaxWait = lim, 5, time.Hour
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
		if err == nil || !strings.Contains(err.Error(), "giving up after 5 tries") {
			t.Fatalf("run %d: error = %v", i, err)
		}
	}
	s.mu.Lock()
	at := append([]time.Time(nil), s.apiAt...)
	s.mu.Unlock()
	if len(at) != 10 {
		t.Fatalf("%d requests, want 10", len(at))
	}
	for i := range at {
		n := 0
		for j := range at {
			if !at[j].After(at[i]) && at[j].After(at[i].Add(-10*time.Minute)) {
				n++
			}
		}
		if n > 3 {
			t.Errorf("%d requests in the 10 minutes up to %s", n, at[i].Format(time.TimeOnly))
		}
	}

	// Requests of an earlier run, from the audit, count too; a budget that
	// cannot free up before the deadline fails without sending.
	fresh := NewLimiter(clock, Budget{CSV: 3, Window: 10 * time.Minute})
	now := clock.Now()
	fresh.Record(report.BudgetKey{Report: spec(t).Name, Format: report.CSV}, now.Add(-5*time.Minute), now.Add(-2*time.Minute), now.Add(-time.Minute))
	c := s.client()
	c.Limiter, c.MaxWait = fresh, time.Minute
	_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err == nil || !strings.Contains(err.Error(), "request budget spent: Graph allows 3 csv requests per 10m0s") {
		t.Fatalf("error = %v", err)
	}
	if api, _ := s.calls(); api != 10 {
		t.Errorf("a request was sent over the budget")
	}
}

// TestThrottleSlowsTheWholeTenant: a 429 on one report holds back the next
// request for another report of the same tenant until Retry-After has
// passed.
func TestThrottleSlowsTheWholeTenant(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	var s *scripted
	s = newScripted(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "MinuteCounts") {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		redirectTo(&s)(n, w, r)
	}, serveCSV)
	lim := NewLimiter(clock, DefaultBudget)
	a, b := s.client(), s.client()
	a.Limiter, b.Limiter = lim, lim
	a.MaxAttempts = 1
	if _, err := a.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"}); err == nil {
		t.Fatal("throttled fetch succeeded")
	}
	other := *spec(t)
	other.Name, other.Function = "other", "getSkypeForBusinessOrganizerActivityUserCounts"
	if _, err := b.Fetch(context.Background(), Request{Report: &other, Period: "D7"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.apiAt) != 2 || s.apiAt[1].Sub(s.apiAt[0]) < 30*time.Second {
		t.Errorf("API calls at %v: the second should wait out Retry-After 30s", s.apiAt)
	}
}

func TestNotModified(t *testing.T) {
	t.Parallel()
	t.Run("graph answers 304", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.Header().Set("ETag", `"v1"`)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			t.Errorf("If-None-Match = %q", r.Header.Get("If-None-Match"))
		}, serveCSV)
		p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7", IfNoneMatch: `"v1"`})
		if err != nil {
			t.Fatal(err)
		}
		if !p.NotModified || p.Status != 304 || p.ETag != `"v1"` || len(p.Body) != 0 {
			t.Errorf("payload = %+v", p)
		}
	})
	t.Run("download host answers 304", func(t *testing.T) {
		t.Parallel()
		var s *scripted
		s = newScripted(t, fakeclock.New(t0), redirectTo(&s), func(n int, w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			serveCSV(n, w, r)
		})
		p, err := s.client().Fetch(context.Background(), Request{Report: spec(t), Period: "D7", IfNoneMatch: `"v1"`})
		if err != nil || !p.NotModified || p.ETag != `"v1"` {
			t.Fatalf("payload %+v, err %v", p, err)
		}
	})
}

func TestPayloadCap(t *testing.T) {
	t.Parallel()
	var s *scripted
	s = newScripted(t, fakeclock.New(t0), redirectTo(&s), serveCSV)
	c := s.client()
	c.MaxPayloadBytes = 10
	_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7"})
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 10") || !strings.Contains(err.Error(), "--max-payload-bytes") {
		t.Fatalf("error = %v", err)
	}
	if _, dl := s.calls(); dl != 1 {
		t.Errorf("an oversized payload was fetched %d times", dl)
	}
}

func TestJSONFollowsNextLink(t *testing.T) {
	t.Parallel()
	row := func(d string) string {
		return `{"audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3,"reportRefreshDate":"2026-11-21","reportDate":"` + d + `","reportPeriod":"7"}`
	}
	var s *scripted
	s = newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$format") != "application/json" || r.Header.Get("Authorization") != "Bearer tok3n" {
			t.Errorf("request %d: %s, Authorization %q", n, r.URL, r.Header.Get("Authorization"))
		}
		switch r.URL.Query().Get("$skiptoken") {
		case "":
			fmt.Fprintf(w, `{"@odata.context":"ctx","value":[%s],"@odata.nextLink":"%s/beta/reports/x?$format=application/json&$skiptoken=2"}`, row("2026-11-21"), s.srv.URL)
		case "2":
			fmt.Fprintf(w, `{"value":[%s,%s],"@odata.nextLink":"%s/beta/reports/x?$format=application/json&$skiptoken=3"}`, row("2026-11-20"), row("2026-11-19"), s.srv.URL)
		default:
			fmt.Fprintf(w, `{"value":[%s]}`, row("2026-11-18"))
		}
	}, serveCSV)
	c := s.client()
	c.APIVersion = "beta"
	p, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pages != 3 || len(p.Attempts) != 3 {
		t.Errorf("pages %d, attempts %d", p.Pages, len(p.Attempts))
	}
	res, err := transform.Parse(spec(t), strings.NewReader(string(p.Body)), transform.Options{Format: report.JSON, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 4 || res.NextLink != "" {
		t.Errorf("rows %d, next %q", len(res.Rows), res.NextLink)
	}
	if p.SHA256 != sha256Hex(p.Body) {
		t.Error("sha256 is not of the joined body")
	}

	t.Run("refuses a nextLink off the Graph host", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"value":[%s],"@odata.nextLink":"https://evil.example.com/page2?sig=x"}`, row("2026-11-21"))
		}, serveCSV)
		c := s.client()
		c.APIVersion = "beta"
		_, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON})
		if err == nil || !strings.Contains(err.Error(), "refusing @odata.nextLink") || strings.Contains(err.Error(), "sig=x") {
			t.Fatalf("error = %v", err)
		}
	})
}
