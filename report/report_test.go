package report

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestSpecTable checks the invariants extract, transform and load rely on.
func TestSpecTable(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, s := range Default { // the detail reports: TestDetailSpecs
		for _, id := range []string{s.Name, s.Function, s.Table} {
			if other, dup := seen[strings.ToLower(id)]; dup {
				t.Errorf("%s: %q is also used by %s", s.Name, id, other)
			}
			seen[strings.ToLower(id)] = s.Name
		}
		// The naming rule (DESIGN.md, "Report names").
		if s.Table != TableName(s.Function) {
			t.Errorf("%s: table %s, the rule gives %s", s.Name, s.Table, TableName(s.Function))
		}
		if s.Name != ShortName(s.Function) {
			t.Errorf("%s: short name, the rule gives %s", s.Name, ShortName(s.Function))
		}
		if len(s.Metrics) == 0 {
			t.Errorf("%s: no metrics", s.Name)
		}
		if s.Agg == 0 {
			t.Errorf("%s: no aggregation", s.Name)
		}
		for _, c := range s.Metrics {
			if a := s.Aggregation(c); a < Sum || a > Level {
				t.Errorf("%s.%s: aggregation %v", s.Name, c.Name, a)
			}
			if (c.Type == Bytes) != strings.HasSuffix(c.Header, "(Byte)") {
				t.Errorf("%s.%s: type %v for header %q (bytes iff it ends (Byte))", s.Name, c.Name, c.Type, c.Header)
			}
			if c.JSON == "" || c.Header == "" {
				t.Errorf("%s.%s: no header or JSON name", s.Name, c.Name)
			}
		}
		for _, d := range s.Dims {
			if d.Type != Text || len(d.Values) == 0 {
				t.Errorf("%s: dimension %s is %v with values %v, want text with known values", s.Name, d.Name, d.Type, d.Values)
			}
		}
		if len(s.Table) > 63 {
			t.Errorf("%s: table name longer than Postgres's 63 bytes", s.Name)
		}
		// Every normalised key names one column only.
		keys := map[string]string{}
		for _, c := range s.Columns() {
			if !snakeRE.MatchString(c.Name) {
				t.Errorf("%s: column name %q is not snake_case", s.Name, c.Name)
			}
			for _, k := range c.Keys() {
				if other, dup := keys[k]; dup && other != c.Name {
					t.Errorf("%s: key %q names both %s and %s", s.Name, k, other, c.Name)
				}
				keys[k] = c.Name
			}
		}
		// The header is a permutation of the columns.
		names := func(cols []Column) []string {
			out := make([]string, len(cols))
			for i, c := range cols {
				out[i] = c.Name
			}
			slices.Sort(out)
			return out
		}
		if got, want := names(s.HeaderColumns()), names(s.Columns()); !slices.Equal(got, want) {
			t.Errorf("%s: header columns %v, want a permutation of %v", s.Name, got, want)
		}
		// The key is made of warehouse columns.
		for _, k := range s.Key()[1:] {
			if !slices.ContainsFunc(s.Columns(), func(c Column) bool { return c.Name == k }) {
				t.Errorf("%s: key column %s is not a column", s.Name, k)
			}
		}
		if s.Dated() != slices.Contains(s.Key(), ReportDate.Name) {
			t.Errorf("%s: dated %v but key %v", s.Name, s.Dated(), s.Key())
		}
	}
	skype := 0
	for _, s := range Default {
		if strings.HasPrefix(s.Function, "getSkypeForBusiness") {
			skype++
		}
	}
	if skype != 13 {
		t.Errorf("%d Skype for Business reports, want the 13 of the family", skype)
	}
}

func TestFamilyQuirks(t *testing.T) {
	t.Parallel()
	header := func(name string) string {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var h []string
		for _, c := range s.HeaderColumns() {
			h = append(h, c.Header)
		}
		return strings.Join(h, ",")
	}
	for name, want := range map[string]string{
		"skype-device-usage-user-counts":              "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Date,Report Period",
		"skype-device-usage-distribution-user-counts": "Report Refresh Date,Windows,Windows Phone,Android Phone,iPhone,iPad,Report Period",
		"skype-activity-counts":                       "Report Refresh Date,Report Date,Report Period,Peer-to-peer,Organized,Participated",
		"skype-peer-to-peer-activity-minute-counts":   "Report Refresh Date,Report Date,Report Period,Audio,Video",
		"skype-participant-activity-counts":           "Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party",
	} {
		if got := header(name); got != want {
			t.Errorf("%s header\n got %s\nwant %s", name, got, want)
		}
	}
	pm, _ := Lookup("skype-participant-activity-minute-counts")
	if pm.Metrics[0].JSON != "audiovideo" || !slices.Contains(pm.Metrics[0].Keys(), Normalize("audioVideo")) {
		t.Errorf("participant minutes audio/video = %+v, want JSON audiovideo with alias audioVideo", pm.Metrics[0])
	}
	d, _ := Lookup("getSkypeForBusinessDeviceUsageDistributionUserCounts")
	if !d.Snapshot || strings.Join(d.Key(), ",") != "tenant_id,report_refresh_date,report_period" {
		t.Errorf("distribution: snapshot %v key %v", d.Snapshot, d.Key())
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"skype-organizer-activity-user-counts", "GETSKYPEFORBUSINESSORGANIZERACTIVITYUSERCOUNTS", "skype_organizer_activity_user_counts"} {
		if s, err := Lookup(name); err != nil || s.Name != "skype-organizer-activity-user-counts" {
			t.Errorf("Lookup(%q) = %v, %v", name, s, err)
		}
	}
	for _, name := range []string{"getSkypeForBusinessActivityUserDetail", "activity-user-detail", "skype_activity_user_detail"} {
		if s, err := Lookup(name); err != nil || s.Name != "skype-activity-user-detail" {
			t.Errorf("Lookup(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "skype-device-usage-user-counts") {
		t.Errorf("Lookup(nope) error = %v, want the known names", err)
	}
	all, err := Select([]string{"skype-activity-counts,skype-device-usage-user-counts", "skype-activity-counts"})
	if err != nil || len(all) != 2 || all[0].Name != "skype-activity-counts" {
		t.Errorf("Select = %v, %v", all, err)
	}
	if all, _ := Select([]string{"all"}); len(all) != len(Default) || slices.ContainsFunc(all, (*Spec).IsDetail) {
		t.Errorf("Select(all) gave %d reports, want the %d but the detail reports", len(all), len(Default))
	}
	details, _ := Select([]string{"detail"})
	if len(details) != len(DetailReports) || len(Default)+len(DetailReports) != len(All) {
		t.Errorf("Select(detail) gave %d reports, want the %d detail reports", len(details), len(DetailReports))
	}
	if both, _ := Select([]string{"all,detail"}); len(both) != len(All) {
		t.Errorf("Select(all,detail) gave %d reports, want all %d", len(both), len(All))
	}
}

// TestSelectEmpty: a selection that was given but names no report (--report
// "", --report ",", INGEST_REPORT=" ") is an error, not zero reports; no
// selection at all is every report.
func TestSelectEmpty(t *testing.T) {
	t.Parallel()
	if got, err := Select(nil); err != nil || len(got) != len(Default) {
		t.Errorf("Select(nil) = %d reports, %v; want every report but the detail reports", len(got), err)
	}
	for _, names := range [][]string{{""}, {"", ""}, {" "}, {","}, {" , "}, {"", " ,\t"}} {
		got, err := Select(names)
		if err == nil || !strings.Contains(err.Error(), "names no report") {
			t.Errorf("Select(%q) = %d reports, %v; want an error saying it names no report", names, len(got), err)
		}
	}
	if got, err := Select([]string{"", "skype-activity-counts", ","}); err != nil || len(got) != 1 {
		t.Errorf("Select with one name among blanks = %d reports, %v; want 1", len(got), err)
	}
}

func TestTableName(t *testing.T) {
	t.Parallel()
	for fn, want := range map[string]string{
		"getTeamsUserActivityCounts":                     "teams_user_activity_counts",
		"getSkypeForBusinessOrganizerActivityUserCounts": "skype_organizer_activity_user_counts",
		"getOffice365ActiveUserCounts":                   "office365_active_user_counts",
		"getOneDriveUsageStorage":                        "onedrive_usage_storage",
		"getSharePointSiteUsageSiteCounts":               "sharepoint_site_usage_site_counts",
		"getM365AppPlatformUserCounts":                   "m365_app_platform_user_counts",
		"getMicrosoft365CopilotUserCountTrend":           "copilot_user_count_trend",
		"getEmailAppUsageVersionsUserCounts":             "email_app_usage_versions_user_counts",
		"getMailboxUsageQuotaStatusMailboxCounts":        "mailbox_usage_quota_status_mailbox_counts",
		"getYammerDeviceUsageUserCounts":                 "yammer_device_usage_user_counts",
	} {
		if got := TableName(fn); got != want {
			t.Errorf("TableName(%s) = %s, want %s", fn, got, want)
		}
	}
	if got := ShortName("getTeamsTeamCounts"); got != "teams-team-counts" {
		t.Errorf("ShortName = %s", got)
	}
}

// fromHeader reads a report's shape off its header line.
func TestFromHeaderShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header                    string
		dated, snapshot, noPeriod bool
		periodColumn              bool
		key                       string
	}{
		{"Report Refresh Date,Send,Report Date,Report Period", true, false, false, true, "tenant_id,report_date"},
		{"Report Refresh Date,Web,Report Period", false, true, false, true, "tenant_id,report_refresh_date,report_period"},
		{"Report Refresh Date,Product Type,Windows", false, false, true, false, "tenant_id,report_refresh_date,product_type"},
		{"Report Refresh Date,Report Date,Public Teams", true, false, false, false, "tenant_id,report_date"},
		{"Report Refresh Date,Report Period,Report Date,Web", true, false, false, true, "tenant_id,report_date"},
	} {
		var opts []option
		if strings.Contains(tc.header, "Product Type") {
			opts = append(opts, dim("Product Type", "VISIO"))
		}
		s := fromHeader("getX", "x", Sum, tc.header, opts...)
		if s.Dated() != tc.dated || s.Snapshot != tc.snapshot || s.NoPeriod != tc.noPeriod || s.HasPeriodColumn() != tc.periodColumn || strings.Join(s.Key(), ",") != tc.key {
			t.Errorf("%s: dated %v snapshot %v noPeriod %v period column %v key %v", tc.header, s.Dated(), s.Snapshot, s.NoPeriod, s.HasPeriodColumn(), s.Key())
		}
		if got := len(s.HeaderColumns()); got != len(strings.Split(tc.header, ",")) {
			t.Errorf("%s: %d header columns", tc.header, got)
		}
	}
	if got := fromHeader("getX", "x", Level, "Report Refresh Date,Storage Used (Byte),Report Date,Report Period").Metrics[0]; got.Type != Bytes || got.Name != "storage_used_byte" || got.JSON != "storageUsedInBytes" || got.Aliases[0] != "storageUsedByte" {
		t.Errorf("storage column %+v", got)
	}
}

// The Skype short names gained the skype- prefix (the naming rule); their
// old names stay aliases, so that device-usage-user-counts is Skype's and
// never Teams' or Viva Engage's.
func TestSkypeAliases(t *testing.T) {
	t.Parallel()
	for alias, want := range map[string]string{
		"device-usage-user-counts":          "skype-device-usage-user-counts",
		"ORGANIZER-ACTIVITY-USER-COUNTS":    "skype-organizer-activity-user-counts",
		"activity-counts":                   "skype-activity-counts",
		"teams-device-usage-user-counts":    "teams-device-usage-user-counts",
		"getTeamsDeviceUsageUserCounts":     "teams-device-usage-user-counts",
		"yammer_device_usage_user_counts":   "yammer-device-usage-user-counts",
		"skype-device-usage-user-counts":    "skype-device-usage-user-counts",
		"getskypeforbusinessactivitycounts": "skype-activity-counts",
	} {
		s, err := Lookup(alias)
		if err != nil || s.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", alias, s, err, want)
		}
	}
	// No alias names another report.
	for _, s := range All {
		for _, a := range s.Aliases {
			for _, o := range All {
				if o != s && (strings.EqualFold(a, o.Name) || strings.EqualFold(a, o.Table) || strings.EqualFold(a, o.Function)) {
					t.Errorf("alias %s of %s names %s", a, s.Name, o.Name)
				}
			}
		}
	}
}
