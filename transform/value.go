package transform

import (
	"bytes"
	"math"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// parseValue reads a non-empty, trimmed cell of a column of type t, or says
// why it cannot (the reason of an *Error).
//
//   - Count and Bytes: a whole number of 0 or more (N).
//   - Bool: True/False or Yes/No, any case (N is 1 or 0).
//   - Date: YYYY-MM-DD, a time of day allowed as for report dates (N is the
//     day number since 1970-01-01).
//   - Duration: ISO 8601, PnDTnHnMnS with whole or decimal seconds (N in
//     nanoseconds).
//   - Text: as it stands (S).
//   - List: as it stands, '+'-separated (S; the warehouse splits it).
func parseValue(t report.Type, s []byte) (Value, string) {
	switch t {
	case report.Bool:
		if b, ok := parseBool(s); ok {
			var n int64
			if b {
				n = 1
			}
			return Value{N: n, Valid: true}, ""
		}
		return Value{}, "not a boolean (want True, False, Yes or No)"
	case report.Date:
		if d, ok := parseDate(s); ok {
			return Value{N: days(d), Valid: true}, ""
		}
		return Value{}, "not a date (want YYYY-MM-DD, 1900 to 9999)"
	case report.Duration:
		if d, ok := parseDuration(s); ok {
			return Value{N: int64(d), Valid: true}, ""
		}
		return Value{}, "not an ISO 8601 duration (want such as PT1H2M3S)"
	case report.Text, report.List:
		return Value{S: string(s), Valid: true}, ""
	}
	n, ok := parseInt(s)
	if !ok {
		return Value{}, "not a whole number of 0 or more"
	}
	return Value{N: n, Valid: true}, ""
}

// parseBool accepts True/False and Yes/No in any case, as Graph's CSV
// (True, Yes) and JSON (true) write them.
func parseBool(s []byte) (value, ok bool) {
	switch {
	case bytes.EqualFold(s, []byte("true")), bytes.EqualFold(s, []byte("yes")):
		return true, true
	case bytes.EqualFold(s, []byte("false")), bytes.EqualFold(s, []byte("no")):
		return false, true
	}
	return false, false
}

// parseDuration reads an ISO 8601 duration without years or months (whose
// length varies), as Graph writes them: PT0S, PT1H2M3S, PT12.5S, P1DT2H.
// At least one component is required; a component's number is whole but for
// the seconds.
func parseDuration(s []byte) (time.Duration, bool) {
	if len(s) < 3 || (s[0] != 'P' && s[0] != 'p') || s[len(s)-1] == 'T' || s[len(s)-1] == 't' {
		return 0, false
	}
	var total float64
	inTime, any := false, false
	units := "DHMS" // each at most once, in this order
	for i := 1; i < len(s); {
		if s[i] == 'T' || s[i] == 't' {
			if inTime {
				return 0, false
			}
			inTime = true
			i++
			continue
		}
		j := i
		dot := false
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && !dot) {
			dot = dot || s[j] == '.'
			j++
		}
		// A number: digits, and at most one '.' with digits on both sides.
		if j == i || j == len(s) || s[i] == '.' || s[j-1] == '.' {
			return 0, false
		}
		unit := s[j] &^ 0x20 // upper case
		k := strings.IndexByte(units, unit)
		if k < 0 || (unit == 'D') == inTime || (dot && unit != 'S') {
			return 0, false
		}
		units = units[k+1:]
		var n float64
		for _, c := range s[i:j] {
			if c == '.' {
				break
			}
			n = n*10 + float64(c-'0')
		}
		if dot {
			frac, scale := 0.0, 0.1
			for _, c := range s[bytes.IndexByte(s[i:j], '.')+i+1 : j] {
				frac += float64(c-'0') * scale
				scale /= 10
			}
			n += frac
		}
		switch unit {
		case 'D':
			total += n * 86400
		case 'H':
			total += n * 3600
		case 'M':
			total += n * 60
		case 'S':
			total += n
		}
		any = true
		i = j + 1
	}
	if !any || total*1e9 >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(math.Round(total * 1e9)), true
}
