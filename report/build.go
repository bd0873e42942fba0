package report

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The catalogue's entries are built from their CSV header line as
// Microsoft documents it (../shared/graph/CATALOGUE.md quotes each), so that
// an entry reads like its documentation:
//
//	fromHeader("getMailboxUsageStorage", "...", Level,
//		"Report Refresh Date,Storage Used (Byte),Report Date,Report Period")
//
// Report Refresh Date, Report Date and Report Period are recognised; every
// other header is a metric named by its snake_case (Snake), with the
// lowerCamelCase of its header as its JSON property (Camel; a "(Byte)" header
// ends "InBytes" instead, as beta JSON has it), a count
// unless its header ends "(Byte)". Without a Report Date the report is a
// snapshot; without a Report Period it also takes no period. Options then
// mark dimensions, types, aggregations and optional columns by header.

// option adjusts a spec that fromHeader builds.
type option func(*Spec)

// fromHeader builds the spec of function from its documented header line.
func fromHeader(function, title string, agg Agg, header string, opts ...option) *Spec {
	s := &Spec{Name: ShortName(function), Function: function, Table: TableName(function), Title: title, Agg: agg,
		Snapshot: true, NoPeriod: true}
	for _, h := range strings.Split(header, ",") {
		switch h {
		case RefreshDate.Header:
			s.Header = append(s.Header, RefreshDate)
		case ReportDate.Header:
			s.Header = append(s.Header, ReportDate)
			s.Snapshot = false
		case Period.Header:
			s.Header = append(s.Header, Period)
			s.NoPeriod = false
		default:
			c := Column{Name: Snake(h), Header: h, JSON: Camel(h)}
			if base, ok := strings.CutSuffix(h, " (Byte)"); ok {
				// Beta JSON writes "Storage Used (Byte)" storageUsedInBytes.
				c.Type, c.JSON, c.Aliases = Bytes, Camel(base)+"InBytes", []string{Camel(h)}
			}
			s.Header = append(s.Header, c)
			s.Metrics = append(s.Metrics, c)
		}
	}
	switch {
	case s.NoPeriod && !s.Snapshot:
		// Dated but without Report Period (getTeamsTeamCounts): the function
		// still takes the period.
		s.NoPeriod, s.NoPeriodColumn = false, true
	case s.NoPeriod:
		s.Snapshot = false // keyed by refresh date alone: see Spec.NoPeriod
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// edit applies f to the metric (or dimension) with header h, in Metrics,
// Dims and Header alike; it panics on a header the spec lacks, so that a
// mistyped option fails at start-up (and in every test), never silently.
func edit(s *Spec, h string, f func(*Column)) {
	found := false
	for _, cols := range [][]Column{s.Metrics, s.Dims, s.Header} {
		for i := range cols {
			if cols[i].Header == h {
				f(&cols[i])
				found = true
			}
		}
	}
	if !found {
		panic(fmt.Sprintf("report %s: no column %q", s.Function, h))
	}
}

// dim makes header h a dimension: text, part of the key, with the values
// graph-sim serves.
func dim(h string, values ...string) option {
	return func(s *Spec) {
		edit(s, h, func(c *Column) { c.Type, c.Values = Text, values })
		i := slices.IndexFunc(s.Metrics, func(c Column) bool { return c.Header == h })
		s.Dims = append(s.Dims, s.Metrics[i])
		s.Metrics = slices.Delete(s.Metrics, i, i+1)
	}
}

// optional marks columns that real files may lack.
func optional(hs ...string) option {
	return func(s *Spec) {
		for _, h := range hs {
			edit(s, h, func(c *Column) { c.Optional = true })
		}
	}
}

// aggregates gives columns an aggregation other than the report's.
func aggregates(a Agg, hs ...string) option {
	return func(s *Spec) {
		for _, h := range hs {
			edit(s, h, func(c *Column) { c.Agg = a })
		}
	}
}

// typed gives columns a type other than count.
func typed(t Type, hs ...string) option {
	return func(s *Spec) {
		for _, h := range hs {
			edit(s, h, func(c *Column) { c.Type = t })
		}
	}
}

// aliased adds other spellings of a column (older headers, JSON names).
func aliased(h string, aliases ...string) option {
	return func(s *Spec) { edit(s, h, func(c *Column) { c.Aliases = append(c.Aliases, aliases...) }) }
}

// nested names the JSON property that holds a record's rows.
func nested(property string) option { return func(s *Spec) { s.NestedJSON = property } }

// rooted serves the report under another path root (the Copilot reports).
func rooted(root string) option { return func(s *Spec) { s.Root = root } }

// Snake is the warehouse name of a header: lower case, runs of anything but
// letters and digits as one '_' ("Storage Used (Byte)" gives
// storage_used_byte, "Send/Receive Prohibited" send_receive_prohibited).
func Snake(h string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.TrimSpace(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		sep = true
	}
	return b.String()
}

// Camel is the lowerCamelCase of a header, as beta JSON names properties
// ("Outlook For Mac" gives outlookForMac).
func Camel(h string) string {
	words := strings.Split(Snake(h), "_")
	for i := 1; i < len(words); i++ {
		if words[i] != "" {
			words[i] = strings.ToUpper(words[i][:1]) + words[i][1:]
		}
	}
	return strings.Join(words, "")
}
