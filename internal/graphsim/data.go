package graphsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	Period                  int       // days: 7, 30, 90 or 180; 0 without a period
	Dims                    []string  // in spec.Dims order
	// Values are in spec.Metrics order; nil is an empty cell. A boolean is 1
	// or 0, a date its day number since 1970-01-01, a duration seconds, a
	// text or list the number its text is made from (see cell).
	Values []*int64
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
//
// A detail report (spec.Detail) has no rows here: it has a row per entity,
// not per date (see DetailFile).
func Generate(spec *report.Spec, seed string, refresh time.Time, days int) []Row {
	if spec.Detail != nil {
		return nil
	}
	y, m, d := refresh.Date()
	refresh = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var rows []Row
	for _, dims := range dimCombos(spec) {
		if !spec.Dated() {
			rows = append(rows, snapshot(spec, seed, refresh, days, dims))
			continue
		}
		rows = append(rows, dated(spec, seed, refresh, days, dims)...)
	}
	return rows
}

// dimCombos is every combination of the dimensions' values (Column.Values),
// in order: one empty combination for a report without dimensions.
func dimCombos(spec *report.Spec) [][]string {
	combos := [][]string{nil}
	for _, d := range spec.Dims {
		var next [][]string
		for _, c := range combos {
			for _, v := range d.Values {
				next = append(next, append(append([]string{}, c...), v))
			}
		}
		combos = next
	}
	return combos
}

// hashName is what a row's values are hashed from: the report's name and
// its dimensions.
func hashName(spec *report.Spec, dims []string) string {
	return strings.Join(append([]string{spec.Name}, dims...), "/")
}

// dated is a dated report's rows for one combination of dimensions.
func dated(spec *report.Spec, seed string, refresh time.Time, days int, dims []string) []Row {
	name := hashName(spec, dims)
	rows := make([]Row, max(days, 0))
	for i := range rows {
		date := refresh.AddDate(0, 0, -i)
		day := date.Format(time.DateOnly)
		weekend := date.Weekday() == time.Saturday || date.Weekday() == time.Sunday
		values := make([]*int64, len(spec.Metrics))
		for j, c := range spec.Metrics {
			if c.Name == sparseColumn && unit(seed, name, c.Name, day, "empty") < 0.2 {
				continue
			}
			lo, hi := levels(spec, c)
			v := lo + (hi-lo)*unit(seed, name, c.Name, "level") // the column's usual level
			if spec.Aggregation(c) == report.Level {
				// A stock moves slowly: ±2% a day around its level.
				v *= 0.98 + 0.04*unit(seed, name, c.Name, day)
			} else {
				v *= 0.75 + 0.5*unit(seed, name, c.Name, day) // ±25% day to day
				if weekend {
					v *= 0.3
				}
			}
			n := typed(c, int64(v), date)
			values[j] = &n
		}
		activeWithin(spec, values, seed, name, day, weekend)
		rows[i] = Row{RefreshDate: refresh, ReportDate: date, Period: days, Dims: dims, Values: values}
	}
	return rows
}

// activeWithin makes an active count a share (10% to 70%) of the total it
// belongs to, as in real data: "active" of "total" (sites, accounts,
// groups, mailboxes), "active_x" of "x" (active_public_teams of
// public_teams); less of it on a weekend.
func activeWithin(spec *report.Spec, values []*int64, seed, name, day string, weekend bool) {
	for j, c := range spec.Metrics {
		base, ok := strings.CutPrefix(c.Name, "active_")
		switch {
		case c.Name == "active":
			base, ok = "total", true
		case strings.HasSuffix(c.Name, "_active_users"): // Copilot: of the enabled users
			base, ok = strings.TrimSuffix(c.Name, "_active_users")+"_enabled_users", true
		}
		if !ok || values[j] == nil {
			continue
		}
		for k, b := range spec.Metrics {
			if b.Name == base && values[k] != nil {
				share := 0.1 + 0.6*unit(seed, name, c.Name, day, "share")
				if weekend {
					share *= 0.3
				}
				n := int64(float64(*values[k]) * share)
				values[j] = &n
			}
		}
	}
}

// levels is the range a metric's usual level is drawn from: user counts in
// the tens to hundreds, minute counts (reports whose Name contains
// "minute") in the hundreds to thousands, bytes in the hundreds of
// megabytes to gigabytes, durations (seconds) in hours.
func levels(spec *report.Spec, c report.Column) (lo, hi float64) {
	switch {
	case c.Type == report.Bytes:
		return 1e8, 5e9
	case c.Type == report.Duration:
		return 3600, 40 * 3600
	case strings.Contains(strings.ToLower(spec.Name), "minute"):
		return 1000, 9000
	}
	return 60, 500
}

// typed turns a drawn number into a value of c's type (see Row.Values).
func typed(c report.Column, n int64, date time.Time) int64 {
	switch c.Type {
	case report.Bool:
		return n % 2
	case report.Date:
		return date.Unix()/86400 - n%30
	}
	return n
}

// snapshot is the one row of a snapshot report (or of a report without a
// period) for one combination of dimensions: distinct users over the
// period, growing with its length (tens to hundreds).
func snapshot(spec *report.Spec, seed string, refresh time.Time, days int, dims []string) Row {
	if spec.NoPeriod {
		days = 0
	}
	name := hashName(spec, dims)
	day, period := refresh.Format(time.DateOnly), strconv.Itoa(days)
	values := make([]*int64, len(spec.Metrics))
	for j, c := range spec.Metrics {
		v := 30 + 170*unit(seed, name, c.Name, "level")       // the column's usual level
		v *= 0.75 + 0.5*unit(seed, name, c.Name, day, period) // ±25% refresh to refresh
		v *= 1 + float64(min(max(days, 1), 180))/60           // more users over a longer period
		n := typed(c, int64(v), refresh)
		values[j] = &n
	}
	activeWithin(spec, values, seed, name, day+"/"+period, false)
	return Row{RefreshDate: refresh, Period: days, Dims: dims, Values: values}
}

// cell renders column c of row r as the CSV and JSON carry it: dates as
// YYYY-MM-DD, the period as a bare day count, a count as a number, a
// boolean as True or False, a duration in ISO 8601; ok is false for an
// empty cell. kind says how JSON writes it: 'n' a number, 'b' a boolean,
// 's' a string.
func cell(spec *report.Spec, c report.Column, r Row) (text string, kind byte, ok bool) {
	switch c.Name {
	case report.RefreshDate.Name:
		return r.RefreshDate.Format(time.DateOnly), 's', true
	case report.ReportDate.Name:
		return r.ReportDate.Format(time.DateOnly), 's', true
	case report.Period.Name:
		return strconv.Itoa(r.Period), 's', true
	}
	for j, d := range spec.Dims {
		if d.Name == c.Name {
			return r.Dims[j], 's', true
		}
	}
	for j, m := range spec.Metrics {
		if m.Name != c.Name || r.Values[j] == nil {
			continue
		}
		n := *r.Values[j]
		switch m.Type {
		case report.Bool:
			if n != 0 {
				return "True", 'b', true
			}
			return "False", 'b', true
		case report.Date:
			return time.Unix(n*86400, 0).UTC().Format(time.DateOnly), 's', true
		case report.Duration:
			return fmt.Sprintf("PT%dH%dM%dS", n/3600, n/60%60, n%60), 's', true
		case report.Text:
			return fmt.Sprintf("%s %d", m.Header, n), 's', true
		case report.List:
			return fmt.Sprintf("%s %d+%s %d", m.Header, n, m.Header, n+1), 's', true
		}
		return strconv.FormatInt(n, 10), 'n', true
	}
	return "", 'n', false
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

// CSV is the download body the simulator serves for spec and rows (see
// csvBody), for fixtures.
func CSV(spec *report.Spec, rows []Row) []byte { return csvBody(spec, rows) }

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
		order = append(spec.Fields(), report.RefreshDate, report.ReportDate)
		if spec.HasPeriodColumn() {
			order = append(order, report.Period)
		}
	}
	// A report whose JSON nests its rows (Spec.NestedJSON: the Microsoft
	// 365 apps, Copilot) has one record: the refresh date, the period as a
	// number (inside the rows for a snapshot, as Copilot's summary has it),
	// and the rows.
	var outer []report.Column
	if spec.NestedJSON != "" {
		outer = []report.Column{report.RefreshDate}
		inner := spec.Fields()
		if spec.Dated() {
			outer = append(outer, report.Period)
			inner = append([]report.Column{report.ReportDate}, inner...)
		} else {
			inner = append([]report.Column{report.Period}, inner...)
		}
		order = inner
	}
	object := func(r Row, cols []report.Column, periodNumber bool) {
		b.WriteByte('{')
		for j, c := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			put(c.JSON)
			b.WriteByte(':')
			switch text, kind, ok := cell(spec, c, r); {
			case !ok:
				b.WriteString("null")
			case kind == 'n', periodNumber && c.Name == report.Period.Name:
				b.WriteString(text)
			case kind == 'b':
				b.WriteString(strings.ToLower(text))
			default:
				put(text)
			}
		}
	}
	b.WriteString(`{"@odata.context":`)
	put("https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph." + odataType(spec) + ")")
	b.WriteString(`,"value":[`)
	if outer != nil && len(rows) > 0 {
		object(rows[0], outer, true)
		b.WriteByte(',')
		put(spec.NestedJSON)
		b.WriteString(":[")
	}
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		object(r, order, outer != nil)
		b.WriteByte('}')
	}
	if outer != nil && len(rows) > 0 {
		b.WriteString("]}")
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
