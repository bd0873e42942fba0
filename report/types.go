package report

import (
	"fmt"
	"strings"
)

// Type is what a column holds, and so its type in the warehouse. An empty
// cell is NULL whatever the type.
type Type uint8

const (
	// Count is a whole number of things, users or minutes (bigint). The zero
	// Type, as most columns are counts.
	Count Type = iota
	// Bytes is a size in bytes (bigint): the headers ending "(Byte)".
	Bytes
	// Bool is True/False or Yes/No (boolean).
	Bool
	// Date is YYYY-MM-DD (date).
	Date
	// Duration is an ISO 8601 duration such as PT1H2M3S (interval).
	Duration
	// Text is any text (text).
	Text
	// List is a '+'-separated list such as Assigned Products (text[]).
	List
)

var typeNames = [...]string{Count: "count", Bytes: "bytes", Bool: "boolean", Date: "date", Duration: "duration", Text: "text", List: "list"}

// String is the type's name in `ingest reports`: count, bytes, boolean,
// date, duration, text or list.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// SQL is the warehouse type of a column of type t.
func (t Type) SQL() string {
	switch t {
	case Bool:
		return "boolean"
	case Date:
		return "date"
	case Duration:
		return "interval"
	case Text:
		return "text"
	case List:
		return "text[]"
	}
	return "bigint"
}

// Numeric reports whether a column of type t aggregates as a number (a
// count, bytes or a duration); the others are not metrics of the long
// usage views.
func (t Type) Numeric() bool { return t == Count || t == Bytes || t == Duration }

// Unit is the unit a numeric column's values are in, for the long usage
// views: "count", "bytes" or "seconds" (a duration).
func (t Type) Unit() string {
	switch t {
	case Bytes:
		return "bytes"
	case Duration:
		return "seconds"
	}
	return "count"
}

// Agg says how a metric aggregates over a week or a month.
type Agg uint8

const (
	// Sum adds the days up: messages, minutes, files, sessions.
	Sum Agg = iota + 1
	// Users are daily distinct users (or accounts, sites, groups): a week or
	// a month shows their daily average and peak, never a sum, since the
	// same user counts on every day they were active.
	Users
	// Level is a stock at the end of each day (storage, quota, mailboxes,
	// total sites): a week or a month shows its last value and its peak.
	Level
)

var aggNames = [...]string{Sum: "sum", Users: "users", Level: "level"}

// String is the aggregation's name: sum, users or level.
func (a Agg) String() string {
	if a > 0 && int(a) < len(aggNames) {
		return aggNames[a]
	}
	return fmt.Sprintf("Agg(%d)", a)
}

// ParseAgg reads an aggregation's name.
func ParseAgg(s string) (Agg, error) {
	for a, n := range aggNames {
		if n != "" && strings.EqualFold(s, n) {
			return Agg(a), nil
		}
	}
	return 0, fmt.Errorf("unknown aggregation %q (want sum, users or level)", s)
}
