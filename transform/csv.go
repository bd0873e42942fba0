package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/m365ingest/ingest/report"
)

// parseCSV reads the header, maps it to the spec's columns by name, then
// reads one record at a time into rows, straight from br's buffer.
//
// When size (the payload's length, -1 if unknown) is known, the length of the
// first row gives an estimate of the number of rows, so that the rows are
// stored once, without growing and copying.
func parseCSV(spec *report.Spec, br *bufio.Reader, size int, opts Options) (*Result, error) {
	cr := newRecordReader(br)
	res := &Result{}
	b := newRowBuilder(spec, opts, res)

	// PowerShell's Export-Csv and ConvertTo-Csv (5.1, without
	// -NoTypeInformation) write a "#TYPE System.Management..." line first.
	if p, _ := br.Peek(len(typeLine)); bytes.EqualFold(p, typeLine) {
		if _, err := cr.readLine(); err != nil && !errors.Is(err, io.EOF) {
			return nil, csvErr(spec, opts, err)
		}
	}
	if sep := otherSeparator(b, br); sep != "" {
		return nil, &Error{Report: spec.Name, Source: opts.Source, Line: cr.line + 1,
			Reason: fmt.Sprintf("fields are separated by %s; export with commas", sep)}
	}
	fields, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Report: spec.Name, Source: opts.Source, Reason: "empty payload: no header line"}
	}
	if err != nil {
		return nil, csvErr(spec, opts, err)
	}
	header := make([]string, len(fields))
	for i, f := range fields {
		header[i] = string(f)
	}
	headerLine := cr.FieldLine(0)
	headerEnd := cr.InputOffset()
	pos, err := mapHeader(b, header, headerLine)
	if err != nil {
		return nil, err
	}
	b.warnUnknown()
	nCols := len(header)
	estimated := size < 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(spec, opts, err)
		}
		line := cr.FieldLine(0)
		if blank(rec) {
			continue // a line of blanks or bare commas carries no row
		}
		if len(rec) != nCols {
			return nil, &Error{Report: spec.Name, Source: opts.Source, Line: line,
				Reason: fmt.Sprintf("%d fields where the header has %d", len(rec), nCols)}
		}
		if !estimated {
			estimated = true
			start := headerEnd
			if n := cr.InputOffset() - start; n > 0 {
				// The shortest possible row ("2026-11-21,2026-11-20,7") bounds the guess.
				b.expect(int(min((int64(size)-start)/n+16, int64(size)/20+1)))
			}
		}
		row := b.newRow()
		for i, col := range pos {
			if col < 0 {
				continue
			}
			if err := b.cell(&row, line, col, i+1, rec[i]); err != nil {
				if l := cr.FieldLine(i); l != line { // after a quoted field spanning lines
					err.(*Error).Line = l
				}
				return nil, err
			}
		}
		if err := b.finish(row, line); err != nil {
			return nil, err
		}
	}
	if res.Rows, err = b.done(); err != nil {
		return nil, err
	}
	if opts.RequireFullPeriod && spec.Detail == nil {
		if err := b.checkCoverage(res.Rows); err != nil {
			return nil, err
		}
	}
	return res, nil
}

var typeLine = []byte("#TYPE ")

// otherSeparator names the separator of a header line that has no comma but
// at least two known column names between semicolons (Excel in many
// locales) or tabs (Excel's "Unicode Text"); "" otherwise. It looks at the
// line in br's buffer only, and costs one IndexByte on a usual header.
func otherSeparator(b *rowBuilder, br *bufio.Reader) string {
	buf, _ := br.Peek(br.Buffered())
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	}
	if bytes.IndexByte(buf, ',') >= 0 {
		return ""
	}
	for _, sep := range []struct {
		c    string
		name string
	}{{";", "';'"}, {"\t", "tabs"}} {
		known := 0
		for _, f := range bytes.Split(buf, []byte(sep.c)) {
			if _, ok := b.lookup(string(bytes.Trim(f, "\" \r"))); ok {
				known++
			}
		}
		if known >= 2 {
			return sep.name
		}
	}
	return ""
}

// blank reports whether every field of a record is empty or spaces.
func blank(rec [][]byte) bool {
	for _, f := range rec {
		if len(bytes.TrimSpace(f)) != 0 {
			return false
		}
	}
	return true
}

// mapHeader resolves each header field to a spec column (-1 for unknown) and
// fails when a column is missing or named twice.
func mapHeader(b *rowBuilder, header []string, line int) ([]int, error) {
	pos := make([]int, len(header))
	found := make([]int, len(b.cols)) // 1-based header position, 0 = missing
	for i, h := range header {
		col, ok := b.lookup(h)
		if !ok {
			pos[i] = -1
			b.unknown(h, "column", i+1)
			continue
		}
		if found[col] != 0 {
			return nil, b.errAt(line, col, i+1, h, fmt.Sprintf("column given twice (also column %d)", found[col]))
		}
		found[col] = i + 1
		pos[i] = col
	}
	for col, at := range found {
		if at == 0 && !b.cols[col].Optional {
			return nil, &Error{Report: b.spec.Name, Source: b.opts.Source, Line: line,
				Column: b.cols[col].Header, Reason: "missing required column" + b.unrecognised(col, header, pos)}
		}
	}
	return pos, nil
}

// maxUnrecognisedNamed is how many unknown columns a missing-column error
// names.
const maxUnrecognisedNamed = 3

// unrecognised tells, for the error about missing column col, which header
// fields were not recognised: those that look like col (the same name with
// a stray character, a near typo) if any, else the first few; "" when every
// field was recognised. Names are quoted as in the file (strconv.Quote), so
// that an invisible character shows.
func (b *rowBuilder) unrecognised(col int, header []string, pos []int) string {
	var near, other []string
	for i, h := range header {
		if pos[i] >= 0 {
			continue
		}
		named := fmt.Sprintf("%d %s", i+1, strconv.Quote(truncate(h)))
		if b.looksLike(h, col) {
			near = append(near, named)
		} else {
			other = append(other, named)
		}
	}
	switch {
	case len(near) > 0:
		return fmt.Sprintf("; not recognised, but close: column %s", strings.Join(near[:min(len(near), maxUnrecognisedNamed)], ", "))
	case len(other) > 0:
		return fmt.Sprintf("; not recognised: column %s", strings.Join(other[:min(len(other), maxUnrecognisedNamed)], ", "))
	}
	return ""
}

// looksLike reports whether header name h is close to a name of column col
// (compared as report.Normalize has them): one holds the other, the shorter
// of at least 4 characters (a stray prefix such as a byte-order mark turned
// into text), or they differ by one character (two from 6 characters on).
func (b *rowBuilder) looksLike(h string, col int) bool {
	n := report.Normalize(h)
	if n == "" {
		return false
	}
	for _, k := range b.cols[col].Keys() {
		limit := 1
		if len(k) >= 6 {
			limit = 2
		}
		switch {
		case k == "":
		case len(k) >= 4 && strings.Contains(n, k), len(n) >= 4 && strings.Contains(k, n), editDistance(n, k, limit) <= limit:
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance of a and b (in runes), or more
// than limit when it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func csvErr(spec *report.Spec, opts Options, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Report: spec.Name, Source: opts.Source, Line: pe.Line,
			Reason: fmt.Sprintf("malformed CSV at character %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("report %s: %s: read: %w", spec.Name, opts.Source, err)
}
