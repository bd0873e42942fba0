package transform

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/m365ingest/ingest/report"
)

// PseudonymPrefix starts every pseudonym, so that a value is never taken
// for a name, nor for Microsoft's concealed names (32 upper-case hex
// digits), nor pseudonymized twice.
const PseudonymPrefix = "pz:"

// Pseudonym is the keyed hash that stands for a name: "pz:" and the first
// 128 bits of HMAC-SHA256(key, name) in hex. Principal names and URLs are
// case-insensitive, so they are hashed in lower case (Ada@Contoso.com and
// ada@contoso.com are one user); display names as they are.
func Pseudonym(key []byte, header, name string) string {
	return pseudonym(hmac.New(sha256.New, key), header, name)
}

func pseudonym(mac hash.Hash, header, name string) string {
	if caseless(header) {
		name = strings.ToLower(name)
	}
	mac.Reset()
	mac.Write([]byte(name))
	sum := mac.Sum(nil)
	return PseudonymPrefix + hex.EncodeToString(sum[:16])
}

// caseless reports whether a name column compares without case.
func caseless(header string) bool {
	return strings.HasSuffix(header, "Principal Name") || strings.HasSuffix(header, "URL")
}

// Pseudonymizer is a CSV payload of a detail report with every name
// (report.Detail.Names: principal names, display names, site URLs, group
// and team names) replaced by its Pseudonym, read as it is rewritten: what
// --pseudonymize stores and loads in place of the payload, so that no name
// reaches the warehouse. The rest of the file is written again as it was
// (its fields, one record a line, CRLF); a byte-order mark is dropped.
// Columns the report does not know are hashed too: they may hold names.
// Empty cells and pseudonyms stay as they are.
//
// It tells, from the first data row, whether Microsoft had concealed the
// names (Concealed), which the pseudonyms no longer show.
type Pseudonymizer struct {
	spec *report.Spec
	mac  hash.Hash
	rr   *recordReader
	out  bytes.Buffer
	err  error

	header    bool
	typeSeen  bool     // a PowerShell "#TYPE" line came first
	names     []int    // fields to replace
	headers   []string // their headers
	entity    int      // field of the entity's name (concealment), -1
	decided   bool
	concealed bool
}

// NewPseudonymizer reads a detail report's CSV from r, names replaced.
func NewPseudonymizer(spec *report.Spec, key []byte, r io.Reader) *Pseudonymizer {
	br, _ := unwrap(bufio.NewReaderSize(r, 64<<10), 64<<10)
	return &Pseudonymizer{spec: spec, mac: hmac.New(sha256.New, key), rr: newRecordReader(br), entity: -1}
}

// Concealed says whether the names were concealed, once the first row was
// read (known).
func (p *Pseudonymizer) Concealed() (concealed, known bool) { return p.concealed, p.decided }

func (p *Pseudonymizer) Read(b []byte) (int, error) {
	for p.out.Len() == 0 && p.err == nil {
		p.err = p.next()
	}
	if p.out.Len() > 0 {
		return p.out.Read(b)
	}
	return 0, p.err
}

// next rewrites one record into out.
func (p *Pseudonymizer) next() error {
	rec, err := p.rr.Read()
	if err != nil && !(len(rec) > 0 && errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("pseudonymize: %w", err)
	}
	if !p.header {
		// PowerShell's "#TYPE ..." line before the header, which the
		// parser skips (parseCSV): kept as it is, the next record is the
		// header.
		if !p.typeSeen && len(rec) > 0 && bytes.HasPrefix(bytes.ToUpper(rec[0]), typeLine) {
			p.typeSeen = true
			writeRecord(&p.out, rec)
			return nil
		}
		p.header = true
		p.mapHeader(rec)
	} else {
		for k, i := range p.names {
			if i >= len(rec) {
				continue
			}
			v := string(bytes.TrimSpace(rec[i]))
			if v == "" || isPseudonym(v) {
				continue
			}
			if i == p.entity && !p.decided {
				p.decided, p.concealed = true, report.LooksConcealed(v)
			}
			rec[i] = []byte(pseudonym(p.mac, p.headers[k], v))
		}
	}
	writeRecord(&p.out, rec)
	return nil
}

// isPseudonym reports whether v is a Pseudonym already (a payload written
// by the Pseudonymizer, replayed), which is kept rather than hashed again.
func isPseudonym(v string) bool {
	hexPart, ok := strings.CutPrefix(v, PseudonymPrefix)
	if !ok || len(hexPart) != 32 {
		return false
	}
	for _, c := range hexPart {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// mapHeader finds the fields to replace among the header's: the name
// columns, and every column the report does not know (a column Microsoft
// adds may hold names: the parser leaves it out of the tables, and the
// stored payload keeps it only hashed).
func (p *Pseudonymizer) mapHeader(rec [][]byte) {
	l := layoutOf(p.spec)
	for i, f := range rec {
		col, ok := l.index[report.Normalize(string(f))]
		if !ok {
			p.names, p.headers = append(p.names, i), append(p.headers, string(f))
			continue
		}
		h := l.cols[col].Header
		if slices.Contains(p.spec.Detail.Names, h) {
			p.names, p.headers = append(p.names, i), append(p.headers, h)
			if l.entityName >= 0 && l.cols[col].Name == p.spec.Fields()[l.entityName].Name {
				p.entity = i
			}
		}
	}
}

// writeRecord writes fields as a CSV line, quoting a field that needs it.
func writeRecord(w *bytes.Buffer, rec [][]byte) {
	for i, f := range rec {
		if i > 0 {
			w.WriteByte(',')
		}
		if bytes.ContainsAny(f, ",\"\r\n") || len(f) > 0 && (f[0] == ' ' || f[len(f)-1] == ' ') {
			w.WriteByte('"')
			w.Write(bytes.ReplaceAll(f, []byte(`"`), []byte(`""`)))
			w.WriteByte('"')
			continue
		}
		w.Write(f)
	}
	w.WriteString("\r\n")
}
