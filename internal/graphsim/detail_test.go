package graphsim

import (
	"bytes"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

const (
	teamsUsers    = "getTeamsUserActivityUserDetail"
	activations   = "getOffice365ActivationsUserDetail"
	teamsTeams    = "getTeamsTeamActivityDetail"
	dateLayout    = time.DateOnly
	testUsers     = 30
	upnHeader     = "User Principal Name"
	refreshHeader = "Report Refresh Date"
	periodHeader  = "Report Period"
)

// detailSpec finds a detail report by its Graph function.
func detailSpec(t testing.TB, function string) *report.Spec {
	t.Helper()
	for _, spec := range report.DetailReports {
		if spec.Function == function {
			return spec
		}
	}
	t.Fatalf("no detail report %s", function)
	return nil
}

// detailFile is a served file: its header line and its records, parsed.
type detailFile struct {
	resp   *http.Response
	body   []byte
	header []string
	rows   [][]string
}

// col is the index of header h, or -1.
func (f detailFile) col(h string) int { return slices.Index(f.header, h) }

// fetchDetail GETs path on the API with the token, following the redirect
// to the download, and parses the CSV.
func fetchDetail(t *testing.T, b bundle, path string) detailFile {
	t.Helper()
	resp, body := get(t, http.DefaultClient, b.srv.URL()+path, "sim-token")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Fatalf("GET %s: no byte-order mark: %.40q", path, body)
	}
	if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
		t.Fatalf("GET %s: lines do not all end in CRLF", path)
	}
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("GET %s: CSV %v (%d records)", path, err, len(recs))
	}
	return detailFile{resp: resp, body: body, header: recs[0], rows: recs[1:]}
}

// payloadHeaders are the headers a detail file has: the spec's documented
// columns but the derived ones.
func payloadHeaders(spec *report.Spec) []string {
	var out []string
	for _, c := range spec.HeaderColumns() {
		if !c.Derived {
			out = append(out, c.Header)
		}
	}
	return out
}

// entityKeys checks that every row has an entity (the first of
// Detail.Entity neither empty nor the nil GUID) and that entity and
// dimension values are unique in the file; it returns the entities.
func entityKeys(t *testing.T, spec *report.Spec, f detailFile) []string {
	t.Helper()
	var dims []int
	for _, d := range spec.Dims {
		if !d.Derived {
			dims = append(dims, f.col(d.Header))
		}
	}
	seen := map[string]bool{}
	var out []string
	for i, r := range f.rows {
		key := ""
		for _, h := range spec.Detail.Entity {
			if v := r[f.col(h)]; v != "" && v != report.NilGUID {
				key = v
				break
			}
		}
		if key == "" {
			t.Fatalf("%s row %d has no entity: %q", spec.Name, i+1, r)
		}
		full := key
		for _, d := range dims {
			full += "|" + r[d]
		}
		if seen[full] {
			t.Fatalf("%s: entity %s twice", spec.Name, full)
		}
		seen[full] = true
		out = append(out, key)
	}
	return out
}

func wantRows(spec *report.Spec, users int) int {
	return (&DetailFile{Spec: spec, Users: users}).Rows()
}

// TestDetailByDate: for every detail report that takes a date, date= in
// each spelling answers the redirect to a CSV with a row per entity of the
// tenant, the day asked for as Report Refresh Date and 1 as Report Period.
func TestDetailByDate(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: testUsers})
	day := testRefresh.AddDate(0, 0, -5).Format(dateLayout)
	n := 0
	for _, spec := range report.DetailReports {
		if !spec.Detail.ByDate {
			continue
		}
		n++
		t.Run(spec.Name, func(t *testing.T) {
			f := fetchDetail(t, b, spec.DatePath("v1.0", day))
			if !slices.Equal(f.header, payloadHeaders(spec)) {
				t.Errorf("header %q\nwant   %q", f.header, payloadHeaders(spec))
			}
			if len(f.rows) != wantRows(spec, testUsers) || len(f.rows) == 0 {
				t.Fatalf("%d rows, want %d", len(f.rows), wantRows(spec, testUsers))
			}
			if spec.Detail.Entity[len(spec.Detail.Entity)-1] == upnHeader && len(f.rows) != testUsers {
				t.Errorf("%d rows, want one per user (%d)", len(f.rows), testUsers)
			}
			for _, r := range f.rows {
				if r[f.col(refreshHeader)] != day {
					t.Fatalf("Report Refresh Date %q, want the date asked for, %s", r[f.col(refreshHeader)], day)
				}
				if i := f.col(periodHeader); i >= 0 && r[i] != "1" {
					t.Fatalf("Report Period %q, want 1", r[i])
				}
			}
			entityKeys(t, spec, f)

			// Quoted, namespace-qualified, any case, on beta: the same file.
			for _, path := range []string{
				"/beta/reports/" + spec.Function + "(date='" + day + "')",
				strings.Replace(spec.DatePath("v1.0", day), spec.Function, "microsoft.graph."+strings.ToLower(spec.Function), 1),
				strings.Replace(spec.DatePath("v1.0", day), "(date=", "( date = ", 1),
			} {
				if g := fetchDetail(t, b, path); !bytes.Equal(g.body, f.body) {
					t.Errorf("%s: another body than %s", path, spec.DatePath("v1.0", day))
				}
			}
		})
	}
	if n < 10 {
		t.Errorf("only %d detail reports take a date", n)
	}
}

// TestDetailRoster: every user is in every day's file, so a client can
// count each user's days; some users are active on a day and some not.
func TestDetailRoster(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: testUsers})
	spec := detailSpec(t, teamsUsers)
	days := map[string]int{}
	active, idle := 0, 0
	for k := range report.DateWindow {
		day := testRefresh.AddDate(0, 0, -k).Format(dateLayout)
		f := fetchDetail(t, b, spec.DatePath("v1.0", day))
		for _, r := range f.rows {
			days[r[f.col(upnHeader)]]++
			if r[f.col("Last Activity Date")] == day {
				active++
			} else {
				idle++
			}
		}
	}
	if len(days) != testUsers {
		t.Errorf("%d users over the window, want %d", len(days), testUsers)
	}
	for upn, n := range days {
		if n != report.DateWindow {
			t.Errorf("%s is in %d daily files, want %d", upn, n, report.DateWindow)
		}
	}
	if active == 0 || idle == 0 {
		t.Errorf("%d user-days active, %d idle: want some of each", active, idle)
	}
}

// TestDetailDateWindow: date= answers only the 28 days ending at the
// refresh date, and only for a report that takes a date; otherwise 400 with
// Graph's error body.
func TestDetailDateWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: 3})
	spec := detailSpec(t, teamsUsers)
	var noDate *report.Spec
	for _, s := range report.DetailReports {
		if !s.Detail.ByDate && !s.NoPeriod {
			noDate = s
		}
	}
	if noDate == nil {
		t.Fatal("no detail report without date=")
	}
	oldest := testRefresh.AddDate(0, 0, 1-report.DateWindow).Format(dateLayout)
	tooOld := testRefresh.AddDate(0, 0, -report.DateWindow).Format(dateLayout)
	tooNew := testRefresh.AddDate(0, 0, 1).Format(dateLayout)
	for _, tc := range []struct {
		name, path string
		status     int
		code, msg  string
	}{
		{"oldest day", spec.DatePath("v1.0", oldest), 302, "", ""},
		{"newest day", spec.DatePath("beta", testRefresh.Format(dateLayout)), 302, "", ""},
		{"before the window", spec.DatePath("v1.0", tooOld), 400, "InvalidArgument",
			"Invalid date value specified: " + tooOld + ". Only support data for the past 28 days."},
		{"quoted, before the window", "/v1.0/reports/" + spec.Function + "(date='" + tooOld + "')", 400, "InvalidArgument",
			"Invalid date value specified: " + tooOld + ". Only support data for the past 28 days."},
		{"after the refresh date", spec.DatePath("v1.0", tooNew), 400, "InvalidArgument", ""},
		{"not a date", spec.DatePath("v1.0", "2024-13-01"), 400, "InvalidArgument", ""},
		{"empty date", spec.DatePath("v1.0", "''"), 400, "InvalidArgument", ""},
		{"report without date=", noDate.DatePath("v1.0", oldest), 400, "BadRequest", ""},
		{"period report", "/v1.0/reports/" + userCounts + "(date=" + oldest + ")", 400, "BadRequest", ""},
		{"activations", "/v1.0/reports/" + activations + "(date=" + oldest + ")", 400, "BadRequest", ""},
		{"no argument", "/v1.0/reports/" + spec.Function + "()", 400, "BadRequest", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, noRedirect, b.srv.URL()+tc.path, "sim-token")
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: status %s, want %d: %s", tc.path, resp.Status, tc.status, body)
			}
			if tc.status != 400 {
				return
			}
			code, msg := graphErr(t, resp, body)
			if code != tc.code || msg == "" || tc.msg != "" && msg != tc.msg {
				t.Errorf("error %s %q, want %s %q", code, msg, tc.code, tc.msg)
			}
		})
	}
	resp, body := get(t, noRedirect, b.srv.URL()+"/v1.0/reports/"+spec.Function+"()", "sim-token")
	if _, msg := graphErr(t, resp, body); !strings.Contains(msg, "date=") {
		t.Errorf("without an argument: %q does not mention date=", msg)
	}
}

// TestDetailByPeriod: period= answers a row per entity, the refresh date as
// Report Refresh Date and the period's days as Report Period; the
// activations take neither and are called as {function}().
func TestDetailByPeriod(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: testUsers})
	for _, spec := range report.DetailReports {
		t.Run(spec.Name, func(t *testing.T) {
			for _, period := range []string{"D7", "D180"} {
				f := fetchDetail(t, b, spec.Path("v1.0", period))
				if len(f.rows) != wantRows(spec, testUsers) {
					t.Fatalf("%s: %d rows, want %d", period, len(f.rows), wantRows(spec, testUsers))
				}
				for _, r := range f.rows {
					if r[f.col(refreshHeader)] != testRefresh.Format(dateLayout) {
						t.Fatalf("%s: Report Refresh Date %q, want %s", period, r[f.col(refreshHeader)], testRefresh.Format(dateLayout))
					}
					if i := f.col(periodHeader); i >= 0 && r[i] != period[1:] {
						t.Fatalf("%s: Report Period %q", period, r[i])
					}
				}
				entityKeys(t, spec, f)
				if spec.NoPeriod {
					break
				}
			}
		})
	}
	spec := detailSpec(t, activations)
	if f := fetchDetail(t, b, "/v1.0/reports/"+activations+"()"); len(f.rows) != testUsers*4 {
		t.Errorf("%s(): %d rows, want a row per user and product type", activations, len(f.rows))
	} else if got := entityKeys(t, spec, f); got[0] != got[1] {
		t.Errorf("the first user's products are not together: %q", got[:4])
	}
}

// TestDetailPeriodIsTheDays: a period= file agrees with the date= files of
// its days: counts and seconds are their sums, a Used flag is true when one
// of them has it, the last activity date is the newest of theirs.
func TestDetailPeriodIsTheDays(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: testUsers})
	spec := detailSpec(t, teamsUsers)
	d7 := fetchDetail(t, b, spec.Path("v1.0", "D7"))
	sums := map[string]map[string]int64{} // UPN -> header -> sum
	other := map[string]bool{}
	last := map[string]string{}
	summed := []string{"Team Chat Message Count", "Call Count", "Audio Duration In Seconds", "Post Messages"}
	for k := range 7 {
		f := fetchDetail(t, b, spec.DatePath("v1.0", testRefresh.AddDate(0, 0, -k).Format(dateLayout)))
		for _, r := range f.rows {
			upn := r[f.col(upnHeader)]
			if sums[upn] == nil {
				sums[upn] = map[string]int64{}
			}
			for _, h := range summed {
				n, err := strconv.ParseInt(r[f.col(h)], 10, 64)
				if err != nil {
					t.Fatalf("%s %s = %q", upn, h, r[f.col(h)])
				}
				sums[upn][h] += n
			}
			other[upn] = other[upn] || r[f.col("Has Other Action")] == "Yes"
			last[upn] = max(last[upn], r[f.col("Last Activity Date")])
		}
	}
	nonzero := 0
	for _, r := range d7.rows {
		upn := r[d7.col(upnHeader)]
		for _, h := range summed {
			if got := r[d7.col(h)]; got != strconv.FormatInt(sums[upn][h], 10) {
				t.Errorf("%s D7 %s = %s, the days sum to %d", upn, h, got, sums[upn][h])
			}
			if sums[upn][h] > 0 {
				nonzero++
			}
		}
		if got := r[d7.col("Has Other Action")] == "Yes"; got != other[upn] {
			t.Errorf("%s D7 Has Other Action %v, the days say %v", upn, got, other[upn])
		}
		if got := r[d7.col("Last Activity Date")]; last[upn] != "" && got != last[upn] {
			t.Errorf("%s D7 Last Activity Date %s, the days' newest is %s", upn, got, last[upn])
		}
		if s := sums[upn]["Audio Duration In Seconds"]; r[d7.col("Audio Duration")] != string(appendISODuration(nil, s)) {
			t.Errorf("%s Audio Duration %s for %d seconds", upn, r[d7.col("Audio Duration")], s)
		}
	}
	if nonzero == 0 {
		t.Error("every count is 0")
	}
}

// hexName is what a concealed name looks like.
var hexName = regexp.MustCompile(`^[0-9A-F]{32}$`)

// TestDetailConcealed: with names concealed, every name column holds the
// upper-case hex MD5 of the real name and every id the nil GUID; without,
// real names and real GUIDs.
func TestDetailConcealed(t *testing.T) {
	t.Parallel()
	plain := setup(t, Options{Users: testUsers})
	hidden := setup(t, Options{Users: testUsers, Concealed: true})
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, spec := range report.DetailReports {
		t.Run(spec.Name, func(t *testing.T) {
			path := spec.Path("v1.0", "D30")
			p, h := fetchDetail(t, plain, path), fetchDetail(t, hidden, path)
			if len(p.rows) != len(h.rows) || !slices.Equal(p.header, h.header) {
				t.Fatalf("concealed file has %d rows, plain %d", len(h.rows), len(p.rows))
			}
			names, ids := 0, 0
			for i := range p.rows {
				for j, hd := range p.header {
					pv, hv := p.rows[i][j], h.rows[i][j]
					switch {
					case slices.Contains(spec.Detail.Names, hd):
						if pv == "" {
							if hv != "" {
								t.Errorf("row %d %s: empty name concealed as %q", i+1, hd, hv)
							}
							continue
						}
						names++
						sum := md5.Sum([]byte(pv))
						if !hexName.MatchString(hv) || !report.LooksConcealed(hv) || hv != strings.ToUpper(hex.EncodeToString(sum[:])) {
							t.Errorf("row %d %s: %q concealed as %q, want its MD5 in upper-case hex", i+1, hd, pv, hv)
						}
						if report.LooksConcealed(pv) {
							t.Errorf("row %d %s: plain name %q looks concealed", i+1, hd, pv)
						}
					case slices.Contains([]string{"User Id", "Group Id", "Site Id", "Team Id"}, hd):
						ids++
						if hv != report.NilGUID {
							t.Errorf("row %d %s: %q concealed, want the nil GUID", i+1, hd, hv)
						}
						if !guid.MatchString(pv) || pv == report.NilGUID {
							t.Errorf("row %d %s: %q is not a real GUID", i+1, hd, pv)
						}
					case hv != pv:
						t.Errorf("row %d %s: %q concealed as %q; only names and ids change", i+1, hd, pv, hv)
					}
				}
			}
			if names == 0 {
				t.Errorf("no names in %d rows", len(p.rows))
			}
			hasID := slices.ContainsFunc(spec.Detail.Entity, func(h string) bool { return strings.HasSuffix(h, " Id") })
			if hasID && ids == 0 {
				t.Error("no ids")
			}
			entityKeys(t, spec, h) // the names keep entities apart
		})
	}
}

// patch sends PATCH /{version}/admin/reportSettings with body.
func patch(t *testing.T, b bundle, version, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, b.srv.URL()+"/"+version+"/admin/reportSettings", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// settings GETs /{version}/admin/reportSettings and returns
// displayConcealedNames.
func settings(t *testing.T, b bundle, version string) bool {
	t.Helper()
	resp, body := get(t, noRedirect, b.srv.URL()+"/"+version+"/admin/reportSettings", "sim-token")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET reportSettings: %s %s", resp.Status, body)
	}
	var v struct {
		Context   string `json:"@odata.context"`
		Concealed *bool  `json:"displayConcealedNames"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Concealed == nil {
		t.Fatalf("GET reportSettings: %s (%v)", body, err)
	}
	if want := "https://graph.microsoft.com/" + version + "/$metadata#admin/reportSettings/$entity"; v.Context != want {
		t.Errorf("@odata.context %q, want %q", v.Context, want)
	}
	return *v.Concealed
}

// TestReportSettings: GET says whether names are concealed, PATCH changes
// it for the next report calls; both need the token; Options.Concealed sets
// the start and Options.NoReportSettings refuses both with 403.
func TestReportSettings(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: 5})
	spec := detailSpec(t, teamsUsers)
	upn := func() string {
		f := fetchDetail(t, b, spec.Path("v1.0", "D7"))
		return f.rows[0][f.col(upnHeader)]
	}
	if settings(t, b, "v1.0") || report.LooksConcealed(upn()) {
		t.Fatal("names concealed by default")
	}
	for _, tc := range []struct {
		version   string
		concealed bool
	}{{"v1.0", true}, {"beta", false}, {"beta", true}} {
		resp, body := patch(t, b, tc.version, "sim-token", fmt.Sprintf(`{"displayConcealedNames": %t}`, tc.concealed))
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("PATCH %t: %s %q, want 204", tc.concealed, resp.Status, body)
		}
		if got := settings(t, b, "v1.0"); got != tc.concealed {
			t.Errorf("after PATCH %t, GET says %t", tc.concealed, got)
		}
		if got := report.LooksConcealed(upn()); got != tc.concealed {
			t.Errorf("after PATCH %t, the report's UPN concealed: %t", tc.concealed, got)
		}
	}
	if resp, _ := patch(t, b, "v1.0", "sim-token", `{}`); resp.StatusCode != http.StatusNoContent || !settings(t, b, "beta") {
		t.Errorf("PATCH {}: %s, and it changed the setting", resp.Status)
	}

	for _, body := range []string{`{"displayConcealedNames": "yes"}`, `{"displayConcealedNames": null}`, `{"concealed": true}`, `[true]`, `nope`} {
		resp, out := patch(t, b, "v1.0", "sim-token", body)
		if code, _ := graphErr(t, resp, out); resp.StatusCode != http.StatusBadRequest || code != "BadRequest" {
			t.Errorf("PATCH %s: %s %s, want 400 BadRequest", body, resp.Status, code)
		}
	}
	if !settings(t, b, "v1.0") {
		t.Error("a refused PATCH changed the setting")
	}

	// The token, as for every API call.
	for _, token := range []string{"", "wrong"} {
		resp, body := get(t, noRedirect, b.srv.URL()+"/v1.0/admin/reportSettings", token)
		if code, _ := graphErr(t, resp, body); resp.StatusCode != http.StatusUnauthorized || code != "InvalidAuthenticationToken" {
			t.Errorf("GET with token %q: %s %s, want 401", token, resp.Status, code)
		}
		resp, body = patch(t, b, "v1.0", token, `{"displayConcealedNames": false}`)
		if code, _ := graphErr(t, resp, body); resp.StatusCode != http.StatusUnauthorized || code != "InvalidAuthenticationToken" {
			t.Errorf("PATCH with token %q: %s %s, want 401", token, resp.Status, code)
		}
	}
	if !settings(t, b, "v1.0") {
		t.Error("an unauthorised PATCH changed the setting")
	}

	if start := setup(t, Options{Concealed: true}); !settings(t, start, "v1.0") {
		t.Error("Options.Concealed: GET says false")
	}
	denied := setup(t, Options{NoReportSettings: true})
	resp, body := get(t, noRedirect, denied.srv.URL()+"/v1.0/admin/reportSettings", "sim-token")
	if code, _ := graphErr(t, resp, body); resp.StatusCode != http.StatusForbidden || code != "Authorization_RequestDenied" {
		t.Errorf("NoReportSettings GET: %s %s, want 403 Authorization_RequestDenied", resp.Status, code)
	}
	resp, body = patch(t, denied, "v1.0", "sim-token", `{"displayConcealedNames": true}`)
	if code, _ := graphErr(t, resp, body); resp.StatusCode != http.StatusForbidden || code != "Authorization_RequestDenied" {
		t.Errorf("NoReportSettings PATCH: %s %s, want 403 Authorization_RequestDenied", resp.Status, code)
	}
	req, _ := http.NewRequest(http.MethodDelete, b.srv.URL()+"/v1.0/admin/reportSettings", nil)
	req.Header.Set("Authorization", "Bearer sim-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %v %v, want 405", resp.Status, err)
	}
}

// TestDetailETag: the same request gives the same ETag and the same body,
// If-None-Match the 304; the ETag changes with what the file depends on.
func TestDetailETag(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: 40})
	spec := detailSpec(t, teamsUsers)
	day := testRefresh.AddDate(0, 0, -2).Format(dateLayout)
	path := spec.DatePath("v1.0", day)
	tag := func(path string) string {
		resp, _ := get(t, noRedirect, b.srv.URL()+path, "sim-token")
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		return resp.Header.Get("ETag")
	}
	first, second := fetchDetail(t, b, path), fetchDetail(t, b, path)
	if !bytes.Equal(first.body, second.body) {
		t.Error("the same request gave two bodies")
	}
	etag := tag(path)
	if etag == "" || etag != tag(path) || first.resp.Header.Get("ETag") != etag {
		t.Errorf("ETags %q, %q, download %q: want one", etag, tag(path), first.resp.Header.Get("ETag"))
	}
	resp, _, err := getWith(t, b.srv.URL()+path, "sim-token", map[string]string{"If-None-Match": etag})
	if err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %v %v, want 304", resp.Status, err)
	}
	loc := func() string {
		resp, _ := get(t, noRedirect, b.srv.URL()+path, "sim-token")
		return resp.Header.Get("Location")
	}()
	resp, _, _ = getWith(t, loc, "", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("download If-None-Match: %s, want 304", resp.Status)
	}

	// Another day, period, format or setting, another tag; a later refresh
	// date keeps a date= file's.
	others := map[string]string{
		"D7":   tag(spec.Path("v1.0", "D7")),
		"D30":  tag(spec.Path("v1.0", "D30")),
		"day":  tag(spec.DatePath("v1.0", testRefresh.Format(dateLayout))),
		"json": tag(spec.DatePath("beta", day) + "?$format=application/json"),
	}
	patch(t, b, "v1.0", "sim-token", `{"displayConcealedNames": true}`)
	others["concealed"] = tag(path)
	patch(t, b, "v1.0", "sim-token", `{"displayConcealedNames": false}`)
	seen := map[string]string{etag: "first"}
	for what, tg := range others {
		if prev, ok := seen[tg]; ok {
			t.Errorf("%s has the ETag of %s", what, prev)
		}
		seen[tg] = what
	}
	b.clock.Add(24 * time.Hour)
	if got := tag(path); got != etag {
		t.Errorf("date= file's ETag changed with the refresh date: %s, was %s", got, etag)
	}
	if got := tag(spec.Path("v1.0", "D7")); got == others["D7"] {
		t.Error("D7 file's ETag did not change with the refresh date")
	}
}

// TestDetailJSON: beta JSON answers the records directly, in pages linked
// by @odata.nextLink, reportPeriod a string; a report whose JSON nests has
// a record per entity with its rows inside.
func TestDetailJSON(t *testing.T) {
	t.Parallel()
	const users = 23
	b := setup(t, Options{Users: users, PageSize: 5})
	pages := func(first string) (recs []map[string]any, n int) {
		next := first
		for next != "" {
			resp, body := get(t, noRedirect, next, "sim-token")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s: %s %s", next, resp.Status, body)
			}
			var page struct {
				Value []map[string]any `json:"value"`
				Next  string           `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("%s: %v\n%s", next, err, body)
			}
			if len(page.Value) > 5 {
				t.Fatalf("a page of %d records, want at most 5", len(page.Value))
			}
			recs, next, n = append(recs, page.Value...), page.Next, n+1
		}
		return recs, n
	}

	spec := detailSpec(t, teamsUsers)
	day := testRefresh.AddDate(0, 0, -1).Format(dateLayout)
	recs, n := pages(b.srv.URL() + spec.DatePath("beta", day) + "?$format=application/json")
	if len(recs) != users || n != 5 {
		t.Fatalf("%d records in %d pages, want %d in 5", len(recs), n, users)
	}
	f := fetchDetail(t, b, spec.DatePath("v1.0", day))
	for i, rec := range recs {
		if rec["reportRefreshDate"] != day || rec["reportPeriod"] != "1" {
			t.Errorf("record %d: reportRefreshDate %v reportPeriod %v", i, rec["reportRefreshDate"], rec["reportPeriod"])
		}
		if rec["userPrincipalName"] != f.rows[i][f.col(upnHeader)] {
			t.Errorf("record %d is %v, CSV row %s", i, rec["userPrincipalName"], f.rows[i][f.col(upnHeader)])
		}
		if _, ok := rec["hasOtherAction"].(bool); !ok {
			t.Errorf("record %d hasOtherAction %v, want a boolean", i, rec["hasOtherAction"])
		}
		if _, ok := rec["teamChatMessageCount"].(float64); !ok {
			t.Errorf("record %d teamChatMessageCount %v, want a number", i, rec["teamChatMessageCount"])
		}
	}
	resp, body := get(t, noRedirect, b.srv.URL()+spec.DatePath("v1.0", day)+"?$format=application/json", "sim-token")
	if code, _ := graphErr(t, resp, body); resp.StatusCode != http.StatusBadRequest || code != "BadRequest" {
		t.Errorf("v1.0 JSON: %s %s, want 400", resp.Status, code)
	}
	resp, _ = get(t, noRedirect, b.srv.URL()+spec.DatePath("beta", day)+"?$format=application/json&$skiptoken=99", "sim-token")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("$skiptoken past the end: %s, want 400", resp.Status)
	}

	// Nested: a record per team with its period's metrics in details, and
	// a record per user with a row per product in userActivationCounts.
	recs, _ = pages(b.srv.URL() + detailSpec(t, teamsTeams).Path("beta", "D7") + "?$format=application/json")
	if len(recs) != 1 {
		t.Fatalf("%d team records, want 1", len(recs))
	}
	details, _ := recs[0]["details"].([]any)
	if inner, _ := details[0].(map[string]any); len(details) != 1 || inner["reportPeriod"] != 7.0 || inner["activeUsers"] == nil || recs[0]["teamName"] == nil {
		t.Errorf("team record %v", recs[0])
	}
	recs, _ = pages(b.srv.URL() + "/beta/reports/" + activations + "()?$format=application/json")
	if counts, _ := recs[0]["userActivationCounts"].([]any); len(recs) != users || len(counts) != 4 {
		t.Errorf("%d activation records (want %d), the first %v", len(recs), users, recs[0])
	}
}

// TestDetailStreams: a big file is sent in chunks as it is made, a small
// one with its Content-Length.
func TestDetailStreams(t *testing.T) {
	t.Parallel()
	const users = 20000
	b := setup(t, Options{Users: users})
	spec := detailSpec(t, teamsUsers)
	f := fetchDetail(t, b, spec.DatePath("v1.0", testRefresh.Format(dateLayout)))
	if len(f.rows) != users || bytes.Count(f.body, []byte("\r\n")) != users+1 {
		t.Errorf("%d rows, %d lines, want %d rows", len(f.rows), bytes.Count(f.body, []byte("\r\n")), users)
	}
	if len(f.body) <= spoolSize || f.resp.ContentLength != -1 || !slices.Equal(f.resp.TransferEncoding, []string{"chunked"}) {
		t.Errorf("%d bytes sent with Content-Length %d, Transfer-Encoding %v: want chunks", len(f.body), f.resp.ContentLength, f.resp.TransferEncoding)
	}
	entityKeys(t, spec, f)

	small := setup(t, Options{Users: 10})
	g := fetchDetail(t, small, spec.DatePath("v1.0", testRefresh.Format(dateLayout)))
	if g.resp.ContentLength != int64(len(g.body)) {
		t.Errorf("small file: Content-Length %d for %d bytes", g.resp.ContentLength, len(g.body))
	}
	// The small file is the big one's start: users are the same people.
	if !bytes.HasPrefix(f.body, g.body) {
		t.Error("the first users differ with the tenant's size")
	}
}

// TestDetailNoAllocPerRow: making a file allocates as much whatever its
// number of rows. Not parallel: AllocsPerRun counts every goroutine's.
func TestDetailNoAllocPerRow(t *testing.T) {
	const users = 20000
	spec := detailSpec(t, teamsUsers)
	allocs := func(users int) float64 {
		return testing.AllocsPerRun(2, func() {
			file := DetailFile{Spec: spec, Users: users, Refresh: testRefresh, Days: 30, Concealed: true}
			if err := file.WriteCSV(io.Discard); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, z := allocs(100), allocs(users); z > a+5 {
		t.Errorf("%v allocations for %d users, %v for 100: want no allocation per row", z, users, a)
	}
}

// TestDetailTruncateFault: truncate spoils a detail download too: a small
// file is cut short of its Content-Length, a big one mid-chunk.
func TestDetailTruncateFault(t *testing.T) {
	t.Parallel()
	for _, users := range []int{10, 20000} {
		b := setup(t, Options{Users: users, Faults: []Fault{{Kind: FaultTruncate, Report: "teams-user-activity-user-detail"}}})
		spec := detailSpec(t, teamsUsers)
		resp, _ := get(t, noRedirect, b.srv.URL()+spec.Path("v1.0", "D7"), "sim-token")
		loc := resp.Header.Get("Location")
		resp, body, err := getWith(t, loc, "", nil)
		if err == nil {
			t.Errorf("%d users: a truncated download read whole (%d bytes)", users, len(body))
		}
		if users == 10 && (resp == nil || resp.ContentLength <= int64(len(body))) {
			t.Errorf("%d users: want a Content-Length beyond the %d bytes sent", users, len(body))
		}
		// The retry of the same link succeeds.
		if resp, body, err := getWith(t, loc, "", nil); err != nil || resp.StatusCode != 200 || bytes.Count(body, []byte("\r\n")) != users+1 {
			t.Errorf("%d users: retry %v", users, err)
		}
	}
}

// TestDetailFaultsAndRetiredSkype: faults name detail reports like the
// others; RetiredSkype empties the Skype detail reports too.
func TestDetailFaultsAndRetiredSkype(t *testing.T) {
	t.Parallel()
	f, err := ParseFault("503@teams-user-activity-user-detail:2")
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, Options{Users: 5, Faults: []Fault{f}, RetiredSkype: true})
	spec := detailSpec(t, teamsUsers)
	for i, want := range []int{503, 503, 302} {
		if resp, _ := get(t, noRedirect, b.srv.URL()+spec.Path("v1.0", "D7"), "sim-token"); resp.StatusCode != want {
			t.Errorf("call %d: %s, want %d", i+1, resp.Status, want)
		}
	}
	skype := detailSpec(t, "getSkypeForBusinessActivityUserDetail")
	if got := fetchDetail(t, b, skype.Path("v1.0", "D7")); len(got.rows) != 0 {
		t.Errorf("retired Skype detail: %d rows, want the header alone", len(got.rows))
	}
}

// TestDetailConcurrent: concurrent downloads and PATCHes do not race (run
// with -race).
func TestDetailConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{Users: 200, PageSize: 50})
	var wg sync.WaitGroup
	var fails atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			spec := report.DetailReports[i%len(report.DetailReports)]
			path := spec.Path("beta", "D30")
			if i%2 == 0 {
				path += "?$format=application/json"
			}
			if resp, _ := get(t, http.DefaultClient, b.srv.URL()+path, "sim-token"); resp.StatusCode != http.StatusOK {
				fails.Add(1)
			}
			patch(t, b, "v1.0", "sim-token", fmt.Sprintf(`{"displayConcealedNames": %t}`, i%3 == 0))
		})
	}
	wg.Wait()
	if fails.Load() > 0 {
		t.Errorf("%d concurrent downloads failed", fails.Load())
	}
}

// BenchmarkDetailCSV1M generates a day of Teams user activity for a
// million users (about 200 MB), as the download host streams it, and
// reports the peak of the heap while it does.
func BenchmarkDetailCSV1M(b *testing.B) {
	spec := detailSpec(b, teamsUsers)
	benchPeak(b, func() int64 {
		var n countingWriter
		f := DetailFile{Spec: spec, Users: 1_000_000, Refresh: testRefresh, Date: testRefresh}
		if err := f.WriteCSV(&n); err != nil {
			b.Fatal(err)
		}
		return int64(n)
	})
}

// BenchmarkDetailServe1M fetches the same file from a running simulator:
// the 302 and the download, read by a client.
func BenchmarkDetailServe1M(b *testing.B) {
	spec := detailSpec(b, teamsUsers)
	srv, err := Start("127.0.0.1:0", "127.0.0.1:0", Options{Users: 1_000_000, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	benchPeak(b, func() int64 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+spec.DatePath("v1.0", testRefresh.Format(dateLayout)), nil)
		req.Header.Set("Authorization", "Bearer sim-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status, err)
		}
		return n
	})
}

// benchPeak runs do b.N times, reporting bytes per second, allocations and
// the most the heap grew above where it started (peak-heap-MB).
func benchPeak(b *testing.B, do func() int64) {
	b.ReportAllocs()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	})
	b.ResetTimer()
	var size int64
	for range b.N {
		size = do()
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.SetBytes(size)
	b.ReportMetric(float64(size)/1e6, "MB/file")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MB")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
