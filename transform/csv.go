package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

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
	res.Rows = b.rows()
	if opts.RequireFullPeriod {
		if err := b.checkCoverage(res.Rows); err != nil {
			return nil, err
		}
	}
	return res, nil
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
		if at == 0 {
			return nil, &Error{Report: b.spec.Name, Source: b.opts.Source, Line: line,
				Column: b.cols[col].Header, Reason: "missing required column"}
		}
	}
	return pos, nil
}

func csvErr(spec *report.Spec, opts Options, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Report: spec.Name, Source: opts.Source, Line: pe.Line,
			Reason: fmt.Sprintf("malformed CSV at character %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("report %s: %s: read: %w", spec.Name, opts.Source, err)
}
