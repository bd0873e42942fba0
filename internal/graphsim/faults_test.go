package graphsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

func TestParseFault(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Fault{
		"429":        {Kind: Fault429},
		"429-date:2": {Kind: Fault429Date, Times: 2},
		"truncate@skype-organizer-activity-user-counts": {Kind: FaultTruncate, Report: "skype-organizer-activity-user-counts"},
		"503@" + userCounts + ":all":                    {Kind: Fault503, Report: userCounts, Times: -1},
	} {
		got, err := ParseFault(in)
		if err != nil || got != want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, _ := ParseFault(got.String()); again != got {
			t.Errorf("%q does not round-trip: %q", in, got.String())
		}
	}
	for _, bad := range []string{"", "418", "429:0", "429:x", "429@nope"} {
		if _, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) accepted", bad)
		}
	}
}

// getWith issues GET with the token and extra headers, without following
// redirects, and returns the response and its body (or the read error).
func getWith(t *testing.T, rawURL, token string, hdr map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestFaultsByHeader: each API fault, asked for by header, hits that request
// alone.
func TestFaultsByHeader(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{RetryAfter: 3 * time.Second})
	u := reportURL(b.srv, "v1.0", userCounts, "D7")
	for _, tc := range []struct {
		kind   FaultKind
		status int
		code   string
	}{
		{Fault429, 429, "TooManyRequests"},
		{Fault429Date, 429, "TooManyRequests"},
		{Fault503, 503, "serviceNotAvailable"},
		{Fault504, 504, "UnknownError"},
		{Fault401, 401, "InvalidAuthenticationToken"},
		{Fault403, 403, "Authorization_RequestDenied"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			resp, body, err := getWith(t, u, "sim-token", map[string]string{FaultHeader: string(tc.kind)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if code, _ := graphErr(t, resp, body); code != tc.code {
				t.Errorf("code %q, want %q", code, tc.code)
			}
			switch tc.kind {
			case Fault429:
				if ra := resp.Header.Get("Retry-After"); ra != "3" {
					t.Errorf("Retry-After = %q, want 3", ra)
				}
			case Fault429Date:
				ra, err := http.ParseTime(resp.Header.Get("Retry-After"))
				if err != nil || !ra.Equal(testNow.Add(3*time.Second)) {
					t.Errorf("Retry-After = %q, want %s", resp.Header.Get("Retry-After"), testNow.Add(3*time.Second).Format(http.TimeFormat))
				}
			}
			// The next request is served normally.
			if resp, _, _ := getWith(t, u, "sim-token", nil); resp.StatusCode != http.StatusFound {
				t.Errorf("next request: status %d", resp.StatusCode)
			}
		})
	}
	t.Run("reset", func(t *testing.T) {
		if _, _, err := getWith(t, u, "sim-token", map[string]string{FaultHeader: "reset"}); err == nil {
			t.Error("no connection error")
		}
	})
}

// TestFaultsByOptions: configured faults hit only the report they name, as
// many times as asked.
func TestFaultsByOptions(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Faults: []Fault{{Kind: Fault503, Report: userCounts, Times: 2}}})
	minutes := reportURL(b.srv, "v1.0", "getSkypeForBusinessOrganizerActivityMinuteCounts", "D7")
	users := reportURL(b.srv, "v1.0", userCounts, "D7")
	var got []int
	for _, u := range []string{minutes, users, users, users} {
		resp, _, err := getWith(t, u, "sim-token", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.StatusCode)
	}
	if want := []int{302, 503, 503, 302}; !equalInts(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if n := len(b.srv.APIRequests()); n != 4 {
		t.Errorf("APIRequests has %d, want 4", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultTruncateAndExpire(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Faults: []Fault{{Kind: Fault429}, {Kind: FaultTruncate}, {Kind: FaultExpire}}})
	u := reportURL(b.srv, "v1.0", userCounts, "D7")

	// One fault per call, answering faults first: 429, then a truncated
	// link, then an expired one, then a good one.
	if resp, _, _ := getWith(t, u, "sim-token", nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("first call: status %d, want 429", resp.StatusCode)
	}
	resp, _, _ := getWith(t, u, "sim-token", nil)
	loc := resp.Header.Get("Location")
	resp, body, err := getWith(t, loc, "", nil)
	if err == nil {
		t.Fatalf("truncated download read whole: status %d, %d bytes", resp.StatusCode, len(body))
	}
	if cl, _ := strconv.Atoi(resp.Header.Get("Content-Length")); len(body) >= cl {
		t.Errorf("read %d of Content-Length %d", len(body), cl)
	}
	// The same link then serves whole.
	resp, body, err = getWith(t, loc, "", nil)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), "\uFEFFReport Refresh Date") {
		t.Fatalf("retry of the link: %v %v", resp, err)
	}
	resp, _, _ = getWith(t, u, "sim-token", nil)
	if resp, _, _ := getWith(t, resp.Header.Get("Location"), "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired link: status %d, want 404", resp.StatusCode)
	}
	resp, _, _ = getWith(t, u, "sim-token", nil)
	if resp, _, err := getWith(t, resp.Header.Get("Location"), "", nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("faults used up, yet: %v %v", resp, err)
	}
	// Asked for by header: on the report call, or on the download itself.
	resp, _, _ = getWith(t, u, "sim-token", map[string]string{FaultHeader: "truncate"})
	if _, _, err := getWith(t, resp.Header.Get("Location"), "", nil); err == nil {
		t.Error("header fault on the report call did not truncate")
	}
	if _, _, err := getWith(t, loc, "", map[string]string{FaultHeader: "truncate"}); err == nil {
		t.Error("header fault on the download did not truncate")
	}
}

func TestETagAndNotModified(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	u := reportURL(b.srv, "v1.0", userCounts, "D7")
	resp, _, _ := getWith(t, u, "sim-token", nil)
	tag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusFound || tag == "" {
		t.Fatalf("302 without ETag: %d %q", resp.StatusCode, tag)
	}
	dl, _, _ := getWith(t, resp.Header.Get("Location"), "", nil)
	if dl.Header.Get("ETag") != tag {
		t.Errorf("download ETag %q differs from the 302's %q", dl.Header.Get("ETag"), tag)
	}
	resp, body, _ := getWith(t, u, "sim-token", map[string]string{"If-None-Match": tag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != tag {
		t.Errorf("If-None-Match: status %d, %d bytes, ETag %q", resp.StatusCode, len(body), resp.Header.Get("ETag"))
	}
	if resp, _, _ := getWith(t, u, "sim-token", map[string]string{"If-None-Match": `"other"`}); resp.StatusCode != http.StatusFound {
		t.Errorf("stale If-None-Match: status %d", resp.StatusCode)
	}
	// A new refresh date is new data: a new ETag.
	b.clock.Add(24 * time.Hour)
	if resp, _, _ := getWith(t, u, "sim-token", map[string]string{"If-None-Match": tag}); resp.StatusCode != http.StatusFound {
		t.Errorf("next day: status %d, want 302", resp.StatusCode)
	}
	// JSON too.
	ju := reportURL(b.srv, "beta", userCounts, "D7") + "?$format=application/json"
	resp, _, _ = getWith(t, ju, "sim-token", nil)
	resp, _, _ = getWith(t, ju, "sim-token", map[string]string{"If-None-Match": resp.Header.Get("ETag")})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("JSON If-None-Match: status %d", resp.StatusCode)
	}
}

func TestJSONPages(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{PageSize: 3})
	spec, _ := report.Lookup(userCounts)
	next := reportURL(b.srv, "beta", userCounts, "D7") + "?$format=application/json"
	var dates []string
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		resp, body, err := getWith(t, next, "sim-token", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("page %d: %v %v", pages, resp, err)
		}
		var page struct {
			Value []map[string]any `json:"value"`
			Next  string           `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			dates = append(dates, v["reportDate"].(string))
		}
		next = page.Next
	}
	want := Generate(spec, "", testRefresh, 7)
	if len(dates) != len(want) {
		t.Fatalf("%d rows over the pages, want %d", len(dates), len(want))
	}
	for i, w := range want {
		if dates[i] != w.ReportDate.Format(time.DateOnly) {
			t.Errorf("row %d: %s, want %s", i, dates[i], w.ReportDate.Format(time.DateOnly))
		}
	}
}

func TestSameHostDownloads(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{SameHostDownloads: true})
	resp, _, _ := getWith(t, reportURL(b.srv, "v1.0", userCounts, "D7"), "sim-token", nil)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, b.srv.URL()+"/data/download/") || b.srv.DownloadURL() != b.srv.URL() {
		t.Fatalf("Location %q is not on the API host %s", loc, b.srv.URL())
	}
	resp, _, err := getWith(t, loc, "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download without a token: %v %v", resp, err)
	}
	if reqs := b.srv.DownloadRequests(); len(reqs) != 1 {
		t.Errorf("DownloadRequests has %d, want 1", len(reqs))
	}
	if reqs := b.srv.APIRequests(); len(reqs) != 1 {
		t.Errorf("APIRequests has %d, want 1 (downloads are not API requests)", len(reqs))
	}
}
