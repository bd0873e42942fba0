package cli

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// The shapes real exports come in (issue 9, point 10), built from a whole
// D7 week of skype-organizer-activity-minute-counts (minuteWeek).

// cliJSON is the week as the CLI for Microsoft 365's --output json prints
// it: an array of objects keyed by the header names, every value a string.
func cliJSON(week string) string {
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(week, "\uFEFF")), "\r\n")
	header := strings.Split(lines[0], ",")
	var b strings.Builder
	b.WriteString("[\n")
	for i, line := range lines[1:] {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("  {\n")
		for j, v := range strings.Split(line, ",") {
			if j > 0 {
				b.WriteString(",\n")
			}
			b.WriteString("    " + strconv.Quote(header[j]) + ": " + strconv.Quote(v))
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n]\n")
	return b.String()
}

// utf16LE is s as Windows PowerShell 5.1's Out-File and > write it.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

// exportCsv is the week as Windows PowerShell 5.1's Export-Csv writes it:
// a #TYPE line, every field quoted.
func exportCsv(week string) string {
	var b strings.Builder
	b.WriteString("#TYPE System.Management.Automation.PSCustomObject\r\n")
	for _, line := range strings.Split(strings.TrimSpace(strings.TrimPrefix(week, "\uFEFF")), "\r\n") {
		b.WriteString(`"` + strings.ReplaceAll(line, ",", `","`) + "\"\r\n")
	}
	return b.String()
}

// TestLoadFileRealShapes loads one file of each shape, whatever it is
// called (the content decides CSV or JSON), then replays the stored
// payloads: each shape is stored as received and parses again.
func TestLoadFileRealShapes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	week := func(newest string) string { return minuteWeek(newest, newest, 10) }
	noBOM := func(s string) string { return strings.TrimPrefix(s, "\uFEFF") }
	files := []string{
		writeFile(t, dir, "cli-json-saved-as.csv", cliJSON(week("2026-10-10"))),
		writeFile(t, dir, "cli-json-ps51.json", utf16LE(strings.ReplaceAll(cliJSON(week("2026-10-17")), "\n", "\r\n"))),
		writeFile(t, dir, "invoke-restmethod-out-file.csv", utf16LE("ï»¿"+noBOM(week("2026-10-24")))),
		writeFile(t, dir, "export-csv.csv", exportCsv(week("2026-10-31"))),
		writeFile(t, dir, "mojibake-bom.txt", "ï»¿"+noBOM(week("2026-11-07"))),
		writeFile(t, dir, "utf16-bom.csv", utf16LE(week("2026-11-14"))),
	}
	args := append([]string{"load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant}, files...)
	if code, out, errOut := b.ingest(t, args...); code != ExitOK {
		t.Fatalf("load-file: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.skype_organizer_activity_minute_counts`); n != strconv.Itoa(7*len(files)) {
		t.Errorf("%s rows, want %d", n, 7*len(files))
	}
	if s := b.scalar(t, `SELECT string_agg(f.outcome || ':' || p.format, ',' ORDER BY f.fetch_id) FROM S.report_fetches f JOIN S.payloads p USING (sha256)`); s != "loaded:json,loaded:json,loaded:csv,loaded:csv,loaded:csv,loaded:csv" {
		t.Errorf("fetches = %s", s)
	}
	if code, out, errOut := b.ingest(t, "replay"); code != ExitOK {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := b.scalar(t, `SELECT count(*) FROM S.report_fetches WHERE run_id = 2 AND outcome <> 'failed'`); n != strconv.Itoa(len(files)) {
		t.Errorf("replay loaded %s payloads, want %d", n, len(files))
	}
}

// TestLoadFileNamesWhatItIsNot: an HTML page and a ;-separated file fail
// with what they are, naming the file, not "missing required column".
func TestLoadFileNamesWhatItIsNot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	html := writeFile(t, dir, "error-page.csv", "\r\n  <!DOCTYPE html>\r\n<html><head><title>Sign in to your account</title></head></html>\r\n")
	excel := writeFile(t, dir, "excel.csv", strings.ReplaceAll(minuteWeek("2026-11-21", "2026-11-21", 1), ",", ";"))
	code, _, errOut := b.ingest(t, "load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant, html, excel)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s", code, errOut)
	}
	for _, want := range []string{
		html + ": this is an HTML document, not a report export",
		excel + ": line 1: fields are separated by ';'; export with commas",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "missing required column") {
		t.Errorf("stderr says missing required column:\n%s", errOut)
	}
}

// TestLoadFileFromStdin: the FILE - reads standard input, labelled stdin
// in the audit. Not parallel: it replaces os.Stdin.
func TestLoadFileFromStdin(t *testing.T) {
	b := setup(t)
	in := writeFile(t, t.TempDir(), "in", utf16LE(cliJSON(minuteWeek("2026-11-21", "2026-11-21", 1))))
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = saved })
	if code, out, errOut := b.ingest(t, "load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant, "-"); code != ExitOK {
		t.Fatalf("load-file -: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := b.scalar(t, `SELECT source || ':' || outcome || ':' || rows_parsed FROM S.report_fetches`); s != "stdin:loaded:7" {
		t.Errorf("fetch = %s, want stdin:loaded:7", s)
	}
	code, _, errOut := b.ingest(t, "load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant, "-", filepath.Join(t.TempDir(), "x.csv"), "-")
	if code != ExitUsage || !strings.Contains(errOut, "- (standard input) given 2 times") {
		t.Errorf("- twice: exit %d, want 2 naming it\n%s", code, errOut)
	}
}
