// Package transform turns a report payload (CSV or beta JSON) into typed rows
// keyed by report date. It is pure: an io.Reader in, rows or a typed error out;
// no clock, no network, no database.
//
// Payloads are read as files are really saved (encoding.go): UTF-8 with or
// without a byte-order mark, UTF-16 (either byte order) with one, a
// byte-order mark turned into text ("ï»¿"), PowerShell's "#TYPE ..." first
// line and quoted fields, and besides Graph's {"value": [...]} the CLI for
// Microsoft 365's JSON array of objects keyed by header names. An HTML page,
// or a CSV separated by semicolons or tabs, is an *Error saying so.
//
// Headers and JSON property names are matched through report.Normalize and the
// aliases in the report-spec table, so "Dial-in/out 3rd Party", "Dial-in/out
// third Party" and "dialInOut3rdParty" all reach the same column, wherever it
// stands in the header. An empty cell is NULL, never 0. An unknown extra
// column is a warning (Result.Unknown, Result.Warnings); a missing column, an
// unparsable cell, a row whose field count differs from the header's, a
// duplicate report date, a refresh date before its row's report date or
// (given Options.Now) more than a day in the future is an *Error naming the
// report, source, line, column and value.
//
// Parse streams: it reads the payload once, through a buffer of at most 64 KiB, and
// keeps only the typed rows. CSV is read as encoding/csv reads it, but cells
// are parsed in place in the buffer, and the metrics of all rows share a few
// large backing arrays, so a row costs no allocation of its own (about 0.002
// per row over 100,000 rows); JSON records are checked by encoding/json and
// read in place likewise.
//
// With Options.RequireFullPeriod, a dated payload must cover its period: one
// row for each of the n days ending at its newest report date, where n is
// the Report Period on every row (else the requested period), so a payload
// cut after some rows is an *Error ("D7 payload covers 3 of 7 days
// (2026-11-23..2026-11-25); the body may have been cut"). Data trailing the
// refresh date is no gap; a payload with no rows passes.
//
// A snapshot report (report.Spec.Snapshot: the device usage distribution) has
// no Report Date; its rows carry a zero ReportDate and are unique by refresh
// date and period instead.
package transform

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/report"
)

// Value is a nullable cell of a row, typed by its column (report.Type): a
// count or bytes in N; a boolean as N 1 or 0; a date as N, its day number
// since 1970-01-01; a duration as N nanoseconds; text, and a list as
// written ('+'-separated), in S.
type Value struct {
	N     int64
	S     string
	Valid bool
}

// Row is one report date of one report, or for a snapshot report one refresh
// date and period.
type Row struct {
	// RefreshDate and ReportDate are calendar dates at UTC midnight.
	RefreshDate time.Time
	// ReportDate is zero for a snapshot report (report.Spec.Snapshot), and
	// never zero otherwise.
	ReportDate time.Time
	// Period is the report period in days, as the payload says.
	Period int
	// Values holds the dimensions and metrics in the order of the spec's
	// Fields. Rows of one Result share backing arrays: do not append to it.
	Values []Value
}

// Result is what Parse returns for a payload.
type Result struct {
	Rows []Row
	// Unknown lists header names (as received, unchanged) that match no
	// column.
	Unknown []string
	// Warnings are human-readable notes that did not stop the parse: unknown
	// columns, a report period other than the requested one.
	Warnings []string
	// NextLink is the JSON @odata.nextLink, if the payload had one.
	NextLink string
	// Parsed is how many rows were read: len(Rows), or with Options.Batch
	// how many were handed to it.
	Parsed int
	// Concealed says, for a detail report (report.Spec.Detail), whether
	// names were concealed in the payload: as Options.Concealment said, else
	// as its first row's entity name looks (report.LooksConcealed).
	Concealed bool
}

// Options tell Parse what it is reading.
type Options struct {
	Format report.Format
	// Source names the payload in errors: a file path or a redacted URL.
	Source string
	// Period is the requested period in days; a row that disagrees gives a
	// warning. 0 skips the check.
	Period int
	// RequireFullPeriod makes a dated payload that does not cover every day
	// of its period an *Error (see the coverage rule in coverage.go and the
	// package doc): a body cut short must not load as a whole report.
	RequireFullPeriod bool
	// Now is the current time, from the caller's clock (transform reads
	// none): a refresh date more than a day after Now's calendar date (UTC)
	// is an error. The zero time skips that check.
	Now time.Time

	// Date is, for a detail report, the day a date= call asked for: every
	// row describes that day (report_date, with report_period 1). Zero for
	// a period= call: the rows then describe their refresh date and period
	// (the payload's, else Period). RequireFullPeriod does not apply to a
	// detail report.
	Date time.Time
	// Concealment, when not nil, says whether the detail payload's names
	// are concealed (known false: undecided, then the first row's entity
	// name decides). It is asked once, when the first row is complete: a
	// reader ahead of Parse (a pseudonymizer) may decide it meanwhile.
	Concealment func() (concealed, known bool)
	// Batch, when not nil, receives the rows BatchRows at a time (the last
	// batch shorter) instead of Result.Rows, so that a payload of any size
	// is parsed in bounded memory. The rows and their values are reused once
	// Batch returns: copy what must outlive the call. An error from Batch
	// stops the parse and is returned. A payload's keys are then not checked
	// for duplicates here (the warehouse's key does it).
	Batch     func(rows []Row) error
	BatchRows int
}

// DefaultBatchRows is Options.BatchRows when it is 0.
const DefaultBatchRows = 8192

// Error is a parse failure at a place in the payload. It prints on one line:
//
//	report skype-organizer-activity-user-counts: x.csv: line 3, column 6 "App Sharing": not a whole number of 0 or more (value "n/a")
type Error struct {
	Report string
	Source string
	// Line is the 1-based CSV line, or the 1-based element of the JSON value
	// array; 0 when the error is about the payload as a whole.
	Line int
	// Column is the canonical column name (the header as documented) and
	// ColumnNo its 1-based position in the CSV header or the JSON object, 0
	// when it does not apply.
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
	return text.OneLine(b.String())
}

// maxValue is how many characters of an offending value an Error keeps.
const maxValue = 40

// truncate keeps the first 40 characters (runes) of s, marking a cut with
// an ellipsis.
func truncate(s string) string {
	if len(s) <= maxValue {
		return s
	}
	n := 0
	for i := range s {
		if n == maxValue {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// Parse reads a whole payload of the given report. Errors are *Error, but
// for a failure of r itself, which is wrapped.
func Parse(spec *report.Spec, r io.Reader, opts Options) (*Result, error) {
	size := -1
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, strings.Reader, bytes.Buffer
		size = l.Len()
	}
	bufSize := 64 << 10
	if size >= 0 {
		bufSize = min(bufSize, max(size+1, 4096)) // small payloads need no 64 KiB
	}
	br := bufio.NewReaderSize(r, bufSize)
	// Drop a byte-order mark (or one turned into text), decoding UTF-16, so
	// that positions count from the first real character (encoding.go).
	br, decoded := unwrap(br, bufSize)
	if decoded {
		size = -1 // the size of the UTF-16 text says little of the rows'
	}
	if isHTML(br) {
		return nil, &Error{Report: spec.Name, Source: opts.Source, Reason: "this is an HTML document, not a report export",
			json: opts.Format == report.JSON}
	}
	if opts.Format == report.JSON {
		return parseJSON(spec, br, opts)
	}
	return parseCSV(spec, br, size, opts)
}
