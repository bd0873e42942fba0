package load

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// auditText is how every text that comes from outside (a file name or
// source URL, a column name, an error text, a header value) is stored in the
// audit tables: valid UTF-8 unchanged, but each byte that is not UTF-8 and
// each NUL written as \xNN, which Postgres' text type would otherwise refuse
// ("invalid byte sequence for encoding UTF8"), failing the audit insert and
// the load with it. Valid text is untouched, so the escape is not reversible
// for a text that already holds a literal "\x".
func auditText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// auditTexts is auditText of each of ss (nil stays nil).
func auditTexts(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = auditText(s)
	}
	return out
}
