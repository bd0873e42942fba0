package transform

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/m365ingest/ingest/report"
)

func parseCSV(spec *report.Spec, r io.Reader, opts Options) (*Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// A UTF-8 byte-order mark precedes the first header; drop it here so the
	// CSV reader's column positions count from the first real character.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, to name the line in our words
	res := &Result{}
	b := newRowBuilder(spec, opts, res)

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Report: spec.Name, Source: opts.Source, Reason: "empty payload: no header line"}
	}
	if err != nil {
		return nil, csvErr(spec, opts, err)
	}
	pos, err := mapHeader(b, header)
	if err != nil {
		return nil, err
	}
	nCols := len(header)
	metrics := len(spec.Metrics)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(spec, opts, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if len(rec) != nCols {
			return nil, &Error{Report: spec.Name, Source: opts.Source, Line: line,
				Reason: fmt.Sprintf("%d fields where the header has %d", len(rec), nCols)}
		}
		row := Row{Values: make([]Value, metrics)}
		for i, col := range pos {
			if col < 0 {
				continue
			}
			if err := b.cell(&row, line, col, i+1, rec[i]); err != nil {
				return nil, err
			}
		}
		if err := b.finish(row, line); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// mapHeader resolves each header field to a spec column (-1 for unknown) and
// fails when a column is missing or named twice.
func mapHeader(b *rowBuilder, header []string) ([]int, error) {
	idx := indexFor(b.spec)
	pos := make([]int, len(header))
	found := make([]int, len(b.cols)) // 1-based header position, 0 = missing
	for i, h := range header {
		col, ok := idx[report.Normalize(h)]
		if !ok {
			pos[i] = -1
			name := strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
			b.res.Unknown = append(b.res.Unknown, name)
			b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(
				"report %s: %s: unknown column %d %q ignored", b.spec.Name, b.opts.Source, i+1, name))
			continue
		}
		if found[col] != 0 {
			return nil, b.errAt(1, col, i+1, h, fmt.Sprintf("column given twice (also column %d)", found[col]))
		}
		found[col] = i + 1
		pos[i] = col
	}
	for col, at := range found {
		if at == 0 {
			return nil, &Error{Report: b.spec.Name, Source: b.opts.Source, Line: 1,
				Column: b.cols[col].Header, Reason: "missing required column"}
		}
	}
	return pos, nil
}

func csvErr(spec *report.Spec, opts Options, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Report: spec.Name, Source: opts.Source, Line: pe.Line, ColumnNo: 0,
			Reason: fmt.Sprintf("malformed CSV at character %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("report %s: %s: read: %w", spec.Name, opts.Source, err)
}
