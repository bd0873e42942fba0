package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/report"
)

// DetailRun is one size of the detail figure: a detail payload of Rows
// rows fetched from graph-sim and loaded by `ingest run` (streamed: hashed,
// stored compressed, parsed and copied in batches), its peak RSS, and its
// load throughput against raw COPY of the same rows measured just after.
// Each figure is the median of -runs runs; a ratio is the median of the
// runs' ratios.
type DetailRun struct {
	Rows  int   `json:"rows"`
	Runs  int   `json:"runs"`
	Bytes int64 `json:"bytes"`
	// Seconds is the fetch and load of the payload as report_fetches
	// records it (duration_ms), without the process's start and migrate.
	Seconds    float64 `json:"seconds"`
	RowsPerS   float64 `json:"rows_per_s"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// The raw COPY limit, as bench/README.md defines it for the bulk
	// figure: Postgres' COPY of the payload's CSV (FORMAT csv, parsed by
	// the server) into a bare table of its columns with the warehouse's
	// types and the table's key (refresh date, period, entity) and nothing
	// else.
	CopySeconds float64 `json:"raw_copy_seconds"`
	CopyRowsPer float64 `json:"raw_copy_rows_per_s"`
	RatioToCopy float64 `json:"ratio_to_raw_copy"`
	// The same COPY into a table without a key: what writing the rows
	// costs with no index to maintain.
	BareCopySeconds float64 `json:"bare_copy_seconds"`
	RatioToBareCopy float64 `json:"ratio_to_bare_copy"`
}

// detailSpec is the report of the detail figure: the mailbox of every user,
// a payload per period (no date=, so one payload a run).
const detailReport = "mailbox-usage-detail"

// detail measures the detail figure at every size of -detail-rows.
func (b *bencher) detail(ctx context.Context, r *Results) error {
	spec, err := report.Lookup(detailReport)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ingest-bench-detail-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, n := range b.c.detailRows {
		var runs []DetailRun
		for i := range b.c.runs {
			d, err := b.detailOnce(ctx, spec, dir, n, i)
			if err != nil {
				return fmt.Errorf("%d rows: %w", n, err)
			}
			runs = append(runs, d)
		}
		d := medianDetail(runs)
		r.Detail = append(r.Detail, d)
		b.say("detail %d rows (%.0f MB, median of %d): %.1f s, %.0f rows/s, raw COPY %.0f rows/s (%.2f; bare %.2f), peak RSS %.0f MiB",
			n, float64(d.Bytes)/1e6, d.Runs, d.Seconds, d.RowsPerS, d.CopyRowsPer, d.RatioToCopy, d.RatioToBareCopy, d.PeakRSSMiB)
	}
	if len(r.Detail) > 1 {
		lo, hi := r.Detail[0].PeakRSSMiB, r.Detail[0].PeakRSSMiB
		for _, d := range r.Detail {
			lo, hi = min(lo, d.PeakRSSMiB), max(hi, d.PeakRSSMiB)
		}
		g := ratio(hi, lo) - 1
		r.DetailRSSGrowth = &g
	}
	return nil
}

// medianDetail is the median of each figure of runs.
func medianDetail(runs []DetailRun) DetailRun {
	m := DetailRun{Rows: runs[0].Rows, Runs: len(runs), Bytes: runs[0].Bytes}
	pick := func(f func(DetailRun) float64) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	m.Seconds = pick(func(r DetailRun) float64 { return r.Seconds })
	m.RowsPerS = pick(func(r DetailRun) float64 { return r.RowsPerS })
	m.PeakRSSMiB = pick(func(r DetailRun) float64 { return r.PeakRSSMiB })
	m.CopySeconds = pick(func(r DetailRun) float64 { return r.CopySeconds })
	m.CopyRowsPer = pick(func(r DetailRun) float64 { return r.CopyRowsPer })
	m.RatioToCopy = pick(func(r DetailRun) float64 { return r.RatioToCopy })
	m.BareCopySeconds = pick(func(r DetailRun) float64 { return r.BareCopySeconds })
	m.RatioToBareCopy = pick(func(r DetailRun) float64 { return r.RatioToBareCopy })
	return m
}

func (b *bencher) detailOnce(ctx context.Context, spec *report.Spec, dir string, users, run int) (DetailRun, error) {
	d := DetailRun{Rows: users}
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", graphsim.Options{Users: users})
	if err != nil {
		return d, err
	}
	defer sim.Close()
	schema := fmt.Sprintf("%s_detail_%d_%d", b.prefix, users, run)
	b.schemas = append(b.schemas, schema)
	self, err := os.Executable()
	if err != nil {
		return d, err
	}
	rssFile := filepath.Join(dir, "rss")
	cmd := exec.CommandContext(ctx, self, rssFlag, rssFile, b.c.ingest, "run", "--graph-url", sim.URL(), "--access-token", "sim-token",
		"--tenant-id", "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0001", "--report", spec.Name, "--period", "D7",
		"--schema", schema, "--database-url", b.c.databaseURL, "--log-level", "error", "--log-format", "json")
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return d, fmt.Errorf("%s: %w: %s", cmd, err, lastLines(stderr.String(), 5))
	}
	if d.PeakRSSMiB, err = peakRSSMiB(rssFile); err != nil {
		return d, err
	}
	var ms int64
	var rows int
	err = b.admin.QueryRow(ctx, `SELECT duration_ms, rows_inserted, bytes FROM `+quoteIdent(schema)+`.report_fetches
		WHERE outcome = 'loaded' AND report = $1`, spec.Name).Scan(&ms, &rows, &d.Bytes)
	if err != nil {
		return d, fmt.Errorf("the load's record: %w", err)
	}
	if rows != users {
		return d, fmt.Errorf("%d rows loaded, want %d", rows, users)
	}
	d.Seconds = float64(ms) / 1000
	d.RowsPerS = ratio(float64(rows), d.Seconds)

	// Raw COPY of the same rows: the CSV the simulator served, as Postgres
	// parses it (COPY FROM STDIN, FORMAT csv) into a bare table of the
	// file's columns with the warehouse's types: the least a load of these
	// rows costs the server.
	var refresh time.Time
	if err := b.admin.QueryRow(ctx, `SELECT report_refresh_date FROM `+quoteIdent(schema)+`.`+quoteIdent(spec.Table)+` LIMIT 1`).Scan(&refresh); err != nil {
		return d, err
	}
	file := filepath.Join(dir, "detail.csv")
	if err := writeDetailCSV(file, spec, refresh, users); err != nil {
		return d, err
	}
	d.CopySeconds, err = b.rawCSVCopy(ctx, schema, spec, file, true)
	if err != nil {
		return d, err
	}
	d.BareCopySeconds, err = b.rawCSVCopy(ctx, schema, spec, file, false)
	if err != nil {
		return d, err
	}
	os.Remove(file)
	// The warehouse's copy of the run is no longer needed: drop it now, so
	// that the next run's figures do not pay for its pages.
	if _, err := b.admin.Exec(ctx, `DROP SCHEMA `+quoteIdent(schema)+` CASCADE`); err != nil {
		return d, err
	}
	d.CopyRowsPer = ratio(float64(users), d.CopySeconds)
	d.RatioToCopy = ratio(d.RowsPerS, d.CopyRowsPer)
	d.RatioToBareCopy = ratio(d.RowsPerS, ratio(float64(users), d.BareCopySeconds))
	return d, nil
}

// writeDetailCSV writes the payload the simulator serves for the report
// and period D7, without its byte-order mark.
func writeDetailCSV(path string, spec *report.Spec, refresh time.Time, users int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	df := &graphsim.DetailFile{Spec: spec, Users: users, Refresh: refresh, Days: 7}
	if err := df.WriteCSV(f); err != nil {
		return err
	}
	return f.Close()
}

// rawCSVCopy copies the CSV file into a bare table of its columns (with
// withKey, and the key of the report's table: refresh date, period and the
// entity's column) and returns how long COPY took.
func (b *bencher) rawCSVCopy(ctx context.Context, schema string, spec *report.Spec, file string, withKey bool) (float64, error) {
	var cols, key []string
	for _, c := range spec.HeaderColumns() {
		typ := c.Type.SQL()
		switch c.Name {
		case report.RefreshDate.Name:
			typ = "date"
		case report.Period.Name:
			typ = "integer"
		}
		cols = append(cols, quoteIdent(c.Name)+" "+typ)
		if c.Name == report.RefreshDate.Name || c.Name == report.Period.Name || c.Header == spec.Detail.Entity[0] {
			key = append(key, quoteIdent(c.Name))
		}
	}
	if withKey {
		cols = append(cols, "PRIMARY KEY ("+strings.Join(key, ", ")+")")
	}
	table := quoteIdent(schema) + ".raw_copy"
	if _, err := b.admin.Exec(ctx, `DROP TABLE IF EXISTS `+table+`; CREATE TABLE `+table+` (`+strings.Join(cols, ", ")+`)`); err != nil {
		return 0, err
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	conn, err := b.admin.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	skipBOM(f)
	start := time.Now()
	_, err = conn.Conn().PgConn().CopyFrom(ctx, f, `COPY `+table+` FROM STDIN WITH (FORMAT csv, HEADER true)`)
	took := time.Since(start).Seconds()
	if err != nil {
		return 0, fmt.Errorf("raw COPY: %w", err)
	}
	return took, nil
}

// skipBOM moves f past a UTF-8 byte-order mark.
func skipBOM(f *os.File) {
	var b [3]byte
	if n, _ := io.ReadFull(f, b[:]); n == 3 && b == [3]byte{0xEF, 0xBB, 0xBF} {
		return
	}
	f.Seek(0, io.SeekStart)
}
