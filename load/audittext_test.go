package load

import "testing"

func TestAuditText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     "",
		"plain/file.csv":       "plain/file.csv",
		"Zürich – naïve ✓":     "Zürich – naïve ✓",
		`C:\dir\x.csv`:         `C:\dir\x.csv`,
		"Extra\xff":            `Extra\xff`,
		"Ex\x00tra":            `Ex\x00tra`,
		"bad-\xfe\xfe.csv":     `bad-\xfe\xfe.csv`,
		"cut \xe2\x82 rune":    `cut \xe2\x82 rune`,
		"ok € then \xc0\xaf/.": `ok € then \xc0\xaf/.`,
	} {
		if got := auditText(in); got != want {
			t.Errorf("auditText(%q) = %q, want %q", in, got, want)
		}
	}
}
