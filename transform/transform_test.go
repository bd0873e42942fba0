package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

func mustSpec(t *testing.T, name string) *report.Spec {
	t.Helper()
	s, err := report.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func v(n int64) Value { return Value{N: n, Valid: true} }

var null = Value{}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseCSVHeaders(t *testing.T) {
	t.Parallel()
	const userCounts = "skype-organizer-activity-user-counts"
	tests := []struct {
		name        string
		report      string
		input       string
		want        []Row
		wantUnknown []string
		wantErr     string // substring of the error; the error must be an *Error
	}{
		{
			name:   "canonical with BOM and CRLF",
			report: userCounts,
			input: "\uFEFFReport Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft\r\n" +
				"2026-11-20,2026-11-19,7,1,2,3,4,5,6\r\n",
			want: []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), v(4), v(5), v(6)}}},
		},
		{
			name:   "third Party spelling",
			report: userCounts,
			input: "Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out third Party,Dial-in/out Microsoft\n" +
				"2026-11-20,2026-11-19,7,1,2,3,4,5,6\n",
			want: []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), v(4), v(5), v(6)}}},
		},
		{
			name:   "case and whitespace",
			report: userCounts,
			input: " report refresh date ,REPORT DATE,report   period,im, audio / video ,APP SHARING,web,DIAL-IN/OUT 3RD PARTY,dial in out microsoft\n" +
				"2026-11-20,2026-11-19, 7 , 1 ,2,3,4,5,6\n",
			want: []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), v(4), v(5), v(6)}}},
		},
		{
			name:   "reordered columns",
			report: userCounts,
			input: "Dial-in/out Microsoft,Web,Report Period,IM,Report Date,Audio/Video,Report Refresh Date,Dial-in/out 3rd Party,App Sharing\n" +
				"6,4,7,1,2026-11-19,2,2026-11-20,5,3\n",
			want: []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), v(4), v(5), v(6)}}},
		},
		{
			name:   "empty cells are NULL, not 0",
			report: userCounts,
			input: "Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft\n" +
				"2026-11-20,2026-11-19,7,0,,3,,,6\n",
			want: []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(0), null, v(3), null, null, v(6)}}},
		},
		{
			name:   "unknown column is a warning and the load goes on",
			report: "skype-organizer-activity-minute-counts",
			input: "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft,Hologram\n" +
				"2026-11-20,2026-11-19,7,100,20,30,9\n",
			want:        []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(100), v(20), v(30)}}},
			wantUnknown: []string{"Hologram"},
		},
		{
			name:    "missing required column names it",
			report:  "skype-organizer-activity-minute-counts",
			input:   "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft\n2026-11-20,2026-11-19,7,1,2\n",
			wantErr: `line 1, column "Dial-out Microsoft": missing required column`,
		},
		{
			name:    "unparsable number names line, column and value",
			report:  "skype-organizer-activity-minute-counts",
			input:   "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,2026-11-19,7,1,2,3\n2026-11-20,2026-11-18,7,1,lots,3\n",
			wantErr: `line 3, column 5 "Dial-in Microsoft": not a whole number of 0 or more (value "lots")`,
		},
		{
			name:    "bad date",
			report:  "skype-organizer-activity-minute-counts",
			input:   "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,11/19/2026,7,1,2,3\n",
			wantErr: `line 2, column 2 "Report Date": not a date`,
		},
		{
			name:    "column given twice",
			report:  "skype-organizer-activity-user-counts",
			input:   "Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out third Party,Dial-in/out Microsoft\n",
			wantErr: `column given twice`,
		},
		{
			name:    "duplicate report date",
			report:  "skype-organizer-activity-minute-counts",
			input:   "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,2026-11-19,7,1,2,3\n2026-11-20,2026-11-19,7,1,2,3\n",
			wantErr: `line 3, column "Report Date": duplicate report date (first on line 2)`,
		},
		{
			name:    "short row",
			report:  "skype-organizer-activity-minute-counts",
			input:   "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,2026-11-19,7,1,2\n",
			wantErr: `line 2: 5 fields where the header has 6`,
		},
		{
			name:    "empty payload",
			report:  "skype-organizer-activity-minute-counts",
			input:   "",
			wantErr: `empty payload`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := Parse(mustSpec(t, tt.report), strings.NewReader(tt.input), Options{Source: "test.csv", Period: 7})
			if tt.wantErr != "" {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("want *Error containing %q, got %v", tt.wantErr, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "test.csv") || !strings.Contains(err.Error(), tt.report) {
					t.Fatalf("error %q does not name %q, the source and the report", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertRows(t, res.Rows, tt.want)
			if strings.Join(res.Unknown, "|") != strings.Join(tt.wantUnknown, "|") {
				t.Errorf("unknown columns = %q, want %q", res.Unknown, tt.wantUnknown)
			}
			if len(tt.wantUnknown) > 0 && len(res.Warnings) == 0 {
				t.Errorf("unknown column gave no warning")
			}
		})
	}
}

func assertRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.RefreshDate.Equal(w.RefreshDate) || !g.ReportDate.Equal(w.ReportDate) || g.Period != w.Period {
			t.Errorf("row %d keys = %v %v %d, want %v %v %d", i, g.RefreshDate, g.ReportDate, g.Period, w.RefreshDate, w.ReportDate, w.Period)
		}
		if len(g.Values) != len(w.Values) {
			t.Fatalf("row %d has %d values, want %d", i, len(g.Values), len(w.Values))
		}
		for j := range w.Values {
			if g.Values[j] != w.Values[j] {
				t.Errorf("row %d value %d = %+v, want %+v", i, j, g.Values[j], w.Values[j])
			}
		}
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	input := `{"@odata.context":"x","value":[
	 {"im":1,"audioVideo":2,"appSharing":3,"web":null,"dialInOut3rdParty":5,"dialInOutMicrosoft":6,
	  "reportRefreshDate":"2026-11-20","reportDate":"2026-11-19T00:00:00Z","reportPeriod":"7"},
	 {"im":"7","audioVideo":2,"appSharing":3,"web":4,"dialInOut3rdParty":5,"dialInOutMicrosoft":6,
	  "reportRefreshDate":"2026-11-20","reportDate":"2026-11-18","reportPeriod":"7","newThing":1}],
	 "@odata.nextLink":"https://graph.example/next"}`
	res, err := Parse(mustSpec(t, "skype-organizer-activity-user-counts"), strings.NewReader(input), Options{Format: report.JSON, Source: "x.json", Period: 7})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, res.Rows, []Row{
		{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), null, v(5), v(6)}},
		{date("2026-11-20"), date("2026-11-18"), 7, []Value{v(7), v(2), v(3), v(4), v(5), v(6)}},
	})
	if res.NextLink != "https://graph.example/next" {
		t.Errorf("next link = %q", res.NextLink)
	}
	if len(res.Unknown) != 1 || res.Unknown[0] != "newThing" {
		t.Errorf("unknown = %q", res.Unknown)
	}

	_, err = Parse(mustSpec(t, "skype-organizer-activity-minute-counts"), strings.NewReader(`{"value":[{"audioVideo":1,"dialInMicrosoft":2,"reportRefreshDate":"2026-11-20","reportDate":"2026-11-19","reportPeriod":"7"}]}`),
		Options{Format: report.JSON, Source: "y.json"})
	if err == nil || !strings.Contains(err.Error(), `record 1, column "Dial-out Microsoft": missing required property "dialOutMicrosoft"`) {
		t.Fatalf("missing property error = %v", err)
	}
}

func TestPeriodMismatchWarns(t *testing.T) {
	t.Parallel()
	in := "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,2026-11-19,30,1,2,3\n"
	res, err := Parse(mustSpec(t, "skype-organizer-activity-minute-counts"), strings.NewReader(in), Options{Source: "s", Period: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "report period 30") {
		t.Fatalf("warnings = %q", res.Warnings)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2026-02-28": "2026-02-28", "2024-02-29": "2024-02-29", "2026-11-19T00:00:00Z": "2026-11-19",
		"2026-11-19T00:00:00": "2026-11-19", "2026-02-29": "", "2026-13-01": "", "2026-1-01": "", "20261101": "", "2026-11-19X": "",
	} {
		d, ok := parseDate(in)
		if want == "" {
			if ok {
				t.Errorf("parseDate(%q) accepted %v", in, d)
			}
			continue
		}
		if !ok || d.Format(time.DateOnly) != want {
			t.Errorf("parseDate(%q) = %v %v, want %s", in, d, ok, want)
		}
	}
}

// snapshotSpec has no Report Date, as the device usage distribution.
var snapshotSpec = &report.Spec{
	Name: "snapshot", Snapshot: true,
	Metrics: []report.Column{{Name: "windows", Header: "Windows", JSON: "windows"}, {Name: "ipad", Header: "iPad", JSON: "iPad"}},
}

func TestSnapshotRows(t *testing.T) {
	t.Parallel()
	res, err := Parse(snapshotSpec, strings.NewReader("Report Refresh Date,Windows,iPad,Report Period\n2026-11-20,5,,7\n2026-11-20,9,1,30\n"), Options{Source: "s.csv"})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, res.Rows, []Row{
		{date("2026-11-20"), time.Time{}, 7, []Value{v(5), null}},
		{date("2026-11-20"), time.Time{}, 30, []Value{v(9), v(1)}},
	})
	_, err = Parse(snapshotSpec, strings.NewReader("Report Refresh Date,Windows,iPad,Report Period\n2026-11-20,5,,7\n2026-11-20,9,1,7\n"), Options{Source: "s.csv"})
	if err == nil || !strings.Contains(err.Error(), `line 3, column "Report Refresh Date": duplicate row for refresh date and period 7 (first on line 2) (value "2026-11-20")`) {
		t.Errorf("duplicate snapshot error = %v", err)
	}
	res, err = Parse(snapshotSpec, strings.NewReader(`{"value":[{"reportRefreshDate":"2026-11-20","windows":1,"iPad":null,"reportPeriod":"7","reportDate":"2026-11-20"}]}`), Options{Format: report.JSON, Source: "s.json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || !res.Rows[0].ReportDate.IsZero() || len(res.Unknown) != 1 || res.Unknown[0] != "reportDate" {
		t.Errorf("JSON snapshot: rows %+v, unknown %q", res.Rows, res.Unknown)
	}
}

func TestErrorIsOneLineAndTruncated(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 50)
	in := "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n2026-11-20,2026-11-19,7,1,\"" + long + "\nx\",3\n"
	_, err := Parse(mustSpec(t, "skype-organizer-activity-minute-counts"), strings.NewReader(in), Options{Source: "multi\nline.csv"})
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if want := strings.Repeat("é", 40) + "…"; pe.Value != want {
		t.Errorf("Value = %q, want 40 characters and an ellipsis", pe.Value)
	}
	if pe.Line != 2 || pe.ColumnNo != 5 || pe.Column != "Dial-in Microsoft" || pe.Report != "skype-organizer-activity-minute-counts" {
		t.Errorf("error fields = %+v", pe)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("not one line: %q", err)
	}
}

// TestAliasesServeCSVAndJSONAlike: a header spelling works as a JSON
// property and a JSON name as a CSV header.
func TestAliasesServeCSVAndJSONAlike(t *testing.T) {
	t.Parallel()
	spec := mustSpec(t, "skype-participant-activity-user-counts")
	want := []Row{{date("2026-11-20"), date("2026-11-19"), 7, []Value{v(1), v(2), v(3), v(4), v(5)}}}
	res, err := Parse(spec, strings.NewReader("reportRefreshDate,reportDate,reportPeriod,im,audioVideo,appSharing,web,dialInOut3rdParty\n2026-11-20,2026-11-19,7,1,2,3,4,5\n"), Options{Source: "a.csv"})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, res.Rows, want)
	res, err = Parse(spec, strings.NewReader(`{"value":[{"IM":1,"Audio/Video":2,"App Sharing":3,"Web":4,"Dial-in/out third Party":5,"Report Refresh Date":"2026-11-20","Report Date":"2026-11-19","Report Period":"7"}]}`), Options{Format: report.JSON, Source: "a.json"})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, res.Rows, want)
}
