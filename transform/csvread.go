package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
)

// recordReader reads CSV records as encoding/csv's Reader does with Comma
// ',', no comments, LazyQuotes false and FieldsPerRecord -1: the same
// records, the same errors (*csv.ParseError with ErrBareQuote or ErrQuote),
// empty lines skipped, \r\n read as \n. FuzzRecordReader holds it to that.
//
// Unlike csv.Reader it does not build a string per record: fields are byte
// slices that stay valid only until the next Read. A line without a quote,
// which is every line Graph writes, is split in place in bufio's buffer;
// other records are copied into one reused buffer, as csv.Reader does.
type recordReader struct {
	r      *bufio.Reader
	line   int   // lines read so far
	offset int64 // bytes read so far

	recLine    int      // the line the last record started on
	fields     [][]byte // the last record
	fieldLines []int    // the line each field of the last record started on

	raw    []byte // a line longer than bufio's buffer
	record []byte // field text of a record that needed copying
	ends   []int  // end of each field in record
}

func newRecordReader(r *bufio.Reader) *recordReader { return &recordReader{r: r} }

// Read returns the next record, or io.EOF after the last.
func (r *recordReader) Read() ([][]byte, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = r.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // skip empty lines
		}
		break
	}
	if errors.Is(errRead, io.EOF) {
		return nil, errRead
	}
	r.recLine = r.line
	if bytes.IndexByte(line, '"') < 0 {
		r.split(line[:len(line)-lengthNL(line)])
		return r.fields, errRead
	}
	err := r.quoted(line, errRead)
	return r.fields, err
}

// FieldLine is the line field i of the last record started on.
func (r *recordReader) FieldLine(i int) int {
	if i < len(r.fieldLines) {
		return r.fieldLines[i]
	}
	return r.recLine
}

// InputOffset is the number of bytes read so far.
func (r *recordReader) InputOffset() int64 { return r.offset }

// split cuts a line without quotes at its commas.
func (r *recordReader) split(line []byte) {
	r.fields = r.fields[:0]
	r.fieldLines = r.fieldLines[:0]
	for {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			r.fields = append(r.fields, line)
			return
		}
		r.fields = append(r.fields, line[:i:i])
		line = line[i+1:]
	}
}

// quoted parses a record with at least one quote, reading further lines
// while a quoted field spans them. It follows encoding/csv's readRecord.
func (r *recordReader) quoted(line []byte, errRead error) error {
	r.record = r.record[:0]
	r.ends = r.ends[:0]
	r.fieldLines = r.fieldLines[:0]
	col := 1 // 1-based byte column in the current line
	posLine := r.line
	var err error
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				err = &csv.ParseError{StartLine: r.recLine, Line: r.line, Column: col + j, Err: csv.ErrBareQuote}
				break parseField
			}
			r.record = append(r.record, field...)
			r.ends = append(r.ends, len(r.record))
			r.fieldLines = append(r.fieldLines, posLine)
			if i >= 0 {
				line = line[i+1:]
				col += i + 1
				continue parseField
			}
			break parseField
		}
		fieldLine := posLine
		line = line[1:]
		col++
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				r.record = append(r.record, line[:i]...)
				line = line[i+1:]
				col += i + 1
				switch {
				case len(line) > 0 && line[0] == '"': // "" is a quote
					r.record = append(r.record, '"')
					line = line[1:]
					col++
				case len(line) > 0 && line[0] == ',': // end of field
					line = line[1:]
					col++
					r.ends = append(r.ends, len(r.record))
					r.fieldLines = append(r.fieldLines, fieldLine)
					continue parseField
				case lengthNL(line) == len(line): // end of record
					r.ends = append(r.ends, len(r.record))
					r.fieldLines = append(r.fieldLines, fieldLine)
					break parseField
				default:
					err = &csv.ParseError{StartLine: r.recLine, Line: r.line, Column: col - 1, Err: csv.ErrQuote}
					break parseField
				}
			case len(line) > 0: // the quoted field goes on on the next line
				r.record = append(r.record, line...)
				if errRead != nil {
					break parseField
				}
				col += len(line)
				line, errRead = r.readLine()
				if len(line) > 0 {
					posLine++
					col = 1
				}
				if errors.Is(errRead, io.EOF) {
					errRead = nil
				}
			default: // end of input inside a quoted field
				if errRead == nil {
					err = &csv.ParseError{StartLine: r.recLine, Line: posLine, Column: col, Err: csv.ErrQuote}
					break parseField
				}
				r.ends = append(r.ends, len(r.record))
				r.fieldLines = append(r.fieldLines, fieldLine)
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	r.fields = r.fields[:0]
	start := 0
	for _, end := range r.ends {
		r.fields = append(r.fields, r.record[start:end:end])
		start = end
	}
	return err
}

// readLine reads one line, its \r\n turned into \n and a \r before the end of
// input dropped, as csv.Reader does.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.raw = append(r.raw[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.r.ReadSlice('\n')
			r.raw = append(r.raw, line...)
		}
		line = r.raw
	}
	n := len(line)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	r.line++
	r.offset += int64(n)
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}
