// Package report holds the report-spec table: for every supported Microsoft
// Graph usage report, the Graph function, the target table and the metric
// columns with their canonical header, JSON property and aliases. extract,
// transform and load all read it, so adding a report is one entry here plus
// one migration.
package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Column is one column of a report besides the refresh date, report date
// and period: a metric, or a dimension that is part of the row's key.
type Column struct {
	// Name is the warehouse column, snake_case of the header.
	Name string
	// Header is the canonical CSV header as Microsoft documents it.
	Header string
	// JSON is the beta $format=application/json property name.
	JSON string
	// Aliases are other spellings seen for the same column in CSV headers or
	// JSON properties. They are compared after Normalize.
	Aliases []string
	// Type is what the column holds (Count when not set).
	Type Type
	// Agg is how the metric aggregates over a week or a month; 0 takes the
	// report's (Spec.Agg).
	Agg Agg
	// Optional marks a column that real files may lack: the documented and
	// the observed headers differ, or the column was added to the report
	// later. A payload without it loads with the column NULL; any other
	// missing column is an error.
	Optional bool
	// Values are the values a dimension is known to take (Site Type: All,
	// Team, Non-Team...), as graph-sim serves them. Parsing takes any.
	Values []string
	// Derived marks a column that is not in the payload: transform works it
	// out (a detail report's report_date, entity_key and concealed).
	Derived bool
}

// Spec describes one report.
type Spec struct {
	// Name is the short name used by --report and printed by `ingest reports`.
	Name string
	// Aliases are other short names that --report takes (for the Skype
	// reports, their names before the skype- prefix).
	Aliases []string
	// Function is the Graph function under Root.
	Function string
	// Root is the path the function hangs off after the API version:
	// "/reports" when empty, or "/copilot/reports".
	Root string
	// Versions are the API versions that serve the function; nil means both
	// v1.0 and beta.
	Versions []string
	// Table is the warehouse table (unqualified; the schema is configurable).
	Table string
	// Title is a human description.
	Title string
	// Dims are the text columns that identify a row besides its date (Site
	// Type, Product Type): part of the key, never empty.
	Dims []Column
	// Metrics are the value columns, in the documented order.
	Metrics []Column
	// Agg is how the metrics aggregate that do not say (Column.Agg).
	Agg Agg
	// Snapshot marks a report without a Report Date: one row of totals for
	// the whole period, keyed by (tenant, refresh date, period) instead of
	// (tenant, report date). Its rows have a zero report date.
	Snapshot bool
	// NoPeriod marks a function without the period parameter, whose payload
	// has no Report Period either (the activations): a snapshot keyed by
	// (tenant, refresh date, dims). Its rows have a zero period.
	NoPeriod bool
	// NoPeriodColumn marks a dated report whose function takes the period
	// but whose payload has no Report Period (getTeamsTeamCounts): its table
	// has no report_period either.
	NoPeriodColumn bool
	// NestedJSON is the property of a JSON record that holds its rows, when
	// the report's JSON nests them (the Microsoft 365 apps: userCounts;
	// Copilot: adoptionByDate, adoptionByProduct): each element is a row,
	// with the record's other properties (refresh date, period).
	NestedJSON string
	// Header is the documented column order of the CSV, when it is not the
	// usual Report Refresh Date, Report Date, Report Period and then the
	// metrics. It holds every column of Columns exactly once. Parsing does
	// not depend on it (columns are matched by name); the simulator writes
	// it.
	Header []Column
	// Detail is set for a per-entity report (a ...Detail function): see
	// Detail. Its Dims start with EntityKey and Concealed.
	Detail *Detail
}

// The three leading columns every report carries (a snapshot report has no
// Report Date).
var (
	RefreshDate = Column{Name: "report_refresh_date", Header: "Report Refresh Date", JSON: "reportRefreshDate"}
	ReportDate  = Column{Name: "report_date", Header: "Report Date", JSON: "reportDate"}
	Period      = Column{Name: "report_period", Header: "Report Period", JSON: "reportPeriod"}
)

// Periods are the values Graph accepts for period.
var Periods = []string{"D7", "D30", "D90", "D180"}

// TenantID is the key column that says which tenant a row came from; it is
// not in the payload.
const TenantID = "tenant_id"

// Metric columns, shared by the reports that document them with the same
// header and JSON name.
var (
	colIM           = Column{Name: "im", Header: "IM", JSON: "im"}
	colAudioVideo   = Column{Name: "audio_video", Header: "Audio/Video", JSON: "audioVideo"}
	colAppSharing   = Column{Name: "app_sharing", Header: "App Sharing", JSON: "appSharing"}
	colWeb          = Column{Name: "web", Header: "Web", JSON: "web"}
	colDial3rd      = Column{Name: "dial_in_out_3rd_party", Header: "Dial-in/out 3rd Party", JSON: "dialInOut3rdParty", Aliases: []string{"Dial-in/out third Party"}}
	colDialMS       = Column{Name: "dial_in_out_microsoft", Header: "Dial-in/out Microsoft", JSON: "dialInOutMicrosoft"}
	colDialInMS     = Column{Name: "dial_in_microsoft", Header: "Dial-in Microsoft", JSON: "dialInMicrosoft"}
	colDialOutMS    = Column{Name: "dial_out_microsoft", Header: "Dial-out Microsoft", JSON: "dialOutMicrosoft"}
	colAudio        = Column{Name: "audio", Header: "Audio", JSON: "audio"}
	colVideo        = Column{Name: "video", Header: "Video", JSON: "video"}
	colFileTransfer = Column{Name: "file_transfer", Header: "File Transfer", JSON: "fileTransfer"}
	colPeerToPeer   = Column{Name: "peer_to_peer", Header: "Peer-to-peer", JSON: "peerToPeer"}
	colOrganized    = Column{Name: "organized", Header: "Organized", JSON: "organized"}
	colParticipated = Column{Name: "participated", Header: "Participated", JSON: "participated"}
	colWindows      = Column{Name: "windows", Header: "Windows", JSON: "windows"}
	colWindowsPhone = Column{Name: "windows_phone", Header: "Windows Phone", JSON: "windowsPhone"}
	colAndroidPhone = Column{Name: "android_phone", Header: "Android Phone", JSON: "androidPhone"}
	colIPhone       = Column{Name: "iphone", Header: "iPhone", JSON: "iPhone"}
	colIPad         = Column{Name: "ipad", Header: "iPad", JSON: "iPad"}

	// ParticipantActivityMinuteCounts is documented with "audiovideo" in its
	// beta JSON example and "audioVideo" in its resource table.
	colAudioVideoLower = Column{Name: "audio_video", Header: "Audio/Video", JSON: "audiovideo", Aliases: []string{"audioVideo"}}

	deviceMetrics = []Column{colWindows, colWindowsPhone, colAndroidPhone, colIPhone, colIPad}
)

// All is the report-spec table, in the order reports are fetched: the
// reports of reportRoot and the Copilot reports, then the per-entity
// detail reports (report.Detail). Each entry has its table in migrations/.
var All = slices.Concat(skype, exchange, office365, onedrive, sharepoint, teams, yammer, apps, DetailReports)

// Default are the reports a run fetches without --report, and what "all"
// selects: every report of All but the detail reports. Those hold people's
// names and are large, so a run fetches them only when asked: "detail"
// selects them all, or each by its name.
var Default = slices.DeleteFunc(slices.Clone(All), func(s *Spec) bool { return s.Detail != nil })

// skype is the Skype for Business report family (FAMILY.md).
var skype = []*Spec{
	{
		Name:     "skype-organizer-activity-counts",
		Aliases:  []string{"organizer-activity-counts"},
		Function: "getSkypeForBusinessOrganizerActivityCounts",
		Table:    "skype_organizer_activity_counts",
		Title:    "Skype for Business organizer activity: conferences organized per day and activity type",
		Agg:      Sum,
		Metrics:  []Column{colIM, colAudioVideo, colAppSharing, colWeb, colDial3rd, colDialMS},
	},
	{
		Name:     "skype-organizer-activity-user-counts",
		Aliases:  []string{"organizer-activity-user-counts"},
		Function: "getSkypeForBusinessOrganizerActivityUserCounts",
		Table:    "skype_organizer_activity_user_counts",
		Title:    "Skype for Business organizer activity: unique organizers per day and activity type",
		Agg:      Users,
		Metrics:  []Column{colIM, colAudioVideo, colAppSharing, colWeb, colDial3rd, colDialMS},
	},
	{
		Name:     "skype-organizer-activity-minute-counts",
		Aliases:  []string{"organizer-activity-minute-counts"},
		Function: "getSkypeForBusinessOrganizerActivityMinuteCounts",
		Table:    "skype_organizer_activity_minute_counts",
		Title:    "Skype for Business organizer activity: conference minutes per day",
		Agg:      Sum,
		Metrics:  []Column{colAudioVideo, colDialInMS, colDialOutMS},
	},
	{
		Name:     "skype-participant-activity-counts",
		Aliases:  []string{"participant-activity-counts"},
		Function: "getSkypeForBusinessParticipantActivityCounts",
		Table:    "skype_participant_activity_counts",
		Title:    "Skype for Business participant activity: conference participations per day and activity type",
		Agg:      Sum,
		Metrics:  []Column{colIM, colAudioVideo, colAppSharing, colWeb, colDial3rd},
	},
	{
		Name:     "skype-participant-activity-user-counts",
		Aliases:  []string{"participant-activity-user-counts"},
		Function: "getSkypeForBusinessParticipantActivityUserCounts",
		Table:    "skype_participant_activity_user_counts",
		Title:    "Skype for Business participant activity: unique participants per day and activity type",
		Agg:      Users,
		Metrics:  []Column{colIM, colAudioVideo, colAppSharing, colWeb, colDial3rd},
	},
	{
		Name:     "skype-participant-activity-minute-counts",
		Aliases:  []string{"participant-activity-minute-counts"},
		Function: "getSkypeForBusinessParticipantActivityMinuteCounts",
		Table:    "skype_participant_activity_minute_counts",
		Title:    "Skype for Business participant activity: conference minutes per day",
		Agg:      Sum,
		Metrics:  []Column{colAudioVideoLower},
	},
	{
		Name:     "skype-peer-to-peer-activity-counts",
		Aliases:  []string{"peer-to-peer-activity-counts"},
		Function: "getSkypeForBusinessPeerToPeerActivityCounts",
		Table:    "skype_peer_to_peer_activity_counts",
		Title:    "Skype for Business peer-to-peer activity: sessions per day and activity type",
		Agg:      Sum,
		Metrics:  []Column{colIM, colAudio, colVideo, colAppSharing, colFileTransfer},
	},
	{
		Name:     "skype-peer-to-peer-activity-user-counts",
		Aliases:  []string{"peer-to-peer-activity-user-counts"},
		Function: "getSkypeForBusinessPeerToPeerActivityUserCounts",
		Table:    "skype_peer_to_peer_activity_user_counts",
		Title:    "Skype for Business peer-to-peer activity: unique users per day and activity type",
		Agg:      Users,
		Metrics:  []Column{colIM, colAudio, colVideo, colAppSharing, colFileTransfer},
	},
	{
		Name:     "skype-peer-to-peer-activity-minute-counts",
		Aliases:  []string{"peer-to-peer-activity-minute-counts"},
		Function: "getSkypeForBusinessPeerToPeerActivityMinuteCounts",
		Table:    "skype_peer_to_peer_activity_minute_counts",
		Title:    "Skype for Business peer-to-peer activity: audio and video minutes per day",
		Agg:      Sum,
		Metrics:  []Column{colAudio, colVideo},
	},
	{
		Name:     "skype-activity-counts",
		Aliases:  []string{"activity-counts"},
		Function: "getSkypeForBusinessActivityCounts",
		Table:    "skype_activity_counts",
		Title:    "Skype for Business activity: peer-to-peer sessions and conferences organized and participated in per day",
		Agg:      Sum,
		Metrics:  []Column{colPeerToPeer, colOrganized, colParticipated},
	},
	{
		Name:     "skype-activity-user-counts",
		Aliases:  []string{"activity-user-counts"},
		Function: "getSkypeForBusinessActivityUserCounts",
		Table:    "skype_activity_user_counts",
		Title:    "Skype for Business activity: unique users per day in peer-to-peer sessions and conferences",
		Agg:      Users,
		Metrics:  []Column{colPeerToPeer, colOrganized, colParticipated},
	},
	{
		Name:     "skype-device-usage-user-counts",
		Aliases:  []string{"device-usage-user-counts"},
		Function: "getSkypeForBusinessDeviceUsageUserCounts",
		Table:    "skype_device_usage_user_counts",
		Title:    "Skype for Business device usage: unique users per day and device type",
		Agg:      Users,
		Metrics:  deviceMetrics,
		// Report Date is the 7th column, after the devices.
		Header: slices.Concat([]Column{RefreshDate}, deviceMetrics, []Column{ReportDate, Period}),
	},
	{
		Name:     "skype-device-usage-distribution-user-counts",
		Aliases:  []string{"device-usage-distribution-user-counts"},
		Function: "getSkypeForBusinessDeviceUsageDistributionUserCounts",
		Table:    "skype_device_usage_distribution_user_counts",
		Title:    "Skype for Business device usage: unique users per device type over the whole period (one row per refresh date and period)",
		Agg:      Users,
		Metrics:  deviceMetrics,
		Snapshot: true,
		// No Report Date; Report Period is last.
		Header: slices.Concat([]Column{RefreshDate}, deviceMetrics, []Column{Period}),
	},
}

// Omitted is a report of the family that ingest deliberately does not load.
type Omitted struct {
	Function string
	Reason   string
}

// Unsupported lists the family's reports left out of All, with the reason.
var Unsupported = []Omitted{}

// Columns returns every column of the report in warehouse order: Report
// Refresh Date, Report Date (not in a snapshot report), Report Period (not
// in a report without a period), the dimensions, then the metrics.
func (s *Spec) Columns() []Column {
	out := make([]Column, 0, 3+len(s.Dims)+len(s.Metrics))
	out = append(out, RefreshDate)
	if s.Detail != nil {
		out = append(out, detailReportDate, detailPeriod)
		return append(append(out, s.Dims...), s.Metrics...)
	}
	if !s.Snapshot && !s.NoPeriod {
		out = append(out, ReportDate)
	}
	if s.HasPeriodColumn() {
		out = append(out, Period)
	}
	return append(append(out, s.Dims...), s.Metrics...)
}

// Fields are the columns a row carries as values (transform.Row.Values):
// the dimensions, then the metrics.
func (s *Spec) Fields() []Column {
	return append(append(make([]Column, 0, len(s.Dims)+len(s.Metrics)), s.Dims...), s.Metrics...)
}

// HeaderColumns returns the columns in the documented CSV order.
func (s *Spec) HeaderColumns() []Column {
	if s.Header != nil {
		return s.Header
	}
	return s.Columns()
}

// HasPeriodColumn reports whether the payload (and the table) has Report
// Period.
func (s *Spec) HasPeriodColumn() bool { return s.Detail != nil || !s.NoPeriod && !s.NoPeriodColumn }

// Dated reports whether rows are keyed by a report date.
func (s *Spec) Dated() bool { return s.Detail != nil || !s.Snapshot && !s.NoPeriod }

// Key returns the warehouse columns that identify a row of the report's
// table: (tenant_id, report_date), or for a snapshot report (tenant_id,
// report_refresh_date, report_period), or for a report without a period
// (tenant_id, report_refresh_date); then the dimensions.
func (s *Spec) Key() []string {
	var out []string
	switch {
	case s.Detail != nil:
		out = []string{TenantID, ReportDate.Name, Period.Name}
	case s.NoPeriod:
		out = []string{TenantID, RefreshDate.Name}
	case s.Snapshot:
		out = []string{TenantID, RefreshDate.Name, Period.Name}
	default:
		out = []string{TenantID, ReportDate.Name}
	}
	for _, d := range s.Dims {
		out = append(out, d.Name)
	}
	return out
}

// Aggregation is how metric c of the report aggregates over a week or a
// month.
func (s *Spec) Aggregation(c Column) Agg {
	if c.Agg != 0 {
		return c.Agg
	}
	return s.Agg
}

// Path is the request path of the report after the Graph URL:
// /{version}{root}/{function}(period='{period}'), or {function}() for a
// function without a period.
func (s *Spec) Path(version, period string) string {
	root := s.Root
	if root == "" {
		root = "/reports"
	}
	call := s.Function + "(period='" + period + "')"
	if s.NoPeriod {
		call = s.Function + "()"
	}
	return "/" + version + root + "/" + call
}

// Serves reports whether API version v serves the report.
func (s *Spec) Serves(v string) bool {
	return s.Versions == nil || slices.Contains(s.Versions, v)
}

// Lookup finds a report by its short name, its Graph function or its table,
// case-insensitively.
func Lookup(name string) (*Spec, error) {
	for _, s := range All {
		if strings.EqualFold(name, s.Name) || strings.EqualFold(name, s.Function) || strings.EqualFold(name, s.Table) {
			return s, nil
		}
	}
	for _, s := range All {
		for _, a := range s.Aliases {
			if strings.EqualFold(name, a) {
				return s, nil
			}
		}
	}
	for _, o := range Unsupported {
		if strings.EqualFold(name, o.Function) {
			return nil, fmt.Errorf("report %s is not supported: %s", o.Function, o.Reason)
		}
	}
	return nil, fmt.Errorf("unknown report %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Select resolves --report values: none (the flag not given) or "all"
// means every report but the detail reports (Default); "detail" every
// detail report. Values are comma-separated lists; duplicates are dropped
// and the order of All is kept. Values given that name no report at all
// ("", ",", " ") are an error: an empty selection must not run zero
// reports and succeed.
func Select(names []string) ([]*Spec, error) {
	if len(names) == 0 {
		return Default, nil
	}
	want := map[*Spec]bool{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if strings.EqualFold(part, "all") || strings.EqualFold(part, "detail") {
				for _, s := range All {
					if (s.Detail != nil) == strings.EqualFold(part, "detail") {
						want[s] = true
					}
				}
				continue
			}
			s, err := Lookup(part)
			if err != nil {
				return nil, err
			}
			want[s] = true
		}
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("report selection %q names no report: give a report name (see `ingest reports`) or all", strings.Join(names, ","))
	}
	var out []*Spec
	for _, s := range All {
		if want[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// Names lists the short names of all reports, sorted.
func Names() []string {
	out := make([]string, len(All))
	for i, s := range All {
		out[i] = s.Name
	}
	sort.Strings(out)
	return out
}

// ValidPeriod reports whether p is one of D7, D30, D90, D180 and returns it
// in canonical (upper-case) form with its number of days.
func ValidPeriod(p string) (string, int, error) {
	for _, v := range Periods {
		if strings.EqualFold(p, v) {
			var days int
			fmt.Sscanf(v[1:], "%d", &days)
			return v, days, nil
		}
	}
	return "", 0, fmt.Errorf("invalid period %q: want one of %s", p, strings.Join(Periods, ", "))
}

// Normalize folds a CSV header or JSON property name to the key used to match
// columns: the byte-order mark, case, spaces, '/', '-', '_' and '.' are
// dropped, so "Audio/Video", "audio video" and "audioVideo" all give
// "audiovideo".
func Normalize(h string) string {
	h = strings.TrimPrefix(h, "\uFEFF")
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		switch {
		case r == ' ' || r == '/' || r == '-' || r == '_' || r == '.' || r == '\t' || r == '\uFEFF' || r == '\u00A0':
			continue
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// Keys returns every normalised key that names column c.
func (c Column) Keys() []string {
	keys := []string{Normalize(c.Header), Normalize(c.JSON), Normalize(c.Name)}
	for _, a := range c.Aliases {
		keys = append(keys, Normalize(a))
	}
	return keys
}
