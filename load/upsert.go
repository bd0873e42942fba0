package load

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// Payload is a report body as received.
type Payload struct {
	SHA256      string
	Body        []byte
	ContentType string
	Format      report.Format
	// Size is the body's length when the body was streamed (LoadStream):
	// Body is then nil, and StreamID names its payload_chunks (0 when an
	// identical payload was stored before).
	Size     int64
	StreamID int64
}

// size is the payload's length in bytes.
func (p *Payload) size() int64 {
	if p.Body == nil {
		return p.Size
	}
	return int64(len(p.Body))
}

// Fetch is the audit record of one report fetched or file loaded.
type Fetch struct {
	RunID    int64
	TenantID string
	Report   *report.Spec
	Period   string
	// Source is the redacted URL or the file path.
	Source     string
	FetchedAt  time.Time
	HTTPStatus int
	ETag       string
	// Payload is nil when none was received.
	Payload  *Payload
	Unknown  []string
	Duration time.Duration

	// DropOnFailure keeps no payload when the fetch is recorded as failed
	// (RecordFetch): a file rejected by load-file is not kept, the file is
	// its source, and replaying it would fail again on every replay. The
	// audit row keeps its size, without a sha256.
	DropOnFailure bool

	// A detail report's fetch (report.Detail): AskedDate is the day a date=
	// call asked for (zero for a period= call); Concealed whether the
	// payload's names were concealed (nil: not known, as before a load);
	// ConcealedSetting the tenant's setting as read (nil: not read);
	// ConcealmentChanged that the payload's concealment differs from the
	// last loaded of the tenant's report (set by LoadStream).
	AskedDate          time.Time
	Concealed          *bool
	ConcealedSetting   *bool
	ConcealmentChanged bool

	// span is the dates of a streamed payload's rows (LoadStream), which
	// fetchRow otherwise reads from the rows.
	span *span
}

// span is the refresh date and the range of report dates of a payload's
// rows.
type span struct{ refresh, oldest, newest *time.Time }

func (s *span) add(r *transform.Row) {
	if s.refresh == nil || r.RefreshDate.After(*s.refresh) {
		d := r.RefreshDate
		s.refresh = &d
	}
	if r.ReportDate.IsZero() {
		return // a snapshot report has no report date
	}
	if s.oldest == nil || r.ReportDate.Before(*s.oldest) {
		d := r.ReportDate
		s.oldest = &d
	}
	if s.newest == nil || r.ReportDate.After(*s.newest) {
		d := r.ReportDate
		s.newest = &d
	}
}

// Counts says what a load did to the report's table.
type Counts struct {
	Parsed, Inserted, Updated, Unchanged int
	// Restated counts the updated rows whose metrics changed; their previous
	// versions are kept in row_history.
	Restated int
}

// Upsert loads the rows of one payload in one transaction: the payload is
// stored (deduplicated by sha256), the rows are merged by the upsert rule
// (see merge for how they reach the server), the fetch is recorded as
// loaded (as empty when the payload has no row: see LoadOutcome) and the
// run lock is checked. Either all of it
// commits or none of it does. When the run lock of db was lost it commits
// nothing and returns ErrLockLost (wrapped).
//
// Upsert rule: a row for its key (tenant_id, report_date), or for a snapshot
// report (tenant_id, report_refresh_date, report_period) (see
// report.Spec.Key), is inserted when new, and updated only when the incoming
// report_refresh_date is the same or newer and the refresh date or a metric
// differs; otherwise it is left untouched, bookkeeping included.
// report_period alone never causes an update. changed_at and run_id move
// only when a metric changes: a newer refresh that restates nothing moves
// the refresh date alone.
func (db *DB) Upsert(ctx context.Context, f Fetch, rows []transform.Row) (Counts, error) {
	c := Counts{Parsed: len(rows)}
	if err := uniqueKeys(f.Report, rows); err != nil {
		return Counts{}, fmt.Errorf("load %s: %w", f.Report.Name, err)
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		lock := db.run.lock.Load()
		if lock != nil && lock.lost.Load() {
			return lock.lostError()
		}
		var held bool
		var err error
		c.Inserted, c.Updated, c.Restated, held, err = merge(ctx, tx, f, rows, lock, db.copyAll, db.tenantLock(f))
		if err != nil {
			return err
		}
		c.Unchanged = c.Parsed - c.Inserted - c.Updated
		// Commit only while this run holds the run lock: once it is lost,
		// another run may be loading.
		if !held {
			lock.lost.Store(true)
			return lock.lostError()
		}
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("load %s: %w", f.Report.Name, explain(err))
	}
	return c, nil
}

// LoadOutcome is the report_fetches.outcome of a payload that loaded with
// n rows: "loaded", or "empty" for a valid payload without rows (a
// header-only CSV, an empty JSON value array: what Graph answers for a
// workload without data), which is no fresh data.
func LoadOutcome(n int) string {
	if n == 0 {
		return "empty"
	}
	return "loaded"
}

// HasData reports whether the report's table holds any row of the tenant,
// so that a run can tell a report that has only ever been empty.
func (db *DB) HasData(ctx context.Context, spec *report.Spec, tenant string) (bool, error) {
	var ok bool
	q := `SELECT EXISTS (SELECT 1 FROM ` + pgx.Identifier{spec.Table}.Sanitize() + ` WHERE tenant_id = $1)`
	if err := db.Pool.QueryRow(ctx, q, tenant).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for rows of %s: %w", spec.Name, explain(err))
	}
	return ok, nil
}

// RecordFetch records a fetch that loaded nothing: outcome "not_modified" or
// "failed" (with the cause). The payload, when there is one, is kept (unless
// f.DropOnFailure) so that what Graph sent can be examined and replayed by
// its sha256 once the cause is fixed. It commits on its own, even when ctx
// is already cancelled.
func (db *DB) RecordFetch(ctx context.Context, f Fetch, outcome string, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	text := ""
	if cause != nil {
		text = Redact(cause.Error())
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if !(f.DropOnFailure && outcome == "failed") {
			if err := storePayload(ctx, tx, f.Payload); err != nil {
				return err
			}
		}
		return insertFetch(ctx, tx, f, outcome, nil, nil, text)
	})
	if err != nil {
		return fmt.Errorf("record fetch of %s: %w", f.Report.Name, explain(err))
	}
	return nil
}

func insertFetch(ctx context.Context, tx pgx.Tx, f Fetch, outcome string, c *Counts, rows []transform.Row, errText string) error {
	cols, args := fetchRow(f, outcome, c, rows, errText)
	params := make([]string, len(cols))
	for i := range cols {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	q := `INSERT INTO report_fetches (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(params, ", ") + `)`
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	return nil
}

// fetchRow is the report_fetches row of a fetch: its columns and values.
// Counts (rows_parsed, rows_inserted…) are there only when c is not nil.
func fetchRow(f Fetch, outcome string, c *Counts, rows []transform.Row, errText string) ([]string, []any) {
	var (
		contentType, sha *string
		bytes            *int64
	)
	if f.Payload != nil {
		contentType, sha = &f.Payload.ContentType, &f.Payload.SHA256
		if f.DropOnFailure && outcome == "failed" {
			sha = nil // not kept: nothing to reference
		}
		n := f.Payload.size()
		bytes = &n
	}
	sp := f.span
	if sp == nil {
		sp = &span{}
		for i := range rows {
			sp.add(&rows[i])
		}
	}
	refresh, oldest, newest := sp.refresh, sp.oldest, sp.newest
	var askedDate *time.Time
	if !f.AskedDate.IsZero() {
		askedDate = &f.AskedDate
	}
	var changed *bool
	if f.Report.Detail != nil && f.Concealed != nil {
		changed = &f.ConcealmentChanged
	}
	fetchedAt := f.FetchedAt
	if fetchedAt.IsZero() {
		fetchedAt = time.Now()
	}
	if contentType != nil {
		ct := auditText(*contentType)
		contentType = &ct
	}
	// Texts from outside (file name, server headers, column names, error
	// texts) are escaped where they are not UTF-8: see auditText.
	cols := []string{"run_id", "tenant_id", "report", "period", "source", "fetched_at", "http_status", "etag",
		"content_type", "bytes", "sha256", "report_refresh_date", "oldest_report_date", "newest_report_date",
		"unknown_columns", "duration_ms", "outcome", "error", "asked_date", "concealed", "concealed_setting", "concealment_changed"}
	args := []any{f.RunID, f.TenantID, f.Report.Name, nullIfZero(f.Period), auditText(f.Source), fetchedAt, nullIfZero(f.HTTPStatus), nullIfZero(auditText(f.ETag)),
		contentType, bytes, sha, refresh, oldest, newest,
		auditTexts(f.Unknown), f.Duration.Milliseconds(), outcome, nullIfZero(auditText(errText)),
		askedDate, f.Concealed, f.ConcealedSetting, changed}
	if c != nil {
		cols = append(cols, "rows_parsed", "rows_inserted", "rows_updated", "rows_unchanged", "rows_restated")
		args = append(args, c.Parsed, c.Inserted, c.Updated, c.Unchanged, c.Restated)
	}
	return cols, args
}

// nullIfZero is v, or NULL (nil) for v's zero value.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// merge writes one payload in one statement: it stores the payload (deduplicated by sha256), keeps in
// row_history the previous version of every row the payload restates,
// upserts the rows, records the fetch with its counts, and says whether the
// run lock (when db holds one) is still held. It returns how many rows were
// inserted, updated and restated.
//
// One statement rather than one for each part: a payload of 180 rows took
// 7 statements, each parsed, planned and answered on its own, and the
// statements, not the rows, were most of the time a small payload took.
//
// The rows reach it one of three ways. A payload of up to arrayRows rows
// goes as one array a column bound to the statement. A larger one is
// copied straight into the report's table when none of its keys can be
// there yet (copyDirect; the statement then only records it), else into
// the staging table the statement merges from.
func merge(ctx context.Context, tx pgx.Tx, f Fetch, rows []transform.Row, lock *RunLock, copyAll bool, tenantLock [2]int32) (inserted, updated, restated int, held bool, err error) {
	spec := f.Report
	st := stagingFor(spec)
	_, fetch := fetchRow(f, LoadOutcome(len(rows)), nil, rows, "")
	args := append([]any{f.RunID, f.TenantID}, fetch...)
	args = append(args, payloadRow(f.Payload)...)
	var pid *int32
	var key *int64
	if lock != nil {
		pid, key = &lock.pid, &lock.key
	}
	args = append(args, pid, key, len(rows))
	// One load at a time of a tenant's rows of a report, whatever run it is
	// part of (the run lock is per schema or per shard: a load-file or a
	// replay beside a shard's run, or shards of two different counts, load
	// at once). Taken before the statement that reads the table, so that
	// its snapshot sees what the load before it committed: the rule is
	// applied to the rows as they are, and no key turns up between the
	// statement's read and its insert.
	if st.arrays != "" && len(rows) <= arrayRows && !copyAll {
		// The rows go as one array a column, in the statement itself, sent
		// with the tenant's lock in one round trip (a statement's snapshot
		// is taken when it starts, after the lock is granted).
		args = append(args, arrayArgs(spec, rows)...)
		var b pgx.Batch
		b.Queue(tenantLockSQL, tenantLock[0], tenantLock[1])
		b.Queue(st.arrays, args...).QueryRow(func(r pgx.Row) error {
			return r.Scan(&restated, &inserted, &updated, &held)
		})
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return 0, 0, 0, false, fmt.Errorf("upsert: %w", err)
		}
		return inserted, updated, restated, held, nil
	}
	if _, err := tx.Exec(ctx, tenantLockSQL, tenantLock[0], tenantLock[1]); err != nil {
		return 0, 0, 0, false, fmt.Errorf("wait for other loads of tenant %s: %w", f.TenantID, err)
	}
	direct, err := copyDirect(ctx, tx, st, f, rows)
	if err != nil {
		return 0, 0, 0, false, err
	}
	q := directSQL
	if !direct {
		// The merge holds the staged rows, classified, in memory while it
		// writes them (the m of mergeSQL): within work_mem's default of
		// 4 MB, 100,000 rows went to a temporary file and back.
		if _, err := tx.Exec(ctx, st.create+"; SET LOCAL work_mem = '64MB'", pgx.QueryExecModeSimpleProtocol); err != nil {
			return 0, 0, 0, false, fmt.Errorf("create staging table: %w", err)
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{st.name}, dataColumns(spec), newRowSource(spec, f.TenantID, rows))
		if err != nil {
			return 0, 0, 0, false, fmt.Errorf("copy rows: %w", err)
		}
		if int(n) != len(rows) {
			return 0, 0, 0, false, fmt.Errorf("copy rows: copied %d of %d", n, len(rows))
		}
		q = st.merge
	}
	if err := tx.QueryRow(ctx, q, args...).Scan(&restated, &inserted, &updated, &held); err != nil {
		return 0, 0, 0, false, fmt.Errorf("upsert: %w", err)
	}
	return inserted, updated, restated, held, nil
}

// tenantLockSQL waits for the tenant's lock (see tenantLock).
const tenantLockSQL = `SELECT pg_advisory_xact_lock($1, $2)`

// tenantLock is the key of the transaction lock that lets one load at a
// time write a tenant's rows of a report (see merge): the two-int4 form of
// pg_advisory_xact_lock (objsubid 2 in pg_locks), apart from the run
// lock's bigint form (objsubid 1).
func (db *DB) tenantLock(f Fetch) [2]int32 {
	h := fnv.New32a()
	h.Write([]byte("ingest:load:" + db.Schema + "." + f.Report.Table))
	k := fnv.New32a()
	k.Write([]byte(f.TenantID))
	return [2]int32{int32(h.Sum32()), int32(k.Sum32())}
}

// uniqueKeys refuses rows of which two have the same key (spec.Key): the
// merge would apply one of them, whichever the server met last. transform
// refuses such a payload first, naming the lines; this holds Upsert to it
// whoever calls it, with transform's own check.
func uniqueKeys(spec *report.Spec, rows []transform.Row) error {
	if i, j, dup := transform.DuplicateKey(spec, rows); dup {
		return fmt.Errorf("rows %d and %d of the payload have the same key (%s): a payload has one row a key", i, j, strings.Join(spec.Key()[1:], ", "))
	}
	return nil
}

// copyDirect copies a large payload's rows straight into the report's
// table when the tenant has no row there in the payload's range of its
// first date key (report_date, or report_refresh_date for a snapshot
// report): every row is then new, the upsert rule inserts them all and
// replaces nothing, and they need no staging and no merge. A first
// backfill, and every day of a detail report, load this way at close to
// COPY's own speed. It reports whether it copied.
func copyDirect(ctx context.Context, tx pgx.Tx, st *staging, f Fetch, rows []transform.Row) (bool, error) {
	if len(rows) == 0 {
		return false, nil
	}
	byReportDate := f.Report.Key()[1] == report.ReportDate.Name
	lo, hi := rows[0].RefreshDate, rows[0].RefreshDate
	for i := range rows {
		d := rows[i].RefreshDate
		if byReportDate {
			d = rows[i].ReportDate
		}
		if i == 0 || d.Before(lo) {
			lo = d
		}
		if i == 0 || d.After(hi) {
			hi = d
		}
	}
	var now time.Time
	var fresh bool
	if err := tx.QueryRow(ctx, st.fresh, f.TenantID, lo, hi).Scan(&now, &fresh); err != nil {
		return false, fmt.Errorf("look for rows in the payload's range: %w", err)
	}
	if !fresh {
		return false, nil
	}
	src := newRowSource(f.Report, f.TenantID, rows)
	src.extra = []any{now, now, f.RunID} // loaded_at, changed_at, run_id
	n, err := tx.CopyFrom(ctx, pgx.Identifier{f.Report.Table}, append(dataColumns(f.Report), "loaded_at", "changed_at", "run_id"), src)
	if err != nil {
		return false, fmt.Errorf("copy rows: %w", err)
	}
	if int(n) != len(rows) {
		return false, fmt.Errorf("copy rows: copied %d of %d", n, len(rows))
	}
	return true, nil
}

// The parameters of a payload's statement (see merge): the run and the
// tenant, the report_fetches row, the payload, the run lock, the rows
// parsed, then (arrays) the rows' columns.
var (
	nFetchParams = len(fetchColumns)
	payloadParam = 3 + nFetchParams
	lockParam    = payloadParam + 6
	parsedParam  = lockParam + 2
	arraysParam  = parsedParam + 1
)

// arrayRows is the most rows a payload passes as arrays (see merge); a
// larger one is copied into the staging table (DB.copyAll: always, for the
// tests, which run the upsert rule through both ways). Past a few thousand
// rows COPY is the faster, and its rows need not be held twice.
const arrayRows = 5000

// staging is how a report's rows reach its merge statement: a payload of
// up to arrayRows rows as arrays, bound to the statement; a larger one
// copied into a temporary table per report and connection, created by the
// first such load of the report on the connection and emptied by every
// commit (ON COMMIT DELETE ROWS). Either way there is no table created and
// dropped per payload: that wrote a dozen catalog rows a payload (dead once
// dropped: pg_attribute and pg_class bloat where nothing vacuums them), and
// its statements were parsed and planned again every time.
type staging struct {
	name   string // the temporary table, unqualified (pg_temp is searched first)
	create string
	fresh  string // now(), and whether the tenant has no row in a range of the first date key (copyDirect)
	merge  string // over the temporary table
	arrays string // over arrays $3…; "" when a column cannot go as an array (a list)
}

var stagings sync.Map // *report.Spec → *staging

func stagingFor(spec *report.Spec) *staging {
	if st, ok := stagings.Load(spec); ok {
		return st.(*staging)
	}
	cols := dataColumns(spec)
	// The name holds a hash of the table and its columns, so that a
	// connection that outlives a change of the table's columns does not
	// reuse a staging table of the old shape.
	h := fnv.New32a()
	h.Write([]byte(spec.Table + "(" + strings.Join(cols, ",") + ")"))
	name := fmt.Sprintf("ingest_stage_%08x", h.Sum32())
	st := &staging{
		name: name,
		create: `CREATE TEMP TABLE IF NOT EXISTS ` + name + ` ON COMMIT DELETE ROWS AS SELECT ` +
			strings.Join(quoteAll(cols), ", ") + ` FROM ` + pgx.Identifier{spec.Table}.Sanitize() + ` WITH NO DATA`,
		merge: `WITH ` + mergeSQL(spec, name),
		fresh: `SELECT now(), NOT EXISTS (SELECT FROM ` + pgx.Identifier{spec.Table}.Sanitize() + ` WHERE tenant_id = $1 AND ` +
			pgx.Identifier{spec.Key()[1]}.Sanitize() + ` BETWEEN $2 AND $3)`,
	}
	if unnest, ok := unnestSQL(spec, arraysParam); ok {
		st.arrays = `WITH staged AS MATERIALIZED (` + unnest + `),
` + mergeSQL(spec, "staged")
	}
	got, _ := stagings.LoadOrStore(spec, st)
	return got.(*staging)
}

// unnestSQL is the rows of a payload made from arrays: the tenant is $2,
// every other data column an array ($first…, in dataColumns order, as
// arrayArgs makes them). A list column (text[]) cannot be an element of an
// array of rows: then false.
func unnestSQL(spec *report.Spec, first int) (string, bool) {
	types := map[string]string{report.ReportDate.Name: "date", report.RefreshDate.Name: "date", report.Period.Name: "integer"}
	for _, c := range spec.Fields() {
		if c.Type == report.List {
			return "", false
		}
		types[c.Name] = c.Type.SQL()
	}
	var arrays, names []string
	for _, c := range dataColumns(spec)[1:] { // all but tenant_id
		arrays = append(arrays, fmt.Sprintf("$%d::%s[]", len(arrays)+first, types[c]))
		names = append(names, pgx.Identifier{c}.Sanitize())
	}
	return `SELECT $2::text AS tenant_id, u.* FROM unnest(` + strings.Join(arrays, ", ") + `) AS u(` + strings.Join(names, ", ") + `)`, true
}

// arrayArgs are the arrays of unnestSQL: one a data column but tenant_id,
// of pgtype values (NULL where a value is missing), no allocation a value.
func arrayArgs(spec *report.Spec, rows []transform.Row) []any {
	s := newRowSource(spec, "", rows)
	var args []any
	for k, i := range s.src {
		switch i {
		case srcTenant:
			continue
		case srcReportDate, srcRefreshDate:
			a := make([]time.Time, len(rows))
			for j := range rows {
				if i == srcReportDate {
					a[j] = rows[j].ReportDate
				} else {
					a[j] = rows[j].RefreshDate
				}
			}
			args = append(args, a)
		case srcPeriod:
			a := make([]int32, len(rows))
			for j := range rows {
				a[j] = int32(rows[j].Period)
			}
			args = append(args, a)
		default:
			args = append(args, fieldArray(s.types[k], i, rows))
		}
	}
	return args
}

// fieldArray is field i of the rows as an array of its column's type t (see
// copyValue, which it follows value for value).
func fieldArray(t report.Type, i int, rows []transform.Row) any {
	switch t {
	case report.Bool:
		a := make([]pgtype.Bool, len(rows))
		for j := range rows {
			v := rows[j].Values[i]
			a[j] = pgtype.Bool{Bool: v.N != 0, Valid: v.Valid}
		}
		return a
	case report.Date:
		a := make([]pgtype.Date, len(rows))
		for j := range rows {
			if v := rows[j].Values[i]; v.Valid {
				a[j] = pgtype.Date{Time: time.Unix(v.N*86400, 0).UTC(), Valid: true}
			}
		}
		return a
	case report.Duration:
		a := make([]pgtype.Interval, len(rows))
		for j := range rows {
			if v := rows[j].Values[i]; v.Valid {
				a[j] = pgtype.Interval{Microseconds: time.Duration(v.N).Microseconds(), Valid: true}
			}
		}
		return a
	case report.Text:
		a := make([]pgtype.Text, len(rows))
		for j := range rows {
			v := rows[j].Values[i]
			a[j] = pgtype.Text{String: v.S, Valid: v.Valid}
		}
		return a
	}
	a := make([]pgtype.Int8, len(rows))
	for j := range rows {
		v := rows[j].Values[i]
		a[j] = pgtype.Int8{Int64: v.N, Valid: v.Valid}
	}
	return a
}

// dataColumns are the columns a payload provides, in COPY order: the key
// (spec.Key: tenant_id, report_date, or for a snapshot report tenant_id,
// report_refresh_date, report_period) first, then the other columns.
func dataColumns(spec *report.Spec) []string {
	cols := spec.Key()
	for _, c := range spec.Columns() {
		if !slices.Contains(cols, c.Name) {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgx.Identifier{n}.Sanitize()
	}
	return out
}

var periodCol = pgx.Identifier{report.Period.Name}.Sanitize()

// mergeSQL is the merge of a report's staged rows, the part of a
// payload's statement (see merge) that applies the upsert rule ($1 is the
// run id, $2 the payload's tenant): it copies to row_history the current
// version of every row that the payload overwrites with different metrics,
// inserts the rows whose key is new and updates the rows the rule says to
// (a refresh date the same or newer, and a value different), and counts
// each. All its parts read the report's table as it was when the statement
// began (one snapshot): row_history gets the versions the update replaces,
// and the insert and the update never meet the same row.
//
// A plain INSERT of the new keys and an UPDATE of the changed rows rather
// than INSERT … ON CONFLICT DO UPDATE: the speculative insertion cost a
// third of a 100,000-row load, and DO UPDATE locks the conflicting row
// (writing it and the WAL) even when its WHERE then says no, so a reload
// of unchanged data wrote every row. No other load writes the tenant's
// rows of the report meanwhile: each takes the tenant's lock first (see
// merge), so no key turns up between the snapshot and the insert, and no
// row changes under the update.
//
// The tenant is named so that the planner reads the tenant's rows by the
// primary key: it knows nothing of a staging table's size (a temporary
// table is never analyzed) and would otherwise hash all of the report's
// table, every tenant's rows, for 180 staged rows.
func mergeSQL(spec *report.Spec, stage string) string {
	cols := quoteAll(dataColumns(spec))
	key := quoteAll(spec.Key())
	target := pgx.Identifier{spec.Table}.Sanitize()
	var set, old, sOld []string
	for _, c := range cols[len(key):] { // all but the key
		set = append(set, c+" = s."+c)
		if c == periodCol {
			// The period is how the row was requested (D7 or D180), not a
			// value of the day: a backfill over nightly data changes nothing.
			continue
		}
		old = append(old, "t."+c)
		sOld = append(sOld, "s."+c)
	}
	var oldM, stageM, on []string
	for _, c := range quoteAll(metricNames(spec)) {
		oldM = append(oldM, "t."+c)
		stageM = append(stageM, "s."+c)
	}
	for _, k := range key {
		on = append(on, "s."+k+" = t."+k)
	}
	reportDate := "s.report_date"
	if !spec.Dated() {
		reportDate = "NULL::date"
	}
	onTenant := "t.tenant_id = $2 AND " + strings.Join(on, " AND ")
	rule := `s.report_refresh_date >= t.report_refresh_date AND (` + strings.Join(old, ", ") + `) IS DISTINCT FROM (` + strings.Join(sOld, ", ") + `)`
	metricsDiffer := `(` + strings.Join(oldM, ", ") + `) IS DISTINCT FROM (` + strings.Join(stageM, ", ") + `)`
	var sCols []string
	for _, c := range cols {
		sCols = append(sCols, "s."+c)
	}
	return `m AS MATERIALIZED (
  SELECT ` + strings.Join(sCols, ", ") + `,
    t.tenant_id IS NULL AS new,
    t.tenant_id IS NOT NULL AND ` + rule + ` AS upd,
    t.tenant_id IS NOT NULL AND ` + metricsDiffer + ` AS restates,
    CASE WHEN t.tenant_id IS NOT NULL AND s.report_refresh_date >= t.report_refresh_date AND ` + metricsDiffer + ` THEN to_jsonb(t) END AS old_row
  FROM ` + stage + ` s LEFT JOIN ` + target + ` t ON ` + onTenant + `
), history AS (
  INSERT INTO row_history (report_table, tenant_id, report_date, old_row, replaced_by_run)
  SELECT ` + quoteLiteral(spec.Table) + `, s.tenant_id, ` + reportDate + `, s.old_row, $1 FROM m s WHERE s.old_row IS NOT NULL
  RETURNING 1
), inserted AS (
  INSERT INTO ` + target + ` (` + strings.Join(cols, ", ") + `, loaded_at, changed_at, run_id)
  SELECT ` + strings.Join(sCols, ", ") + `, now(), now(), $1 FROM m s WHERE s.new
  RETURNING 1
), updated AS (
  UPDATE ` + target + ` t SET ` + strings.Join(set, ", ") + `,
    changed_at = CASE WHEN s.restates THEN now() ELSE t.changed_at END,
    run_id = CASE WHEN s.restates THEN $1 ELSE t.run_id END
  FROM m s
  WHERE s.upd AND ` + onTenant + `
  RETURNING 1
), counts AS (
  SELECT (SELECT count(*) FROM history)::int AS restated, (SELECT count(*) FROM inserted)::int AS inserted,
    (SELECT count(*) FROM updated)::int AS updated
), ` + recordSQL
}

// recordSQL is the end of a payload's statement, after the counts of what
// it did to the report's table: it stores the payload, records the fetch
// with the counts, and returns them with whether the run lock is held.
var recordSQL = `payload AS (
  INSERT INTO payloads (sha256, body, bytes, content_type, format, stream_id)
  SELECT ` + p(payloadParam) + `::text, ` + p(payloadParam+1) + `::bytea, ` + p(payloadParam+2) + `::bigint, ` + p(payloadParam+3) + `::text, ` + p(payloadParam+4) + `::text, ` + p(payloadParam+5) + `::bigint
  WHERE ` + p(payloadParam) + `::text IS NOT NULL
  ON CONFLICT (sha256) DO NOTHING
), fetched AS (
  INSERT INTO report_fetches (` + strings.Join(fetchColumns, ", ") + `, rows_parsed, rows_inserted, rows_updated, rows_unchanged, rows_restated)
  VALUES (` + strings.Join(fetchParams, ", ") + `, ` + p(parsedParam) + `,
    (SELECT inserted FROM counts), (SELECT updated FROM counts),
    ` + p(parsedParam) + ` - (SELECT inserted + updated FROM counts), (SELECT restated FROM counts))
)
SELECT restated, inserted, updated,
  ` + p(lockParam) + `::int IS NULL OR EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ` + p(lockParam) + `::int
    AND objsubid = 1 AND (classid::bigint << 32 | objid::bigint) = ` + p(lockParam+1) + `::bigint
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
FROM counts`

// directSQL records a payload whose rows were copied straight into the
// report's table (see merge): all of them inserted. ($1 and $2, the run and
// the tenant, are in the fetch's row already; they are named so that every
// parameter has a type.)
var directSQL = `WITH counts AS (
  SELECT 0 AS restated, ` + p(parsedParam) + `::int AS inserted, 0 AS updated, $1::bigint AS run_id, $2::text AS tenant_id
), ` + recordSQL

// p is parameter i of a statement, $i.
func p(i int) string { return "$" + strconv.Itoa(i) }

// fetchColumns are the report_fetches columns fetchRow gives (without the
// counts); fetchParams their parameters in a payload's statement, from $3.
var fetchColumns, fetchParams = func() ([]string, []string) {
	cols, _ := fetchRow(Fetch{Report: &report.Spec{}}, "", nil, nil, "")
	params := make([]string, len(cols))
	for i := range cols {
		params[i] = p(3 + i)
	}
	return cols, params
}()

func metricNames(spec *report.Spec) []string {
	out := make([]string, len(spec.Metrics))
	for i, c := range spec.Metrics {
		out[i] = c.Name
	}
	return out
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// rowSource feeds transform rows to COPY without building [][]any, in the
// order of dataColumns.
type rowSource struct {
	rows   []transform.Row
	tenant string
	src    []int         // per data column: a fixed column (srcTenant...) or a field index
	types  []report.Type // per data column that is a field
	i      int
	buf    []any
	extra  []any // appended to every row (copyDirect's bookkeeping)
}

// The fixed data columns of rowSource.src; a field is its index, 0 or more.
const (
	srcTenant = -1 - iota
	srcReportDate
	srcRefreshDate
	srcPeriod
)

func newRowSource(spec *report.Spec, tenant string, rows []transform.Row) *rowSource {
	s := &rowSource{rows: rows, tenant: tenant}
	fields := spec.Fields()
	for _, name := range dataColumns(spec) {
		i, t := 0, report.Count
		switch name {
		case report.TenantID:
			i = srcTenant
		case report.ReportDate.Name:
			i = srcReportDate
		case report.RefreshDate.Name:
			i = srcRefreshDate
		case report.Period.Name:
			i = srcPeriod
		default:
			i = slices.IndexFunc(fields, func(c report.Column) bool { return c.Name == name })
			t = fields[i].Type
		}
		s.src, s.types = append(s.src, i), append(s.types, t)
	}
	return s
}

// copyHook, when set by a test, is called before each row is handed to COPY.
var copyHook func(row int)

func (s *rowSource) Next() bool {
	s.i++
	if copyHook != nil && s.i <= len(s.rows) {
		copyHook(s.i)
	}
	return s.i <= len(s.rows)
}
func (s *rowSource) Err() error { return nil }
func (s *rowSource) Values() ([]any, error) {
	r := &s.rows[s.i-1]
	s.buf = s.buf[:0]
	for k, i := range s.src {
		switch i {
		case srcTenant:
			s.buf = append(s.buf, s.tenant)
		case srcReportDate:
			s.buf = append(s.buf, r.ReportDate)
		case srcRefreshDate:
			s.buf = append(s.buf, r.RefreshDate)
		case srcPeriod:
			s.buf = append(s.buf, int32(r.Period))
		default:
			s.buf = append(s.buf, copyValue(s.types[k], r.Values[i]))
		}
	}
	s.buf = append(s.buf, s.extra...)
	return s.buf, nil
}

// copyValue is what COPY takes for a value of a column of type t (see
// transform.Value); nil is NULL.
func copyValue(t report.Type, v transform.Value) any {
	if !v.Valid {
		return nil
	}
	switch t {
	case report.Bool:
		return v.N != 0
	case report.Date:
		return time.Unix(v.N*86400, 0).UTC()
	case report.Duration:
		return time.Duration(v.N)
	case report.Text:
		return v.S
	case report.List:
		return splitList(v.S)
	}
	return v.N
}

// splitList splits a '+'-separated list (Assigned Products), each item
// trimmed, empty items dropped.
func splitList(s string) []string {
	out := []string{}
	for _, item := range strings.Split(s, "+") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Columns are the columns of spec's table that a payload provides, in the
// order the load copies them (the key first); CopyRows is the rows of one
// payload as the load copies them into those columns. The benchmark copies
// the same rows the same way into a bare table to measure the limit.
func Columns(spec *report.Spec) []string { return dataColumns(spec) }

// CopyRows: see Columns.
func CopyRows(spec *report.Spec, tenant string, rows []transform.Row) pgx.CopyFromSource {
	return newRowSource(spec, tenant, rows)
}
