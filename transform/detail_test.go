package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// teamsDetail is the Teams user activity detail report.
func teamsDetail(t *testing.T) *report.Spec {
	t.Helper()
	for _, s := range report.DetailReports {
		if s.Function == "getTeamsUserActivityUserDetail" {
			return s
		}
	}
	t.Fatal("no getTeamsUserActivityUserDetail spec")
	return nil
}

const teamsDetailHeader = "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Audio Duration,Video Duration,Screen Share Duration,Has Other Action,Is Licensed,Report Period\r\n"

func value(t *testing.T, spec *report.Spec, r Row, name string) Value {
	t.Helper()
	for i, c := range spec.Fields() {
		if c.Name == name {
			return r.Values[i]
		}
	}
	t.Fatalf("no column %s", name)
	return Value{}
}

func TestDetailRowsOfAPeriod(t *testing.T) {
	spec := teamsDetail(t)
	body := teamsDetailHeader +
		"2026-11-20,6b1d0000-0000-4000-8000-000000000001,ada@contoso.com,2026-11-19,False,,OFFICE 365 E3+TEAMS,5,0,2,1,PT1H2M,PT0S,,No,Yes,7\r\n" +
		"2026-11-20,,bob@contoso.com,,True,2026-11-01,,0,0,0,0,,,,No,No,7\r\n"
	res, err := Parse(spec, strings.NewReader(body), Options{Source: "t.csv", Period: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Parsed != 2 || res.Concealed {
		t.Fatalf("rows %d parsed %d concealed %v", len(res.Rows), res.Parsed, res.Concealed)
	}
	r := res.Rows[0]
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if !r.ReportDate.Equal(day) || r.Period != 7 {
		t.Errorf("row 1 describes %v over %d days; want the refresh date over 7", r.ReportDate, r.Period)
	}
	if k := value(t, spec, r, "entity_key"); k.S != "6b1d0000-0000-4000-8000-000000000001" {
		t.Errorf("entity of a row with a user id: %q, want the id", k.S)
	}
	if k := value(t, spec, res.Rows[1], "entity_key"); k.S != "bob@contoso.com" {
		t.Errorf("entity of a row without a user id: %q, want the UPN", k.S)
	}
	if v := value(t, spec, r, "call_count"); v.N != 2 || !v.Valid {
		t.Errorf("call count %+v", v)
	}
	if v := value(t, spec, r, "audio_duration"); time.Duration(v.N) != time.Hour+2*time.Minute {
		t.Errorf("audio duration %v", time.Duration(v.N))
	}
	if v := value(t, spec, r, "video_duration"); !v.Valid || v.N != 0 {
		t.Errorf("PT0S must be 0, not NULL: %+v", v)
	}
	if v := value(t, spec, r, "screen_share_duration"); v.Valid {
		t.Errorf("an empty cell must be NULL: %+v", v)
	}
	if v := value(t, spec, res.Rows[1], "is_deleted"); v.N != 1 {
		t.Errorf("is_deleted %+v", v)
	}
	if v := value(t, spec, r, "assigned_products"); v.S != "OFFICE 365 E3+TEAMS" {
		t.Errorf("assigned products %q", v.S)
	}
}

func TestDetailRowsOfADayConcealed(t *testing.T) {
	spec := teamsDetail(t)
	body := teamsDetailHeader +
		"2026-11-20,00000000-0000-0000-0000-000000000000,6E55A185B405B6F2A6804BB7897C8AAB,2026-11-19,False,,,5,0,2,1,PT0S,PT0S,PT0S,No,Yes,1\r\n" +
		"2026-11-20,00000000-0000-0000-0000-000000000000,77E5979DD60BA6EAA53E814DBEEEFA5F,,False,,,0,0,0,0,PT0S,PT0S,PT0S,No,Yes,1\r\n"
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	res, err := Parse(spec, strings.NewReader(body), Options{Source: "t.csv", Date: day})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Concealed {
		t.Error("32 hex digits in place of the UPN: not seen as concealed")
	}
	for i, r := range res.Rows {
		if !r.ReportDate.Equal(day) || r.Period != 1 {
			t.Errorf("row %d describes %v over %d days; want the asked date over 1", i, r.ReportDate, r.Period)
		}
		if v := value(t, spec, r, "user_id"); v.Valid {
			t.Errorf("row %d: the nil GUID must be stored as NULL, got %q", i, v.S)
		}
		if v := value(t, spec, r, "concealed"); v.N != 1 {
			t.Errorf("row %d: concealed %+v", i, v)
		}
	}
	if k := value(t, spec, res.Rows[0], "entity_key"); k.S != "6E55A185B405B6F2A6804BB7897C8AAB" {
		t.Errorf("concealed entity %q, want the UPN's hash", k.S)
	}
	// The setting, when known, decides.
	res, err = Parse(spec, strings.NewReader(body), Options{Source: "t.csv", Date: day,
		Concealment: func() (bool, bool) { return false, true }})
	if err != nil || res.Concealed {
		t.Errorf("setting says not concealed: concealed %v, err %v", res.Concealed, err)
	}
}

func TestDetailRowWithoutEntity(t *testing.T) {
	spec := teamsDetail(t)
	body := teamsDetailHeader +
		"2026-11-20,00000000-0000-0000-0000-000000000000,,,False,,,0,0,0,0,,,,No,No,7\r\n"
	_, err := Parse(spec, strings.NewReader(body), Options{Source: "t.csv"})
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || !strings.Contains(err.Error(), `"User Principal Name"`) {
		t.Fatalf("want an error on line 2 naming the entity columns, got %v", err)
	}
}

func TestDetailBatches(t *testing.T) {
	spec := teamsDetail(t)
	var b strings.Builder
	b.WriteString(teamsDetailHeader)
	const n = 2500
	for i := range n {
		b.WriteString("2026-11-20,,user")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a'+i%26)) + itoa(i))
		b.WriteString("@contoso.com,,False,,,1,2,3,4,,,,No,Yes,7\r\n")
	}
	var batches []int
	seen := map[string]bool{}
	res, err := Parse(spec, strings.NewReader(b.String()), Options{Source: "t.csv", BatchRows: 1000,
		Batch: func(rows []Row) error {
			batches = append(batches, len(rows))
			for _, r := range rows {
				seen[r.Values[0].S] = true
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 0 || res.Parsed != n || len(seen) != n {
		t.Fatalf("rows kept %d, parsed %d, distinct entities seen %d; want 0, %d, %d", len(res.Rows), res.Parsed, len(seen), n, n)
	}
	if len(batches) != 3 || batches[0] != 1000 || batches[2] != 500 {
		t.Errorf("batches %v, want [1000 1000 500]", batches)
	}
	stop := errors.New("stop")
	_, err = Parse(spec, strings.NewReader(b.String()), Options{Source: "t.csv", BatchRows: 1000,
		Batch: func([]Row) error { return stop }})
	if !errors.Is(err, stop) {
		t.Errorf("an error of Batch must end the parse: %v", err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// TestDetailOneOfEach: a detail payload is of one refresh date, one period
// and one concealment setting; a file that mixes them (files joined by
// hand) is refused at the first row that differs, naming it and the row
// it differs from.
func TestDetailOneOfEach(t *testing.T) {
	spec := teamsDetail(t)
	row := func(refresh, upn, period string) string {
		return refresh + ",," + upn + ",,False,,,0,0,0,0,,,,No,Yes," + period + "\r\n"
	}
	for _, tc := range []struct{ name, body, want string }{
		{"refresh dates", row("2026-11-20", "a@c.com", "7") + row("2026-11-20", "b@c.com", "7") + row("2026-11-19", "c@c.com", "7"),
			"line 4: Report Refresh Date 2026-11-19 where line 2 has 2026-11-20"},
		{"periods", row("2026-11-20", "a@c.com", "7") + row("2026-11-20", "b@c.com", "30"),
			"line 3: Report Period 30 where line 2 has 7"},
		{"concealment", row("2026-11-20", "a@c.com", "7") + row("2026-11-20", "6E55A185B405B6F2A6804BB7897C8AAB", "7"),
			"line 3: names concealed (32 hexadecimal digits) where line 2's are not concealed"},
	} {
		_, err := Parse(spec, strings.NewReader(teamsDetailHeader+tc.body), Options{Source: "mixed.csv"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// One of each, pseudonyms included: loads.
	if _, err := Parse(spec, strings.NewReader(teamsDetailHeader+row("2026-11-20", "pz:0123456789abcdef0123456789abcdef", "7")+row("2026-11-20", "b@c.com", "7")), Options{Source: "one.csv"}); err != nil {
		t.Errorf("one of each: %v", err)
	}
}
