package text

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  padded \t", "padded"},
		{`value "a  b"`, `value "a  b"`},
		{"a\nb", "a b"},
		{"a\r\nb\rc", "a b c"},
		{"first:\n\tindented\n  more\n", "first: indented more"},
		{"a\n\n\nb", "a b"},
		{"\n", ""},
	} {
		if got := OneLine(tc.in); got != tc.want {
			t.Errorf("OneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
