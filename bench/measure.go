package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// smallReports are the reports of a nightly load: four dated counts
// reports, 180 rows each at D180, from the widest (eleven metrics) down.
var smallReports = []string{"teams-user-activity-counts", "email-activity-counts", "onedrive-activity-file-counts", "sharepoint-activity-file-counts"}

// bulkReport is the report of the bulk file.
const bulkReport = "teams-user-activity-counts"

// payload is one report of one tenant as Graph would send it, parsed.
type payload struct {
	spec   *report.Spec
	tenant string
	body   []byte
	sha    string
	rows   []transform.Row
}

type bencher struct {
	c      config
	admin  *pgxpool.Pool
	say    func(format string, args ...any)
	prefix string // schema names start with it

	wh                     *load.DB // the warehouse schema (prefix), migrated
	rawSchema, floorSchema string
	floorPool              *pgxpool.Pool
	payloads               []payload
	bulkLoad               payload
	schemas                []string
}

func (b *bencher) cleanup() {
	if b.wh != nil {
		b.wh.Close()
	}
	if b.floorPool != nil {
		b.floorPool.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range b.schemas {
		if _, err := b.admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+quoteIdent(s)+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop schema %s: %v\n", s, err)
		}
	}
}

func (b *bencher) schema(ctx context.Context, suffix string) (string, error) {
	name := b.prefix + suffix
	b.schemas = append(b.schemas, name)
	_, err := b.admin.Exec(ctx, `CREATE SCHEMA `+quoteIdent(name))
	return name, err
}

func sum(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

func parse(p *payload, period int) error {
	opts := transform.Options{Format: report.CSV, Source: "bench", Period: period}
	if period > 0 {
		opts.RequireFullPeriod, opts.Now = true, time.Now()
	}
	res, err := transform.Parse(p.spec, bytes.NewReader(p.body), opts)
	if err != nil {
		return err
	}
	p.rows = res.Rows
	return nil
}

// prepare renders the payloads as graph-sim serves them, parses them and
// migrates the warehouse schema.
func (b *bencher) prepare() error {
	refresh := time.Now().UTC().AddDate(0, 0, -2)
	var specs []*report.Spec
	for _, name := range smallReports {
		s, err := report.Lookup(name)
		if err != nil {
			return err
		}
		specs = append(specs, s)
	}
	b.payloads = make([]payload, b.c.tenants*len(specs))
	pipeline.ForEach(4, b.c.tenants, func(t int) {
		tenant := fmt.Sprintf("5b6f3c2e-0d1a-4c7e-9f00-%012x", t+1)
		for k, spec := range specs {
			p := &b.payloads[t*len(specs)+k]
			*p = payload{spec: spec, tenant: tenant, body: graphsim.CSV(spec, graphsim.Generate(spec, tenant, refresh, 180))}
			p.sha = sum(p.body)
		}
	})
	spec, err := report.Lookup(bulkReport)
	if err != nil {
		return err
	}
	// One row a day for bulkRows days from 1900-01-01 on (a counts report
	// has a row a day, so a 100,000-row file reaches into the 22nd century:
	// parse skips the future check for it), each row with a valid period.
	first := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := graphsim.Generate(spec, "bulk", first.AddDate(0, 0, b.c.bulkRows-1), b.c.bulkRows)
	for i := range rows {
		rows[i].Period = 180
	}
	b.bulkLoad = payload{spec: spec, tenant: "bulk", body: graphsim.CSV(spec, rows)}
	b.bulkLoad.sha = sum(b.bulkLoad.body)
	ctx := context.Background()
	schema, err := b.schema(ctx, "")
	if err != nil {
		return err
	}
	if b.wh, err = load.ConnectLoads(ctx, b.c.databaseURL, schema, nil, b.c.concurrency); err != nil {
		return err
	}
	if _, err := b.admin.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgstattuple SCHEMA public`); err != nil {
		return fmt.Errorf("the dead-tuple counts need the pgstattuple extension: %w", err)
	}
	return b.wh.Migrate(ctx)
}

// parseRows parses every payload, keeping the rows the load steps load.
// It runs after the transform step: the rows of 2,000 payloads are a heap
// of hundreds of MB, which every garbage collection Parse causes would
// mark, a cost the ingest process, which holds a few payloads at a time,
// does not have.
func (b *bencher) parseRows(ctx context.Context, r *Results) error {
	var failed atomic.Pointer[error]
	pipeline.ForEach(2, len(b.payloads), func(i int) {
		if err := parse(&b.payloads[i], 180); err != nil {
			failed.Store(&err)
		}
	})
	if err := failed.Load(); err != nil {
		return *err
	}
	return parse(&b.bulkLoad, 0)
}

func (b *bencher) smallRows() int {
	n := 0
	for _, p := range b.payloads {
		n += len(p.rows)
	}
	return n
}

// transform: Parse against encoding/csv reading the same bytes, side by
// side, for the payloads and for the bulk file.
func (b *bencher) transform(ctx context.Context, r *Results) error {
	var total int64
	for _, p := range b.payloads {
		total += int64(len(p.body))
	}
	// Each run times Parse and encoding/csv over the same bytes one right
	// after the other (in turns, which goes first), and the ratio is the
	// median of the runs' ratios.
	measure := func(ps []payload, period int) (ours, limit, ratio float64, err error) {
		var o, l, rs []float64
		var size int64
		for _, p := range ps {
			size += int64(len(p.body))
		}
		parseAll := func() (float64, error) {
			start := time.Now()
			for _, p := range ps {
				if err := parse(&p, period); err != nil {
					return 0, err
				}
			}
			return float64(size) / 1e6 / time.Since(start).Seconds(), nil
		}
		readAll := func() (float64, error) {
			start := time.Now()
			for _, p := range ps {
				if err := readCSV(p.body); err != nil {
					return 0, err
				}
			}
			return float64(size) / 1e6 / time.Since(start).Seconds(), nil
		}
		for run := range b.c.runs {
			var a, c float64
			if run%2 == 0 {
				if a, err = parseAll(); err == nil {
					c, err = readAll()
				}
			} else {
				if c, err = readAll(); err == nil {
					a, err = parseAll()
				}
			}
			if err != nil {
				return 0, 0, 0, err
			}
			o, l, rs = append(o, a), append(l, c), append(rs, a/c)
		}
		return median(o), median(l), median(rs), nil
	}
	ours, limit, rt, err := measure(b.payloads, 180)
	if err != nil {
		return err
	}
	r.Transform = Transform{Bytes: total, MBPerS: ours, CSVMBPerS: limit, RatioToCSV: rt}
	ours, limit, rt, err = measure([]payload{b.bulkLoad}, 0)
	if err != nil {
		return err
	}
	r.Transform.BulkMBPerS, r.Transform.BulkCSVMBPS, r.Transform.BulkRatio = ours, limit, rt
	return nil
}

// readCSV is the limit of parsing: encoding/csv merely reading the bytes,
// reusing its record, with nothing done with the fields.
func readCSV(body []byte) error {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	for {
		if _, err := cr.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// bareTable creates a table shaped as spec's table with its primary key
// and nothing else (no foreign key, no trigger).
func (b *bencher) bareTable(ctx context.Context, schema, name string, spec *report.Spec) (string, error) {
	t := quoteIdent(schema) + "." + quoteIdent(name)
	_, err := b.admin.Exec(ctx, `DROP TABLE IF EXISTS `+t+`; CREATE TABLE `+t+` (LIKE `+quoteIdent(b.wh.Schema)+`.`+quoteIdent(spec.Table)+` INCLUDING DEFAULTS INCLUDING INDEXES)`)
	return t, err
}

// chain is the rows of many payloads as one COPY source.
type chain struct {
	srcs []pgx.CopyFromSource
	i    int
}

func (c *chain) Next() bool {
	for c.i < len(c.srcs) {
		if c.srcs[c.i].Next() {
			return true
		}
		c.i++
	}
	return false
}
func (c *chain) Values() ([]any, error) { return c.srcs[c.i].Values() }
func (c *chain) Err() error             { return nil }

// bySpec groups the payloads by report.
func (b *bencher) bySpec() map[*report.Spec][]payload {
	m := map[*report.Spec][]payload{}
	for _, p := range b.payloads {
		m[p.spec] = append(m[p.spec], p)
	}
	return m
}

// limits prepares the limits the load path is measured against, each run
// side by side with the figure it bounds (bulk and small pair them): a
// schema for the raw COPYs, and the floor's source tables and pool.
func (b *bencher) limits(ctx context.Context, r *Results) error {
	var err error
	if b.rawSchema, err = b.schema(ctx, "_raw"); err != nil {
		return err
	}
	return b.prepareFloor(ctx)
}

// copyBulkOnce: pgx CopyFrom of the bulk rows into a bare table with the
// same primary key, in rows/s.
func (b *bencher) copyBulkOnce(ctx context.Context) (float64, error) {
	if _, err := b.bareTable(ctx, b.rawSchema, "bulk", b.bulkLoad.spec); err != nil {
		return 0, err
	}
	start := time.Now()
	n, err := b.admin.CopyFrom(ctx, pgx.Identifier{b.rawSchema, "bulk"}, load.Columns(b.bulkLoad.spec), load.CopyRows(b.bulkLoad.spec, b.bulkLoad.tenant, b.bulkLoad.rows))
	if err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// copySmallOnce: pgx CopyFrom of the small payloads' rows, one COPY a
// report into a bare table each, one after the other; the seconds it took.
func (b *bencher) copySmallOnce(ctx context.Context) (float64, error) {
	var took time.Duration
	for spec, ps := range b.bySpec() {
		name := "small_" + spec.Table
		if _, err := b.bareTable(ctx, b.rawSchema, name, spec); err != nil {
			return 0, err
		}
		src := &chain{}
		for _, p := range ps {
			src.srcs = append(src.srcs, load.CopyRows(spec, p.tenant, p.rows))
		}
		start := time.Now()
		if _, err := b.admin.CopyFrom(ctx, pgx.Identifier{b.rawSchema, name}, load.Columns(spec), src); err != nil {
			return 0, err
		}
		took += time.Since(start)
	}
	return took.Seconds(), nil
}

func metricNames(spec *report.Spec) []string {
	var out []string
	for _, c := range spec.Metrics {
		out = append(out, quoteIdent(c.Name))
	}
	return out
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}

// upsertClause is the conflict rule of the floor and the naive peer: the
// metrics are updated only when they differ.
func upsertClause(spec *report.Spec) string {
	var set, old, inc []string
	for _, m := range metricNames(spec) {
		set = append(set, m+" = EXCLUDED."+m)
		old = append(old, "t."+m)
		inc = append(inc, "EXCLUDED."+m)
	}
	return ` ON CONFLICT (` + strings.Join(quoteAll(spec.Key()), ", ") + `) DO UPDATE SET ` + strings.Join(set, ", ") +
		` WHERE (` + strings.Join(old, ", ") + `) IS DISTINCT FROM (` + strings.Join(inc, ", ") + `)`
}

// prepareFloor loads every payload's rows into a source table per report
// for the floor, and opens its pool.
func (b *bencher) prepareFloor(ctx context.Context) error {
	schema, err := b.schema(ctx, "_floor")
	if err != nil {
		return err
	}
	b.floorSchema = schema
	for spec, ps := range b.bySpec() {
		src := "src_" + spec.Table
		if _, err := b.bareTable(ctx, schema, src, spec); err != nil {
			return err
		}
		c := &chain{}
		for _, p := range ps {
			c.srcs = append(c.srcs, load.CopyRows(spec, p.tenant, p.rows))
		}
		if _, err := b.admin.CopyFrom(ctx, pgx.Identifier{schema, src}, load.Columns(spec), c); err != nil {
			return err
		}
		if _, err := b.admin.Exec(ctx, `ANALYZE `+quoteIdent(schema)+`.`+quoteIdent(src)); err != nil {
			return err
		}
	}
	b.floorPool, err = b.pool(ctx, b.c.concurrency)
	return err
}

// floorOnce: the minimal transaction of a small payload, its rows already
// on the server: one 180-row INSERT … SELECT … ON CONFLICT DO UPDATE …
// WHERE … IS DISTINCT FROM and a commit, every payload into empty tables
// at the default concurrency; payloads/s.
func (b *bencher) floorOnce(ctx context.Context) (float64, error) {
	schema := b.floorSchema
	sqls := map[*report.Spec]string{}
	for spec := range b.bySpec() {
		dst := "dst_" + spec.Table
		if _, err := b.bareTable(ctx, schema, dst, spec); err != nil {
			return 0, err
		}
		cols := strings.Join(quoteAll(load.Columns(spec)), ", ")
		sqls[spec] = `INSERT INTO ` + quoteIdent(schema) + `.` + quoteIdent(dst) + ` AS t (` + cols + `, run_id) SELECT ` + cols + `, 1 FROM ` +
			quoteIdent(schema) + `.` + quoteIdent("src_"+spec.Table) + ` WHERE tenant_id = $1` + upsertClause(spec)
	}
	var failed atomic.Pointer[error]
	start := time.Now()
	pipeline.ForEach(b.c.concurrency, len(b.payloads), func(i int) {
		p := b.payloads[i]
		err := pgx.BeginFunc(ctx, b.floorPool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, sqls[p.spec], p.tenant)
			if err == nil && tag.RowsAffected() != int64(len(p.rows)) {
				err = fmt.Errorf("floor: %d rows, want %d", tag.RowsAffected(), len(p.rows))
			}
			return err
		})
		if err != nil {
			failed.Store(&err)
		}
	})
	if err := failed.Load(); err != nil {
		return 0, *err
	}
	return float64(len(b.payloads)) / time.Since(start).Seconds(), nil
}

// pool is a plain pool of n connections.
func (b *bencher) pool(ctx context.Context, n int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(b.c.databaseURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(n)
	return pgxpool.NewWithConfig(ctx, cfg)
}

// emptyWarehouse removes every row of the warehouse schema and takes the
// run lock for a new run, as a run does before it loads.
func (b *bencher) emptyWarehouse(ctx context.Context) (int64, *load.RunLock, error) {
	var tables []string
	rows, err := b.admin.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables
		WHERE schemaname = $1 AND relname <> 'goose_db_version'`, b.wh.Schema)
	if err != nil {
		return 0, nil, err
	}
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, nil, err
	}
	if _, err := b.admin.Exec(ctx, `TRUNCATE `+strings.Join(tables, ", ")+` RESTART IDENTITY CASCADE`); err != nil {
		return 0, nil, err
	}
	lock, err := b.wh.LockRun(ctx, 0)
	if err != nil {
		return 0, nil, err
	}
	id, err := b.wh.StartRun(ctx, load.Run{Command: "bench", Host: "bench", Version: "bench"})
	if err != nil {
		lock.Release()
		return 0, nil, err
	}
	return id, lock, nil
}

func fetchOf(runID int64, p *payload) load.Fetch {
	return load.Fetch{RunID: runID, TenantID: p.tenant, Report: p.spec, Period: "D180", Source: "https://bench.invalid/",
		FetchedAt: time.Now(), HTTPStatus: 200,
		Payload: &load.Payload{SHA256: p.sha, Body: p.body, ContentType: "application/octet-stream", Format: report.CSV}}
}

// bulk: the real load path for the bulk file into an empty warehouse,
// each run right after a raw COPY of the same rows; then the file restated
// whole, which takes the other way (the staged merge).
func (b *bencher) bulk(ctx context.Context, r *Results) error {
	var took, raw, ratios, reTook, reRatios []float64
	for range b.c.runs {
		limit, err := b.copyBulkOnce(ctx)
		if err != nil {
			return err
		}
		id, lock, err := b.emptyWarehouse(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		c, err := b.wh.Upsert(ctx, fetchOf(id, &b.bulkLoad), b.bulkLoad.rows)
		s := time.Since(start).Seconds()
		if err != nil {
			lock.Release()
			return err
		}
		if c.Inserted != len(b.bulkLoad.rows) {
			lock.Release()
			return fmt.Errorf("bulk load inserted %d rows, want %d", c.Inserted, len(b.bulkLoad.rows))
		}
		took, raw = append(took, s), append(raw, limit)
		ratios = append(ratios, float64(len(b.bulkLoad.rows))/s/limit)

		// The same file again on a newer refresh with every row's metrics
		// changed: the staged merge, every row to history and updated.
		re := restateAll(b.bulkLoad)
		start = time.Now()
		c, err = b.wh.Upsert(ctx, fetchOf(id, &re), re.rows)
		s = time.Since(start).Seconds()
		lock.Release()
		if err != nil {
			return err
		}
		if c.Updated != len(re.rows) || c.Restated != len(re.rows) {
			return fmt.Errorf("bulk restatement updated %d and restated %d rows, want %d", c.Updated, c.Restated, len(re.rows))
		}
		reTook, reRatios = append(reTook, s), append(reRatios, float64(len(re.rows))/s/limit)
	}
	s := median(took)
	r.RawCopy.Rows, r.RawCopy.RowsPerS = len(b.bulkLoad.rows), median(raw)
	r.Bulk = Bulk{Rows: len(b.bulkLoad.rows), Seconds: s, RowsPerS: float64(len(b.bulkLoad.rows)) / s, RatioToCopy: median(ratios),
		RestateSeconds: median(reTook), RestateRowsPerS: float64(len(b.bulkLoad.rows)) / median(reTook), RestateRatioToCopy: median(reRatios)}
	return nil
}

// restateAll is p on the next day's refresh with the first metric of every
// row changed, and a body of its own.
func restateAll(p payload) payload {
	rows := make([]transform.Row, len(p.rows))
	for i, row := range p.rows {
		row.RefreshDate = row.RefreshDate.AddDate(0, 0, 1)
		row.Values = append([]transform.Value(nil), row.Values...)
		row.Values[0] = transform.Value{N: row.Values[0].N + 1, Valid: true}
		rows[i] = row
	}
	p.rows = rows
	p.body = append(append([]byte(nil), p.body...), "\r\n"...)
	p.sha = sum(p.body)
	return p
}

// loadAll loads every payload through the real load path at the default
// concurrency and returns the time it took and the summed counts.
func (b *bencher) loadAll(ctx context.Context, runID int64, ps []payload) (time.Duration, load.Counts, error) {
	var (
		mu     sync.Mutex
		total  load.Counts
		failed atomic.Pointer[error]
	)
	start := time.Now()
	pipeline.ForEach(b.c.concurrency, len(ps), func(i int) {
		c, err := b.wh.Upsert(ctx, fetchOf(runID, &ps[i]), ps[i].rows)
		if err != nil {
			failed.Store(&err)
			return
		}
		mu.Lock()
		total.Parsed += c.Parsed
		total.Inserted += c.Inserted
		total.Updated += c.Updated
		total.Unchanged += c.Unchanged
		total.Restated += c.Restated
		mu.Unlock()
	})
	took := time.Since(start)
	if err := failed.Load(); err != nil {
		return 0, total, *err
	}
	return took, total, nil
}

// deadTuples counts the dead tuples in the warehouse's tables (pgstattuple
// reads the pages; no statistics delay) and in the catalogs a temporary
// table writes to.
func (b *bencher) deadTuples(ctx context.Context) (warehouse, catalog int64, err error) {
	err = b.admin.QueryRow(ctx, `SELECT coalesce(sum((public.pgstattuple(x.oid)).dead_tuple_count), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
		LATERAL (SELECT c.oid UNION ALL SELECT c.reltoastrelid WHERE c.reltoastrelid <> 0) x(oid)
		WHERE n.nspname = $1 AND c.relkind = 'r'`, b.wh.Schema).Scan(&warehouse)
	if err != nil {
		return 0, 0, err
	}
	err = b.admin.QueryRow(ctx, `SELECT coalesce(sum((public.pgstattuple(c.oid)).dead_tuple_count), 0)::bigint
		FROM pg_class c WHERE c.oid IN ('pg_class'::regclass, 'pg_attribute'::regclass, 'pg_type'::regclass, 'pg_depend'::regclass)`).Scan(&catalog)
	return warehouse, catalog, err
}

// small: the payloads through the real load path into an empty warehouse,
// then the same again (a no-op), then with 1% of the rows restated.
func (b *bencher) small(ctx context.Context, r *Results) error {
	var first, reload, restate, floors, copies, toFloor, toCopy, toFirst, restateRatios []float64
	var rl Reload
	var rs Restatement
	for range b.c.runs {
		floor, err := b.floorOnce(ctx)
		if err != nil {
			return err
		}
		copied, err := b.copySmallOnce(ctx)
		if err != nil {
			return err
		}
		floors, copies = append(floors, floor), append(copies, copied)
		id, lock, err := b.emptyWarehouse(ctx)
		if err != nil {
			return err
		}
		_, cat0, err := b.deadTuples(ctx)
		if err != nil {
			lock.Release()
			return err
		}
		took, c, err := b.loadAll(ctx, id, b.payloads)
		if err == nil && c.Inserted != b.smallRows() {
			err = fmt.Errorf("first load inserted %d rows, want %d", c.Inserted, b.smallRows())
		}
		if err != nil {
			lock.Release()
			return err
		}
		first = append(first, took.Seconds())
		toFloor = append(toFloor, float64(len(b.payloads))/took.Seconds()/floor)
		toCopy = append(toCopy, copied/took.Seconds())
		dead0, cat1, err := b.deadTuples(ctx)
		if err != nil {
			lock.Release()
			return err
		}
		took, c, err = b.loadAll(ctx, id, b.payloads)
		if err == nil && c.Unchanged != b.smallRows() {
			err = fmt.Errorf("no-op reload left %d rows unchanged, want %d (%+v)", c.Unchanged, b.smallRows(), c)
		}
		if err != nil {
			lock.Release()
			return err
		}
		reload = append(reload, took.Seconds())
		toFirst = append(toFirst, took.Seconds()/first[len(first)-1])
		dead1, cat2, err := b.deadTuples(ctx)
		if err != nil {
			lock.Release()
			return err
		}
		// The worst run's, not the last's: a dead tuple in any run counts.
		rl = Reload{DeadTuples: max(rl.DeadTuples, dead1-dead0), CatalogDeadTuples: max(rl.CatalogDeadTuples, cat2-cat1),
			FirstLoadCatalogDT: max(rl.FirstLoadCatalogDT, cat1-cat0)}

		restated, changed := restatement(b.payloads)
		took, c, err = b.loadAll(ctx, id, restated)
		if err == nil && c.Restated != changed {
			err = fmt.Errorf("restatement restated %d rows, want %d", c.Restated, changed)
		}
		lock.Release()
		if err != nil {
			return err
		}
		restate = append(restate, took.Seconds())
		var history int64
		if err := b.wh.Pool.QueryRow(ctx, `SELECT count(*) FROM row_history`).Scan(&history); err != nil {
			return err
		}
		dead2, _, err := b.deadTuples(ctx)
		if err != nil {
			return err
		}
		rs = Restatement{RowsChanged: changed, HistoryRows: history, DeadTuples: dead2 - dead1}
		restateRatios = append(restateRatios, took.Seconds()/first[len(first)-1])
	}
	n := len(b.payloads)
	s := median(first)
	r.Floor = Floor{Payloads: n, PayloadsPerS: median(floors)}
	r.RawCopy.SmallRows, r.RawCopy.SmallSecond = b.smallRows(), median(copies)
	r.Small = Small{Payloads: n, Rows: b.smallRows(), Seconds: s, PayloadsPerS: float64(n) / s,
		RatioToFloor: median(toFloor), RatioToCopy: median(toCopy)}
	rl.Seconds = median(reload)
	rl.RatioToFirstLoad = median(toFirst)
	r.Reload = rl
	rs.Seconds = median(restate)
	rs.RatioToFirstLoad = median(restateRatios)
	r.Restatement = rs
	return nil
}

// restatement is the payloads again with the first metric of 1% of their
// rows changed (every 100th row), each body made different so that it is a
// new payload; and how many rows changed.
func restatement(ps []payload) ([]payload, int) {
	out := make([]payload, len(ps))
	changed, k := 0, 0
	for i, p := range ps {
		p.rows = append([]transform.Row(nil), p.rows...)
		for j := range p.rows {
			k++
			if k%100 != 0 {
				continue
			}
			row := p.rows[j]
			row.Values = append([]transform.Value(nil), row.Values...)
			row.Values[0] = transform.Value{N: row.Values[0].N + 1, Valid: true}
			p.rows[j] = row
			changed++
		}
		p.body = append(append([]byte(nil), p.body...), "\r\n"...)
		p.sha = sum(p.body)
		out[i] = p
	}
	return out, changed
}

// naive: what a hand-written script does, one INSERT … ON CONFLICT a row
// (a transaction a payload), on a 10% sample (every report of every 10th
// tenant), at the same concurrency as ours, so that the speed-up is the
// load path's alone.
func (b *bencher) naive(ctx context.Context, r *Results) error {
	schema, err := b.schema(ctx, "_naive")
	if err != nil {
		return err
	}
	var sample []payload
	for i, p := range b.payloads {
		if i/len(smallReports)%10 == 0 {
			sample = append(sample, p)
		}
	}
	sqls := map[*report.Spec]string{}
	for spec := range b.bySpec() {
		if _, err := b.bareTable(ctx, schema, spec.Table, spec); err != nil {
			return err
		}
		cols := load.Columns(spec)
		var params []string
		for i := range cols {
			params = append(params, fmt.Sprintf("$%d", i+1))
		}
		sqls[spec] = `INSERT INTO ` + quoteIdent(schema) + `.` + quoteIdent(spec.Table) + ` AS t (` + strings.Join(quoteAll(cols), ", ") +
			`) VALUES (` + strings.Join(params, ", ") + `)` + upsertClause(spec)
	}
	pool, err := b.pool(ctx, b.c.concurrency)
	if err != nil {
		return err
	}
	defer pool.Close()
	var rows atomic.Int64
	var failed atomic.Pointer[error]
	start := time.Now()
	pipeline.ForEach(b.c.concurrency, len(sample), func(i int) {
		p := sample[i]
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			src := load.CopyRows(p.spec, p.tenant, p.rows)
			for src.Next() {
				values, err := src.Values()
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, sqls[p.spec], values...); err != nil {
					return err
				}
				rows.Add(1)
			}
			return nil
		})
		if err != nil {
			failed.Store(&err)
		}
	})
	if err := failed.Load(); err != nil {
		return *err
	}
	rps := float64(rows.Load()) / time.Since(start).Seconds()
	ours := ratio(float64(r.Small.Rows), r.Small.Seconds)
	r.Naive = Naive{Rows: int(rows.Load()), Payloads: len(sample), RowsPerS: rps, OursRowsPerS: ours, Speedup: ratio(ours, rps)}
	return nil
}

// endToEnd runs bin/ingest over a tenants file against graph-sim with
// latency added to every answer, at the default concurrency, for the many
// tenants and then the few.
func (b *bencher) endToEnd(ctx context.Context, r *Results) error {
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", graphsim.Options{RequestDelay: b.c.latency})
	if err != nil {
		return err
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "ingest-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("sim-token"), 0o600); err != nil {
		return err
	}
	for _, n := range []int{b.c.tenants, b.c.fewTenants} {
		e, err := b.e2e(ctx, sim, dir, token, n)
		if err != nil {
			return err
		}
		e.IdealSeconds = float64(e.Requests)*b.c.latency.Seconds()/float64(e.Workers) + ratio(float64(e.Loaded), r.Small.PayloadsPerS)
		e.RatioToIdeal = ratio(e.Seconds, e.IdealSeconds)
		r.EndToEnd = append(r.EndToEnd, e)
		b.say("end to end, %d tenants: %.1f s, peak RSS %.0f MiB", n, e.Seconds, e.PeakRSSMiB)
	}
	if len(r.EndToEnd) == 2 {
		g := ratio(r.EndToEnd[0].PeakRSSMiB, r.EndToEnd[1].PeakRSSMiB) - 1
		r.RSSGrowth = &g
	}
	return nil
}

func (b *bencher) e2e(ctx context.Context, sim *graphsim.Server, dir, token string, tenants int) (EndToEnd, error) {
	file := filepath.Join(dir, fmt.Sprintf("tenants-%d.yaml", tenants))
	var y strings.Builder
	y.WriteString("tenants:\n")
	for i := range tenants {
		fmt.Fprintf(&y, "  - tenant_id: 5b6f3c2e-0d1a-4c7e-9f00-%012x\n    auth: token\n    access_token_file: %s\n", i+1, token)
	}
	if err := os.WriteFile(file, []byte(y.String()), 0o600); err != nil {
		return EndToEnd{}, err
	}
	schema := fmt.Sprintf("%s_e2e_%d", b.prefix, tenants)
	b.schemas = append(b.schemas, schema)
	before := len(sim.APIRequests()) + len(sim.DownloadRequests())
	self, err := os.Executable()
	if err != nil {
		return EndToEnd{}, err
	}
	rssFile := filepath.Join(dir, "rss")
	cmd := exec.CommandContext(ctx, self, rssFlag, rssFile, b.c.ingest, "run", "--graph-url", sim.URL(), "--tenants-file", file, "--period", "D180",
		"--report", strings.Join(smallReports, ","), "--schema", schema, "--database-url", b.c.databaseURL,
		"--concurrency", fmt.Sprint(b.c.concurrency), "--tenant-concurrency", fmt.Sprint(b.c.tenantConc),
		"--log-level", "error", "--log-format", "json")
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		return EndToEnd{}, fmt.Errorf("%s: %w: %s", cmd, err, lastLines(stderr.String(), 5))
	}
	e := EndToEnd{Tenants: tenants, Reports: len(smallReports), Requests: len(sim.APIRequests()) + len(sim.DownloadRequests()) - before,
		Workers: b.c.concurrency * b.c.tenantConc, LatencyMS: b.c.latency.Milliseconds(), Seconds: took.Seconds()}
	if e.PeakRSSMiB, err = peakRSSMiB(rssFile); err != nil {
		return e, err
	}
	err = b.admin.QueryRow(ctx, `SELECT count(*) FROM `+quoteIdent(schema)+`.report_fetches WHERE outcome = 'loaded'`).Scan(&e.Loaded)
	if err == nil && e.Loaded != tenants*len(smallReports) {
		err = fmt.Errorf("end to end, %d tenants: %d payloads loaded, want %d", tenants, e.Loaded, tenants*len(smallReports))
	}
	return e, err
}

// cleanEnv is the environment without ingest's own settings, so that the
// end-to-end run is the defaults and the flags alone.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "INGEST_"), strings.HasPrefix(name, "GRAPH_"), strings.HasPrefix(name, "AZURE_"), name == "DATABASE_URL":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// ratio is a / b, or 0 when b is not measured (a step left out by -only).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// peakRSSMiB reads the peak RSS that -rss-of wrote to file (KiB), in MiB.
func peakRSSMiB(file string) (float64, error) {
	kib, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("peak RSS of the run: %w", err)
	}
	n, err := strconv.ParseInt(string(kib), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("peak RSS of the run: %w", err)
	}
	return float64(n) / 1024, nil
}
