package graphsim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/report"
)

// documented is each family report's example header line and beta JSON
// property names, copied from ../shared/graph/FAMILY.md, not from the spec.
var documented = map[string]struct{ header, json string }{
	"getSkypeForBusinessActivityCounts": {
		"Report Refresh Date,Report Date,Report Period,Peer-to-peer,Organized,Participated",
		"peerToPeer,organized,participated,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessActivityUserCounts": {
		"Report Refresh Date,Report Date,Report Period,Peer-to-peer,Organized,Participated",
		"peerToPeer,organized,participated,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessDeviceUsageDistributionUserCounts": {
		"Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Period",
		"reportRefreshDate,windows,windowsPhone,androidPhone,iPhone,iPad,reportPeriod"},
	"getSkypeForBusinessDeviceUsageUserCounts": {
		"Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Date,Report Period",
		"reportRefreshDate,windows,windowsPhone,androidPhone,iPhone,iPad,reportDate,reportPeriod"},
	"getSkypeForBusinessOrganizerActivityCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft",
		"im,audioVideo,appSharing,web,dialInOut3rdParty,dialInOutMicrosoft,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessOrganizerActivityUserCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft",
		"im,audioVideo,appSharing,web,dialInOut3rdParty,dialInOutMicrosoft,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessOrganizerActivityMinuteCounts": {
		"Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft",
		"audioVideo,dialInMicrosoft,dialOutMicrosoft,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessParticipantActivityCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party",
		"im,audioVideo,appSharing,web,dialInOut3rdParty,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessParticipantActivityUserCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party",
		"im,audioVideo,appSharing,web,dialInOut3rdParty,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessParticipantActivityMinuteCounts": {
		"Report Refresh Date,Report Date,Report Period,Audio/Video",
		"audiovideo,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessPeerToPeerActivityCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio,Video,App Sharing,File Transfer",
		"im,audio,video,appSharing,fileTransfer,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessPeerToPeerActivityUserCounts": {
		"Report Refresh Date,Report Date,Report Period,IM,Audio,Video,App Sharing,File Transfer",
		"im,audio,video,appSharing,fileTransfer,reportRefreshDate,reportDate,reportPeriod"},
	"getSkypeForBusinessPeerToPeerActivityMinuteCounts": {
		"Report Refresh Date,Report Date,Report Period,Audio,Video",
		"audio,video,reportRefreshDate,reportDate,reportPeriod"},
}

// catalogue is each other report's header line, copied from
// ../shared/graph/CATALOGUE.md, not from the spec: the documented line, or
// the observed one (real output) where the two differ and real output is
// newer. Each workload's file (catalogue_*_test.go) adds its reports.
var catalogue = map[string]string{}

// TestServesEveryReportAsDocumented: CSV with the documented header line,
// and for the Skype family beta JSON with the documented property names in
// the documented order.
func TestServesEveryReportAsDocumented(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	if n := len(periodReports()); n != len(documented)+len(catalogue) {
		t.Errorf("%d reports served, %d documented", n, len(documented)+len(catalogue))
	}
	for _, spec := range periodReports() {
		doc, ok := documented[spec.Function]
		if !ok {
			doc.header, ok = catalogue[spec.Function]
		}
		if !ok {
			t.Errorf("%s is not a documented report", spec.Function)
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			resp, body := get(t, http.DefaultClient, b.srv.URL()+spec.Path("v1.0", "D30"), "sim-token")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("CSV status %s", resp.Status)
			}
			lines := strings.Split(string(body), "\r\n")
			if lines[0] != "\uFEFF"+doc.header {
				t.Errorf("header %q\nwant   %q", lines[0], "\uFEFF"+doc.header)
			}
			wantRows := 30 * len(dimCombos(spec))
			if !spec.Dated() {
				wantRows = len(dimCombos(spec))
			}
			if got := len(lines) - 2; got != wantRows { // the last line is empty after the final CRLF
				t.Errorf("%d rows, want %d", got, wantRows)
			}

			if doc.json == "" {
				return // no documented JSON example
			}
			resp, body = get(t, http.DefaultClient, reportURL(b.srv, "beta", spec.Function, "D30")+"?$format=application/json", "sim-token")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("JSON status %s", resp.Status)
			}
			var v struct{ Value []json.RawMessage }
			if err := json.Unmarshal(body, &v); err != nil || len(v.Value) != wantRows {
				t.Fatalf("JSON %d records (%v), want %d", len(v.Value), err, wantRows)
			}
			if got := keys(t, v.Value[0]); got != doc.json {
				t.Errorf("JSON properties %s\nwant            %s", got, doc.json)
			}
		})
	}
}

// keys lists the property names of a JSON object in document order.
func keys(t *testing.T, obj json.RawMessage) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(obj)))
	dec.Token() // {
	var names []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(names, ",")
}

func TestGenerateSnapshot(t *testing.T) {
	t.Parallel()
	spec, err := report.Lookup("skype-device-usage-distribution-user-counts")
	if err != nil {
		t.Fatal(err)
	}
	d7 := Generate(spec, "tenant", testRefresh, 7)
	if len(d7) != 1 || !d7[0].ReportDate.IsZero() || !d7[0].RefreshDate.Equal(testRefresh) || d7[0].Period != 7 {
		t.Fatalf("D7 snapshot = %+v, want one row of the refresh date with no report date", d7)
	}
	if !reflect.DeepEqual(d7, Generate(spec, "tenant", testRefresh.Add(5*3600e9), 7)) {
		t.Error("not deterministic for one refresh date")
	}
	d180 := Generate(spec, "tenant", testRefresh, 180)[0]
	for j, v := range d7[0].Values {
		if v == nil || *v < 10 || *v > 999 {
			t.Errorf("%s = %v, want tens to hundreds", spec.Metrics[j].Name, show(d7[0].Values))
		}
		if *d180.Values[j] <= *v {
			t.Errorf("%s: %d users over D180, not more than %d over D7", spec.Metrics[j].Name, *d180.Values[j], *v)
		}
	}
	if reflect.DeepEqual(d7, Generate(spec, "other", testRefresh, 7)) {
		t.Error("seed does not change the data")
	}
}
