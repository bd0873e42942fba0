package transform

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// typed is a report with a column of every type, as the catalogue's detail
// and counts reports have them.
var typed = &report.Spec{
	Name: "typed", Function: "getTyped", Table: "typed", Agg: report.Sum,
	Metrics: []report.Column{
		{Name: "files", Header: "Files", JSON: "files"},
		{Name: "storage_used_byte", Header: "Storage Used (Byte)", JSON: "storageUsedInBytes", Type: report.Bytes, Agg: report.Level},
		{Name: "is_deleted", Header: "Is Deleted", JSON: "isDeleted", Type: report.Bool},
		{Name: "last_activity_date", Header: "Last Activity Date", JSON: "lastActivityDate", Type: report.Date},
		{Name: "audio_duration", Header: "Audio Duration", JSON: "audioDuration", Type: report.Duration},
		{Name: "owner", Header: "Owner", JSON: "owner", Type: report.Text},
		{Name: "assigned_products", Header: "Assigned Products", JSON: "assignedProducts", Type: report.List},
		{Name: "meetings", Header: "Meetings", JSON: "meetings", Optional: true},
	},
}

func day(s string) int64 { return days(date(s)) }

// One test per column type: what a cell becomes, an empty cell NULL, and
// what a bad cell is told.
func TestColumnTypes(t *testing.T) {
	t.Parallel()
	const header = "Report Refresh Date,Report Date,Report Period,Files,Storage Used (Byte),Is Deleted,Last Activity Date,Audio Duration,Owner,Assigned Products,Meetings\n"
	res, err := Parse(typed, strings.NewReader(header+
		"2026-11-20,2026-11-19,7,12,2348104595,True,2026-11-18,PT1H2M3.5S,Megan Bowen,MICROSOFT 365 E5+POWER AUTOMATE FREE,3\n"+
		"2026-11-20,2026-11-18,7,0,0,no,2026-11-01,PT0S,  trimmed  ,VISIO,\n"+
		"2026-11-20,2026-11-17,7,,,,,,,,\n"), Options{Format: report.CSV, Source: "t.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Value{
		{v(12), v(2348104595), v(1), v(day("2026-11-18")), v(int64(time.Hour + 2*time.Minute + 3500*time.Millisecond)),
			{S: "Megan Bowen", Valid: true}, {S: "MICROSOFT 365 E5+POWER AUTOMATE FREE", Valid: true}, v(3)},
		{v(0), v(0), v(0), v(day("2026-11-01")), v(0), {S: "trimmed", Valid: true}, {S: "VISIO", Valid: true}, null},
		{null, null, null, null, null, null, null, null},
	}
	for i, r := range res.Rows {
		for j, got := range r.Values {
			if got != want[i][j] {
				t.Errorf("row %d %s = %+v, want %+v", i+1, typed.Metrics[j].Header, got, want[i][j])
			}
		}
	}

	for _, tc := range []struct{ col, cell, reason string }{
		{"Files", "-1", "not a whole number of 0 or more"},
		{"Storage Used (Byte)", "1.5", "not a whole number of 0 or more"},
		{"Is Deleted", "maybe", "not a boolean (want True, False, Yes or No)"},
		{"Last Activity Date", "11/18/2026", "not a date"},
		{"Audio Duration", "01:02:03", "not an ISO 8601 duration"},
		{"Audio Duration", "P1M", "not an ISO 8601 duration"}, // months have no fixed length
	} {
		cells := []string{"1", "1", "True", "2026-11-18", "PT1S", "x", "y", "1"}
		col := slicesIndex(typed.Metrics, tc.col)
		cells[col] = tc.cell
		_, err := Parse(typed, strings.NewReader(header+"2026-11-20,2026-11-19,7,"+strings.Join(cells, ",")+"\n"), Options{Format: report.CSV, Source: "t.csv"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Column != tc.col || pe.Line != 2 || !strings.Contains(pe.Reason, tc.reason) || pe.Value != tc.cell {
			t.Errorf("%s %q: got %v, want an *Error at line 2, column %q, value %q: %s", tc.col, tc.cell, err, tc.col, tc.cell, tc.reason)
		}
	}
}

func slicesIndex(cols []report.Column, header string) int {
	for i, c := range cols {
		if c.Header == header {
			return i
		}
	}
	panic(header)
}

// JSON carries booleans as true/false and the rest as strings or numbers.
func TestColumnTypesJSON(t *testing.T) {
	t.Parallel()
	res, err := Parse(typed, strings.NewReader(`{"value":[{"reportRefreshDate":"2026-11-20","reportDate":"2026-11-19","reportPeriod":"7",
		"files":12,"storageUsedInBytes":5,"isDeleted":false,"lastActivityDate":"2026-11-18","audioDuration":"PT2M",
		"owner":"Megan","assignedProducts":"A+B"}]}`), Options{Format: report.JSON, Source: "t.json"})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Rows[0].Values
	want := []Value{v(12), v(5), v(0), v(day("2026-11-18")), v(int64(2 * time.Minute)), {S: "Megan", Valid: true}, {S: "A+B", Valid: true}, null}
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("%s = %+v, want %+v", typed.Metrics[j].JSON, got[j], want[j])
		}
	}
}

// An optional column (documented and observed headers differ) may be
// missing: NULL on every row. Any other missing column is an error.
func TestOptionalColumn(t *testing.T) {
	t.Parallel()
	const header = "Report Refresh Date,Report Date,Report Period,Files,Storage Used (Byte),Is Deleted,Last Activity Date,Audio Duration,Owner,Assigned Products\n"
	res, err := Parse(typed, strings.NewReader(header+"2026-11-20,2026-11-19,7,1,1,True,2026-11-18,PT1S,x,y\n"), Options{Format: report.CSV, Source: "t.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0].Values[7]; got != null {
		t.Errorf("missing optional Meetings = %+v, want NULL", got)
	}
	_, err = Parse(typed, strings.NewReader(strings.Replace(header, ",Owner", "", 1)+"2026-11-20,2026-11-19,7,1,1,True,2026-11-18,PT1S,y\n"), Options{Format: report.CSV, Source: "t.csv"})
	var pe *Error
	if !errors.As(err, &pe) || pe.Column != "Owner" || !strings.Contains(pe.Reason, "missing required column") {
		t.Errorf("missing Owner: %v, want a missing required column error", err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"PT0S": 0, "PT1H2M3S": time.Hour + 2*time.Minute + 3*time.Second, "PT12.25S": 12250 * time.Millisecond,
		"P1DT2H": 26 * time.Hour, "P2D": 48 * time.Hour, "pt5m": 5 * time.Minute, "PT36H": 36 * time.Hour,
	} {
		if got, ok := parseDuration([]byte(in)); !ok || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "P1DT", "1H", "PT1", "PTH", "P1H", "PT1D", "P1Y", "P1M", "PT1.5M", "PT1S2M", "PT1M1M", "PT1.2.3S", "PT-1S", "PT.S", "PT1.S", "PT.5S"} {
		if got, ok := parseDuration([]byte(in)); ok {
			t.Errorf("parseDuration(%q) = %v, want refused", in, got)
		}
	}
}

// Key shapes: a dimension (Site Type) is part of the row's key, so the same
// date may come once per site type but not twice for one; a report without
// a period (activations) is keyed by refresh date and its dimension.
func TestKeyShapes(t *testing.T) {
	t.Parallel()
	siteType := report.Column{Name: "site_type", Header: "Site Type", JSON: "siteType", Type: report.Text}
	storage := &report.Spec{Name: "storage", Function: "getStorage", Table: "storage", Agg: report.Level,
		Dims:    []report.Column{siteType},
		Metrics: []report.Column{{Name: "storage_used_byte", Header: "Storage Used (Byte)", JSON: "storageUsedInBytes", Type: report.Bytes}}}
	res, err := Parse(storage, strings.NewReader("Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period\n"+
		"2026-11-20,All,10,2026-11-20,1\n2026-11-20,OneDrive,4,2026-11-20,1\n"), Options{Format: report.CSV, Source: "s.csv", RequireFullPeriod: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Values[0].S != "All" || res.Rows[1].Values[0].S != "OneDrive" || res.Rows[1].Values[1] != v(4) {
		t.Errorf("rows = %+v", res.Rows)
	}
	for _, tc := range []struct{ body, want string }{
		{"2026-11-20,All,10,2026-11-20,1\n2026-11-20,All,11,2026-11-20,1\n", `line 3, column "Report Date": duplicate report date and Site Type "All" (first on line 2)`},
		{"2026-11-20,,10,2026-11-20,1\n", `line 2, column 2 "Site Type": empty, but it identifies the row`},
		// Each site type must cover the period on its own.
		{"2026-11-20,All,1,2026-11-20,2\n2026-11-20,All,1,2026-11-19,2\n2026-11-20,Team,1,2026-11-20,2\n", `Site Type "Team": D2 payload covers 1 of 2 days`},
	} {
		_, err := Parse(storage, strings.NewReader("Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period\n"+tc.body),
			Options{Format: report.CSV, Source: "s.csv", RequireFullPeriod: true})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.body, err, tc.want)
		}
	}

	product := report.Column{Name: "product_type", Header: "Product Type", JSON: "productType", Type: report.Text}
	activations := &report.Spec{Name: "act", Function: "getAct", Table: "act", Agg: report.Level, NoPeriod: true,
		Dims: []report.Column{product}, Metrics: []report.Column{{Name: "windows", Header: "Windows", JSON: "windows"}}}
	res, err = Parse(activations, strings.NewReader("Report Refresh Date,Product Type,Windows\n2026-11-20,VISIO,5\n2026-11-20,PROJECT,0\n"), Options{Format: report.CSV, Source: "a.csv", Period: 7, RequireFullPeriod: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Period != 0 || !res.Rows[0].ReportDate.IsZero() || res.Rows[1].Values[0].S != "PROJECT" || len(res.Warnings) != 0 {
		t.Errorf("rows = %+v, warnings %v", res.Rows, res.Warnings)
	}
	_, err = Parse(activations, strings.NewReader("Report Refresh Date,Product Type,Windows\n2026-11-20,VISIO,5\n2026-11-20,VISIO,6\n"), Options{Format: report.CSV, Source: "a.csv"})
	if err == nil || !strings.Contains(err.Error(), `duplicate row for refresh date and Product Type "VISIO" (first on line 2)`) {
		t.Errorf("duplicate product type: %v", err)
	}
	if got, want := strings.Join(activations.Key(), ","), "tenant_id,report_refresh_date,product_type"; got != want {
		t.Errorf("activations key %s, want %s", got, want)
	}
	if got, want := strings.Join(storage.Key(), ","), "tenant_id,report_date,site_type"; got != want {
		t.Errorf("storage key %s, want %s", got, want)
	}
}

// A dated report whose payload has no Report Period (getTeamsTeamCounts):
// keyed by report date, rows with period 0, the coverage rule applied with
// the requested period.
func TestDatedWithoutPeriodColumn(t *testing.T) {
	t.Parallel()
	teams := &report.Spec{Name: "teams", Function: "getTeams", Table: "teams", Agg: report.Level, NoPeriodColumn: true,
		Metrics: []report.Column{{Name: "public_teams", Header: "Public Teams", JSON: "publicTeams"}}}
	const header = "Report Refresh Date,Report Date,Public Teams\n"
	res, err := Parse(teams, strings.NewReader(header+"2026-11-20,2026-11-20,4\n2026-11-20,2026-11-19,3\n"),
		Options{Format: report.CSV, Source: "t.csv", Period: 2, RequireFullPeriod: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[1].Period != 0 || !res.Rows[1].ReportDate.Equal(date("2026-11-19")) || len(res.Warnings) != 0 {
		t.Errorf("rows %+v, warnings %v", res.Rows, res.Warnings)
	}
	_, err = Parse(teams, strings.NewReader(header+"2026-11-20,2026-11-20,4\n"), Options{Format: report.CSV, Source: "t.csv", Period: 2, RequireFullPeriod: true})
	if err == nil || !strings.Contains(err.Error(), "D2 payload covers 1 of 2 days") {
		t.Errorf("one day of D2: %v", err)
	}
	if got := strings.Join(teams.Key(), ","); got != "tenant_id,report_date" {
		t.Errorf("key %s", got)
	}
	for _, c := range teams.Columns() {
		if c.Name == report.Period.Name {
			t.Error("Columns has report_period")
		}
	}
}

// JSON that nests its rows in the report's own property (NestedJSON): each
// element a row with the record's other properties; an empty array, no
// rows; an element that is not an object, an *Error, never a panic; another
// array of objects in a record is an unknown property, not rows.
func TestNestedJSON(t *testing.T) {
	t.Parallel()
	spec := mustSpec(t, "m365-app-user-counts")
	parse := func(records string) (*Result, error) {
		return Parse(spec, strings.NewReader(`{"value":[`+records+`]}`), Options{Format: report.JSON, Source: "n.json"})
	}
	day := func(d string, n int) string {
		return fmt.Sprintf(`{"reportDate":%q,"outlook":%d,"word":1,"excel":1,"powerPoint":1,"oneNote":1,"teams":1}`, d, n)
	}
	res, err := parse(`{"reportRefreshDate":"2026-11-20","reportPeriod":7,"extra":[{"a":1},{"a":2}],"userCounts":[` + day("2026-11-20", 5) + `,` + day("2026-11-19", 6) + `]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[1].Values[0] != v(6) || res.Rows[1].Period != 7 || !res.Rows[0].RefreshDate.Equal(date("2026-11-20")) {
		t.Errorf("rows %+v", res.Rows)
	}
	if len(res.Unknown) != 1 || res.Unknown[0] != "extra" {
		t.Errorf("unknown %v, want [extra]", res.Unknown)
	}
	if res, err := parse(`{"reportRefreshDate":"2026-11-20","reportPeriod":7,"userCounts":[]}`); err != nil || len(res.Rows) != 0 {
		t.Errorf("empty nested array: %v rows, %v", res, err)
	}
	for _, bad := range []string{"1", `"x"`, "null", "[]"} {
		_, err := parse(`{"reportRefreshDate":"2026-11-20","reportPeriod":7,"userCounts":[` + day("2026-11-20", 5) + `,` + bad + `]}`)
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, `element 2 of "userCounts" is not a JSON object`) {
			t.Errorf("element %s: %v", bad, err)
		}
	}
	// A report without nested rows reads such a record flat.
	flat := mustSpec(t, "email-activity-counts")
	res, err = Parse(flat, strings.NewReader(`{"value":[{"reportRefreshDate":"2026-11-20","reportDate":"2026-11-20","reportPeriod":"7","send":1,"receive":2,"read":3,"extra":[{"a":1},{"a":2}]}]}`),
		Options{Format: report.JSON, Source: "f.json"})
	if err != nil || len(res.Rows) != 1 {
		t.Errorf("flat record with an array of objects: %v, %v", res, err)
	}
}
