package graphsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// testNow is a Wednesday; with the default latency the refresh date is
// Monday 2024-05-13.
var (
	testNow     = time.Date(2024, 5, 15, 10, 30, 0, 0, time.UTC)
	testRefresh = time.Date(2024, 5, 13, 0, 0, 0, 0, time.UTC)
)

const userCounts = "getSkypeForBusinessOrganizerActivityUserCounts"

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// periodReports are the reports of report.All that Generate describes:
// all but the per-entity detail reports (see detail_test.go).
func periodReports() []*report.Spec {
	var out []*report.Spec
	for _, spec := range report.All {
		if spec.Detail == nil {
			out = append(out, spec)
		}
	}
	return out
}

type bundle struct {
	srv   *Server
	clock *clock
}

func setup(t *testing.T, opts Options) bundle {
	t.Helper()
	c := &clock{t: testNow}
	opts.Now = c.Now
	srv, err := Start("127.0.0.1:0", "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return bundle{srv: srv, clock: c}
}

// noRedirect stops at the 302, as a careful client does.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get issues GET url with the bearer token (none when token is "").
func get(t *testing.T, client *http.Client, rawURL, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func reportURL(srv *Server, version, function, period string) string {
	return srv.URL() + "/" + version + "/reports/" + function + "(period='" + period + "')"
}

// wantCSV spells out the download format independently of csvBody, in the
// documented column order.
func wantCSV(spec *report.Spec, rows []Row) string {
	var b strings.Builder
	b.WriteString("\uFEFF")
	for i, c := range spec.HeaderColumns() {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(c.Header)
	}
	b.WriteString("\r\n")
	for _, r := range rows {
		for i, c := range spec.HeaderColumns() {
			if i > 0 {
				b.WriteString(",")
			}
			switch c.Name {
			case "report_refresh_date":
				b.WriteString(r.RefreshDate.Format("2006-01-02"))
			case "report_date":
				b.WriteString(r.ReportDate.Format("2006-01-02"))
			case "report_period":
				b.WriteString(strconv.Itoa(r.Period))
			default:
				for k, d := range spec.Dims {
					if d.Name == c.Name {
						b.WriteString(r.Dims[k])
					}
				}
				for j, m := range spec.Metrics {
					if m.Name != c.Name || r.Values[j] == nil {
						continue
					}
					switch n := *r.Values[j]; m.Type {
					case report.Duration: // seconds, as ISO 8601
						fmt.Fprintf(&b, "PT%dH%dM%dS", n/3600, n%3600/60, n%60)
					case report.Bool:
						b.WriteString(map[bool]string{true: "True", false: "False"}[n != 0])
					case report.Date: // a day number
						b.WriteString(time.Unix(n*86400, 0).UTC().Format("2006-01-02"))
					default:
						b.WriteString(strconv.FormatInt(n, 10))
					}
				}
			}
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

// graphErr decodes a Graph error body.
func graphErr(t *testing.T, resp *http.Response, body []byte) (code, message string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Code, e.Error.Message
}

func TestCSVRedirectThenDownload(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	for _, spec := range periodReports() {
		for _, tc := range []struct{ version, function, query string }{
			{"v1.0", spec.Function, ""},
			{"beta", spec.Function, "?$format=text/csv"},
			{"v1.0", "microsoft.graph." + strings.ToLower(spec.Function), ""},
		} {
			t.Run(tc.version+"/"+tc.function+tc.query, func(t *testing.T) {
				// The report's own path (its root, its period or none), with
				// the function spelled as the case has it.
				path := strings.Replace(spec.Path(tc.version, "D7"), "/"+spec.Function+"(", "/"+tc.function+"(", 1)
				resp, _ := get(t, noRedirect, b.srv.URL()+path+tc.query, "sim-token")
				if resp.StatusCode != http.StatusFound {
					t.Fatalf("status = %s, want 302", resp.Status)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
					t.Errorf("Content-Type = %q, want text/plain", ct)
				}
				loc := resp.Header.Get("Location")
				if !strings.HasPrefix(loc, b.srv.DownloadURL()+"/data/download/") {
					t.Fatalf("Location = %q, want it under %s/data/download/", loc, b.srv.DownloadURL())
				}
				u, err := url.Parse(loc)
				if err != nil {
					t.Fatal(err)
				}
				if u.Query().Get("sig") == "" || u.Query().Get("se") == "" {
					t.Errorf("Location query %q lacks sig or se", u.RawQuery)
				}

				resp, body := get(t, http.DefaultClient, loc, "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("download status = %s", resp.Status)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
					t.Errorf("download Content-Type = %q, want application/octet-stream", ct)
				}
				if et := resp.Header.Get("ETag"); len(et) < 3 || et[0] != '"' || et[len(et)-1] != '"' {
					t.Errorf("ETag = %q, want a quoted string", et)
				}
				rows := Generate(spec, "", testRefresh, 7)
				if got, want := string(body), wantCSV(spec, rows); got != want {
					t.Errorf("CSV =\n%q\nwant\n%q", got, want)
				}
				if n := strings.Count(string(body), "\r\n"); n != 1+len(rows) {
					t.Errorf("CSV has %d CRLF lines, want %d", n, 1+len(rows))
				}
			})
		}
	}
}

func TestCSVHeaderIsMicrosofts(t *testing.T) {
	t.Parallel()
	spec, err := report.Lookup(userCounts)
	if err != nil {
		t.Fatal(err)
	}
	const want = "\uFEFFReport Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft\r\n"
	body := string(csvBody(spec, Generate(spec, "", testRefresh, 7)))
	if !strings.HasPrefix(body, want) {
		t.Errorf("CSV starts %q, want %q", body[:min(len(body), len(want))], want)
	}
	if !strings.Contains(body, "\r\n2024-05-13,2024-05-13,7,") || !strings.Contains(body, "\r\n2024-05-13,2024-05-07,7,") {
		t.Errorf("CSV rows do not run from 2024-05-13 back to 2024-05-07 with period 7:\n%s", body)
	}
}

func TestTenantSeedFromJWT(t *testing.T) {
	t.Parallel()
	const tid = "8f1c2b3a-0000-4000-8000-1234567890ab"
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"tid":"`+tid+`","aud":"https://graph.microsoft.com"}`)) + ".c2ln"
	b := setup(t, Options{Token: token})
	spec, _ := report.Lookup(userCounts)

	resp, body := get(t, http.DefaultClient, reportURL(b.srv, "v1.0", userCounts, "D7"), token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %s", resp.Status)
	}
	if got, want := string(body), wantCSV(spec, Generate(spec, tid, testRefresh, 7)); got != want {
		t.Errorf("CSV is not Generate(spec, tid, ...):\n%q\nwant\n%q", got, want)
	}
	if reflect.DeepEqual(Generate(spec, tid, testRefresh, 7), Generate(spec, "", testRefresh, 7)) {
		t.Error("tenant seed does not change the data")
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Token: "right"})
	for _, tc := range []struct{ name, token, message string }{
		{"missing", "", "Access token is empty."},
		{"wrong", "wrong", "Access token validation failed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, noRedirect, reportURL(b.srv, "v1.0", userCounts, "D7"), tc.token)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %s, want 401", resp.Status)
			}
			code, msg := graphErr(t, resp, body)
			if code != "InvalidAuthenticationToken" || msg != tc.message {
				t.Errorf("error = %s %q, want InvalidAuthenticationToken %q", code, msg, tc.message)
			}
		})
	}
}

func TestJSONOnBeta(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	spec, _ := report.Lookup(userCounts)
	resp, body := get(t, noRedirect, reportURL(b.srv, "beta", userCounts, "D30")+"?$format=application/json", "sim-token")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %s, want 200", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got struct {
		Context string           `json:"@odata.context"`
		Value   []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if want := "https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.skypeForBusinessOrganizerActivityUserCounts)"; got.Context != want {
		t.Errorf("@odata.context = %q, want %q", got.Context, want)
	}
	rows := Generate(spec, "", testRefresh, 30)
	if len(got.Value) != len(rows) {
		t.Fatalf("value has %d objects, want %d", len(got.Value), len(rows))
	}
	for i, r := range rows {
		obj := got.Value[i]
		want := map[string]any{
			"reportRefreshDate": "2024-05-13",
			"reportDate":        r.ReportDate.Format("2006-01-02"),
			"reportPeriod":      "30",
		}
		for j, c := range spec.Metrics {
			want[c.JSON] = nil
			if v := r.Values[j]; v != nil {
				want[c.JSON] = float64(*v)
			}
		}
		if !reflect.DeepEqual(obj, want) {
			t.Errorf("value[%d] = %v, want %v", i, obj, want)
		}
	}
	// Metric properties come first, as in Graph's examples.
	if !strings.HasPrefix(string(body[strings.Index(string(body), `"value":[`):]), `"value":[{"im":`) {
		t.Errorf("first property is not im: %.120s", body)
	}
}

func TestJSONOnV1IsBadRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	resp, body := get(t, noRedirect, reportURL(b.srv, "v1.0", userCounts, "D7")+"?$format=application/json", "sim-token")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %s, want 400", resp.Status)
	}
	if code, _ := graphErr(t, resp, body); code != "BadRequest" {
		t.Errorf("code = %q, want BadRequest", code)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"unknown function", "/v1.0/reports/getNoSuchReport(period='D7')", 404, "ResourceNotFound"},
		{"unknown path", "/v1.0/me", 404, "ResourceNotFound"},
		{"unknown version", "/v2.0/reports/" + userCounts + "(period='D7')", 404, "ResourceNotFound"},
		{"period D14", "/v1.0/reports/" + userCounts + "(period='D14')", 400, "BadRequest"},
		{"no period", "/v1.0/reports/" + userCounts + "()", 400, "BadRequest"},
		{"bad format", "/beta/reports/" + userCounts + "(period='D7')?$format=text/xml", 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, noRedirect, b.srv.URL()+tc.path, "sim-token")
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %s, want %d", resp.Status, tc.status)
			}
			if code, msg := graphErr(t, resp, body); code != tc.code || msg == "" {
				t.Errorf("error = %s %q, want code %s and a message", code, msg, tc.code)
			}
		})
	}
}

// tokenEveryHop is the kind of transport the NOTES warn about: it adds the
// bearer token to every request, redirects included.
type tokenEveryHop struct{ token string }

func (tr tokenEveryHop) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tr.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestDownloadHostNeverNeedsAuthorization(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	api := reportURL(b.srv, "v1.0", userCounts, "D7")

	// A careful client: stop at the 302, then a plain GET of Location.
	resp, _ := get(t, noRedirect, api, "sim-token")
	if resp, _ = get(t, http.DefaultClient, resp.Header.Get("Location"), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("plain download status = %s", resp.Status)
	}
	// Go's client following the redirect itself: the download host is
	// another host, so Authorization is dropped on the way.
	if resp, _ = get(t, http.DefaultClient, api, "sim-token"); resp.StatusCode != http.StatusOK {
		t.Fatalf("followed download status = %s", resp.Status)
	}
	seen := b.srv.DownloadRequests()
	if len(seen) != 2 {
		t.Fatalf("download host saw %d requests, want 2", len(seen))
	}
	for i, r := range seen {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, "/data/download/") || strings.Contains(r.Path, "?") {
			t.Errorf("request %d = %s %s", i, r.Method, r.Path)
		}
		if h := r.Header.Get("Authorization"); h != "" {
			t.Errorf("request %d carried Authorization %q", i, h)
		}
		if !r.Time.Equal(testNow) {
			t.Errorf("request %d Time = %v, want the sim clock %v", i, r.Time, testNow)
		}
	}

	// A transport that injects the token on every hop leaks it, and the
	// download host shows it.
	leaky := &http.Client{Transport: tokenEveryHop{"sim-token"}}
	if resp, _ = get(t, leaky, api, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("leaky download status = %s", resp.Status)
	}
	seen = b.srv.DownloadRequests()
	if h := seen[len(seen)-1].Header.Get("Authorization"); h != "Bearer sim-token" {
		t.Errorf("leaked Authorization not recorded: got %q", h)
	}
}

func TestDownloadLinkSignatureAndExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	resp, _ := get(t, noRedirect, reportURL(b.srv, "v1.0", userCounts, "D7"), "sim-token")
	loc := resp.Header.Get("Location")
	u, _ := url.Parse(loc)

	wrong := *u
	wrong.RawQuery = "sig=00&se=" + url.QueryEscape(u.Query().Get("se"))
	if resp, _ := get(t, http.DefaultClient, wrong.String(), ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong sig: status = %s, want 403", resp.Status)
	}
	if resp, _ := get(t, http.DefaultClient, b.srv.DownloadURL()+"/data/download/nosuchid?sig=00", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown id: status = %s, want 404", resp.Status)
	}
	if resp, _ := get(t, http.DefaultClient, loc, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("before expiry: status = %s, want 200", resp.Status)
	}
	b.clock.Add(linkLifetime)
	if resp, _ := get(t, http.DefaultClient, loc, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after expiry: status = %s, want 404", resp.Status)
	}
	if n := len(b.srv.DownloadRequests()); n != 4 {
		t.Errorf("download host recorded %d requests, want 4", n)
	}
}

func TestStartRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, api, dl string
		opts          Options
	}{
		{"negative latency", "", "", Options{Latency: -1}},
		{"not loopback", "0.0.0.0:0", "", Options{}},
	} {
		if srv, err := Start(tc.api, tc.dl, tc.opts); err == nil {
			srv.Close()
			t.Errorf("%s: Start succeeded", tc.name)
		}
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	for _, spec := range periodReports() {
		t.Run(spec.Name, func(t *testing.T) {
			t.Parallel()
			if !spec.Dated() {
				t.Skip("one row per period: see TestGenerateSnapshot")
			}
			// A report with dimensions has the rows of each combination of
			// their values in turn; the checks below take the first.
			combos := len(dimCombos(spec))
			if n := len(Generate(spec, "tenant", testRefresh, 7)); n != 7*combos {
				t.Fatalf("D7 has %d rows, want 7 for each of %d combinations of dimensions", n, combos)
			}
			Generate := func(spec *report.Spec, seed string, refresh time.Time, days int) []Row {
				return Generate(spec, seed, refresh, days)[:days]
			}
			d7 := Generate(spec, "tenant", testRefresh, 7)
			if !reflect.DeepEqual(d7, Generate(spec, "tenant", testRefresh, 7)) {
				t.Fatal("Generate is not deterministic")
			}
			if len(d7) != 7 || !d7[0].ReportDate.Equal(testRefresh) || !d7[6].ReportDate.Equal(testRefresh.AddDate(0, 0, -6)) {
				t.Fatalf("D7 dates run %v..%v (%d rows)", d7[0].ReportDate, d7[len(d7)-1].ReportDate, len(d7))
			}

			// The same report date has the same values whatever the period
			// and the refresh date.
			byDate := func(rows []Row) map[time.Time][]*int64 {
				m := map[time.Time][]*int64{}
				for _, r := range rows {
					m[r.ReportDate] = r.Values
				}
				return m
			}
			d30 := byDate(Generate(spec, "tenant", testRefresh, 30))
			later := byDate(Generate(spec, "tenant", testRefresh.AddDate(0, 0, 3), 180))
			for _, r := range d7 {
				if r.Period != 7 || !r.RefreshDate.Equal(testRefresh) {
					t.Errorf("row %v: period %d refresh %v", r.ReportDate, r.Period, r.RefreshDate)
				}
				if !reflect.DeepEqual(r.Values, d30[r.ReportDate]) || !reflect.DeepEqual(r.Values, later[r.ReportDate]) {
					t.Errorf("%v: D7 %s, D30 %s, D180 later %s", r.ReportDate.Format("2006-01-02"), show(r.Values), show(d30[r.ReportDate]), show(later[r.ReportDate]))
				}
			}
			if reflect.DeepEqual(d7, Generate(spec, "other", testRefresh, 7)) {
				t.Error("seed does not change the data")
			}

			// Plausible numbers over half a year: within the column's levels
			// (users in the tens to hundreds, minutes in the hundreds to
			// thousands, bytes in gigabytes), less on a weekend.
			var weekday, weekend, nWeekday, nWeekend float64
			empty := map[string]int{}
			rows := Generate(spec, "tenant", testRefresh, 180)
			for _, r := range rows {
				for j, v := range r.Values {
					if v == nil {
						empty[spec.Metrics[j].Name]++
						continue
					}
					l, h := levels(spec, spec.Metrics[j])
					lo, hi := int64(l*0.2), int64(h*1.3)
					if n := spec.Metrics[j].Name; n == "active" || strings.HasPrefix(n, "active_") || strings.HasSuffix(n, "_active_users") {
						lo = 0 // a share of its total (activeWithin)
					}
					if *v < lo || *v > hi {
						t.Errorf("%v %s = %d, outside [%d, %d]", r.ReportDate, spec.Metrics[j].Name, *v, lo, hi)
					}
					if spec.Aggregation(spec.Metrics[j]) == report.Level {
						continue // a stock does not rest at the weekend
					}
					if wd := r.ReportDate.Weekday(); wd == time.Saturday || wd == time.Sunday {
						weekend, nWeekend = weekend+float64(*v), nWeekend+1
					} else {
						weekday, nWeekday = weekday+float64(*v), nWeekday+1
					}
				}
			}
			if nWeekend > 0 && weekend/nWeekend >= weekday/nWeekday/2 {
				t.Errorf("weekend mean %.0f is not well below weekday mean %.0f", weekend/nWeekend, weekday/nWeekday)
			}
			for name, n := range empty {
				if name != "dial_in_out_3rd_party" {
					t.Errorf("%s has %d empty cells", name, n)
				}
			}
			hasSparse := false
			for _, c := range spec.Metrics {
				hasSparse = hasSparse || c.Name == "dial_in_out_3rd_party"
			}
			if n := empty["dial_in_out_3rd_party"]; hasSparse && (n < 180/10 || n > 180*3/10) {
				t.Errorf("dial_in_out_3rd_party is empty on %d of 180 dates, want about 1 in 5", n)
			}
		})
	}
}

func show(vs []*int64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = "-"
		if v != nil {
			s[i] = strconv.FormatInt(*v, 10)
		}
	}
	return fmt.Sprint(s)
}

// RequestDelay holds every answer, the API's and the download's.
func TestRequestDelay(t *testing.T) {
	t.Parallel()
	const delay = 150 * time.Millisecond
	b := setup(t, Options{RequestDelay: delay})
	spec := report.All[0]
	start := time.Now()
	resp, _ := get(t, http.DefaultClient, reportURL(b.srv, "v1.0", spec.Function, "D7"), "sim-token")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	// Two answers: the 302 and the download.
	if took := time.Since(start); took < 2*delay {
		t.Errorf("a report took %v, want at least %v (two delayed answers)", took, 2*delay)
	}
}
