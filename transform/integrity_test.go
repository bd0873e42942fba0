package transform

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// TestRefreshDateChecks: a refresh date more than a day after Options.Now,
// or before the row's report date, is an *Error naming the line (or JSON
// record), the column and the value. Without Now only the second check
// applies.
func TestRefreshDateChecks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)
	const header = "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n"
	const deviceHeader = "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Date,Report Period\n"
	for _, tc := range []struct {
		name, report, input string
		format              report.Format
		now                 time.Time
		wantErr             string // "" for success
	}{
		{name: "today", input: header + "2026-11-29,2026-11-29,7,1,2,3\n", now: now},
		{name: "tomorrow (a day of slack for time zones)", input: header + "2026-11-30,2026-11-29,7,1,2,3\n", now: now},
		{name: "the day after tomorrow", input: header + "2026-11-29,2026-11-29,7,1,2,3\n2026-12-01,2026-11-28,7,1,2,3\n", now: now,
			wantErr: `line 3, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2026-12-01")`},
		{name: "far future", input: header + "2099-11-29,2026-11-29,7,1,2,3\n", now: now,
			wantErr: `line 2, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-11-29")`},
		{name: "far future, no clock given", input: header + "2099-11-29,2026-11-29,7,1,2,3\n"},
		{name: "far future as a date-time", input: header + "2099-11-29T00:00:00Z,2026-11-29,7,1,2,3\n", now: now,
			wantErr: `line 2, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-11-29T00:00:00Z")`},
		{name: "before the report date", input: header + "2026-11-21,2026-11-21,7,1,2,3\n2026-11-21,2026-11-22,7,1,2,3\n", now: now,
			wantErr: `line 3, column 1 "Report Refresh Date": refresh date before the report date 2026-11-22 (value "2026-11-21")`},
		{name: "before the report date, no clock given", input: header + "2026-11-21,2026-11-22,7,1,2,3\n",
			wantErr: `line 2, column 1 "Report Refresh Date": refresh date before the report date 2026-11-22 (value "2026-11-21")`},
		{name: "before the report date, Report Date after the metrics", report: "skype-device-usage-user-counts",
			input: deviceHeader + "2026-11-21,1,2,3,4,5,2026-11-21,7\n2026-11-21,1,2,3,4,5,2026-11-23,7\n", now: now,
			wantErr: `line 3, column 1 "Report Refresh Date": refresh date before the report date 2026-11-23 (value "2026-11-21")`},
		{name: "snapshot in the future", report: "skype-device-usage-distribution-user-counts",
			input: "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Period\n2099-01-01,1,2,3,4,5,7\n", now: now,
			wantErr: `line 2, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-01-01")`},
		{name: "json far future", format: report.JSON, now: now,
			input:   `{"value":[{"audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3,"reportRefreshDate":"2099-11-29","reportDate":"2026-11-29","reportPeriod":"7"}]}`,
			wantErr: `record 1, column 4 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-11-29")`},
		{name: "json before the report date", format: report.JSON, now: now,
			input:   `{"value":[{"reportRefreshDate":"2026-11-20","reportDate":"2026-11-21","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3}]}`,
			wantErr: `record 1, column 1 "Report Refresh Date": refresh date before the report date 2026-11-21 (value "2026-11-20")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := tc.report
			if name == "" {
				name = "skype-organizer-activity-minute-counts"
			}
			_, err := Parse(mustSpec(t, name), strings.NewReader(tc.input), Options{Format: tc.format, Source: "x", Now: tc.now})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse error = %v (%T)\nwant an *Error containing %s", err, err, tc.wantErr)
			}
		})
	}
}

// TestUnknownColumnsGiveOneWarning: however many unknown columns a header
// has, they make one warning, listing the first 20 and counting the rest;
// Result.Unknown keeps them all.
func TestUnknownColumnsGiveOneWarning(t *testing.T) {
	t.Parallel()
	const header = "Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft"
	for _, tc := range []struct {
		extra int
		want  string
	}{
		{1, `report skype-organizer-activity-minute-counts: x.csv: unknown column 7 "Extra1" ignored`},
		{2, `report skype-organizer-activity-minute-counts: x.csv: 2 unknown columns ignored: 7 "Extra1", 8 "Extra2"`},
		{100000, `report skype-organizer-activity-minute-counts: x.csv: 100,000 unknown columns ignored: 7 "Extra1", 8 "Extra2", 9 "Extra3", ` +
			`10 "Extra4", 11 "Extra5", 12 "Extra6", 13 "Extra7", 14 "Extra8", 15 "Extra9", 16 "Extra10", 17 "Extra11", 18 "Extra12", ` +
			`19 "Extra13", 20 "Extra14", 21 "Extra15", 22 "Extra16", 23 "Extra17", 24 "Extra18", 25 "Extra19", 26 "Extra20" and 99,980 more`},
	} {
		var h, row strings.Builder
		h.WriteString(header)
		row.WriteString("2026-11-21,2026-11-21,7,1,2,3")
		for i := 1; i <= tc.extra; i++ {
			fmt.Fprintf(&h, ",Extra%d", i)
			row.WriteString(",x")
		}
		res, err := Parse(mustSpec(t, "skype-organizer-activity-minute-counts"), strings.NewReader(h.String()+"\n"+row.String()+"\n"), Options{Source: "x.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) != 1 || res.Warnings[0] != tc.want {
			t.Errorf("%d unknown columns: %d warnings %.300q\nwant one: %.300q", tc.extra, len(res.Warnings), res.Warnings, tc.want)
		}
		if len(res.Unknown) != tc.extra {
			t.Errorf("%d unknown columns: Result.Unknown has %d", tc.extra, len(res.Unknown))
		}
	}
	res, err := Parse(mustSpec(t, "skype-organizer-activity-minute-counts"), strings.NewReader(
		`{"value":[{"reportRefreshDate":"2026-11-21","reportDate":"2026-11-21","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3,"a":1,"b":2},`+
			`{"reportRefreshDate":"2026-11-21","reportDate":"2026-11-20","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3,"c":1,"a":2}]}`),
		Options{Format: report.JSON, Source: "x.json"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `report skype-organizer-activity-minute-counts: x.json: 3 unknown properties ignored: "a", "b", "c"`; len(res.Warnings) != 1 || res.Warnings[0] != want {
		t.Errorf("JSON: warnings %q, want one: %q", res.Warnings, want)
	}
}

// minuteRows writes CSV rows of skype-organizer-activity-minute-counts, one per
// report date given, each with period p.
func minuteRows(refresh string, p int, dates ...string) string {
	var b strings.Builder
	b.WriteString("Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft\n")
	for _, d := range dates {
		fmt.Fprintf(&b, "%s,%s,%d,1,2,3\n", refresh, d, p)
	}
	return b.String()
}

// TestCoverage: with RequireFullPeriod a dated payload must have one row
// for each of the n days ending at its newest report date (n its Report
// Period), else an *Error saying how much it covers.
func TestCoverage(t *testing.T) {
	t.Parallel()
	week := []string{"2026-11-25", "2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20", "2026-11-19"}
	asc := slices.Clone(week)
	slices.Reverse(asc)
	for _, tc := range []struct {
		name, report, input string
		format              report.Format
		period              int // requested
		wantErr             string
	}{
		{name: "whole week, newest first", input: minuteRows("2026-11-25", 7, week...), period: 7},
		{name: "whole week, oldest first", input: minuteRows("2026-11-25", 7, asc...), period: 7},
		{name: "whole week trailing the refresh date", input: minuteRows("2026-11-28", 7, week...), period: 7},
		{name: "header only", input: minuteRows("2026-11-25", 7), period: 7},
		{name: "file: period from the rows", input: minuteRows("2026-11-25", 7, week...)},
		{name: "cut after 3 rows, newest first", input: minuteRows("2026-11-25", 7, week[:3]...), period: 7,
			wantErr: "D7 payload covers 3 of 7 days (2026-11-23..2026-11-25); the body may have been cut"},
		{name: "cut after 3 rows, oldest first", input: minuteRows("2026-11-25", 7, asc[:3]...), period: 7,
			wantErr: "D7 payload covers 3 of 7 days (2026-11-19..2026-11-21); the body may have been cut"},
		{name: "file cut", input: minuteRows("2026-11-25", 7, week[:6]...),
			wantErr: "D7 payload covers 6 of 7 days (2026-11-20..2026-11-25); the body may have been cut"},
		{name: "a hole", input: minuteRows("2026-11-25", 7, slices.Delete(slices.Clone(week), 3, 4)...), period: 7,
			wantErr: "D7 payload covers 6 of 7 days (2026-11-19..2026-11-25, missing 2026-11-22); the body may have been cut"},
		{name: "many holes", input: minuteRows("2026-11-25", 30, "2026-11-25", "2026-11-18", "2026-11-10"), period: 30,
			wantErr: "D30 payload covers 3 of 30 days (2026-10-27..2026-11-25, missing 2026-10-27, 2026-10-28, 2026-10-29, 2026-10-30, 2026-10-31 and 22 more)"},
		{name: "rows say 30, request said 7: 30 days are due", input: minuteRows("2026-11-25", 30, week...), period: 7,
			wantErr: "D30 payload covers 7 of 30 days (2026-11-19..2026-11-25)"},
		{name: "rows before the period", input: minuteRows("2026-11-25", 7, append(slices.Clone(week), "2026-11-17")...), period: 7,
			wantErr: "D7 payload has 1 row before its 7 days 2026-11-19..2026-11-25 (oldest 2026-11-17): not one period"},
		{name: "rows disagree: the requested period", period: 7,
			input:   minuteRows("2026-11-25", 7, week[:3]...) + "2026-11-25,2026-11-22,30,1,2,3\n",
			wantErr: "D7 payload covers 4 of 7 days (2026-11-22..2026-11-25)"},
		{name: "rows disagree, nothing requested: not checked",
			input: minuteRows("2026-11-25", 7, week[:3]...) + "2026-11-25,2026-11-22,30,1,2,3\n"},
		{name: "snapshot", report: "skype-device-usage-distribution-user-counts", period: 7,
			input: "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Period\n2026-11-25,1,2,3,4,5,7\n"},
		{name: "json cut", format: report.JSON, period: 7,
			input: `{"value":[{"reportRefreshDate":"2026-11-25","reportDate":"2026-11-25","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3},` +
				`{"reportRefreshDate":"2026-11-25","reportDate":"2026-11-24","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3}]}`,
			wantErr: "D7 payload covers 2 of 7 days (2026-11-24..2026-11-25); the body may have been cut"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := tc.report
			if name == "" {
				name = "skype-organizer-activity-minute-counts"
			}
			spec := mustSpec(t, name)
			opts := Options{Format: tc.format, Source: "x", Period: tc.period, RequireFullPeriod: true}
			res, err := Parse(spec, strings.NewReader(tc.input), opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "report "+spec.Name+": x: ") {
				t.Fatalf("Parse error = %v (%T)\nwant an *Error containing %s", err, err, tc.wantErr)
			}
			// Without the option the same payload parses.
			opts.RequireFullPeriod = false
			if res, err = Parse(spec, strings.NewReader(tc.input), opts); err != nil || len(res.Rows) == 0 {
				t.Errorf("without RequireFullPeriod: %v", err)
			}
		})
	}
}
