package report

import (
	"slices"
	"strings"
	"testing"
)

// detailSpec finds a detail report by its Graph function.
func detailSpec(t *testing.T, function string) *Spec {
	t.Helper()
	for _, s := range DetailReports {
		if s.Function == function {
			return s
		}
	}
	t.Fatalf("no detail report %s", function)
	return nil
}

// detailColumn finds a column of s by its warehouse name.
func detailColumn(t *testing.T, s *Spec, name string) Column {
	t.Helper()
	for _, c := range s.Columns() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s: no column %s", s.Name, name)
	return Column{}
}

// TestDetailSpecs checks the invariants of every detail report that
// transform and load rely on, as TestSpecTable does for All.
func TestDetailSpecs(t *testing.T) {
	t.Parallel()
	want := []string{
		"getEmailActivityUserDetail", "getEmailAppUsageUserDetail", "getMailboxUsageDetail",
		"getOffice365ActivationsUserDetail", "getOffice365ActiveUserDetail", "getOffice365GroupsActivityDetail",
		"getOneDriveActivityUserDetail", "getOneDriveUsageAccountDetail",
		"getSharePointActivityUserDetail", "getSharePointSiteUsageDetail",
		"getTeamsDeviceUsageUserDetail", "getTeamsUserActivityUserDetail", "getTeamsTeamActivityDetail",
		"getYammerActivityUserDetail", "getYammerDeviceUsageUserDetail", "getYammerGroupsActivityDetail",
		"getM365AppUserDetail", "getMicrosoft365CopilotUsageUserDetail",
		"getSkypeForBusinessActivityUserDetail", "getSkypeForBusinessDeviceUsageUserDetail",
	}
	var got []string
	for _, s := range DetailReports {
		got = append(got, s.Function)
	}
	if !slices.Equal(got, want) {
		t.Errorf("detail reports\n got %v\nwant %v", got, want)
	}

	seen := map[string]string{}
	for _, s := range Default {
		for _, id := range append([]string{s.Name, s.Function, s.Table}, s.Aliases...) {
			seen[strings.ToLower(id)] = s.Name
		}
	}
	for _, s := range DetailReports {
		if !s.IsDetail() {
			t.Fatalf("%s: no Detail", s.Function)
		}
		for _, id := range append([]string{s.Name, s.Function, s.Table}, s.Aliases...) {
			if other, dup := seen[strings.ToLower(id)]; dup {
				t.Errorf("%s: %q is also used by %s", s.Name, id, other)
			}
			seen[strings.ToLower(id)] = s.Name
		}
		if s.Table != TableName(s.Function) || s.Name != ShortName(s.Function) || !strings.HasSuffix(s.Table, "_detail") {
			t.Errorf("%s: table %s, name %s; the rule gives %s", s.Function, s.Table, s.Name, TableName(s.Function))
		}
		if s.Title == "" || len(s.Metrics) == 0 {
			t.Errorf("%s: no title or no metrics", s.Name)
		}

		// The key: the day, the period, the entity and its concealment,
		// then the report's own dimensions.
		if k := s.Key(); !slices.Equal(k[:5], []string{TenantID, ReportDate.Name, Period.Name, EntityKey.Name, Concealed.Name}) {
			t.Errorf("%s: key %v", s.Name, k)
		}
		if len(s.Dims) < 2 || s.Dims[0].Name != EntityKey.Name || s.Dims[1].Name != Concealed.Name {
			t.Errorf("%s: dimensions %v do not start with entity_key, concealed", s.Name, s.Dims)
		}

		// Every column once, snake_case, and every normalised key naming
		// one column only.
		names := map[string]bool{}
		keys := map[string]string{}
		for _, c := range s.Columns() {
			if names[c.Name] {
				t.Errorf("%s: column %s twice", s.Name, c.Name)
			}
			names[c.Name] = true
			if !snakeRE.MatchString(c.Name) || len(c.Name) > 63 {
				t.Errorf("%s: column name %q is not a snake_case Postgres name", s.Name, c.Name)
			}
			if c.Header == "" || (c.JSON == "" && !c.Derived) {
				t.Errorf("%s.%s: no header or JSON name", s.Name, c.Name)
			}
			if (c.Type == Bytes) != strings.HasSuffix(c.Header, "(Byte)") {
				t.Errorf("%s.%s: type %v for header %q (bytes iff it ends (Byte))", s.Name, c.Name, c.Type, c.Header)
			}
			if c.Derived {
				continue // not in the payload: no header or property names it
			}
			for _, k := range c.Keys() {
				if other, dup := keys[k]; dup && other != c.Name {
					t.Errorf("%s: key %q names both %s and %s", s.Name, k, other, c.Name)
				}
				keys[k] = c.Name
			}
		}

		// The header holds every column of the payload once: all but the
		// derived ones, and Report Period where the payload lacks it.
		inHeader := map[string]int{}
		for _, c := range s.Header {
			inHeader[c.Name]++
			if c.Derived || !names[c.Name] {
				t.Errorf("%s: header column %s is not a payload column", s.Name, c.Name)
			}
		}
		if s.Header[0].Name != RefreshDate.Name {
			t.Errorf("%s: header starts with %s, not Report Refresh Date", s.Name, s.Header[0].Header)
		}
		for _, c := range s.Columns() {
			switch n := inHeader[c.Name]; {
			case n > 1:
				t.Errorf("%s: %s %d times in the header", s.Name, c.Header, n)
			case n == 0 && !c.Derived && c.Name != Period.Name:
				t.Errorf("%s: %s is not in the header", s.Name, c.Header)
			}
		}

		// The entity: columns of the payload, ids first, at least one name;
		// the names of people and places are text columns.
		if len(s.Detail.Entity) == 0 {
			t.Errorf("%s: no entity", s.Name)
		}
		hasName := false
		for i, h := range s.Detail.Entity {
			c := headerColumn(s, h)
			if c == nil || c.Type != Text {
				t.Errorf("%s: entity %q is not a text column", s.Name, h)
				continue
			}
			id := strings.HasSuffix(h, " Id")
			if id && i > 0 && !strings.HasSuffix(s.Detail.Entity[i-1], " Id") {
				t.Errorf("%s: entity %v has an id after a name", s.Name, s.Detail.Entity)
			}
			hasName = hasName || !id
		}
		if !hasName {
			t.Errorf("%s: entity %v has no name to fall back on when ids are concealed", s.Name, s.Detail.Entity)
		}
		if len(s.Detail.Names) == 0 {
			t.Errorf("%s: no Detail.Names", s.Name)
		}
		for _, h := range s.Detail.Names {
			if c := headerColumn(s, h); c == nil || c.Type != Text {
				t.Errorf("%s: name column %q is not a text column", s.Name, h)
			}
		}
		for _, h := range s.Detail.Entity {
			if !strings.HasSuffix(h, " Id") && !slices.Contains(s.Detail.Names, h) {
				t.Errorf("%s: entity name %q is not among the names (concealed, pseudonymized)", s.Name, h)
			}
		}
	}
}

// headerColumn is the column of s with header h, or nil.
func headerColumn(s *Spec, h string) *Column {
	for i, c := range s.Header {
		if c.Header == h {
			return &s.Header[i]
		}
	}
	return nil
}

// TestDetailShapes: what each function takes (date=, period=, neither), where
// it is served and under which other names.
func TestDetailShapes(t *testing.T) {
	t.Parallel()
	noDate := []string{"getMailboxUsageDetail", "getOffice365ActivationsUserDetail", "getMicrosoft365CopilotUsageUserDetail"}
	for _, s := range DetailReports {
		if s.Detail.ByDate == slices.Contains(noDate, s.Function) {
			t.Errorf("%s: ByDate %v", s.Name, s.Detail.ByDate)
		}
		path := "/v1.0/reports/" + s.Function + "(period='D7')"
		switch s.Function {
		case "getOffice365ActivationsUserDetail":
			path = "/v1.0/reports/getOffice365ActivationsUserDetail()"
		case "getMicrosoft365CopilotUsageUserDetail":
			path = "/v1.0/copilot/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')"
		}
		if got := s.Path("v1.0", "D7"); got != path {
			t.Errorf("%s: path %s, want %s", s.Name, got, path)
		}
		if !s.Serves("v1.0") || !s.Serves("beta") {
			t.Errorf("%s: versions %v", s.Name, s.Versions)
		}
	}
	if got := detailSpec(t, "getTeamsUserActivityUserDetail").DatePath("v1.0", "2026-11-20"); got != "/v1.0/reports/getTeamsUserActivityUserDetail(date=2026-11-20)" {
		t.Errorf("date path %s", got)
	}

	// The activations: a row per user and product type.
	a := detailSpec(t, "getOffice365ActivationsUserDetail")
	if k := strings.Join(a.Key(), ","); k != "tenant_id,report_date,report_period,entity_key,concealed,product_type" || !a.NoPeriod || a.NestedJSON != "userActivationCounts" {
		t.Errorf("activations: key %s, NoPeriod %v, nested %q", k, a.NoPeriod, a.NestedJSON)
	}
	if c := detailColumn(t, a, "product_type"); c.Type != Text || c.Optional {
		t.Errorf("activations: product type %+v", c)
	}

	// Entities found among the headers, or given.
	for fn, want := range map[string]string{
		"getOffice365GroupsActivityDetail": "Group Id,Group Display Name",
		"getOneDriveUsageAccountDetail":    "Site URL",
		"getSharePointSiteUsageDetail":     "Site Id,Site URL",
		"getTeamsDeviceUsageUserDetail":    "User Id,User Principal Name",
		"getTeamsTeamActivityDetail":       "Team Id,Team Name",
		"getYammerGroupsActivityDetail":    "Group Display Name",
		"getMailboxUsageDetail":            "User Principal Name",
	} {
		if got := strings.Join(detailSpec(t, fn).Detail.Entity, ","); got != want {
			t.Errorf("%s: entity %s, want %s", fn, got, want)
		}
	}

	// The Skype reports keep their names without skype-.
	for fn, alias := range map[string]string{
		"getSkypeForBusinessActivityUserDetail":    "activity-user-detail",
		"getSkypeForBusinessDeviceUsageUserDetail": "device-usage-user-detail",
	} {
		if s := detailSpec(t, fn); !slices.Equal(s.Aliases, []string{alias}) || !strings.HasPrefix(s.Name, "skype-") {
			t.Errorf("%s: name %s aliases %v, want %s", fn, s.Name, s.Aliases, alias)
		}
	}
}

// TestDetailTypes: columns whose type detailType guesses from the header,
// or that an option sets, checked by name.
func TestDetailTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		function, column string
		want             Type
	}{
		{"getEmailActivityUserDetail", "last_activity_date", Date},
		{"getEmailActivityUserDetail", "is_deleted", Bool},
		{"getEmailActivityUserDetail", "assigned_products", List},
		{"getEmailActivityUserDetail", "display_name", Text},
		{"getEmailActivityUserDetail", "send_count", Count},
		{"getEmailAppUsageUserDetail", "mail_for_mac", List},
		{"getEmailAppUsageUserDetail", "outlook_for_windows", List},
		{"getEmailAppUsageUserDetail", "smtp_app", List},
		{"getMailboxUsageDetail", "created_date", Date},
		{"getMailboxUsageDetail", "storage_used_byte", Bytes},
		{"getMailboxUsageDetail", "deleted_item_quota_byte", Bytes},
		{"getMailboxUsageDetail", "has_archive", Bool},
		{"getMailboxUsageDetail", "item_count", Count},
		{"getOffice365ActivationsUserDetail", "last_activated_date", Date},
		{"getOffice365ActivationsUserDetail", "windows_10_mobile", Count},
		{"getOffice365ActivationsUserDetail", "activated_on_shared_computer", Bool},
		{"getOffice365ActiveUserDetail", "has_teams_license", Bool},
		{"getOffice365ActiveUserDetail", "teams_license_assign_date", Date},
		{"getOffice365GroupsActivityDetail", "group_type", Text},
		{"getOffice365GroupsActivityDetail", "group_id", Text},
		{"getOffice365GroupsActivityDetail", "exchange_mailbox_storage_used_byte", Bytes},
		{"getOneDriveUsageAccountDetail", "storage_allocated_byte", Bytes},
		{"getOneDriveUsageAccountDetail", "site_url", Text},
		{"getSharePointSiteUsageDetail", "root_web_template", Text},
		{"getTeamsDeviceUsageUserDetail", "used_chrome_os", Bool},
		{"getTeamsDeviceUsageUserDetail", "is_licensed", Bool},
		{"getTeamsUserActivityUserDetail", "audio_duration", Duration},
		{"getTeamsUserActivityUserDetail", "audio_duration_in_seconds", Count},
		{"getTeamsUserActivityUserDetail", "has_other_action", Bool},
		{"getTeamsTeamActivityDetail", "team_type", Text},
		{"getTeamsTeamActivityDetail", "active_shared_channels", Count},
		{"getYammerActivityUserDetail", "user_state", Text},
		{"getYammerActivityUserDetail", "state_change_date", Date},
		{"getYammerDeviceUsageUserDetail", "used_others", Bool},
		{"getYammerGroupsActivityDetail", "office_365_connected", Bool},
		{"getM365AppUserDetail", "last_activation_date", Date},
		{"getM365AppUserDetail", "windows", Bool},
		{"getM365AppUserDetail", "teams", Bool},
		{"getM365AppUserDetail", "outlook_windows", Bool},
		{"getM365AppUserDetail", "onenote_web", Bool},
		{"getMicrosoft365CopilotUsageUserDetail", "copilot_chat_last_activity_date", Date},
		{"getSkypeForBusinessActivityUserDetail", "peer_to_peer_audio_minutes", Count},
		{"getSkypeForBusinessActivityUserDetail", "organized_conference_dial_out_microsoft_minutes", Count},
		{"getSkypeForBusinessActivityUserDetail", "peer_to_peer_last_activity_date", Date},
		{"getSkypeForBusinessDeviceUsageUserDetail", "used_iphone", Bool},
	} {
		if got := detailColumn(t, detailSpec(t, tc.function), tc.column).Type; got != tc.want {
			t.Errorf("%s.%s: %v, want %v", tc.function, tc.column, got, tc.want)
		}
	}
	// No detail column is a count that its header says is something else.
	for _, s := range DetailReports {
		for _, c := range s.Metrics {
			h := c.Header
			if c.Type == Count && (strings.HasSuffix(h, " Date") || strings.HasPrefix(h, "Used ") || strings.HasPrefix(h, "Is ") ||
				strings.HasPrefix(h, "Has ") || strings.HasSuffix(h, "Name") || strings.HasSuffix(h, " Id")) {
				t.Errorf("%s.%s: a count", s.Name, c.Name)
			}
		}
	}
}

// detailHeaders are header lines the detail reports are seen or documented
// with: the real files (the CLI for Microsoft 365's examples), and the
// documented lines where they differ (older or newer headers that must load
// too). docs/detail-reports.md gives their sources.
var detailHeaders = []struct {
	function, source, header string
}{
	{"getEmailActivityUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period"},
	{"getEmailActivityUserDetail", "2021 docs", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Assigned Products,Report Period"},
	{"getEmailAppUsageUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Period"},
	{"getMailboxUsageDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period"},
	{"getMailboxUsageDetail", "docs-contrib v1.0 example", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Report Period"},
	{"getOffice365ActivationsUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,Product Type,Last Activated Date,Windows,Mac,Windows 10 Mobile,iOS,Android,Activated On Shared Computer"},
	{"getOffice365ActiveUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products"},
	{"getOffice365GroupsActivityDetail", "observed", "Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,Member Count,External Member Count,Exchange Received Email Count,SharePoint Active File Count,Yammer Posted Message Count,Yammer Read Message Count,Yammer Liked Message Count,Exchange Mailbox Total Item Count,Exchange Mailbox Storage Used (Byte),SharePoint Total File Count,SharePoint Site Storage Used (Byte),Group Id,Report Period"},
	{"getOffice365GroupsActivityDetail", "docs-contrib v1.0", "Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,Member Count,Guest Count,Exchange Received Email Count,SharePoint Active File Count,Yammer Posted Message Count,Yammer Read Message Count,Yammer Liked Message Count,Exchange Mailbox Total Item Count,Exchange Mailbox Storage Used (Byte),SharePoint Total File Count,SharePoint Site Storage Used (Byte),Report Period"},
	{"getOneDriveActivityUserDetail", "observed", "Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Assigned Products,Report Period"},
	{"getOneDriveUsageAccountDetail", "observed", "Report Refresh Date,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Storage Used (Byte),Storage Allocated (Byte),Owner Principal Name,Report Period"},
	{"getSharePointActivityUserDetail", "observed", "Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Visited Page Count,Assigned Products,Report Period"},
	{"getSharePointSiteUsageDetail", "observed", "Report Refresh Date,Site Id,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Owner Principal Name,Report Period"},
	{"getTeamsDeviceUsageUserDetail", "observed", "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Used  Chrome OS,Used Linux,Is Licensed,Report Period"},
	{"getTeamsDeviceUsageUserDetail", "docs-contrib v1.0", "Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Report Period"},
	{"getTeamsDeviceUsageUserDetail", "docs-contrib beta", "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Used Chrome OS,Used Linux,Is Licensed,Report Period"},
	{"getTeamsUserActivityUserDetail", "observed", "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Urgent Messages,Post Messages,Tenant Display Name,Shared Channel Tenant Display Names,Reply Messages,Is Licensed,Report Period"},
	{"getTeamsUserActivityUserDetail", "2021 docs", "Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Has Other Action,Report Period"},
	{"getTeamsTeamActivityDetail", "docs-contrib v1.0", "Report Refresh Date,Team Name,Team Id,Team Type,Last Activity Date,Report Period,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Reply Messages,Channel Messages,Urgent Messages,Mentions,Active Shared Channels,Active External Users"},
	{"getTeamsTeamActivityDetail", "docs-contrib v1.0 bullets", "Report Refresh Date,Team Name,Team Id,Team type,Last Activity Date,Report Period,Active users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Reply Messages,Channel Messages,Urgent Messages,Mentions,Active Shared Channels,Active External Users"},
	{"getYammerActivityUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period"},
	{"getYammerDeviceUsageUserDetail", "observed", "Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,Used Web,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Used Others,Report Period"},
	{"getYammerGroupsActivityDetail", "observed", "Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,Office 365 Connected,Member Count,Posted Count,Read Count,Liked Count,Report Period"},
	{"getM365AppUserDetail", "docs-contrib v1.0", "Report Refresh Date,User Principal Name,Last Activation Date,Last Activity Date,Report Period,Windows,Mac,Mobile,Web,Outlook,Word,Excel,PowerPoint,OneNote,Teams,Outlook (Windows),Word (Windows),Excel (Windows),PowerPoint (Windows),OneNote (Windows),Teams (Windows),Outlook (Mac),Word (Mac),Excel (Mac),PowerPoint (Mac),OneNote (Mac),Teams (Mac),Outlook (Mobile),Word (Mobile),Excel (Mobile),PowerPoint (Mobile),OneNote (Mobile),Teams (Mobile),Outlook (Web),Word (Web),Excel (Web),PowerPoint (Web),OneNote (Web),Teams (Web)"},
	{"getMicrosoft365CopilotUsageUserDetail", "docs-contrib beta", "Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Copilot Chat Last Activity Date"},
	{"getSkypeForBusinessActivityUserDetail", "observed", "Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Total Peer-to-peer Session Count,Total Organized Conference Count,Total Participated Conference Count,Peer-to-peer Last Activity Date,Organized Conference Last Activity Date,Participated Conference Last Activity Date,Peer-to-peer IM Count,Peer-to-peer Audio Count,Peer-to-peer Audio Minutes,Peer-to-peer Video Count,Peer-to-peer Video Minutes,Peer-to-peer App Sharing Count,Peer-to-peer File Transfer Count,Organized Conference IM Count,Organized Conference Audio/Video Count,Organized Conference Audio/Video Minutes,Organized Conference App Sharing Count,Organized Conference Web Count,Organized Conference Dial-in/out 3rd Party Count,Organized Conference Dial-in/out Microsoft Count,Organized Conference Dial-in Microsoft Minutes,Organized Conference Dial-out Microsoft Minutes,Participated Conference IM Count,Participated Conference Audio/Video Count,Participated Conference Audio/Video Minutes,Participated Conference App Sharing Count,Participated Conference Web Count,Participated Conference Dial-in/out 3rd Party Count,Assigned Products,Report Period"},
	{"getSkypeForBusinessDeviceUsageUserDetail", "2021 docs", "Report Refresh Date,User Principal Name,Last Activity Date,Used Windows,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Report Period"},
}

// TestDetailHeadersMatch: every header line a detail report is seen or
// documented with names spec columns only, each once, and lacks no required
// column; every detail report has a line here.
func TestDetailHeadersMatch(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range detailHeaders {
		s := detailSpec(t, tc.function)
		covered[tc.function] = true
		found := map[string]bool{}
		for _, h := range strings.Split(tc.header, ",") {
			k := Normalize(h)
			i := slices.IndexFunc(s.Columns(), func(c Column) bool { return !c.Derived && slices.Contains(c.Keys(), k) })
			if i < 0 {
				t.Errorf("%s (%s): unknown column %q", s.Name, tc.source, h)
				continue
			}
			name := s.Columns()[i].Name
			if found[name] {
				t.Errorf("%s (%s): %q names %s again", s.Name, tc.source, h, name)
			}
			found[name] = true
		}
		for _, c := range s.Columns() {
			if !c.Derived && !c.Optional && !found[c.Name] {
				t.Errorf("%s (%s): required column %q missing", s.Name, tc.source, c.Header)
			}
		}
	}
	for _, s := range DetailReports {
		if !covered[s.Function] {
			t.Errorf("%s: no header line to check", s.Name)
		}
	}
}

// TestDetailJSONNames: beta JSON property names that the header's camelCase
// does not give, matched by an alias.
func TestDetailJSONNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ function, column, json string }{
		{"getMailboxUsageDetail", "deleted_item_quota_byte", "deletedItemQuota"},
		{"getMailboxUsageDetail", "storage_used_byte", "storageUsedInBytes"},
		{"getOneDriveUsageAccountDetail", "storage_used_byte", "storageUsedInByte"},
		{"getOneDriveUsageAccountDetail", "storage_allocated_byte", "storageAllocatedInByte"},
		{"getOneDriveUsageAccountDetail", "storage_allocated_byte", "storageAllocatedInBytes"},
		{"getOffice365GroupsActivityDetail", "external_member_count", "guestCount"},
		{"getOffice365ActivationsUserDetail", "windows_10_mobile", "windows10Mobile"},
		{"getTeamsDeviceUsageUserDetail", "used_chrome_os", "usedChromeOS"},
		{"getTeamsDeviceUsageUserDetail", "used_ios", "usediOS"},
		{"getSkypeForBusinessActivityUserDetail", "organized_conference_dial_in_out_microsoft_count", "organizedConferenceCloudDialInOutMicrosoftCount"},
		{"getSkypeForBusinessActivityUserDetail", "organized_conference_dial_in_microsoft_minutes", "organizedConferenceCloudDialInMicrosoftMinutes"},
		{"getSkypeForBusinessActivityUserDetail", "organized_conference_dial_out_microsoft_minutes", "organizedConferenceCloudDialOutMicrosoftMinutes"},
		{"getSkypeForBusinessActivityUserDetail", "peer_to_peer_im_count", "peerToPeerIMCount"},
		{"getSkypeForBusinessActivityUserDetail", "organized_conference_dial_in_out_3rd_party_count", "organizedConferenceDialInOut3rdPartyCount"},
		{"getSkypeForBusinessDeviceUsageUserDetail", "used_iphone", "usediPhone"},
		{"getM365AppUserDetail", "outlook_windows", "outlookWindows"},
	} {
		c := detailColumn(t, detailSpec(t, tc.function), tc.column)
		if !slices.Contains(c.Keys(), Normalize(tc.json)) {
			t.Errorf("%s.%s: JSON %q does not match (keys %v)", tc.function, tc.column, tc.json, c.Keys())
		}
	}
}
