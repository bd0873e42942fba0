package graphsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// Row is one report date of a simulated report, or for a snapshot report
// (spec.Snapshot) the one row of the period.
type Row struct {
	RefreshDate, ReportDate time.Time // UTC midnight; ReportDate is zero in a snapshot
	Period                  int       // days: 7, 30, 90 or 180
	Values                  []*int64  // in spec.Metrics order; nil is an empty cell
}

// sparseColumn is left empty on roughly one report date in five, so that
// clients meet empty cells.
const sparseColumn = "dial_in_out_3rd_party"

// Generate returns the rows the simulator serves for spec: one per report
// date from refresh back days-1 days, newest first, as Graph orders them.
// refresh is reduced to its calendar date at UTC midnight.
//
// Each value depends only on (seed, spec.Name, column name, report date), not
// on refresh or days, so the same date has the same values in D7 and D180 and
// on later refresh dates. User counts are in the tens to hundreds, minute
// counts (reports whose Name contains "minute") in the hundreds to thousands,
// and weekends are quieter than weekdays.
//
// A snapshot report has one row for the whole period, with a zero report
// date; its values depend on (seed, spec.Name, column name, refresh date,
// days), and a longer period has more distinct users.
func Generate(spec *report.Spec, seed string, refresh time.Time, days int) []Row {
	y, m, d := refresh.Date()
	refresh = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if spec.Snapshot {
		return []Row{snapshot(spec, seed, refresh, days)}
	}
	lo, hi := 60.0, 500.0
	if strings.Contains(strings.ToLower(spec.Name), "minute") {
		lo, hi = 1000, 9000
	}
	rows := make([]Row, max(days, 0))
	for i := range rows {
		date := refresh.AddDate(0, 0, -i)
		day := date.Format(time.DateOnly)
		weekend := date.Weekday() == time.Saturday || date.Weekday() == time.Sunday
		values := make([]*int64, len(spec.Metrics))
		for j, c := range spec.Metrics {
			if c.Name == sparseColumn && unit(seed, spec.Name, c.Name, day, "empty") < 0.2 {
				continue
			}
			v := lo + (hi-lo)*unit(seed, spec.Name, c.Name, "level") // the column's usual level
			v *= 0.75 + 0.5*unit(seed, spec.Name, c.Name, day)       // ±25% day to day
			if weekend {
				v *= 0.3
			}
			n := int64(v)
			values[j] = &n
		}
		rows[i] = Row{RefreshDate: refresh, ReportDate: date, Period: days, Values: values}
	}
	return rows
}

// snapshot is the one row of a snapshot report: distinct users over the
// period, growing with its length (tens to hundreds).
func snapshot(spec *report.Spec, seed string, refresh time.Time, days int) Row {
	day, period := refresh.Format(time.DateOnly), strconv.Itoa(days)
	values := make([]*int64, len(spec.Metrics))
	for j, c := range spec.Metrics {
		v := 30 + 170*unit(seed, spec.Name, c.Name, "level")       // the column's usual level
		v *= 0.75 + 0.5*unit(seed, spec.Name, c.Name, day, period) // ±25% refresh to refresh
		v *= 1 + float64(min(max(days, 1), 180))/60                // more users over a longer period
		n := int64(v)
		values[j] = &n
	}
	return Row{RefreshDate: refresh, Period: days, Values: values}
}

// cell renders column c of row r as the CSV and JSON carry it: dates as
// YYYY-MM-DD, the period as a bare day count, a metric as a number; ok is
// false for an empty cell.
func cell(spec *report.Spec, c report.Column, r Row) (text string, number, ok bool) {
	switch c.Name {
	case report.RefreshDate.Name:
		return r.RefreshDate.Format(time.DateOnly), false, true
	case report.ReportDate.Name:
		return r.ReportDate.Format(time.DateOnly), false, true
	case report.Period.Name:
		return strconv.Itoa(r.Period), false, true
	}
	for j, m := range spec.Metrics {
		if m.Name == c.Name && r.Values[j] != nil {
			return strconv.FormatInt(*r.Values[j], 10), true, true
		}
	}
	return "", true, false
}

// unit hashes parts to a number in [0, 1): FNV-1a, then a 64-bit finaliser
// (from MurmurHash3) so that inputs differing in one character spread over
// all the bits.
func unit(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return float64(x>>11) / (1 << 53)
}

// csvBody renders rows as Graph's download does: a UTF-8 byte-order mark, the
// documented header line (spec.HeaderColumns: Report Date is 7th in device
// usage, absent from the distribution), CRLF line ends, bare day count in
// Report Period and an empty cell for a nil value.
func csvBody(spec *report.Spec, rows []Row) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	cols := spec.HeaderColumns()
	record := make([]string, len(cols))
	for i, c := range cols {
		record[i] = c.Header
	}
	w.Write(record)
	for _, r := range rows {
		for i, c := range cols {
			record[i], _, _ = cell(spec, c, r)
		}
		w.Write(record)
	}
	w.Flush() // writes to a bytes.Buffer cannot fail
	return b.Bytes()
}

// jsonBody renders rows as beta's $format=application/json does, with the
// documented property names (audiovideo in participant minutes): metric
// properties first, then reportRefreshDate, reportDate and reportPeriod (a
// string), null for a nil value; the device usage reports, whose CSV starts
// with the refresh date, keep their CSV order, as their examples do.
func jsonBody(spec *report.Spec, rows []Row) []byte {
	var b bytes.Buffer
	put := func(v any) {
		enc, _ := json.Marshal(v) // strings always marshal
		b.Write(enc)
	}
	order := spec.HeaderColumns()
	if len(order) > 3 && order[1].Name == report.ReportDate.Name {
		order = append(append([]report.Column{}, spec.Metrics...), report.RefreshDate, report.ReportDate, report.Period)
	}
	b.WriteString(`{"@odata.context":`)
	put("https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph." + odataType(spec) + ")")
	b.WriteString(`,"value":[`)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, c := range order {
			if j > 0 {
				b.WriteByte(',')
			}
			put(c.JSON)
			b.WriteByte(':')
			switch text, number, ok := cell(spec, c, r); {
			case !ok:
				b.WriteString("null")
			case number:
				b.WriteString(text)
			default:
				put(text)
			}
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes()
}

// odataType is the resource type of a report function's rows:
// getSkypeForBusinessOrganizerActivityUserCounts gives
// skypeForBusinessOrganizerActivityUserCounts.
func odataType(spec *report.Spec) string {
	t := strings.TrimPrefix(spec.Function, "get")
	if t == "" {
		return t
	}
	return strings.ToLower(t[:1]) + t[1:]
}

// etag is a strong entity tag for body: a quoted prefix of its SHA-256.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
