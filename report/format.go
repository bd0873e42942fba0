package report

import (
	"fmt"
	"strings"
)

// Format is a payload's encoding. extract asks Graph for it, transform
// parses it and load stores it (as its String, the warehouse's format
// column).
type Format int

const (
	// CSV is Graph's default: a UTF-8 CSV, possibly with a byte-order mark.
	CSV Format = iota
	// JSON is the beta $format=application/json answer: {"value": [...]};
	// or a top-level array of the same records, or of objects keyed by the
	// CSV header names (the CLI for Microsoft 365's --output json).
	JSON
)

// String is "csv" or "json", as flags and the warehouse spell it.
func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "csv"
}

// ParseFormat accepts "csv" or "json" ("" is csv).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv", "":
		return CSV, nil
	case "json":
		return JSON, nil
	}
	return CSV, fmt.Errorf("invalid format %q: want csv or json", s)
}

// BudgetKey names the request budget that a report's Graph requests in a
// format draw on: Graph's reports service counts them per app, tenant,
// report and format. extract's Limiter keeps its counts by it and load
// returns the requests earlier runs sent by it.
type BudgetKey struct {
	Report string // the report's short name (Spec.Name)
	Format Format
}

// String is "report/format", for logs.
func (k BudgetKey) String() string { return k.Report + "/" + k.Format.String() }
