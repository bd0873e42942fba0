package transform

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestPseudonymizer(t *testing.T) {
	spec := teamsDetail(t)
	key := []byte("a key of the warehouse")
	body := "\uFEFF" + teamsDetailHeader +
		"2026-11-20,,Ada.Lovelace@contoso.com,2026-11-19,False,,\"E3, TEAMS\",5,0,2,1,,,,No,Yes,1\r\n" +
		"2026-11-20,,ada.lovelace@CONTOSO.com,,False,,,0,0,0,0,,,,No,Yes,1\r\n" +
		"2026-11-20,6b1d0000-0000-4000-8000-000000000001,,,False,,,0,0,0,0,,,,No,Yes,1\r\n"
	p := NewPseudonymizer(spec, key, strings.NewReader(body))
	out, err := io.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if strings.Contains(strings.ToLower(text), "lovelace") {
		t.Fatalf("a name survived:\n%s", text)
	}
	want := Pseudonym(key, "User Principal Name", "ada.lovelace@contoso.com")
	if strings.Count(text, want) != 2 {
		t.Errorf("the UPN in two cases must give one pseudonym %s twice:\n%s", want, text)
	}
	if !strings.Contains(text, `"E3, TEAMS"`) || !strings.HasPrefix(text, "Report Refresh Date,") {
		t.Errorf("the rest of the file must stay as it was:\n%s", text)
	}
	if c, known := p.Concealed(); !known || c {
		t.Errorf("concealed %v known %v, want known and not concealed", c, known)
	}
	// Loaded, the pseudonym is the entity; the id where there is one.
	res, err := Parse(spec, strings.NewReader(text), Options{Source: "p.csv", Date: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		t.Fatal("two rows of one user (by pseudonym) must be refused as a duplicate")
	}
	text = strings.Replace(text, want, Pseudonym(key, "User Principal Name", "bob@contoso.com"), 1)
	res, err = Parse(spec, strings.NewReader(text), Options{Source: "p.csv", Date: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if k := value(t, spec, res.Rows[1], "entity_key"); k.S != want {
		t.Errorf("entity %q, want the pseudonym %q", k.S, want)
	}
	// Pseudonymized again: unchanged (a replay of a stored payload).
	again, _ := io.ReadAll(NewPseudonymizer(spec, key, strings.NewReader(text)))
	if string(again) != text {
		t.Errorf("pseudonymizing twice changed the file")
	}
	// Concealed names: told from the hash before it is replaced.
	p = NewPseudonymizer(spec, key, strings.NewReader(teamsDetailHeader+
		"2026-11-20,00000000-0000-0000-0000-000000000000,6E55A185B405B6F2A6804BB7897C8AAB,,False,,,0,0,0,0,,,,No,Yes,1\r\n"))
	if _, err := io.ReadAll(p); err != nil {
		t.Fatal(err)
	}
	if c, known := p.Concealed(); !known || !c {
		t.Errorf("concealed %v known %v, want concealed", c, known)
	}
}

// TestPseudonymizerFailsClosed: what could carry a name past the
// pseudonymizer is hashed: the rows after a PowerShell "#TYPE" line (the
// header is the line after it, as the parser reads it), a display name
// that merely starts like a pseudonym, and a column the report does not
// know (Microsoft may add one holding names).
func TestPseudonymizerFailsClosed(t *testing.T) {
	spec := teamsDetail(t)
	key := []byte("a key of the warehouse")
	header := strings.TrimSuffix(teamsDetailHeader, "\r\n")
	for name, body := range map[string]string{
		"#TYPE line": "#TYPE System.Management.Automation.PSCustomObject\r\n" + teamsDetailHeader +
			"2026-11-20,,ada.lovelace@contoso.com,,False,,,0,0,0,0,,,,No,Yes,1\r\n",
		"looks like a pseudonym": teamsDetailHeader +
			"2026-11-20,,pz:ada.lovelace@contoso.com,,False,,,0,0,0,0,,,,No,Yes,1\r\n",
		"unknown column": header + ",Manager Principal Name\r\n" +
			"2026-11-20,,bob@contoso.com,,False,,,0,0,0,0,,,,No,Yes,1,\"Lovelace, Ada\"\r\n",
	} {
		out, err := io.ReadAll(NewPseudonymizer(spec, key, strings.NewReader(body)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(strings.ToLower(string(out)), "lovelace") {
			t.Errorf("%s: a name survived:\n%s", name, out)
		}
		res, err := Parse(spec, strings.NewReader(string(out)), Options{Source: "p.csv", Date: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
		if err != nil || len(res.Rows) != 1 {
			t.Errorf("%s: the pseudonymized file does not load: %v", name, err)
		}
	}
}
