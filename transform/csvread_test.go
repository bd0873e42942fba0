package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// readAllBoth reads data with recordReader and with encoding/csv configured
// as recordReader promises to behave, and describes what each saw: every
// record with the line of each field, then the error.
func readAllBoth(data []byte, bufSize int) (ours, theirs string) {
	var o strings.Builder
	rr := newRecordReader(bufio.NewReaderSize(bytes.NewReader(data), bufSize))
	for {
		rec, err := rr.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(&o, "error %v\n", err)
			}
			break
		}
		for i, f := range rec {
			fmt.Fprintf(&o, "%d:%q ", rr.FieldLine(i), f)
		}
		fmt.Fprintf(&o, "@%d\n", rr.InputOffset())
	}
	var t strings.Builder
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(&t, "error %v\n", err)
			}
			break
		}
		for i, f := range rec {
			line, _ := cr.FieldPos(i)
			fmt.Fprintf(&t, "%d:%q ", line, f)
		}
		fmt.Fprintf(&t, "@%d\n", cr.InputOffset())
	}
	return o.String(), t.String()
}

var csvSeeds = []string{
	"",
	"\n",
	"a,b,c\n1,2,3\n",
	"a,b,c\r\n1,2,3\r\n",
	"a,b\n\n\n1,2",
	"a,b\r\n1,2\r",
	`"a","b"` + "\n" + `"1,5","say ""hi"""` + "\n",
	"\"multi\nline\",x\r\ny,\"z\r\nw\"\n",
	`a,b"c` + "\n",
	`"a"b,c` + "\n",
	`"unterminated` + "\n",
	`"unterminated`,
	"a,\"\"\n,,\n",
	"\"\"\n",
	"x,\"y\"\n\"",
	"Report Refresh Date,Report Date,Report Period,IM\r\n2026-11-20,2026-11-19,7,\r\n",
	"a\rb,c\n",
	"\"a\rb\",c\r",
}

// TestRecordReaderMatchesEncodingCSV checks the seeds with a buffer big
// enough and one small enough to split lines.
func TestRecordReaderMatchesEncodingCSV(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100) + "," + `"` + strings.Repeat("y\n", 40) + `"` + "\n"
	for _, in := range append(csvSeeds, long, long+long) {
		for _, size := range []int{16, 4096} {
			if ours, theirs := readAllBoth([]byte(in), size); ours != theirs {
				t.Errorf("input %q (buffer %d):\nours   %s\ntheirs %s", in, size, ours, theirs)
			}
		}
	}
}

// FuzzRecordReader holds recordReader to encoding/csv's reading of any input:
// the same records, field lines, offsets and errors.
func FuzzRecordReader(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int{16, 4096} {
			if ours, theirs := readAllBoth(data, size); ours != theirs {
				t.Fatalf("input %q (buffer %d):\nours   %s\ntheirs %s", data, size, ours, theirs)
			}
		}
	})
}
