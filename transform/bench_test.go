package transform

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

// benchReport is the widest report of the family (six metrics).
const benchReport = "skype-organizer-activity-user-counts"

// benchPayload renders n rows as Graph does: a byte-order mark, the
// documented header, CRLF line ends, one report date per row (counting up
// from 2000-01-01, so that they are unique), the refresh date the day after
// the last of them (a refresh date is never before its report date) and an
// empty 3rd-party cell on one row in five. JSON is the beta shape.
func benchPayload(format report.Format, n int) []byte {
	spec, _ := report.Lookup(benchReport)
	var b bytes.Buffer
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	refresh := day.AddDate(0, 0, n).Format(time.DateOnly)
	if format == report.JSON {
		b.WriteString(`{"@odata.context":"https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.x)","value":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, c := range spec.Metrics {
				v := strconv.Itoa(50 + (i*7+j*13)%900)
				if j == 4 && i%5 == 0 {
					v = "null"
				}
				fmt.Fprintf(&b, "%q:%s,", c.JSON, v)
			}
			fmt.Fprintf(&b, `"reportRefreshDate":"%s","reportDate":"%s","reportPeriod":"7"}`, refresh, day.AddDate(0, 0, i).Format(time.DateOnly))
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	b.WriteString("\uFEFF")
	for i, c := range spec.HeaderColumns() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Header)
	}
	b.WriteString("\r\n")
	for i := range n {
		b.WriteString(refresh)
		b.WriteByte(',')
		b.WriteString(day.AddDate(0, 0, i).Format(time.DateOnly))
		b.WriteString(",7")
		for j := range spec.Metrics {
			b.WriteByte(',')
			if j == 4 && i%5 == 0 {
				continue
			}
			b.WriteString(strconv.Itoa(50 + (i*7+j*13)%900))
		}
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// readCSV is the limit: encoding/csv merely reading the bytes, reusing its
// record, with nothing done with the fields.
func readCSV(body []byte) error {
	r := csv.NewReader(bytes.NewReader(body))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	for {
		if _, err := r.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

var benchSizes = []int{1_000, 100_000}

// BenchmarkCSVRead is encoding/csv reading the payload BenchmarkParse parses.
func BenchmarkCSVRead(b *testing.B) {
	for _, n := range benchSizes {
		body := benchPayload(report.CSV, n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := readCSV(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// csvNsPerOp is encoding/csv's time to read body, measured right after the
// parse over as many runs, so that both see the same machine load
// (testing.Benchmark cannot run inside a benchmark).
func csvNsPerOp(b *testing.B, body []byte, runs int) float64 {
	readCSV(body) // warm up
	start := time.Now()
	for range max(runs, 5) {
		if err := readCSV(body); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(max(runs, 5))
}

// BenchmarkParse parses a payload of each size. Besides MB/s and allocs/op
// it reports allocs/row and, for CSV, ratio-to-csv: Parse's throughput over
// encoding/csv's merely reading the same bytes (1 would be free parsing).
//
//	go test -run '^$' -bench Parse -benchtime 20x ./transform
func BenchmarkParse(b *testing.B) {
	spec, _ := report.Lookup(benchReport)
	for _, format := range []report.Format{report.CSV, report.JSON} {
		for _, n := range benchSizes {
			body := benchPayload(format, n)
			b.Run(fmt.Sprintf("%s/rows=%d", format, n), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					res, err := Parse(spec, bytes.NewReader(body), Options{Format: format, Source: "bench", Period: 7})
					if err != nil {
						b.Fatal(err)
					}
					if len(res.Rows) != n {
						b.Fatalf("%d rows, want %d", len(res.Rows), n)
					}
				}
				b.StopTimer()
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				if format == report.CSV {
					b.ReportMetric(csvNsPerOp(b, body, b.N)/perOp, "ratio-to-csv")
				}
				b.ReportMetric(allocsPerRow(b, spec, body, format, n), "allocs/row")
			})
		}
	}
}

// allocsPerRow measures the allocations of one Parse divided by its rows.
func allocsPerRow(b *testing.B, spec *report.Spec, body []byte, format report.Format, n int) float64 {
	b.Helper()
	avg := testing.AllocsPerRun(3, func() {
		if _, err := Parse(spec, bytes.NewReader(body), Options{Format: format, Source: "bench", Period: 7}); err != nil {
			b.Fatal(err)
		}
	})
	return avg / float64(n)
}
