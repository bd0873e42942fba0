package transform

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/m365ingest/ingest/report"
)

// FuzzParse feeds any bytes to Parse as any report, CSV or JSON. It is seeded
// with the real header variants: every golden input (each report's documented
// CSV header and JSON names, BOM, CRLF, "3rd" and "third", audiovideo, Report
// Date 7th, the distribution without Report Date, date-times) and each
// report's header as the spec documents it. The seeds run under plain
// go test; `make fuzz` explores further.
//
// Invariants: no panic; an error is a one-line *Error; every accepted row has
// a valid refresh date, a valid report date (zero for a snapshot report and
// only then), a period, one value per metric and a unique key; and the rows,
// written back as a canonical CSV, parse to the same rows.
func FuzzParse(f *testing.F) {
	index := map[string]uint8{}
	for i, s := range report.All {
		index[s.Name] = uint8(i)
		var h []string
		for _, c := range s.HeaderColumns() {
			h = append(h, c.Header)
		}
		f.Add(uint8(i), false, []byte("\uFEFF"+strings.Join(h, ",")+"\r\n"))
		f.Add(uint8(i), false, []byte(strings.ReplaceAll(strings.Join(h, ","), "3rd", "third")+"\n"))
	}
	inputs, _ := filepath.Glob("testdata/*--*/input.*")
	for _, in := range inputs {
		name, _, _ := strings.Cut(filepath.Base(filepath.Dir(in)), "--")
		body, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(index[name], strings.HasSuffix(in, ".json"), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, isJSON bool, data []byte) {
		spec := report.All[int(which)%len(report.All)]
		format := report.CSV
		if isJSON {
			format = report.JSON
		}
		res, err := Parse(spec, bytes.NewReader(data), Options{Format: format, Source: "fuzz", Period: 7})
		if err != nil {
			checkError(t, err)
			return
		}
		checkRows(t, spec, res.Rows)
		again := Options{Source: "again"}
		if spec.Detail != nil {
			// A detail file without a Report Period column (the active
			// users) covers the period asked for: ask for it again.
			again.Period = 7
		}
		res2, err := Parse(spec, bytes.NewReader(canonicalCSV(spec, res.Rows)), again)
		if err != nil {
			t.Fatalf("rows written back do not parse: %v", err)
		}
		if len(res2.Rows) != len(res.Rows) {
			t.Fatalf("%d rows written back, %d read", len(res.Rows), len(res2.Rows))
		}
		for i := range res.Rows {
			a, b := res.Rows[i], res2.Rows[i]
			if !a.RefreshDate.Equal(b.RefreshDate) || !a.ReportDate.Equal(b.ReportDate) || a.Period != b.Period || !equalValues(a.Values, b.Values) {
				t.Fatalf("row %d: %+v written back reads %+v", i, a, b)
			}
		}
	})
}

func checkError(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *transform.Error", err, err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error is not one line: %q", msg)
	}
	if n := utf8.RuneCountInString(strings.TrimSuffix(pe.Value, "…")); n > maxValue {
		t.Fatalf("error value has %d characters: %q", n, pe.Value)
	}
	if pe.Report == "" || pe.Source != "fuzz" || pe.Reason == "" {
		t.Fatalf("error lacks report, source or reason: %+v", pe)
	}
}

func validDate(d time.Time) bool {
	y, m, day := d.Date()
	return d.Location() == time.UTC && d.Equal(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) && y >= 1900 && y <= 9999
}

func checkRows(t *testing.T, spec *report.Spec, rows []Row) {
	t.Helper()
	keys := map[string]bool{}
	for i, r := range rows {
		if !validDate(r.RefreshDate) {
			t.Fatalf("row %d: refresh date %v is not a valid date", i, r.RefreshDate)
		}
		if !spec.Dated() {
			if !r.ReportDate.IsZero() {
				t.Fatalf("row %d of a snapshot report has report date %v", i, r.ReportDate)
			}
		} else if r.ReportDate.IsZero() || !validDate(r.ReportDate) {
			t.Fatalf("row %d: report date %v is not a valid date", i, r.ReportDate)
		}
		if spec.HasPeriodColumn() != (r.Period >= 1 && r.Period <= 9999) || !spec.HasPeriodColumn() && r.Period != 0 {
			t.Fatalf("row %d: period %d", i, r.Period)
		}
		fields := spec.Fields()
		if len(r.Values) != len(fields) {
			t.Fatalf("row %d has %d values for %d fields", i, len(r.Values), len(fields))
		}
		for j, v := range r.Values {
			text := fields[j].Type == report.Text || fields[j].Type == report.List
			if !v.Valid && (v.N != 0 || v.S != "") || text && v.N != 0 || !text && v.S != "" ||
				(fields[j].Type == report.Count || fields[j].Type == report.Bytes) && v.N < 0 || j < len(spec.Dims) && !v.Valid {
				t.Fatalf("row %d value %d (%s) = %+v", i, j, fields[j].Type, v)
			}
		}
		key := r.ReportDate.String()
		if !spec.Dated() {
			key = r.RefreshDate.String() + "/" + strconv.Itoa(r.Period)
		}
		for _, d := range r.Values[:len(spec.Dims)] {
			key += "/" + d.S
		}
		if keys[key] {
			t.Fatalf("row %d repeats key %s", i, key)
		}
		keys[key] = true
	}
}

// canonicalCSV writes rows as Graph would, in the documented column order.
func canonicalCSV(spec *report.Spec, rows []Row) []byte {
	var b bytes.Buffer
	cols := spec.HeaderColumns()
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Header)
	}
	b.WriteString("\r\n")
	for _, r := range rows {
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			switch c.Name {
			case report.RefreshDate.Name:
				b.WriteString(r.RefreshDate.Format(time.DateOnly))
			case report.ReportDate.Name:
				b.WriteString(r.ReportDate.Format(time.DateOnly))
			case report.Period.Name:
				b.WriteString(strconv.Itoa(r.Period))
			default:
				for j, m := range spec.Fields() {
					if m.Name == c.Name && r.Values[j].Valid {
						b.WriteString(canonicalCell(m.Type, r.Values[j]))
					}
				}
			}
		}
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// canonicalCell writes a value as Graph's CSV does.
func canonicalCell(t report.Type, v Value) string {
	switch t {
	case report.Text, report.List:
		if strings.ContainsAny(v.S, ",\"\r\n") {
			return `"` + strings.ReplaceAll(v.S, `"`, `""`) + `"`
		}
		return v.S
	case report.Bool:
		if v.N != 0 {
			return "True"
		}
		return "False"
	case report.Date:
		return time.Unix(v.N*86400, 0).UTC().Format(time.DateOnly)
	case report.Duration:
		return "PT" + strconv.FormatFloat(time.Duration(v.N).Seconds(), 'f', -1, 64) + "S"
	}
	return strconv.FormatInt(v.N, 10)
}

func equalValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
