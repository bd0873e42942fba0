package report

import (
	"regexp"
	"slices"
	"strings"
)

// Detail describes a per-entity report, a ...Detail function: a row per
// user, site, group or team, where the other reports have a row per day.
// Graph answers such a report for one day (date=YYYY-MM-DD, only for the
// last DateWindow days) or as totals over a period (period=D7...) with a
// last activity date.
//
// Its table is keyed by (tenant_id, report_date, report_period,
// entity_key, concealed) and its dimensions: report_date is the day the row
// describes (for a date= call that date, for a period= call the refresh
// date), report_period the days it covers (1 for a date= call, else the
// period). The payload has neither report_date nor entity_key nor
// concealed: transform derives them (Column.Derived).
type Detail struct {
	// Entity are the headers that name the entity, preferred first: an id
	// (User Id, Group Id, Site Id, Team Id) then a name (User Principal
	// Name, Site URL, Group Display Name, Team Name). A row's entity_key is
	// the first of them that is neither empty nor the nil GUID, which is
	// what Graph writes for an id when names are concealed.
	Entity []string
	// ByDate says the function takes date=YYYY-MM-DD as well as period=.
	ByDate bool
	// Names are the headers that hold the names of people, groups and sites
	// (principal names, display names, site URLs): what Microsoft conceals
	// by default and --pseudonymize replaces.
	Names []string
}

// DateWindow is how many days back Graph answers a date= call: "Only
// support data for the past 28 days" (the docs say 30; the service says
// 28).
const DateWindow = 28

// Derived columns of every detail report, in the key after the day: the
// entity (an id, or a name where the id is concealed or missing) and
// whether names were concealed in the payload it came from.
var (
	EntityKey = Column{Name: "entity_key", Header: "Entity Key", Type: Text, Derived: true, Optional: true}
	Concealed = Column{Name: "concealed", Header: "Concealed", Type: Bool, Derived: true, Optional: true}
	// detailReportDate is the day a detail row describes: not in the payload.
	detailReportDate = Column{Name: ReportDate.Name, Header: ReportDate.Header, JSON: ReportDate.JSON, Derived: true, Optional: true}
	// detailPeriod is Report Period, which some detail payloads lack
	// (getOffice365ActiveUserDetail, the activations): then the request's.
	detailPeriod = Column{Name: Period.Name, Header: Period.Header, JSON: Period.JSON, Optional: true}
)

// idHeaders and nameHeaders are the entity columns detailHeader looks for,
// preferred first.
var (
	idHeaders   = []string{"User Id", "Group Id", "Site Id", "Team Id"}
	nameHeaders = []string{"User Principal Name", "Site URL", "Group Display Name", "Team Name"}
	// personal are the headers that hold names (Detail.Names).
	personal = []string{"User Principal Name", "Display Name", "Owner Principal Name", "Owner Display Name",
		"Group Display Name", "Site URL", "Team Name"}
	// textHeaders are the detail headers that hold text, not counts.
	textHeaders = []string{"User Id", "Group Id", "Site Id", "Team Id", "Team Type", "Group Type",
		"Root Web Template", "User State", "Product Type", "Tenant Display Name",
		"Shared Channel Tenant Display Names"}
	boolHeaders = []string{"Activated On Shared Computer", "Office 365 Connected", "Has Other Action"}
)

// detailHeader builds the spec of a ...Detail function from its header
// line, typing each column by its name (see detailType), with the entity
// and names found among the headers; options then adjust it as for
// fromHeader. Report Refresh Date must be there; Report Period may not.
func detailHeader(function, title string, byDate bool, header string, opts ...option) *Spec {
	s := &Spec{Name: ShortName(function), Function: function, Table: TableName(function), Title: title, Agg: Level,
		Detail: &Detail{ByDate: byDate}, Dims: []Column{EntityKey, Concealed}}
	var ids, names []string
	for _, h := range strings.Split(header, ",") {
		h = strings.TrimSpace(h)
		switch h {
		case RefreshDate.Header:
			s.Header = append(s.Header, RefreshDate)
			continue
		case Period.Header:
			s.Header = append(s.Header, detailPeriod)
			continue
		}
		c := Column{Name: Snake(h), Header: h, JSON: Camel(h), Type: detailType(h)}
		if base, ok := strings.CutSuffix(h, " (Byte)"); ok {
			c.JSON, c.Aliases = Camel(base)+"InBytes", []string{Camel(h)}
		}
		s.Header = append(s.Header, c)
		s.Metrics = append(s.Metrics, c)
		if slices.Contains(idHeaders, h) {
			ids = append(ids, h)
		}
		if slices.Contains(nameHeaders, h) {
			names = append(names, h)
		}
		if slices.Contains(personal, h) {
			s.Detail.Names = append(s.Detail.Names, h)
		}
	}
	s.Detail.Entity = append(ids, names...)
	for _, o := range opts {
		o(s)
	}
	if len(s.Detail.Entity) == 0 {
		panic("report " + function + ": no entity column")
	}
	return s
}

// detailType is the type of a detail column by its header: dates end in
// "Date", booleans start "Is", "Has" or "Used", sizes end "(Byte)",
// durations end "Duration", Assigned Products is a list, names and ids are
// text, and the rest are counts.
func detailType(h string) Type {
	switch {
	case strings.HasSuffix(h, " Date"):
		return Date
	case strings.HasPrefix(h, "Is ") || strings.HasPrefix(h, "Has ") || strings.HasPrefix(h, "Used ") || slices.Contains(boolHeaders, h):
		return Bool
	case strings.HasSuffix(h, "(Byte)"):
		return Bytes
	case strings.HasSuffix(h, "Duration"):
		return Duration
	case h == "Assigned Products":
		return List
	case slices.Contains(personal, h) || slices.Contains(textHeaders, h):
		return Text
	}
	return Count
}

// entity sets the entity columns of a detail report, preferred first.
func entity(hs ...string) option {
	return func(s *Spec) {
		for _, h := range hs {
			edit(s, h, func(*Column) {})
		}
		s.Detail.Entity = hs
	}
}

// IsDetail reports whether the spec is a per-entity report.
func (s *Spec) IsDetail() bool { return s.Detail != nil }

// DatePath is the request path of a detail report for one day:
// /{version}{root}/{function}(date=YYYY-MM-DD), the date unquoted (an
// Edm.Date, as the SDKs send it).
func (s *Spec) DatePath(version, date string) string {
	root := s.Root
	if root == "" {
		root = "/reports"
	}
	return "/" + version + root + "/" + s.Function + "(date=" + date + ")"
}

// NilGUID is what Graph writes for a user, group or site id when names are
// concealed.
const NilGUID = "00000000-0000-0000-0000-000000000000"

var concealedName = regexp.MustCompile(`^[0-9A-F]{32}$`)

// LooksConcealed reports whether a name as Graph wrote it is concealed: 32
// upper-case hexadecimal digits (an MD5, as Microsoft describes it) in place
// of the name.
func LooksConcealed(name string) bool { return concealedName.MatchString(name) }
