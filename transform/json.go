package transform

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/m365ingest/ingest/report"
)

// parseJSON streams {"value": [ {...}, ... ], "@odata.nextLink": "..."}: the
// envelope token by token, then one record at a time (see jsonRecord). A
// top-level array [ {...}, ... ] is read as the value array alone (array).
func parseJSON(spec *report.Spec, br *bufio.Reader, opts Options) (*Result, error) {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	res := &Result{}
	p := &jsonParser{
		b:       newRowBuilder(spec, opts, res),
		dec:     dec,
		columns: map[string]int{},
	}
	p.found = make([]bool, len(p.b.cols))
	fail := func(reason string, err error) error {
		if err != nil {
			reason = fmt.Sprintf("%s: %v", reason, err)
		}
		return &Error{Report: spec.Name, Source: opts.Source, Reason: reason, json: true}
	}

	tok, err := dec.Token()
	if err == nil && tok == json.Delim('[') {
		return p.array(fail)
	}
	if err != nil || tok != json.Delim('{') {
		return nil, fail("not a JSON object or array", err)
	}
	sawValue := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("malformed JSON", err)
		}
		switch key, _ := tok.(string); key {
		case "value":
			if sawValue {
				return nil, fail(`"value" given twice`, nil)
			}
			sawValue = true
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, fail(`"value" is not an array`, err)
			}
			for n := 1; dec.More(); n++ {
				if err := p.record(n); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, fail("malformed JSON", err)
			}
		case "@odata.nextLink":
			if err := dec.Decode(&res.NextLink); err != nil {
				return nil, fail("malformed @odata.nextLink", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail("malformed JSON", err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail("malformed JSON", err)
	}
	if !sawValue {
		return nil, fail(`no "value" array`, nil)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fail("data after the JSON object", err)
	}
	p.b.warnUnknown()
	if res.Rows, err = p.b.done(); err != nil {
		return nil, err
	}
	if opts.RequireFullPeriod && spec.Detail == nil {
		if err := p.b.checkCoverage(res.Rows); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// array reads the CLI for Microsoft 365's --output json, the decoder past
// its '[': an array of objects keyed by the CSV header names, every value a
// string ("" for an empty cell, which is NULL as in CSV).
func (p *jsonParser) array(fail func(string, error) error) (*Result, error) {
	for n := 1; p.dec.More(); n++ {
		if err := p.record(n); err != nil {
			return nil, err
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, fail("malformed JSON", err)
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fail("data after the JSON array", err)
	}
	p.b.warnUnknown()
	res := p.b.res
	var err error
	if res.Rows, err = p.b.done(); err != nil {
		return nil, err
	}
	if p.b.opts.RequireFullPeriod && p.b.spec.Detail == nil {
		if err := p.b.checkCoverage(res.Rows); err != nil {
			return nil, err
		}
	}
	return res, nil
}

type jsonParser struct {
	b       *rowBuilder
	dec     *json.Decoder
	columns map[string]int // property name as received -> column, -1 unknown
	found   []bool         // per column, in the current record
	rec     jsonRecord
}

// column resolves a property name the first time it is seen (and every
// time, for a name with escapes), reporting an unknown one once.
func (p *jsonParser) column(quoted, raw []byte, esc bool) int {
	key := string(raw)
	if esc {
		key = unquote(quoted)
	}
	if col, ok := p.columns[key]; ok {
		return col
	}
	col, ok := p.b.lookup(key)
	if !ok {
		col = -1
		if !strings.HasPrefix(key, "@") { // @odata annotations are not data
			p.b.unknown(key, "property", 0)
		}
	}
	p.columns[key] = col
	return col
}

// jsonRecord receives one element of the value array from the decoder,
// which has checked its syntax, and reads it in place: no map, no string
// per property.
type jsonRecord struct {
	p    *jsonParser
	n    int
	seen bool
	err  error
}

func (r *jsonRecord) UnmarshalJSON(data []byte) error {
	r.seen = true
	r.err = r.p.object(data, r.n)
	return nil
}

// record reads element n (1-based) of the value array into a row.
func (p *jsonParser) record(n int) error {
	p.rec = jsonRecord{p: p, n: n}
	if err := p.dec.Decode(&p.rec); err != nil {
		return &Error{Report: p.b.spec.Name, Source: p.b.opts.Source, Line: n, Reason: "malformed record: " + err.Error(), json: true}
	}
	if !p.rec.seen { // null
		return &Error{Report: p.b.spec.Name, Source: p.b.opts.Source, Line: n, Reason: "not a JSON object", json: true}
	}
	return p.rec.err
}

// object reads one record: data is a syntactically valid JSON value. A
// record that nests its rows in an array of objects (beta JSON of the
// Microsoft 365 apps, userCounts, and of Copilot, adoptionByDate and
// adoptionByProduct) gives a row per element of that array, each with the
// record's other properties (the refresh date, the period).
func (p *jsonParser) object(data []byte, n int) error {
	b := p.b
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &Error{Report: b.spec.Name, Source: b.opts.Source, Line: n, Reason: "not a JSON object", json: true}
	}
	if start, end := p.nestedRows(data); start >= 0 {
		elems := elements(data[start:end])
		for k, elem := range elems {
			if elem[0] != '{' {
				return b.errAt(n, -1, 0, truncate(string(elem)), fmt.Sprintf("element %d of %q is not a JSON object", k+1, b.spec.NestedJSON))
			}
		}
		for _, elem := range elems {
			row := b.newRow()
			clear(p.found)
			if err := p.fill(&row, data, n, start); err != nil {
				return err
			}
			if err := p.fill(&row, elem, n, -1); err != nil {
				return err
			}
			if err := p.complete(row, n); err != nil {
				return err
			}
		}
		return nil
	}
	row := b.newRow()
	clear(p.found)
	if err := p.fill(&row, data, n, -1); err != nil {
		return err
	}
	return p.complete(row, n)
}

// fill reads the properties of the object data into row, but for the value
// that starts at data[skip] (the nested rows; -1: none).
func (p *jsonParser) fill(row *Row, data []byte, n, skip int) error {
	b := p.b
	i := skipSpace(data, 0)
	i++ // the '{'
	for prop := 1; ; prop++ {
		i = skipSpace(data, i)
		if data[i] == '}' {
			break
		}
		rawKey, esc, next := jsonString(data, i)
		i = skipSpace(data, next)
		i = skipSpace(data, i+1) // the colon
		start := i
		i = skipValue(data, i)
		value := data[start:i]
		i = skipSpace(data, i)
		if data[i] == ',' {
			i++
		}
		if start == skip {
			continue
		}
		col, known := p.columns[string(rawKey)] // no allocation for the lookup
		if esc || !known {
			col = p.column(data[next-len(rawKey)-2:next], rawKey, esc)
		}
		if col < 0 {
			continue
		}
		if p.found[col] {
			return b.errAt(n, col, prop, string(rawKey), "property given twice")
		}
		p.found[col] = true
		var text []byte
		switch c := value[0]; {
		case c == '"':
			s, esc, _ := jsonString(value, 0)
			text = s
			if esc {
				text = []byte(unquote(value))
			}
		case c == 'n': // null
		case c == '-' || (c >= '0' && c <= '9'), c == 't' || c == 'f': // a number, true or false
			text = value
		default:
			return b.errAt(n, col, prop, string(value), "not a number, string, boolean or null")
		}
		if err := b.cell(row, n, col, prop, text); err != nil {
			return err
		}
	}
	return nil
}

// complete checks that a row has every required property and adds it.
func (p *jsonParser) complete(row Row, n int) error {
	b := p.b
	for col, ok := range p.found {
		if !ok && !b.cols[col].Optional {
			return &Error{Report: b.spec.Name, Source: b.opts.Source, Line: n,
				Column: b.cols[col].Header, Reason: fmt.Sprintf("missing required property %q", b.cols[col].JSON), json: true}
		}
	}
	return b.finish(row, n)
}

// nestedRows finds, in the object data, the value of the report's nested
// rows property (report.Spec.NestedJSON) when it is an array, and returns
// where it starts and ends; -1, -1 when the report nests no rows or the
// record lacks the property (then it is read as a flat record).
func (p *jsonParser) nestedRows(data []byte) (start, end int) {
	want := p.b.spec.NestedJSON
	if want == "" {
		return -1, -1
	}
	i := skipSpace(data, 0) + 1
	for {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return -1, -1
		}
		key, esc, next := jsonString(data, i)
		i = skipSpace(data, next)
		i = skipSpace(data, i+1)
		start := i
		i = skipValue(data, i)
		name := string(key)
		if esc {
			name = unquote(data[next-len(key)-2 : next])
		}
		if data[start] == '[' && strings.EqualFold(name, want) {
			return start, i
		}
		i = skipSpace(data, i)
		if data[i] == ',' {
			i++
		}
	}
}

// elements splits a JSON array of values into its elements.
func elements(arr []byte) [][]byte {
	var out [][]byte
	i := skipSpace(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		start := i
		i = skipValue(arr, i)
		out = append(out, arr[start:i])
		i = skipSpace(arr, i)
		if arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return out
}

// The helpers below walk JSON that the decoder has already validated.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// jsonString returns the raw content of the string starting at data[i] (a
// quote), whether it holds escapes, and the index after its closing quote.
func jsonString(data []byte, i int) (raw []byte, esc bool, next int) {
	j := i + 1
	for data[j] != '"' {
		if data[j] == '\\' {
			esc = true
			j++
		}
		j++
	}
	return data[i+1 : j], esc, j + 1
}

// skipValue returns the index after the value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		_, _, next := jsonString(data, i)
		return next
	case '{', '[':
		depth := 0
		for {
			switch data[i] {
			case '"':
				_, _, i = jsonString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(data) && data[i] != ',' && data[i] != '}' && data[i] != ']' &&
		data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}

// unquote decodes a quoted JSON string with escapes.
func unquote(quoted []byte) string {
	var s string
	json.Unmarshal(quoted, &s) // valid: the decoder checked it
	return s
}
