package transform

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/m365ingest/ingest/report"
)

// role is what a column of the spec holds.
type role uint8

const (
	roleField role = iota // a dimension or metric: a Value of the row
	roleRefresh
	roleReportDate
	rolePeriod
)

// rowBuilder turns cells into rows and checks what CSV and JSON share: cell
// syntax, unique keys, the requested period.
type rowBuilder struct {
	lay   *layout
	spec  *report.Spec
	opts  Options
	res   *Result
	cols  []report.Column // spec.Columns()
	roles []role          // per column
	field []int           // per column: its index in Values (roleField only)
	dims  int             // Values[:dims] are the dimensions (part of the key)
	index map[string]int  // report.Normalize'd name -> column
	keys  rowKeys         // row keys, with the line or record each was first on
	warnP bool            // the period warning was given

	// slab backs the Values of many rows: one allocation per slabRows rows.
	slab     []Value
	slabRows int

	// Rows are gathered in chunks and copied once into Result.Rows at the
	// end (rows), instead of growing one slice by copying it again and again.
	chunk  []Row
	chunks [][]Row
	nRows  int

	// Every row of a payload normally has the same refresh date: the last
	// one parsed is kept to skip parsing it again.
	lastRefreshText []byte
	lastRefresh     time.Time
	// refreshColNo is where the current row's refresh date stood, for an
	// error about it found once the row is complete.
	refreshColNo int
	// latestRefresh is the latest refresh date accepted: the day after
	// Options.Now's date (zero: no bound).
	latestRefresh time.Time

	// unknownAt names the first unknown columns for warnUnknown ("10
	// \"Hologram\""), unknownWhat says whether they are columns or properties.
	unknownAt   []string
	unknownWhat string

	// detail: whether names are concealed, once decided (see detailRow).
	concealDecided, concealed bool
	// The first detail row's refresh date, period, line and look (names
	// concealed or not; looked false for pseudonyms): a detail payload has
	// one of each (detailRow).
	first                   bool
	firstRefresh            time.Time
	firstPeriod, firstLine  int
	firstLooks, firstLooked bool
	// batch: rows go to opts.Batch batchRows at a time (see finish).
	batchRows int
	batchSlab []Value
}

func newRowBuilder(spec *report.Spec, opts Options, res *Result) *rowBuilder {
	l := layoutOf(spec)
	b := &rowBuilder{
		spec: spec, opts: opts, res: res, cols: l.cols, lay: l,
		roles: l.roles, field: l.field, index: l.index,
		dims: len(spec.Dims), keys: rowKeys{spec: spec},
	}
	if !opts.Now.IsZero() {
		y, mo, d := opts.Now.UTC().Date()
		b.latestRefresh = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
	}
	if opts.Batch != nil {
		b.batchRows = cmp.Or(opts.BatchRows, DefaultBatchRows)
		b.batchSlab = make([]Value, b.batchRows*(len(spec.Dims)+len(spec.Metrics)))
		b.slab = b.batchSlab
		b.chunk = make([]Row, 0, b.batchRows)
	}
	return b
}

// layout is what a rowBuilder knows of its report's columns, the same for
// every payload of the report: made once per report (its header names
// normalized were 4% of parsing 2,000 small payloads) and never changed.
type layout struct {
	cols  []report.Column
	roles []role
	field []int          // per column: its index in Row.Values (a field)
	index map[string]int // a header or property name, normalized → column
	// A detail report's entity columns (report.Detail.Entity), as indexes in
	// Row.Values, preferred first; entityID says which are ids, whose nil
	// GUID stands for a concealed id; entityName is the first that is a
	// name (-1 if none), whose look tells concealment.
	entity     []int
	entityID   []bool
	entityName int
}

var layouts sync.Map // *report.Spec → *layout

func layoutOf(spec *report.Spec) *layout {
	if l, ok := layouts.Load(spec); ok {
		return l.(*layout)
	}
	cols := spec.Columns()
	l := &layout{cols: cols, roles: make([]role, len(cols)), field: make([]int, len(cols)), index: map[string]int{}}
	m := 0
	for i, c := range cols {
		switch c.Name {
		case report.RefreshDate.Name:
			l.roles[i] = roleRefresh
		case report.ReportDate.Name:
			l.roles[i] = roleReportDate
		case report.Period.Name:
			l.roles[i] = rolePeriod
		default:
			l.roles[i], l.field[i] = roleField, m
			m++
		}
		if c.Derived {
			continue // not in the payload: never matched by a header
		}
		for _, k := range c.Keys() {
			l.index[k] = i
		}
	}
	l.entityName = -1
	if d := spec.Detail; d != nil {
		fields := spec.Fields()
		for _, h := range d.Entity {
			i := slices.IndexFunc(fields, func(c report.Column) bool { return c.Header == h })
			isID := strings.HasSuffix(h, " Id")
			l.entity, l.entityID = append(l.entity, i), append(l.entityID, isID)
			if !isID && l.entityName < 0 {
				l.entityName = i
			}
		}
	}
	got, _ := layouts.LoadOrStore(spec, l)
	return got.(*layout)
}

// lookup finds the column a header or property name stands for.
func (b *rowBuilder) lookup(name string) (int, bool) {
	col, ok := b.index[report.Normalize(name)]
	return col, ok
}

// newRow returns a row whose Values come from the slab, all NULL.
func (b *rowBuilder) newRow() Row {
	m := len(b.spec.Dims) + len(b.spec.Metrics)
	if len(b.slab) < m {
		// Start small (most payloads have 7 to 180 rows) and grow.
		b.slabRows = min(max(2*b.slabRows, 32), 4096)
		b.slab = make([]Value, m*b.slabRows)
	}
	v := b.slab[:m:m]
	b.slab = b.slab[m:]
	return Row{Values: v}
}

func (b *rowBuilder) errAt(line, col, colNo int, value, reason string) *Error {
	name := ""
	if col >= 0 {
		name = b.cols[col].Header
	}
	return &Error{Report: b.spec.Name, Source: b.opts.Source, Line: line, Column: name, ColumnNo: colNo,
		Value: truncate(value), Reason: reason, json: b.opts.Format == report.JSON}
}

// cell converts one raw cell of column col into the row. raw is not kept.
func (b *rowBuilder) cell(row *Row, line, col, colNo int, raw []byte) error {
	s := raw
	if len(s) > 0 && (s[0] <= ' ' || s[len(s)-1] <= ' ' || s[0] >= 0x80 || s[len(s)-1] >= 0x80) {
		s = bytes.TrimSpace(s)
	}
	switch b.roles[col] {
	case roleField:
		f := b.field[col]
		if len(s) == 0 {
			if f < b.dims {
				return b.errAt(line, col, colNo, string(raw), "empty, but it identifies the row")
			}
			return nil // the slab's values start NULL
		}
		v, reason := parseValue(b.cols[col].Type, s)
		if reason != "" {
			return b.errAt(line, col, colNo, string(raw), reason)
		}
		// A number is stored without its empty text: a string header is a
		// pointer, whose store costs a write barrier while the collector
		// runs (a fifth of cell's time in a profile of 2,000 payloads).
		if dst := &row.Values[f]; v.S == "" {
			dst.N, dst.Valid = v.N, v.Valid
		} else {
			*dst = v
		}
	case roleRefresh:
		b.refreshColNo = colNo
		if len(s) > 0 && bytes.Equal(s, b.lastRefreshText) {
			row.RefreshDate = b.lastRefresh
			return nil
		}
		d, err := b.date(line, col, colNo, raw, s)
		if err != nil {
			return err
		}
		// A refresh date in the future would win every later upsert (the
		// newer refresh wins) and freeze the row.
		if !b.latestRefresh.IsZero() && d.After(b.latestRefresh) {
			return b.errAt(line, col, colNo, string(raw), fmt.Sprintf("refresh date more than a day after today (%s)",
				b.latestRefresh.AddDate(0, 0, -1).Format(time.DateOnly)))
		}
		row.RefreshDate, b.lastRefresh = d, d
		b.lastRefreshText = append(b.lastRefreshText[:0], s...)
	case roleReportDate:
		d, err := b.date(line, col, colNo, raw, s)
		if err != nil {
			return err
		}
		row.ReportDate = d
	case rolePeriod:
		n, ok := parsePeriod(s)
		if !ok {
			return b.errAt(line, col, colNo, string(raw), "not a report period (want a number of days such as 7)")
		}
		row.Period = n
	}
	return nil
}

func (b *rowBuilder) date(line, col, colNo int, raw, s []byte) (time.Time, error) {
	if len(s) == 0 {
		return time.Time{}, b.errAt(line, col, colNo, string(raw), "empty date")
	}
	d, ok := parseDate(s)
	if !ok {
		return time.Time{}, b.errAt(line, col, colNo, string(raw), "not a date (want YYYY-MM-DD, 1900 to 9999)")
	}
	return d, nil
}

// finish checks the completed row and appends it. A row's key (its report
// date, or for a snapshot report its refresh date and period) must be unique
// in the payload, and its refresh date not before its report date.
func (b *rowBuilder) finish(row Row, line int) error {
	if b.spec.Detail != nil {
		if err := b.detailRow(&row, line); err != nil {
			return err
		}
	} else if b.spec.Dated() && row.RefreshDate.Before(row.ReportDate) {
		// Graph refreshes a report after the days it covers, never before.
		return b.errAt(line, b.colOf(roleRefresh), b.refreshColNo, row.RefreshDate.Format(time.DateOnly),
			"refresh date before the report date "+row.ReportDate.Format(time.DateOnly))
	}
	if b.batchRows > 0 {
		return b.batch(row)
	}
	if err := b.unique(row, line); err != nil {
		return err
	}
	if b.opts.Period > 0 && b.spec.HasPeriodColumn() && row.Period != b.opts.Period && !b.warnP && b.spec.Detail == nil {
		b.warnP = true
		b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(
			"report %s: %s: report period %d in the payload differs from the requested %d", b.spec.Name, b.opts.Source, row.Period, b.opts.Period))
	}
	if len(b.chunk) == cap(b.chunk) {
		if b.chunk != nil {
			b.chunks = append(b.chunks, b.chunk)
		}
		b.chunk = make([]Row, 0, min(max(2*cap(b.chunk), 64), 8192))
	}
	b.chunk = append(b.chunk, row)
	b.nRows++
	return nil
}

// expect sizes the row and value storage for about n more rows, when the
// caller can tell (see sizeHint). A wrong guess costs memory or a copy, never
// a row.
func (b *rowBuilder) expect(n int) {
	if n <= 0 || len(b.chunk) > 0 || len(b.chunks) > 0 || b.batchRows > 0 {
		return
	}
	b.chunk = make([]Row, 0, n)
	b.slabRows = n
	b.slab = make([]Value, n*(len(b.spec.Dims)+len(b.spec.Metrics)))
}

// batch adds a finished row to the batch, handing the batch to
// Options.Batch when it is full; the rows' values then start again at the
// start of the slab.
func (b *rowBuilder) batch(row Row) error {
	b.chunk = append(b.chunk, row)
	b.nRows++
	if len(b.chunk) < b.batchRows {
		return nil
	}
	return b.flush()
}

// flush hands the rows of the batch so far to Options.Batch.
func (b *rowBuilder) flush() error {
	if len(b.chunk) == 0 {
		return nil
	}
	err := b.opts.Batch(b.chunk)
	clear(b.batchSlab[:len(b.batchSlab)-len(b.slab)])
	b.chunk, b.slab = b.chunk[:0], b.batchSlab
	return err
}

// done ends the parse: the rows, or with Options.Batch, the last batch
// handed over and no rows.
func (b *rowBuilder) done() ([]Row, error) {
	b.res.Parsed = b.nRows
	b.res.Concealed = b.concealed
	if b.batchRows > 0 {
		return nil, b.flush()
	}
	return b.rows(), nil
}

// detailRow completes a detail report's row (report.Detail): the day it
// describes and its period, its entity and whether names are concealed.
//
// The day is Options.Date for a date= call (period 1), else the refresh
// date, with the payload's period or else the requested one (0 for the
// activations, which take none). The entity is the first entity column that
// is neither empty nor the nil GUID; a nil GUID id is stored as NULL (it
// identifies nothing). Concealment is decided once a payload, on its first
// row: Options.Concealment if it knows, else the look of the entity name.
func (b *rowBuilder) detailRow(row *Row, line int) error {
	if !b.opts.Date.IsZero() {
		row.ReportDate, row.Period = b.opts.Date, 1
	} else {
		row.ReportDate = row.RefreshDate
		if row.Period == 0 {
			row.Period = b.opts.Period
		}
	}
	l := b.lay
	key := -1
	for k, f := range l.entity {
		v := &row.Values[f]
		if !v.Valid || v.S == "" {
			continue
		}
		if l.entityID[k] && v.S == report.NilGUID {
			*v = Value{}
			continue
		}
		if key < 0 {
			key = f
		}
	}
	if key < 0 {
		names := make([]string, len(b.spec.Detail.Entity))
		for i, h := range b.spec.Detail.Entity {
			names[i] = strconv.Quote(h)
		}
		return b.errAt(line, -1, 0, "", "no entity: "+strings.Join(names, ", ")+" all empty")
	}
	if err := b.oneOfEach(row, line); err != nil {
		return err
	}
	if !b.concealDecided {
		b.concealDecided = true
		known := false
		if b.opts.Concealment != nil {
			b.concealed, known = b.opts.Concealment()
		}
		if !known && l.entityName >= 0 {
			b.concealed = report.LooksConcealed(row.Values[l.entityName].S)
		}
	}
	row.Values[0] = Value{S: row.Values[key].S, Valid: true} // report.EntityKey
	c := int64(0)
	if b.concealed {
		c = 1
	}
	row.Values[1] = Value{N: c, Valid: true} // report.Concealed
	return nil
}

// oneOfEach refuses a detail row whose refresh date or period differs from
// the first row's, or whose names are concealed where the first row's were
// not (or the other way round): Graph writes a payload of one refresh, one
// period and one setting, and a file that mixes them (files joined by
// hand) would be loaded as one payload of the first row's day and
// concealment.
func (b *rowBuilder) oneOfEach(row *Row, line int) error {
	l := b.lay
	name := ""
	if l.entityName >= 0 {
		name = row.Values[l.entityName].S
	}
	looked := name != "" && !isPseudonym(name)
	if !b.first {
		b.first = true
		b.firstRefresh, b.firstPeriod, b.firstLine = row.RefreshDate, row.Period, line
		b.firstLooks, b.firstLooked = looked && report.LooksConcealed(name), looked
		return nil
	}
	unit := "line"
	if b.opts.Format == report.JSON {
		unit = "record"
	}
	switch {
	case !row.RefreshDate.Equal(b.firstRefresh):
		return b.errAt(line, -1, 0, "", fmt.Sprintf("Report Refresh Date %s where %s %d has %s: a detail payload has one refresh date",
			row.RefreshDate.Format(time.DateOnly), unit, b.firstLine, b.firstRefresh.Format(time.DateOnly)))
	case row.Period != b.firstPeriod:
		return b.errAt(line, -1, 0, "", fmt.Sprintf("Report Period %d where %s %d has %d: a detail payload has one period", row.Period, unit, b.firstLine, b.firstPeriod))
	case looked && b.firstLooked && report.LooksConcealed(name) != b.firstLooks:
		what := map[bool]string{true: "concealed (32 hexadecimal digits)", false: "not concealed"}
		return b.errAt(line, -1, 0, "", fmt.Sprintf("names %s where %s %d's are %s: a detail payload is of one concealment setting",
			what[!b.firstLooks], unit, b.firstLine, what[b.firstLooks]))
	}
	return nil
}

// rows returns every row finished, in order, in one slice.
func (b *rowBuilder) rows() []Row {
	if len(b.chunks) == 0 {
		return b.chunk
	}
	out := make([]Row, 0, b.nRows)
	for _, c := range b.chunks {
		out = append(out, c...)
	}
	return append(out, b.chunk...)
}

// unique refuses a row whose key an earlier row of the payload had: its
// report date, or for a snapshot its refresh date and period, or for a
// report without a period its refresh date; and its dimensions.
func (b *rowBuilder) unique(row Row, line int) error {
	prev := b.keys.add(row, line)
	if prev == 0 {
		return nil
	}
	what := "line"
	if b.opts.Format == report.JSON {
		what = "record"
	}
	dims := ""
	if len(b.spec.Dims) > 0 {
		dims = " and " + b.dimsText(row.Values)
	}
	switch {
	case b.spec.NoPeriod:
		return b.errAt(line, 0, 0, row.RefreshDate.Format(time.DateOnly),
			fmt.Sprintf("duplicate row for refresh date%s (first on %s %d)", dims, what, prev))
	case b.spec.Snapshot:
		return b.errAt(line, 0, 0, row.RefreshDate.Format(time.DateOnly),
			fmt.Sprintf("duplicate row for refresh date and period %d%s (first on %s %d)", row.Period, dims, what, prev))
	}
	return b.errAt(line, b.colOf(roleReportDate), 0, row.ReportDate.Format(time.DateOnly),
		fmt.Sprintf("duplicate report date%s (first on %s %d)", dims, what, prev))
}

// dimsKey is a row's key with its dimensions, as a map key.
// dimsText names a row's dimensions for an error: Site Type "Team", ...
func (b *rowBuilder) dimsText(values []Value) string {
	of := make([]string, len(b.spec.Dims))
	for i, d := range b.spec.Dims {
		of[i] = fmt.Sprintf("%s %q", d.Header, values[i].S)
	}
	return strings.Join(of, ", ")
}

// rowKeys remembers the keys of rows (spec.Key but the tenant), each with
// the line or record it was first on.
type rowKeys struct {
	spec  *report.Spec
	seen  keySet         // the keys of a report without dimensions
	seenD map[string]int // the keys of a report with dimensions
}

// add records row's key as first on line (1 or more) and returns the line
// the key was first on before, 0 when it is new.
func (k *rowKeys) add(row Row, line int) int {
	var key int64
	switch {
	case k.spec.NoPeriod:
		key = days(row.RefreshDate)
	case k.spec.Snapshot:
		key = days(row.RefreshDate)<<16 | int64(row.Period) // periods have at most 4 digits
	default:
		key = days(row.ReportDate)
	}
	if len(k.spec.Dims) == 0 {
		return k.seen.add(key, line)
	}
	d := dimsKey(key, row.Values[:len(k.spec.Dims)])
	if k.seenD == nil {
		k.seenD = map[string]int{}
	}
	prev := k.seenD[d]
	if prev == 0 {
		k.seenD[d] = line
	}
	return prev
}

// DuplicateKey finds the first of rows whose key (spec.Key but the tenant)
// an earlier one has, and returns the two rows' positions, counted from 1.
// Parse refuses such a payload, naming its lines; this is the same check
// for rows that come from elsewhere.
func DuplicateKey(spec *report.Spec, rows []Row) (first, second int, ok bool) {
	k := rowKeys{spec: spec}
	for i := range rows {
		if prev := k.add(rows[i], i+1); prev != 0 {
			return prev, i + 1, true
		}
	}
	return 0, 0, false
}

func dimsKey(key int64, dims []Value) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(key, 36))
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.S)
	}
	return b.String()
}

func (b *rowBuilder) colOf(r role) int {
	for i, x := range b.roles {
		if x == r {
			return i
		}
	}
	return -1
}

// unknown records a column or property that matches no column of the spec;
// warnUnknown turns them all into one warning.
// The name is kept as it appeared (Result.Unknown) and quoted with
// strconv.Quote in the warning, so that an invisible character (a stray
// byte-order mark, a no-break or zero-width space) shows.
func (b *rowBuilder) unknown(name, what string, colNo int) {
	b.res.Unknown = append(b.res.Unknown, name)
	b.unknownWhat = what
	if len(b.unknownAt) < maxUnknownListed {
		where := ""
		if colNo > 0 {
			where = fmt.Sprintf("%d ", colNo)
		}
		b.unknownAt = append(b.unknownAt, where+strconv.Quote(truncate(name)))
	}
}

// maxUnknownListed is how many unknown columns the warning names; the rest
// are counted.
const maxUnknownListed = 20

// warnUnknown adds the one warning about unknown columns (or properties),
// if any: a header of 100,000 of them gives one line, not 100,000.
func (b *rowBuilder) warnUnknown() {
	n := len(b.res.Unknown)
	if n == 0 {
		return
	}
	var w string
	if n == 1 {
		w = fmt.Sprintf("unknown %s %s ignored", b.unknownWhat, b.unknownAt[0])
	} else {
		w = fmt.Sprintf("%s unknown %s ignored: %s", thousands(n), plural(b.unknownWhat), strings.Join(b.unknownAt, ", "))
		if more := n - len(b.unknownAt); more > 0 {
			w += fmt.Sprintf(" and %s more", thousands(more))
		}
	}
	b.res.Warnings = append(b.res.Warnings, fmt.Sprintf("report %s: %s: %s", b.spec.Name, b.opts.Source, w))
}

func plural(what string) string {
	if what == "property" {
		return "properties"
	}
	return what + "s"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// keySet remembers the row keys of a payload with the line each was first
// seen on. A daily report's keys are day numbers, mostly consecutive, so
// they are kept in pages of 1024 days with the last page used at hand: no
// hashing per row.
type keySet struct {
	pages    map[int64]*[1024]int32
	last     *[1024]int32
	lastPage int64
}

// add records key on line and returns the line key was first seen on, or 0
// when it is new.
func (s *keySet) add(key int64, line int) int {
	page := key >> 10
	if s.last == nil || page != s.lastPage {
		if s.pages == nil {
			s.pages = map[int64]*[1024]int32{}
		}
		p := s.pages[page]
		if p == nil {
			p = new([1024]int32)
			s.pages[page] = p
		}
		s.last, s.lastPage = p, page
	}
	slot := &s.last[key&1023]
	if *slot != 0 {
		return int(*slot)
	}
	*slot = int32(min(line, math.MaxInt32))
	return 0
}

// days is the day number of a UTC-midnight date since 1970-01-01.
func days(t time.Time) int64 { return t.Unix() / 86400 }

// parseDate reads YYYY-MM-DD, optionally followed by a time of day and a zone
// (2026-11-19T00:00:00Z, as beta JSON has sent since 2021) of which only the
// calendar date is kept. Years outside 1900 to 9999 are refused: no report
// has them, and the zero time.Time must never pass for a date. The plain form
// does not allocate.
func parseDate[T string | []byte](s T) (time.Time, bool) {
	if len(s) > 10 {
		if s[10] != 'T' && s[10] != ' ' {
			return time.Time{}, false
		}
		iso := string(s[:10]) + "T" + string(s[11:])
		t, err := time.Parse(time.RFC3339Nano, iso)
		if err != nil {
			if t, err = time.Parse("2006-01-02T15:04:05.999999999", iso); err != nil {
				return time.Time{}, false
			}
		}
		return parseDate(t.Format(time.DateOnly)) // the date as written, whatever the zone
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return time.Time{}, false
	}
	// time.Unix(...).UTC() is the same value as time.Date(y, m, d, 0, 0, 0,
	// 0, time.UTC), without Date's normalisation work.
	return time.Unix(daysFromCivil(y, m, d)*86400, 0).UTC(), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 1900 here, so no negative division
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func digits[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// parsePeriod accepts "7" and, leniently, "D7".
func parsePeriod[T string | []byte](s T) (int, bool) {
	if len(s) > 1 && (s[0] == 'D' || s[0] == 'd') {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	n, ok := digits(s)
	return n, ok && n > 0
}

// parseInt reads a non-negative base-10 count without allocating. Counts
// are never negative; up to 18 digits fit an int64 without overflow checks.
func parseInt[T string | []byte](s T) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
