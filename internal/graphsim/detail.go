package graphsim

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/m365ingest/ingest/report"
)

// DefaultUsers is how many users a simulated tenant has when Options.Users
// is 0.
const DefaultUsers = 50

// DetailFile is one file of a per-entity detail report (report.Detail) as
// the simulator serves it: a row per entity of the tenant, every entity in
// every file (a roster, as Graph's period= files are), in the columns and
// order of Spec.HeaderColumns.
//
// A date= file (Date set) describes that day: its Report Refresh Date is
// the date asked for and its Report Period is 1. A period= file (Date zero)
// covers the Days days ending at Refresh, with Refresh as its Report Refresh
// Date: its activity counts and durations are the sums of the same entity's
// date= values over those days, its "Used ..." flags true when any of those
// days has them, its stocks (storage, item, member and file counts) the
// value on Refresh, and its last activity dates the last active day up to
// Refresh. A spec without a period (the activations) is a snapshot as of
// Refresh.
//
// Values are a pure function of (Seed, the report, the entity, the day):
// entities' ids, names, licences, products and deletion depend on (Seed,
// the entity) alone, so they agree across reports. When Concealed, every
// column of Spec.Detail.Names holds the upper-case hex MD5 of its real value
// and every id column (User Id, Group Id, Site Id, Team Id) the nil GUID, as
// Graph writes them when the tenant conceals names.
//
// Rows are generated as they are written: a file of a million users is
// never held in memory.
type DetailFile struct {
	Spec *report.Spec
	// Seed makes tenants differ (the server's is the tid claim of its token).
	Seed string
	// Users is how many users the tenant has (0: DefaultUsers). Groups and
	// SharePoint sites number one per 10 users, teams one per 20 (at least
	// one each), OneDrive accounts one per user.
	Users int
	// Refresh is the newest day of data, the refresh date of a period= file.
	Refresh time.Time
	// Date is a date= file's day; zero for a period= file.
	Date time.Time
	// Days is a period= file's length in days (7, 30, 90, 180).
	Days int
	// Concealed writes names as MD5 hashes and ids as the nil GUID.
	Concealed bool
	// Empty writes the header line alone (a retired Skype for Business
	// report).
	Empty bool
}

// entityKind is what a detail report has a row per.
type entityKind uint8

const (
	userEntity entityKind = iota + 1
	groupEntity
	siteEntity
	oneDriveEntity
	teamEntity
)

// entityKindOf is the kind of the first entity header the spec names.
func entityKindOf(spec *report.Spec) entityKind {
	for _, h := range spec.Detail.Entity {
		switch h {
		case "User Id", "User Principal Name":
			return userEntity
		case "Group Id", "Group Display Name":
			return groupEntity
		case "Site Id", "Site URL":
			if strings.Contains(spec.Function, "OneDrive") {
				return oneDriveEntity // a OneDrive per user
			}
			return siteEntity
		case "Team Id", "Team Name":
			return teamEntity
		}
	}
	return userEntity
}

// entityCount is how many entities of kind k a tenant of users users has.
func entityCount(k entityKind, users int) int {
	switch k {
	case groupEntity, siteEntity:
		return max(1, users/10)
	case teamEntity:
		return max(1, users/20)
	}
	return users
}

// colKind is how a detail column's values are made.
type colKind uint8

const (
	colRefresh      colKind = iota // Report Refresh Date
	colPeriod                      // Report Period
	colDay                         // a Report Date in the payload: the file's last day
	colDim                         // a dimension with known values (Product Type)
	colID                          // User Id, Group Id, Site Id, Team Id
	colName                        // a name of a person, group or site
	colText                        // other text: one of a few values per entity
	colList                        // a '+' list: one of a few per entity
	colFlag                        // a boolean property of the entity (Is Deleted, Has ... License)
	colUsed                        // a boolean of activity (Used ..., Has Other Action): true on some active day
	colLastActivity                // the last active day, up to the file's last day
	colAttrDate                    // a date property of the entity (Created Date)
	colDeletedDate                 // Deleted Date: empty unless deleted
	colStateDate                   // State Change Date: the deletion, if any
	colLicenseDate                 // ... License Assign Date: empty without the licence
	colActivity                    // a count of activity: summed over the days
	colDistinct                    // distinct things active (Active Users): the most of a day
	colStock                       // a stock (storage, items, members, files): its value on the last day
	colQuota                       // a quota: a constant
	colSeconds                     // a duration, or its In Seconds twin: seconds summed over the days
)

// nameKind says which name a colName column holds.
type nameKind uint8

const (
	nameUPN nameKind = iota
	nameDisplay
	nameOwnerUPN
	nameOwnerDisplay
	nameGroup
	nameSite
	nameTeam
	nameOther
)

// colPlan is how one header column of a detail report is generated.
type colPlan struct {
	kind    colKind
	typ     report.Type
	header  string
	json    []byte // the JSON property name, quoted, and ':'
	key     uint64 // what the column's values are hashed from
	lo, hi  float64
	share   float64 // colFlag: chance of true
	yesNo   bool    // a boolean written Yes/No, not True/False
	conceal bool    // a name that concealment hashes
	name    nameKind
	sub     bool // colLastActivity of one workload (Exchange Last Activity Date), not the entity's
	quota   int64
	choices []string // colText, colList, colDim
	stride  int      // colDim: combinations per value
	nested  bool     // JSON: inside the record's Spec.NestedJSON array
	text    bool     // may need quoting in CSV (numbers, dates, ids never do)
}

// detailPlan is the generation plan of a detail spec, made once per spec.
type detailPlan struct {
	kind      entityKind
	cols      []colPlan
	combos    int    // combinations of the dimensions' values: rows per entity
	csvHeader []byte // BOM, header line, CRLF
	context   []byte // JSON: `{"@odata.context":"...","value":[`
	nested    []byte // JSON: `"details":[` or nil
	hasNested bool   // JSON has a record per entity, its rows nested in it
}

var plans sync.Map // *report.Spec -> *detailPlan

func planFor(spec *report.Spec) *detailPlan {
	if p, ok := plans.Load(spec); ok {
		return p.(*detailPlan)
	}
	p, _ := plans.LoadOrStore(spec, buildPlan(spec))
	return p.(*detailPlan)
}

var (
	idHeaders     = []string{"User Id", "Group Id", "Site Id", "Team Id"}
	knownNames    = []string{"User Principal Name", "Display Name", "Owner Principal Name", "Owner Display Name", "Group Display Name", "Site URL", "Team Name"}
	yesNoBools    = []string{"Is Licensed", "Has Other Action", "Office 365 Connected"}
	flagShares    = map[string]float64{"Is Licensed": 0.9, "Has Archive": 0.3, "Activated On Shared Computer": 0.1, "Office 365 Connected": 0.5}
	products      = []string{"MICROSOFT 365 E5", "MICROSOFT 365 E3+MICROSOFT POWER AUTOMATE FREE", "OFFICE 365 E1+MICROSOFT TEAMS EXPLORATORY", "MICROSOFT 365 E5+MICROSOFT 365 COPILOT", "MICROSOFT 365 BUSINESS PREMIUM", "OFFICE 365 E3", "MICROSOFT 365 E3", ""}
	textChoices   = map[string][]string{"Tenant Display Name": {"Contoso"}, "Shared Channel Tenant Display Names": {"", "", "", "", "", "", "", "", "", "Fabrikam"}, "Group Type": {"Public", "Private"}, "Team Type": {"Public", "Private"}, "Root Web Template": {"Group", "Team Site", "Communication Site", "Team Channel"}, "User State": {"active"}, "Product Type": {"MICROSOFT 365 APPS FOR ENTERPRISE", "MICROSOFT 365 APPS FOR BUSINESS", "PROJECT", "VISIO"}}
	appVersions   = []string{"", "", "ProPlus", "ProPlus+Undetermined"}
	errNotDetail  = errors.New("graphsim: not a detail report")
	nilGUID       = []byte(report.NilGUID)
	hexUpper      = "0123456789ABCDEF"
	hexLower      = "0123456789abcdef"
	attrDateFirst = days(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
)

func buildPlan(spec *report.Spec) *detailPlan {
	p := &detailPlan{kind: entityKindOf(spec), combos: 1, hasNested: spec.NestedJSON != ""}
	// Dimensions that are in the payload (Product Type of the activations),
	// the first varying slowest, as dimCombos has them.
	type dimVals struct {
		name string
		vals []string
	}
	var dims []dimVals
	for _, d := range spec.Dims {
		if d.Derived {
			continue
		}
		vals := d.Values
		if len(vals) == 0 {
			vals = []string{d.Header + " 1"}
		}
		dims = append(dims, dimVals{d.Name, vals})
		p.combos *= len(vals)
	}
	header := []string{}
	for _, c := range spec.HeaderColumns() {
		if c.Derived {
			continue
		}
		header = append(header, c.Header)
		name := cmp.Or(c.JSON, report.Camel(c.Header))
		cp := colPlan{typ: c.Type, header: c.Header, key: strKey(c.Header)}
		cp.json = append(appendJSONString(nil, []byte(name)), ':')
		switch c.Name {
		case report.RefreshDate.Name:
			cp.kind = colRefresh
		case report.Period.Name:
			cp.kind, cp.nested = colPeriod, true
		case report.ReportDate.Name:
			cp.kind = colDay
		default:
			if i := slices.IndexFunc(dims, func(d dimVals) bool { return d.name == c.Name }); i >= 0 {
				cp.kind, cp.choices, cp.stride = colDim, dims[i].vals, 1
				for _, d := range dims[i+1:] {
					cp.stride *= len(d.vals)
				}
				break
			}
			classify(&cp, spec, p.kind, c)
		}
		cp.text = cp.kind == colDim || cp.kind == colName || cp.kind == colText || cp.kind == colList
		p.cols = append(p.cols, cp)
	}
	// A record that nests rows per dimension value (the activations'
	// userActivationCounts) has only the entity outside them.
	for i := range p.cols {
		if c := &p.cols[i]; len(dims) > 0 && c.kind != colRefresh && c.kind != colID && c.kind != colName {
			c.nested = true
		}
	}
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(header)
	w.Flush()
	p.csvHeader = b.Bytes()
	p.context = appendJSONString([]byte(`{"@odata.context":`), []byte("https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph."+odataType(spec)+")"))
	p.context = append(p.context, `,"value":[`...)
	if p.hasNested {
		p.nested = append(appendJSONString(nil, []byte(spec.NestedJSON)), ":["...)
	}
	return p
}

// classify decides how a detail metric column is made, by its type and
// header (docs/detail-reports.md describes what each holds).
func classify(cp *colPlan, spec *report.Spec, kind entityKind, c report.Column) {
	h := c.Header
	cp.nested = true // the activity; names, text and dates stay outside
	switch c.Type {
	case report.Text:
		cp.nested = false
		switch {
		case slices.Contains(idHeaders, h):
			cp.kind = colID
		case slices.Contains(spec.Detail.Names, h) || slices.Contains(knownNames, h):
			cp.kind, cp.conceal = colName, slices.Contains(spec.Detail.Names, h)
			cp.name = map[string]nameKind{"User Principal Name": nameUPN, "Display Name": nameDisplay, "Owner Principal Name": nameOwnerUPN,
				"Owner Display Name": nameOwnerDisplay, "Group Display Name": nameGroup, "Site URL": nameSite, "Team Name": nameTeam}[h]
			if !slices.Contains(knownNames, h) {
				cp.name = nameOther
			}
		default:
			cp.kind, cp.choices = colText, textChoices[h]
			if cp.choices == nil {
				cp.choices = []string{h + " 1", h + " 2", h + " 3"}
			}
			if h == "Group Type" && strings.Contains(spec.Function, "Yammer") {
				cp.choices = []string{"public", "private"} // Viva Engage writes them in lower case
			}
		}
	case report.List:
		cp.nested = false
		cp.kind, cp.choices = colList, appVersions
		if h == "Assigned Products" {
			cp.choices = products
		}
	case report.Bool:
		cp.yesNo = strings.HasPrefix(h, "Used ") || slices.Contains(yesNoBools, h)
		switch word, ok := licence(h, "Has ", " License"); {
		case h == "Is Deleted":
			cp.kind, cp.nested = colFlag, false
		case ok:
			cp.kind, cp.nested, cp.key, cp.share = colFlag, false, strKey("licence", word), 0.85
		case flagShares[h] > 0:
			cp.kind, cp.nested, cp.share = colFlag, false, flagShares[h]
		default:
			cp.kind = colUsed
		}
	case report.Date:
		cp.nested = false
		switch word, ok := licence(h, "", " License Assign Date"); {
		case h == "Deleted Date":
			cp.kind = colDeletedDate
		case h == "State Change Date":
			cp.kind = colStateDate
		case ok:
			cp.kind, cp.key = colLicenseDate, strKey("licence", word)
		case strings.Contains(h, "Last Activity Date"):
			cp.kind, cp.sub = colLastActivity, h != "Last Activity Date"
		default:
			cp.kind = colAttrDate
		}
	case report.Duration:
		cp.kind, cp.lo, cp.hi = colSeconds, 0, 5400
	case report.Bytes:
		switch {
		case strings.Contains(h, "Quota") || strings.Contains(h, "Allocated"):
			cp.kind, cp.quota = colQuota, quota(h, kind)
		case strings.Contains(h, "Deleted"):
			cp.kind, cp.lo, cp.hi = colStock, 0, 1e9
		default:
			cp.kind, cp.lo, cp.hi = colStock, 1e6, 5e10
		}
	default: // Count
		cp.kind, cp.lo, cp.hi = colActivity, 0, 30
		switch {
		case strings.HasSuffix(h, " In Seconds"):
			// The same seconds as its duration column (Audio Duration).
			cp.kind, cp.lo, cp.hi, cp.key = colSeconds, 0, 5400, strKey(strings.TrimSuffix(h, " In Seconds"))
		case c.Agg == report.Sum:
		case c.Agg == report.Users:
			cp.kind, cp.lo, cp.hi = colDistinct, 1, 20
		case c.Agg == report.Level || spec.NoPeriod || stock(h):
			cp.kind, cp.lo, cp.hi = colStock, 0, 100
			switch {
			case spec.NoPeriod:
				cp.hi = 5 // activations per platform
			case strings.Contains(h, "External") || strings.Contains(h, "Guest"):
				cp.hi = 20
			case strings.HasSuffix(h, "Member Count"):
				cp.lo, cp.hi = 2, 300
			case strings.Contains(h, "Deleted"):
				cp.hi = 2000
			case strings.HasSuffix(h, "Item Count"):
				cp.lo, cp.hi = 100, 20000
			case strings.HasSuffix(h, "File Count"):
				cp.lo, cp.hi = 10, 5000
			}
		case strings.HasPrefix(h, "Active ") || h == "Guests":
			cp.kind, cp.lo, cp.hi = colDistinct, 1, 20
			if h == "Guests" {
				cp.lo, cp.hi = 0, 5
			}
		case strings.Contains(h, "Minutes"):
			cp.hi = 60
		case strings.Contains(h, "Receive") || strings.Contains(h, "Read"):
			cp.hi = 80
		}
	}
}

// stock reports whether a count header is a stock, not activity: items,
// members and files held (Item Count, Member Count, File Count, SharePoint
// Total File Count), not files acted on (Active File Count, Synced File
// Count).
func stock(h string) bool {
	return strings.HasSuffix(h, "Item Count") || strings.HasSuffix(h, "Member Count") || h == "File Count" ||
		strings.Contains(h, "Total File Count") || h == "Guest Count"
}

// licence finds the workload in a licence header: "Has Exchange License"
// and "Exchange License Assign Date" both give Exchange.
func licence(h, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(h, prefix) || !strings.HasSuffix(h, suffix) || len(h) <= len(prefix)+len(suffix) {
		return "", false
	}
	return h[len(prefix) : len(h)-len(suffix)], true
}

// quota is the value of a quota column: Exchange's defaults for a mailbox,
// 1 TiB for a OneDrive, 25 TiB for a SharePoint site.
func quota(h string, kind entityKind) int64 {
	switch {
	case strings.Contains(h, "Issue Warning"):
		return 105226698752
	case strings.Contains(h, "Prohibit Send/Receive"):
		return 107374182400
	case strings.Contains(h, "Prohibit Send"):
		return 106300440576
	case strings.Contains(h, "Deleted Item"):
		return 32212254720
	case strings.Contains(h, "Allocated") && kind == oneDriveEntity:
		return 1099511627776
	case strings.Contains(h, "Allocated"):
		return 27487790694400
	}
	return 107374182400
}

// Rows is how many rows the file has: one per entity, or per entity and
// combination of dimension values (the activations' Product Type).
func (f *DetailFile) Rows() int {
	if f.Empty || f.Spec == nil || f.Spec.Detail == nil {
		return 0
	}
	p := planFor(f.Spec)
	return entityCount(p.kind, cmp.Or(f.Users, DefaultUsers)) * p.combos
}

// Records is how many records the file's JSON has: one per row, or, when
// the report's JSON nests its rows (Spec.NestedJSON), one per entity.
func (f *DetailFile) Records() int {
	if n := f.Rows(); n == 0 || !planFor(f.Spec).hasNested {
		return n
	}
	p := planFor(f.Spec)
	return entityCount(p.kind, cmp.Or(f.Users, DefaultUsers))
}

// etag is the file's entity tag in format ("csv" or "json"), made from what
// its content depends on, so that it needs no body: the same request gives
// the same tag, and a date= file keeps its tag on later refresh dates.
func (f *DetailFile) etag(format string) string {
	refresh := f.Refresh.Format(time.DateOnly)
	if !f.Date.IsZero() {
		refresh = "date=" + f.Date.Format(time.DateOnly)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "graphsim-detail/1\x00%s\x00%s\x00%s\x00%d\x00%d\x00%t\x00%t\x00%s",
		f.Seed, f.Spec.Function, refresh, f.Days, cmp.Or(f.Users, DefaultUsers), f.Concealed, f.Empty, format))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// WriteCSV writes the file as Graph's download does: a UTF-8 byte-order
// mark, the header line, a row per entity, CRLF line ends, an empty cell
// for an empty value.
func (f *DetailFile) WriteCSV(w io.Writer) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	if err := f.writeCSV(bw, false); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteJSON writes the file as beta's $format=application/json does, all
// rows in one page.
func (f *DetailFile) WriteJSON(w io.Writer) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	if err := f.writeJSON(bw, 0, f.Records(), "", false); err != nil {
		return err
	}
	return bw.Flush()
}

// writeCSV writes the file to bw, unflushed; with cut, the first half of
// its rows only (the truncate fault).
func (f *DetailFile) writeCSV(bw *bufio.Writer, cut bool) error {
	g, err := f.gen()
	if err != nil {
		return err
	}
	bw.Write(g.plan.csvHeader)
	rows := g.rows
	if cut {
		rows /= 2
	}
	line := make([]byte, 0, 1024)
	for i := range rows {
		line = g.csvRow(line[:0], i)
		if _, err := bw.Write(line); err != nil {
			return err // the client went away
		}
	}
	return nil
}

// writeJSON writes records [from, to) (see Records) to bw as a page of beta
// JSON, with @odata.nextLink next unless it is ""; with cut, the first half
// of them and no end (the truncate fault).
func (f *DetailFile) writeJSON(bw *bufio.Writer, from, to int, next string, cut bool) error {
	g, err := f.gen()
	if err != nil {
		return err
	}
	to = min(to, f.Records())
	bw.Write(g.plan.context)
	end := to
	if cut {
		end = from + (to-from)/2
	}
	rec := make([]byte, 0, 2048)
	for i := from; i < end; i++ {
		rec = rec[:0]
		if i > from {
			rec = append(rec, ',')
		}
		rec = g.jsonRecord(rec, i)
		if _, err := bw.Write(rec); err != nil {
			return err
		}
	}
	if cut {
		return nil
	}
	bw.WriteByte(']')
	if next != "" {
		bw.WriteString(`,"@odata.nextLink":`)
		bw.Write(appendJSONString(nil, []byte(next)))
	}
	_, err = bw.WriteString("}")
	return err
}

// detailGen generates the rows of one file. It is not safe for concurrent
// use: it reuses its entity and buffers from row to row.
type detailGen struct {
	plan            *detailPlan
	seedKey, repKey uint64
	users           int
	last            int64 // the file's newest day, days since 1970-01-01
	days            int   // days the file covers
	refresh, period []byte
	rows            int
	concealed       bool

	loaded int // the entity in ent, 0 none
	ent    entity
	name   []byte // scratch: a name before it is hashed
	cell   []byte // scratch: a cell before JSON quoting
}

// entity is one user, group, site or team, and its activity in the file.
type entity struct {
	n       int     // 1-based
	attr    uint64  // the entity's own hash: (seed, kind, n)
	act     uint64  // its hash in this report: (seed, report, n)
	p       float64 // chance of activity on a weekday
	deleted bool
	owner   int     // the user who owns a group, site or team; 0 none
	active  []bool  // per day of the file, newest first
	any     bool    // active on some day of the file
	on      []int64 // the days of the file it was active, newest first
}

func (f *DetailFile) gen() (*detailGen, error) {
	if f.Spec == nil || f.Spec.Detail == nil {
		return nil, errNotDetail
	}
	g := &detailGen{plan: planFor(f.Spec), users: cmp.Or(f.Users, DefaultUsers), rows: f.Rows(), concealed: f.Concealed}
	g.seedKey = strKey("tenant", f.Seed)
	g.repKey = strKey("report", f.Seed, f.Spec.Name)
	switch {
	case !f.Date.IsZero():
		g.last, g.days, g.period = days(f.Date), 1, []byte("1")
	case f.Spec.NoPeriod:
		g.last, g.days = days(f.Refresh), 1
	default:
		g.last, g.days, g.period = days(f.Refresh), max(f.Days, 1), strconv.AppendInt(nil, int64(max(f.Days, 1)), 10)
	}
	g.refresh = appendDate(nil, g.last)
	g.ent.active = make([]bool, g.days)
	g.ent.on = make([]int64, 0, g.days)
	g.name = make([]byte, 0, 128)
	g.cell = make([]byte, 0, 256)
	return g, nil
}

// load makes entity n (1-based) the current one.
func (g *detailGen) load(n int) {
	if g.loaded == n {
		return
	}
	g.loaded = n
	e := &g.ent
	kind := g.plan.kind
	e.n = n
	if kind == oneDriveEntity {
		kind = userEntity // a OneDrive is its user's: deleted with them
	}
	e.attr = hash2(g.seedKey, uint64(kind)<<56|uint64(n))
	e.act = hash2(g.repKey, uint64(n))
	e.deleted = unit64(hash2(e.attr, 1)) < 0.02
	e.p = 0.15 + 0.8*unit64(hash2(e.act, 2))
	if e.deleted || unit64(hash2(e.attr, 3)) < 0.08 {
		e.p = 0 // deleted, or never active
	}
	switch {
	case kind == userEntity || kind == oneDriveEntity:
		e.owner = n
	case unit64(hash2(e.attr, 4)) < 0.1:
		e.owner = 0 // an ownerless group or site
	default:
		e.owner = 1 + int(hash2(e.attr, 5)%uint64(g.users))
	}
	e.on = e.on[:0]
	for k := range e.active {
		d := g.last - int64(k)
		if e.active[k] = g.activeOn(d); e.active[k] {
			e.on = append(e.on, d)
		}
	}
	e.any = len(e.on) > 0
}

// activeOn reports whether the current entity was active on day d: less
// often at a weekend.
func (g *detailGen) activeOn(d int64) bool {
	p := g.ent.p
	if p == 0 {
		return false
	}
	if wd := (d + 4) % 7; wd == 0 || wd == 6 { // 1970-01-01 was a Thursday
		p *= 0.3
	}
	return unit64(daily(g.ent.act, d)) < p
}

// activeAt is activeOn for the k-th day back from the file's last day.
func (g *detailGen) activeAt(k int) bool {
	if k < len(g.ent.active) {
		return g.ent.active[k]
	}
	return g.activeOn(g.last - int64(k))
}

// csvRow appends row i as a CSV line.
func (g *detailGen) csvRow(dst []byte, i int) []byte {
	combo := i % g.plan.combos
	g.load(1 + i/g.plan.combos)
	for j := range g.plan.cols {
		if j > 0 {
			dst = append(dst, ',')
		}
		start := len(dst)
		c := &g.plan.cols[j]
		dst, _ = g.value(dst, c, combo)
		if c.text && needsQuotes(dst[start:]) {
			g.cell = append(g.cell[:0], dst[start:]...)
			dst = appendQuoted(dst[:start], g.cell)
		}
	}
	return append(dst, '\r', '\n')
}

// jsonRecord appends record i as a JSON object, the properties in CSV
// order. With Spec.NestedJSON the record is entity i's: the entity outside,
// and under Spec.NestedJSON an object per row (per dimension value) with
// the activity and the period (a number there, as Graph's examples have it).
func (g *detailGen) jsonRecord(dst []byte, i int) []byte {
	if !g.plan.hasNested {
		g.load(1 + i/g.plan.combos)
		dst, _ = g.jsonProps(append(dst, '{'), i%g.plan.combos, false, 0)
		return append(dst, '}')
	}
	g.load(1 + i)
	dst, n := g.jsonProps(append(dst, '{'), 0, false, 0)
	if n > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, g.plan.nested...)
	for combo := range g.plan.combos {
		if combo > 0 {
			dst = append(dst, ',')
		}
		dst, _ = g.jsonProps(append(dst, '{'), combo, true, 0)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// jsonProps appends the properties whose nested is inner (every one when
// the report does not nest), after n already written, and says how many
// there are then.
func (g *detailGen) jsonProps(dst []byte, combo int, inner bool, n int) ([]byte, int) {
	for j := range g.plan.cols {
		c := &g.plan.cols[j]
		if g.plan.hasNested && c.nested != inner {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, c.json...)
		var kind byte
		g.cell, kind = g.value(g.cell[:0], c, combo)
		switch {
		case kind == 0:
			dst = append(dst, "null"...)
		case c.kind == colPeriod && inner:
			dst = append(dst, g.cell...) // a number where nested, as Graph's examples have it
		case kind == 'n':
			dst = append(dst, g.cell...)
		case kind == 'b':
			if g.cell[0] == 'T' || g.cell[0] == 'Y' {
				dst = append(dst, "true"...)
			} else {
				dst = append(dst, "false"...)
			}
		default:
			dst = appendJSONString(dst, g.cell)
		}
	}
	return dst, n
}

// value appends the current entity's value of column c and says how JSON
// writes it: 'n' a number, 'b' a boolean, 's' a string, 0 an empty cell
// (nothing appended).
func (g *detailGen) value(dst []byte, c *colPlan, combo int) ([]byte, byte) {
	e := &g.ent
	// A row per dimension value (the activations' products) has values of
	// its own.
	attr, act := e.attr, e.act
	if combo > 0 {
		attr, act = hash2(attr, uint64(combo)), hash2(act, uint64(combo))
	}
	switch c.kind {
	case colRefresh:
		return append(dst, g.refresh...), 's'
	case colPeriod:
		if g.period == nil {
			return dst, 0
		}
		return append(dst, g.period...), 's'
	case colDay:
		return append(dst, g.refresh...), 's'
	case colDim:
		return append(dst, c.choices[combo/c.stride%len(c.choices)]...), 's'
	case colID:
		if g.concealed {
			return append(dst, nilGUID...), 's'
		}
		return appendGUID(dst, hash2(e.attr, 6), hash2(e.attr, 7)), 's'
	case colName:
		g.name = g.realName(g.name[:0], c)
		switch {
		case len(g.name) == 0:
			return dst, 0
		case g.concealed && c.conceal:
			sum := md5.Sum(g.name)
			for _, b := range sum {
				dst = append(dst, hexUpper[b>>4], hexUpper[b&15])
			}
			return dst, 's'
		}
		return append(dst, g.name...), 's'
	case colText, colList:
		v := c.choices[hash2(attr, c.key)%uint64(len(c.choices))]
		if c.header == "User State" && e.deleted {
			v = "deleted"
		}
		if v == "" {
			return dst, 0
		}
		return append(dst, v...), 's'
	case colFlag:
		on := e.deleted
		if c.header != "Is Deleted" {
			on = unit64(hash2(attr, c.key)) < c.share
		}
		return g.bool(dst, c, on), 'b'
	case colUsed:
		ck := hash2(act, c.key)
		on := false
		if unit64(hash2(ck, 8)) >= 0.3 { // some never use it
			for _, d := range e.on {
				if unit64(daily(ck, d)) < 0.5 {
					on = true
					break
				}
			}
		}
		return g.bool(dst, c, on), 'b'
	case colLastActivity:
		ck := hash2(act, c.key)
		for k := range 90 {
			d := g.last - int64(k)
			if g.activeAt(k) && (!c.sub || unit64(daily(ck, d)) < 0.6) {
				return appendDate(dst, d), 's'
			}
		}
		return dst, 0
	case colAttrDate:
		return appendDate(dst, min(g.last, attrDateFirst+int64(hash2(attr, c.key)%1800))), 's'
	case colDeletedDate, colStateDate:
		if !e.deleted {
			return dst, 0
		}
		// Within the last 28 days, the same for 28 days at a time.
		return appendDate(dst, g.last-(g.last+int64(hash2(attr, 9)%28))%28), 's'
	case colLicenseDate:
		if unit64(hash2(attr, c.key)) >= 0.85 {
			return dst, 0 // no licence
		}
		return appendDate(dst, min(g.last, attrDateFirst+int64(hash2(attr, c.key^10)%1800))), 's'
	case colQuota:
		return strconv.AppendInt(dst, c.quota, 10), 'n'
	case colStock:
		ck := hash2(act, c.key)
		level := c.lo + (c.hi-c.lo)*unit64(ck)
		return strconv.AppendInt(dst, int64(level*(0.98+0.04*unit64(daily(ck, g.last)))), 10), 'n'
	case colActivity, colDistinct, colSeconds:
		if !e.any && g.plan.kind != userEntity && g.plan.kind != oneDriveEntity {
			return dst, 0 // an idle group, site or team: empty, not 0
		}
		ck := hash2(act, c.key)
		u := unit64(ck)
		level := c.lo + (c.hi-c.lo)*u*u
		var total int64
		for _, d := range e.on {
			v := int64(level * (0.5 + unit64(daily(ck, d))))
			if c.kind == colDistinct {
				total = max(total, v)
			} else {
				total += v
			}
		}
		if c.typ == report.Duration {
			return appendISODuration(dst, total), 's'
		}
		return strconv.AppendInt(dst, total, 10), 'n'
	}
	return dst, 0
}

func (g *detailGen) bool(dst []byte, c *colPlan, on bool) []byte {
	switch {
	case c.yesNo && on:
		return append(dst, "Yes"...)
	case c.yesNo:
		return append(dst, "No"...)
	case on:
		return append(dst, "True"...)
	}
	return append(dst, "False"...)
}

// realName appends the real value of name column c for the current entity:
// user00042@contoso.onmicrosoft.com, User 42, Group 42,
// https://contoso.sharepoint.com/sites/site00042, Team 42; a group's or
// site's owner is one of the users (or nobody).
func (g *detailGen) realName(dst []byte, c *colPlan) []byte {
	e := &g.ent
	user := e.owner
	switch c.name {
	case nameUPN, nameOwnerUPN:
		if user == 0 {
			return dst
		}
		return appendUPN(dst, user)
	case nameDisplay, nameOwnerDisplay:
		if user == 0 {
			return dst
		}
		return strconv.AppendInt(append(dst, "User "...), int64(user), 10)
	case nameGroup:
		return strconv.AppendInt(append(dst, "Group "...), int64(e.n), 10)
	case nameSite:
		if g.plan.kind == oneDriveEntity {
			dst = appendPadded(append(dst, "https://contoso-my.sharepoint.com/personal/user"...), e.n)
			return append(dst, "_contoso_onmicrosoft_com"...)
		}
		return appendPadded(append(dst, "https://contoso.sharepoint.com/sites/site"...), e.n)
	case nameTeam:
		return strconv.AppendInt(append(dst, "Team "...), int64(e.n), 10)
	}
	return strconv.AppendInt(append(append(dst, c.header...), ' '), int64(e.n), 10)
}

func appendUPN(dst []byte, n int) []byte {
	return append(appendPadded(append(dst, "user"...), n), "@contoso.onmicrosoft.com"...)
}

// appendPadded appends n with at least five digits.
func appendPadded(dst []byte, n int) []byte {
	for p := 10000; p > 1 && n < p; p /= 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(n), 10)
}

// appendGUID appends a version 4 GUID made of a and b, in lower case.
func appendGUID(dst []byte, a, b uint64) []byte {
	var u [16]byte
	for i := range 8 {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexLower[x>>4], hexLower[x&15])
	}
	return dst
}

// appendISODuration appends s seconds in ISO 8601 as Graph writes them:
// PT0S, PT1H2M3S, PT5M.
func appendISODuration(dst []byte, s int64) []byte {
	dst = append(dst, 'P', 'T')
	if s == 0 {
		return append(dst, '0', 'S')
	}
	if h := s / 3600; h > 0 {
		dst = append(strconv.AppendInt(dst, h, 10), 'H')
	}
	if m := s / 60 % 60; m > 0 {
		dst = append(strconv.AppendInt(dst, m, 10), 'M')
	}
	if sec := s % 60; sec > 0 {
		dst = append(strconv.AppendInt(dst, sec, 10), 'S')
	}
	return dst
}

// days is t's day number since 1970-01-01 (UTC).
func days(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// appendDate appends day number d as YYYY-MM-DD (civil from days, after
// Howard Hinnant's algorithm: no time.Time, no allocation).
func appendDate(dst []byte, d int64) []byte {
	z := d + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	if month <= 2 {
		y++
	}
	return append(dst, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// needsQuotes reports whether a CSV field must be quoted, as encoding/csv
// decides it.
func needsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	for _, c := range f {
		if c == ',' || c == '"' || c == '\r' || c == '\n' {
			return true
		}
	}
	return f[0] == ' ' || string(f) == `\.`
}

func appendQuoted(dst, f []byte) []byte {
	dst = append(dst, '"')
	for _, c := range f {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// The hashes values are drawn from: strKey for names, hash2 to combine,
// unit64 for a number in [0, 1).
func strKey(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return mix(h.Sum64())
}

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func hash2(a, b uint64) uint64 { return mix(a ^ mix(b+0x9e3779b97f4a7c15)) }

// daily is key's draw for day d: SplitMix64's d-th output from key, one
// mix where hash2 takes two (a period= file of 180 days makes 180 per cell).
func daily(key uint64, d int64) uint64 { return mix(key + uint64(d)*0x9e3779b97f4a7c15) }

func unit64(x uint64) float64 { return float64(x>>11) / (1 << 53) }
