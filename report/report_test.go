package report

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestSpecTable checks the invariants extract, transform and load rely on.
func TestSpecTable(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, s := range All {
		for _, id := range []string{s.Name, s.Function, s.Table} {
			if other, dup := seen[strings.ToLower(id)]; dup {
				t.Errorf("%s: %q is also used by %s", s.Name, id, other)
			}
			seen[strings.ToLower(id)] = s.Name
		}
		if !strings.HasPrefix(s.Function, "getSkypeForBusiness") || !strings.HasPrefix(s.Table, "skype_") {
			t.Errorf("%s: function %s / table %s outside the family", s.Name, s.Function, s.Table)
		}
		if len(s.Metrics) == 0 {
			t.Errorf("%s: no metrics", s.Name)
		}
		// Every normalised key names one column only.
		keys := map[string]string{}
		for _, c := range s.Columns() {
			if !snakeRE.MatchString(c.Name) {
				t.Errorf("%s: column name %q is not snake_case", s.Name, c.Name)
			}
			for _, k := range c.Keys() {
				if other, dup := keys[k]; dup && other != c.Name {
					t.Errorf("%s: key %q names both %s and %s", s.Name, k, other, c.Name)
				}
				keys[k] = c.Name
			}
		}
		// The header is a permutation of the columns.
		names := func(cols []Column) []string {
			out := make([]string, len(cols))
			for i, c := range cols {
				out[i] = c.Name
			}
			slices.Sort(out)
			return out
		}
		if got, want := names(s.HeaderColumns()), names(s.Columns()); !slices.Equal(got, want) {
			t.Errorf("%s: header columns %v, want a permutation of %v", s.Name, got, want)
		}
		// The key is made of warehouse columns.
		for _, k := range s.Key()[1:] {
			if !slices.ContainsFunc(s.Columns(), func(c Column) bool { return c.Name == k }) {
				t.Errorf("%s: key column %s is not a column", s.Name, k)
			}
		}
		if s.Snapshot == slices.Contains(s.Key(), ReportDate.Name) {
			t.Errorf("%s: snapshot %v but key %v", s.Name, s.Snapshot, s.Key())
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"organizer-activity-user-counts", "GETSKYPEFORBUSINESSORGANIZERACTIVITYUSERCOUNTS", "skype_organizer_activity_user_counts"} {
		if s, err := Lookup(name); err != nil || s.Name != "organizer-activity-user-counts" {
			t.Errorf("Lookup(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := Lookup("getSkypeForBusinessActivityUserDetail"); err == nil || !strings.Contains(err.Error(), "not supported: keyed by user") {
		t.Errorf("Lookup(user detail) error = %v", err)
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "organizer-activity-minute-counts") {
		t.Errorf("Lookup(nope) error = %v, want the known names", err)
	}
	all, err := Select([]string{"organizer-activity-minute-counts,organizer-activity-user-counts", "organizer-activity-minute-counts"})
	if err != nil || len(all) != 2 || all[0].Name != "organizer-activity-user-counts" {
		t.Errorf("Select = %v, %v", all, err)
	}
	if all, _ := Select([]string{"all"}); len(all) != len(All) {
		t.Errorf("Select(all) gave %d reports", len(all))
	}
}
