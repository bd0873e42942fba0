package transform

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/m365ingest/ingest/report"
)

// What may come before a payload's first character, as files are really
// saved (see the package doc):
//
//   - a UTF-8 byte-order mark (Graph's CSV has one);
//   - a UTF-16 byte-order mark, little or big endian: what Windows
//     PowerShell 5.1's Out-File and > write; the rest is decoded to UTF-8;
//   - the UTF-8 byte-order mark turned into text, "ï»¿" (C3 AF C2 BB C2 BF):
//     a file read as Windows-1252 and saved again as UTF-8 (or UTF-16), as
//     Invoke-RestMethod followed by Out-File does.
var (
	bomUTF8     = []byte("\uFEFF")
	bomMojibake = []byte("ï»¿")
)

// maxLeadingMarks bounds how many marks in a row are skipped.
const maxLeadingMarks = 4

// unwrap returns a reader of the payload's UTF-8 text from its first
// character, and whether it was decoded from UTF-16. On a payload that
// starts with none of the marks above (the usual case) it costs one Peek of
// bytes br reads anyway, and returns br itself.
func unwrap(br *bufio.Reader, bufSize int) (*bufio.Reader, bool) {
	decoded := false
	if b, _ := br.Peek(2); len(b) == 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		br.Discard(2)
		br = bufio.NewReaderSize(&utf16Reader{r: br, big: b[0] == 0xFE}, bufSize)
		decoded = true
	}
	for range maxLeadingMarks {
		b, _ := br.Peek(len(bomMojibake))
		switch {
		case bytes.HasPrefix(b, bomUTF8):
			br.Discard(len(bomUTF8))
		case bytes.HasPrefix(b, bomMojibake):
			br.Discard(len(bomMojibake))
		default:
			return br, decoded
		}
	}
	return br, decoded
}

// utf16Reader decodes UTF-16 (after its byte-order mark) to UTF-8. An
// unpaired surrogate or a trailing odd byte becomes U+FFFD, which the
// parser then names as a bad value.
type utf16Reader struct {
	r       *bufio.Reader
	big     bool
	pending [utf8.UTFMax]byte // the encoding of a rune that did not fit p
	np, off int
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	if u.off < u.np {
		n = copy(p, u.pending[u.off:u.np])
		u.off += n
		return n, nil
	}
	for n < len(p) {
		r, err := u.next()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if r < utf8.RuneSelf {
			p[n] = byte(r)
			n++
			continue
		}
		if len(p)-n >= utf8.UTFMax {
			n += utf8.EncodeRune(p[n:], r)
			continue
		}
		u.np, u.off = utf8.EncodeRune(u.pending[:], r), 0
		c := copy(p[n:], u.pending[:u.np])
		u.off += c
		n += c
		break
	}
	return n, nil
}

// next decodes one rune.
func (u *utf16Reader) next() (rune, error) {
	b, err := u.r.Peek(2)
	switch {
	case len(b) == 1:
		u.r.Discard(1)
		return utf8.RuneError, nil
	case len(b) == 0:
		if err == nil {
			err = io.EOF
		}
		return 0, err
	}
	c := u.unit(b)
	if !utf16.IsSurrogate(rune(c)) {
		u.r.Discard(2)
		return rune(c), nil
	}
	if b, _ := u.r.Peek(4); len(b) == 4 {
		if r := utf16.DecodeRune(rune(c), rune(u.unit(b[2:]))); r != utf8.RuneError {
			u.r.Discard(4)
			return r, nil
		}
	}
	u.r.Discard(2)
	return utf8.RuneError, nil
}

func (u *utf16Reader) unit(b []byte) uint16 {
	if u.big {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

// DetectFormat tells a payload's format from its content: JSON when its
// first character, after any byte-order mark (UTF-8, UTF-16, or one turned
// into text) and blanks, is '{' (Graph's beta {"value": [...]}) or '['
// (the CLI for Microsoft 365's --output json); CSV otherwise.
func DetectFormat(body []byte) report.Format {
	br, _ := unwrap(bufio.NewReaderSize(bytes.NewReader(body), 4096), 4096)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return report.CSV
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return report.JSON
		}
		return report.CSV
	}
}

// htmlStart is how an HTML document (an error or sign-in page saved as the
// export) starts, after blanks, in lower case.
var htmlStart = [][]byte{[]byte("<!doctype html"), []byte("<html")}

// isHTML reports whether the payload in br is an HTML document; it only
// peeks, and only past a '<'.
func isHTML(br *bufio.Reader) bool {
	b, _ := br.Peek(512)
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	for _, p := range htmlStart {
		if len(b) >= len(p) && bytes.EqualFold(b[:len(p)], p) {
			return true
		}
	}
	return false
}
