// Package text holds the rule every package applies to a message that must
// stay on one line: an error on stderr, in a status table, in transform's
// typed errors, around a Postgres detail.
package text

import "strings"

// OneLine puts s on one line: each line break (\n, \r\n or \r), with the
// spaces and tabs around it, becomes one space, and the ends are trimmed.
// White space within a line is kept, such as that of a quoted value.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return strings.TrimSpace(s)
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}

// Cut shortens s to n characters, the last one "…" when it had more.
func Cut(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}
