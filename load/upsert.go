package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// Payload is a report body as received.
type Payload struct {
	SHA256      string
	Body        []byte
	ContentType string
	Format      report.Format
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
}

// Counts says what a load did to the report's table.
type Counts struct {
	Parsed, Inserted, Updated, Unchanged int
	// Restated counts the updated rows whose metrics changed; their previous
	// versions are kept in row_history.
	Restated int
}

// Upsert loads the rows of one payload in one transaction: the payload is
// stored (deduplicated by sha256), the rows are copied into a staging table
// and merged by the upsert rule, and the fetch is recorded as loaded (as
// empty when the payload has no row: see LoadOutcome). Either all of it
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
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := storePayload(ctx, tx, f.Payload); err != nil {
			return err
		}
		var err error
		c.Inserted, c.Updated, c.Restated, err = merge(ctx, tx, f, rows)
		if err != nil {
			return err
		}
		c.Unchanged = c.Parsed - c.Inserted - c.Updated
		if err := insertFetch(ctx, tx, f, LoadOutcome(len(rows)), &c, rows, ""); err != nil {
			return err
		}
		// Commit only while this run holds the run lock: once it is lost,
		// another run may be loading.
		return db.checkLock(ctx, tx)
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
	const q = `INSERT INTO report_fetches (run_id, tenant_id, report, period, source, fetched_at, http_status, etag,
		content_type, bytes, sha256, report_refresh_date, oldest_report_date, newest_report_date,
		rows_parsed, rows_inserted, rows_updated, rows_unchanged, rows_restated, unknown_columns, duration_ms, outcome, error)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6, nullif($7, 0), nullif($8, ''), $9, $10, $11, $12, $13, $14,
		$15, $16, $17, $18, $19, $20, $21, $22, nullif($23, ''))`
	var (
		contentType, sha *string
		bytes            *int64
	)
	if f.Payload != nil {
		contentType, sha = &f.Payload.ContentType, &f.Payload.SHA256
		if f.DropOnFailure && outcome == "failed" {
			sha = nil // not kept: nothing to reference
		}
		n := int64(len(f.Payload.Body))
		bytes = &n
	}
	var refresh, oldest, newest *time.Time
	for i := range rows {
		r := &rows[i]
		if refresh == nil || r.RefreshDate.After(*refresh) {
			refresh = &r.RefreshDate
		}
		if r.ReportDate.IsZero() {
			continue // a snapshot report has no report date
		}
		if oldest == nil || r.ReportDate.Before(*oldest) {
			oldest = &r.ReportDate
		}
		if newest == nil || r.ReportDate.After(*newest) {
			newest = &r.ReportDate
		}
	}
	var parsed, inserted, updated, unchanged, restated *int
	if c != nil {
		parsed, inserted, updated, unchanged, restated = &c.Parsed, &c.Inserted, &c.Updated, &c.Unchanged, &c.Restated
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
	_, err := tx.Exec(ctx, q, f.RunID, f.TenantID, f.Report.Name, f.Period, auditText(f.Source), fetchedAt, f.HTTPStatus, auditText(f.ETag),
		contentType, bytes, sha, refresh, oldest, newest, parsed, inserted, updated, unchanged, restated,
		auditTexts(f.Unknown), f.Duration.Milliseconds(), outcome, auditText(errText))
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	return nil
}

// merge copies rows into a temporary staging table, keeps the previous
// version of every row whose metrics the payload restates, and upserts the
// rows into the report's table with one statement. It returns how many rows
// were inserted, updated and restated.
func merge(ctx context.Context, tx pgx.Tx, f Fetch, rows []transform.Row) (inserted, updated, restated int, err error) {
	spec := f.Report
	cols := dataColumns(spec)
	target := pgx.Identifier{spec.Table}.Sanitize()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE ingest_stage ON COMMIT DROP AS SELECT `+
		strings.Join(quoteAll(cols), ", ")+` FROM `+target+` WITH NO DATA`); err != nil {
		return 0, 0, 0, fmt.Errorf("create staging table: %w", err)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"ingest_stage"}, cols, newRowSource(spec, f.TenantID, rows))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("copy rows: %w", err)
	}
	if int(n) != len(rows) {
		return 0, 0, 0, fmt.Errorf("copy rows: copied %d of %d", n, len(rows))
	}
	tag, err := tx.Exec(ctx, historySQL(spec), f.RunID)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("keep restated rows: %w", err)
	}
	restated = int(tag.RowsAffected())
	res, err := tx.Query(ctx, upsertSQL(spec), f.RunID)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("upsert: %w", err)
	}
	for res.Next() {
		var isInsert bool
		if err := res.Scan(&isInsert); err != nil {
			res.Close()
			return 0, 0, 0, fmt.Errorf("upsert: %w", err)
		}
		if isInsert {
			inserted++
		} else {
			updated++
		}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, 0, 0, fmt.Errorf("upsert: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP TABLE ingest_stage`); err != nil {
		return 0, 0, 0, fmt.Errorf("drop staging table: %w", err)
	}
	return inserted, updated, restated, nil
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

// upsertSQL builds the merge statement for a report. $1 is the run id.
func upsertSQL(spec *report.Spec) string {
	cols := quoteAll(dataColumns(spec))
	key := quoteAll(spec.Key())
	var set, old, inc []string
	for _, c := range cols[len(key):] { // all but the key
		set = append(set, c+" = EXCLUDED."+c)
		if c == periodCol {
			// The period is how the row was requested (D7 or D180), not a
			// value of the day: a backfill over nightly data changes nothing.
			continue
		}
		old = append(old, "t."+c)
		inc = append(inc, "EXCLUDED."+c)
	}
	var oldM, incM []string
	for _, c := range quoteAll(metricNames(spec)) {
		oldM = append(oldM, "t."+c)
		incM = append(incM, "EXCLUDED."+c)
	}
	// changed_at and run_id say when and by which run a value last changed:
	// a newer refresh that restates nothing moves the refresh date only.
	valueChanged := `(` + strings.Join(oldM, ", ") + `) IS DISTINCT FROM (` + strings.Join(incM, ", ") + `)`
	return `INSERT INTO ` + pgx.Identifier{spec.Table}.Sanitize() + ` AS t (` + strings.Join(cols, ", ") + `, loaded_at, changed_at, run_id)
SELECT ` + strings.Join(cols, ", ") + `, now(), now(), $1 FROM ingest_stage
ON CONFLICT (` + strings.Join(key, ", ") + `) DO UPDATE SET ` + strings.Join(set, ", ") + `,
  changed_at = CASE WHEN ` + valueChanged + ` THEN EXCLUDED.changed_at ELSE t.changed_at END,
  run_id = CASE WHEN ` + valueChanged + ` THEN EXCLUDED.run_id ELSE t.run_id END
WHERE EXCLUDED.report_refresh_date >= t.report_refresh_date
  AND (` + strings.Join(old, ", ") + `) IS DISTINCT FROM (` + strings.Join(inc, ", ") + `)
RETURNING (xmax = 0)`
}

func metricNames(spec *report.Spec) []string {
	out := make([]string, len(spec.Metrics))
	for i, c := range spec.Metrics {
		out[i] = c.Name
	}
	return out
}

// historySQL copies to row_history the current version of every row that the
// staged payload will overwrite with different metrics. It runs before
// upsertSQL, in the same transaction, under the same rule ($1 is the run id).
func historySQL(spec *report.Spec) string {
	var old, inc, on []string
	for _, n := range quoteAll(metricNames(spec)) {
		old = append(old, "t."+n)
		inc = append(inc, "s."+n)
	}
	for _, k := range spec.Key() {
		n := pgx.Identifier{k}.Sanitize()
		on = append(on, "s."+n+" = t."+n)
	}
	reportDate := "t.report_date"
	if !spec.Dated() {
		reportDate = "NULL::date"
	}
	return `INSERT INTO row_history (report_table, tenant_id, report_date, old_row, replaced_by_run)
SELECT ` + quoteLiteral(spec.Table) + `, t.tenant_id, ` + reportDate + `, to_jsonb(t), $1
FROM ` + pgx.Identifier{spec.Table}.Sanitize() + ` t
JOIN ingest_stage s ON ` + strings.Join(on, " AND ") + `
WHERE s.report_refresh_date >= t.report_refresh_date
  AND (` + strings.Join(old, ", ") + `) IS DISTINCT FROM (` + strings.Join(inc, ", ") + `)`
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
