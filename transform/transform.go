// Package transform turns a report payload (CSV or beta JSON) into typed rows
// keyed by report date. It is pure: an io.Reader in, rows or a typed error out;
// no clock, no network, no database.
//
// Headers and JSON property names are matched through report.Normalize and the
// aliases in the report-spec table, so "Dial-in/out 3rd Party", "Dial-in/out
// third Party" and "dialInOut3rdParty" all reach the same column. An empty cell
// is NULL, never 0. An unknown extra column is a warning; a missing column, an
// unparsable cell or a duplicate report date is an *Error naming the report,
// source, line, column and value.
package transform

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// Format is the payload encoding.
type Format int

const (
	// CSV is Graph's default: a UTF-8 CSV, possibly with a byte-order mark.
	CSV Format = iota
	// JSON is the beta $format=application/json answer: {"value": [...]}.
	JSON
)

func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "csv"
}

// ParseFormat accepts "csv" or "json".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv", "":
		return CSV, nil
	case "json":
		return JSON, nil
	}
	return CSV, fmt.Errorf("invalid format %q: want csv or json", s)
}

// Value is a nullable count.
type Value struct {
	N     int64
	Valid bool
}

// Row is one report date of one report.
type Row struct {
	RefreshDate time.Time
	ReportDate  time.Time
	Period      int
	// Values holds the metrics in the order of the spec's Metrics.
	Values []Value
}

// Result is what Parse returns for a payload.
type Result struct {
	Rows []Row
	// Unknown lists header names (as received) that match no column.
	Unknown []string
	// Warnings are human-readable notes that did not stop the parse.
	Warnings []string
	// NextLink is the JSON @odata.nextLink, if the payload had one.
	NextLink string
}

// Options tell Parse what it is reading.
type Options struct {
	Format Format
	// Source names the payload in errors: a file path or a redacted URL.
	Source string
	// Period is the requested period in days; a row that disagrees gives a
	// warning. 0 skips the check.
	Period int
}

// Error is a parse failure at a place in the payload. It prints on one line.
type Error struct {
	Report string
	Source string
	// Line is the 1-based CSV line, or the 1-based element of the JSON value
	// array; 0 when the error is about the payload as a whole.
	Line int
	// Column is the canonical column name (the header as documented) and
	// ColumnNo its 1-based position in the payload, 0 when unknown.
	Column   string
	ColumnNo int
	// Value is the offending cell, truncated to 40 characters.
	Value  string
	Reason string
	json   bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "report %s: %s", e.Report, e.Source)
	if e.Line > 0 {
		if e.json {
			fmt.Fprintf(&b, ": record %d", e.Line)
		} else {
			fmt.Fprintf(&b, ": line %d", e.Line)
		}
	}
	if e.Column != "" {
		if e.ColumnNo > 0 {
			fmt.Fprintf(&b, ", column %d %q", e.ColumnNo, e.Column)
		} else {
			fmt.Fprintf(&b, ", column %q", e.Column)
		}
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	if e.Value != "" || e.ColumnNo > 0 {
		fmt.Fprintf(&b, " (value %q)", e.Value)
	}
	return b.String()
}

func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary.
	cut := max
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Parse reads a whole payload of the given report.
func Parse(spec *report.Spec, r io.Reader, opts Options) (*Result, error) {
	if opts.Format == JSON {
		return parseJSON(spec, r, opts)
	}
	return parseCSV(spec, r, opts)
}

// columnIndex maps normalised names to the position in spec.Columns().
type columnIndex map[string]int

func indexFor(spec *report.Spec) columnIndex {
	idx := columnIndex{}
	for i, c := range spec.Columns() {
		for _, k := range c.Keys() {
			idx[k] = i
		}
	}
	return idx
}

// rowBuilder accumulates one row's cells and checks invariants shared by CSV
// and JSON.
type rowBuilder struct {
	spec  *report.Spec
	opts  Options
	cols  []report.Column
	seen  map[time.Time]int
	res   *Result
	warnP bool
}

func newRowBuilder(spec *report.Spec, opts Options, res *Result) *rowBuilder {
	return &rowBuilder{spec: spec, opts: opts, cols: spec.Columns(), seen: map[time.Time]int{}, res: res}
}

func (b *rowBuilder) errAt(line, col, colNo int, value, reason string) *Error {
	name := ""
	if col >= 0 {
		name = b.cols[col].Header
	}
	return &Error{Report: b.spec.Name, Source: b.opts.Source, Line: line, Column: name, ColumnNo: colNo,
		Value: truncate(value), Reason: reason, json: b.opts.Format == JSON}
}

// cell converts one raw cell into the row.
func (b *rowBuilder) cell(row *Row, line, col, colNo int, raw string) error {
	s := strings.TrimSpace(raw)
	switch col {
	case 0, 1:
		if s == "" {
			return b.errAt(line, col, colNo, raw, "empty date")
		}
		d, ok := parseDate(s)
		if !ok {
			return b.errAt(line, col, colNo, raw, "not a date (want YYYY-MM-DD)")
		}
		if col == 0 {
			row.RefreshDate = d
		} else {
			row.ReportDate = d
		}
	case 2:
		n, ok := parsePeriod(s)
		if !ok {
			return b.errAt(line, col, colNo, raw, "not a report period (want a number of days such as 7)")
		}
		row.Period = n
	default:
		if s == "" {
			row.Values[col-3] = Value{}
			return nil
		}
		n, ok := parseInt(s)
		if !ok {
			return b.errAt(line, col, colNo, raw, "not a whole number of 0 or more")
		}
		row.Values[col-3] = Value{N: n, Valid: true}
	}
	return nil
}

// finish checks the completed row and appends it.
func (b *rowBuilder) finish(row Row, line int) error {
	if prev, dup := b.seen[row.ReportDate]; dup {
		what := "line"
		if b.opts.Format == JSON {
			what = "record"
		}
		return b.errAt(line, 1, 0, row.ReportDate.Format(time.DateOnly),
			fmt.Sprintf("duplicate report date (first on %s %d)", what, prev))
	}
	b.seen[row.ReportDate] = line
	if b.opts.Period > 0 && row.Period != b.opts.Period && !b.warnP {
		b.warnP = true
		b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(
			"report %s: %s: report period %d in the payload differs from the requested %d", b.spec.Name, b.opts.Source, row.Period, b.opts.Period))
	}
	b.res.Rows = append(b.res.Rows, row)
	return nil
}

// parseDate reads YYYY-MM-DD, optionally followed by T00:00:00 and a zone
// (Z or +00:00), without allocating.
func parseDate(s string) (time.Time, bool) {
	if len(s) > 10 {
		rest := s[10:]
		if rest[0] != 'T' && rest[0] != ' ' {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339, strings.Replace(s, " ", "T", 1))
		if err != nil {
			t, err = time.Parse("2006-01-02T15:04:05", strings.Replace(s, " ", "T", 1))
			if err != nil {
				return time.Time{}, false
			}
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits(s string) (int, bool) {
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
func parsePeriod(s string) (int, bool) {
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
func parseInt(s string) (int64, bool) {
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
