package transform

import (
	"errors"
	"strings"
	"testing"
	"time"
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
		format              Format
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
		{name: "before the report date, Report Date after the metrics", report: "device-usage-user-counts",
			input: deviceHeader + "2026-11-21,1,2,3,4,5,2026-11-21,7\n2026-11-21,1,2,3,4,5,2026-11-23,7\n", now: now,
			wantErr: `line 3, column 1 "Report Refresh Date": refresh date before the report date 2026-11-23 (value "2026-11-21")`},
		{name: "snapshot in the future", report: "device-usage-distribution-user-counts",
			input: "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Period\n2099-01-01,1,2,3,4,5,7\n", now: now,
			wantErr: `line 2, column 1 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-01-01")`},
		{name: "json far future", format: JSON, now: now,
			input:   `{"value":[{"audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3,"reportRefreshDate":"2099-11-29","reportDate":"2026-11-29","reportPeriod":"7"}]}`,
			wantErr: `record 1, column 4 "Report Refresh Date": refresh date more than a day after today (2026-11-29) (value "2099-11-29")`},
		{name: "json before the report date", format: JSON, now: now,
			input:   `{"value":[{"reportRefreshDate":"2026-11-20","reportDate":"2026-11-21","reportPeriod":"7","audioVideo":1,"dialInMicrosoft":2,"dialOutMicrosoft":3}]}`,
			wantErr: `record 1, column 1 "Report Refresh Date": refresh date before the report date 2026-11-21 (value "2026-11-20")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := tc.report
			if name == "" {
				name = "organizer-activity-minute-counts"
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
