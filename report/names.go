package report

import (
	"strings"
	"unicode"
)

// tableWords are the product names that the table rule writes as one word
// (DESIGN.md, "Report names"), longest first.
var tableWords = []struct{ from, to string }{
	{"Microsoft365Copilot", "Copilot"},
	{"SkypeForBusiness", "Skype"},
	{"SharePoint", "Sharepoint"},
	{"OneDrive", "Onedrive"},
}

// TableName is the table of a Graph function by the naming rule: the
// snake_case of the function without "get", with SkypeForBusiness written
// skype, Office365 office365, OneDrive onedrive, SharePoint sharepoint,
// M365App m365_app and Microsoft365Copilot copilot
// (getTeamsUserActivityCounts gives teams_user_activity_counts). A report's
// short name is its table with '-' for '_'.
func TableName(function string) string {
	s := strings.TrimPrefix(function, "get")
	for _, w := range tableWords {
		s = strings.ReplaceAll(s, w.from, w.to)
	}
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		// A word starts at an upper-case letter after a lower-case letter or
		// a digit (Office365Active: office365_active; M365App: m365_app).
		if i > 0 && unicode.IsUpper(c) && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// ShortName is the short name of a Graph function's report: its table with
// '-' for '_'.
func ShortName(function string) string { return strings.ReplaceAll(TableName(function), "_", "-") }
