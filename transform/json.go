package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/m365ingest/ingest/report"
)

// parseJSON streams {"value": [ {...}, ... ], "@odata.nextLink": "..."}:
// one element is decoded at a time.
func parseJSON(spec *report.Spec, r io.Reader, opts Options) (*Result, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	res := &Result{}
	b := newRowBuilder(spec, opts, res)
	idx := indexFor(spec)
	fail := func(reason string, err error) error {
		if err != nil {
			reason = fmt.Sprintf("%s: %v", reason, err)
		}
		return &Error{Report: spec.Name, Source: opts.Source, Reason: reason, json: true}
	}

	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fail("not a JSON object", err)
	}
	sawValue := false
	unknown := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("malformed JSON", err)
		}
		key, _ := tok.(string)
		switch key {
		case "value":
			sawValue = true
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, fail(`"value" is not an array`, err)
			}
			n := 0
			for dec.More() {
				n++
				var obj map[string]json.RawMessage
				if err := dec.Decode(&obj); err != nil {
					return nil, &Error{Report: spec.Name, Source: opts.Source, Line: n, Reason: "malformed record: " + err.Error(), json: true}
				}
				row, err := jsonRow(b, idx, obj, n, unknown)
				if err != nil {
					return nil, err
				}
				if err := b.finish(row, n); err != nil {
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
	if !sawValue {
		return nil, fail(`no "value" array`, nil)
	}
	return res, nil
}

func jsonRow(b *rowBuilder, idx columnIndex, obj map[string]json.RawMessage, n int, unknown map[string]bool) (Row, error) {
	row := Row{Values: make([]Value, len(b.spec.Metrics))}
	found := make([]bool, len(b.cols))
	for k, raw := range obj {
		col, ok := idx[report.Normalize(k)]
		if !ok {
			if len(k) > 0 && k[0] == '@' {
				continue // OData annotations
			}
			if !unknown[k] {
				unknown[k] = true
				b.res.Unknown = append(b.res.Unknown, k)
				b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(
					"report %s: %s: unknown property %q ignored", b.spec.Name, b.opts.Source, k))
			}
			continue
		}
		if found[col] {
			return row, b.errAt(n, col, 0, k, "property given twice")
		}
		found[col] = true
		s, err := jsonScalar(raw)
		if err != nil {
			return row, b.errAt(n, col, 0, string(raw), err.Error())
		}
		if err := b.cell(&row, n, col, 0, s); err != nil {
			return row, err
		}
	}
	for col, ok := range found {
		if !ok {
			return row, &Error{Report: b.spec.Name, Source: b.opts.Source, Line: n,
				Column: b.cols[col].Header, Reason: fmt.Sprintf("missing required property %q", b.cols[col].JSON), json: true}
		}
	}
	return row, nil
}

// jsonScalar turns a JSON number, string or null into the text of a cell.
func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		s, err := strconv.Unquote(string(raw))
		if err != nil {
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				return "", errors.New("malformed string")
			}
			return out, nil
		}
		return s, nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), nil
	}
	return "", errors.New("not a number, string or null")
}
