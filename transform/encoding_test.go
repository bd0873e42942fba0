package transform

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"unicode/utf16"

	"github.com/m365ingest/ingest/report"
)

func encodeUTF16(s string, big bool) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			b = binary.BigEndian.AppendUint16(b, u)
		} else {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
	}
	return b
}

// readWith reads r to the end with reads of at most n bytes.
func readWith(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	var out bytes.Buffer
	p := make([]byte, n)
	for range 1 << 16 {
		k, err := r.Read(p)
		out.Write(p[:k])
		if errors.Is(err, io.EOF) {
			return out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("no end")
	return ""
}

// TestUTF16Reader decodes both byte orders, surrogate pairs, and bad input
// as U+FFFD, whatever the size of the reads (bufio may ask for 1 byte).
func TestUTF16Reader(t *testing.T) {
	text := "Report Date,Café €,😀\r\n2026-11-20"
	for _, big := range []bool{false, true} {
		body := encodeUTF16(text, big)
		for _, n := range []int{1, 2, 3, 4, 5, 7, 4096} {
			got := readWith(t, &utf16Reader{r: bufio.NewReaderSize(bytes.NewReader(body), 16), big: big}, n)
			if got != text {
				t.Errorf("big=%v, reads of %d: got %q, want %q", big, n, got, text)
			}
		}
	}
	bad := append(encodeUTF16("a", false), 0x00, 0xD8, 'b', 0) // lone high surrogate, then "b"
	bad = append(bad, 0x00, 0xDC)                              // lone low surrogate
	bad = append(bad, 'c')                                     // half a unit
	if got := readWith(t, &utf16Reader{r: bufio.NewReader(bytes.NewReader(bad))}, 64); got != "a\uFFFDb\uFFFD\uFFFD" {
		t.Errorf("bad UTF-16: got %q", got)
	}
}

// TestDetectFormat: the content decides, through any byte-order mark.
func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		want report.Format
	}{
		{"csv", []byte("Report Refresh Date,Report Date\n"), report.CSV},
		{"csv with BOM", []byte("\uFEFFReport Refresh Date\n"), report.CSV},
		{"beta json", []byte(`{"value":[]}`), report.JSON},
		{"cli json", []byte("\r\n  [\n{}]"), report.JSON},
		{"json after BOM", []byte("\uFEFF{}"), report.JSON},
		{"json after mojibake BOM", []byte("ï»¿ [ ]"), report.JSON},
		{"utf-16le json", append([]byte{0xFF, 0xFE}, encodeUTF16("\r\n[{}]", false)...), report.JSON},
		{"utf-16be json", append([]byte{0xFE, 0xFF}, encodeUTF16("{}", true)...), report.JSON},
		{"utf-16le csv", append([]byte{0xFF, 0xFE}, encodeUTF16("Report Date\r\n", false)...), report.CSV},
		{"html", []byte("<!DOCTYPE html>"), report.CSV},
		{"empty", nil, report.CSV},
		{"blanks", []byte(" \n"), report.CSV},
	} {
		if got := DetectFormat(tc.body); got != tc.want {
			t.Errorf("%s: DetectFormat = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestLooksLike: what a missing-column error calls close.
func TestLooksLike(t *testing.T) {
	spec := mustSpec(t, "skype-organizer-activity-user-counts")
	b := newRowBuilder(spec, Options{}, &Result{})
	col := func(name string) int {
		c, ok := b.lookup(name)
		if !ok {
			t.Fatalf("no column %q", name)
		}
		return c
	}
	for _, tc := range []struct {
		header, column string
		want           bool
	}{
		{"ï»¿Report Refresh Date", "Report Refresh Date", true},
		{"\u200bReport Refresh Date", "Report Refresh Date", true},
		{"Report Refresh", "Report Refresh Date", true},
		{"Report Refrsh Date", "Report Refresh Date", true},
		{"Teams Web Client", "Web", false},
		{"Webb", "Web", true},
		{"Time", "IM", false},
		{"IMs", "IM", true},
		{"Hologram", "Report Date", false},
	} {
		if got := b.looksLike(tc.header, col(tc.column)); got != tc.want {
			t.Errorf("looksLike(%q, %q) = %v, want %v", tc.header, tc.column, got, tc.want)
		}
	}
}
