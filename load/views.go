package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/sql/views"
)

// viewFile is one rendered file of sql/views.
type viewFile struct {
	name   string
	sql    string
	sum    string
	views  []string // the views it creates, in order
	detail bool     // its views are detail views (grantMarkerRE)
}

var createViewRE = regexp.MustCompile(`(?i)\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+("?[A-Za-z_][A-Za-z0-9_]*"?)`)

// grantMarkerRE finds the marker of a view file whose views are detail
// views: a line of its own reading
//
//	-- ingest:grant detail
//
// A detail view shows per-entity data (a row per user, mailbox, site, group
// or team, or figures computed from such rows that name nobody but that an
// analyst was not cleared for): DESIGN.md says those reach a reader role
// only by `grant-reader --detail`. The mark is per file, not per view name,
// so that a view's name says what it answers rather than who may read it;
// the views over the detail tables live in files of their own
// (sql/views/120_detail.sql, 130_detail_analysis.sql), and a view about the
// detail reports that names nobody (detail_concealment_changes) lives in an
// unmarked file. TestDetailDataOnlyInDetailViews fails when an unmarked view
// shows a column of a detail table (other than its tenant, day and period)
// or of a detail view. applied_views.detail records the mark.
var grantMarkerRE = regexp.MustCompile(`(?m)^--[ \t]*ingest:grant[ \t]+(\S+)[ \t]*$`)

// viewData is what view templates see: every report of the spec table, so a
// view over all report tables (ingest_gaps) needs no edit when a report is
// added.
type viewData struct {
	// Reports are the aggregate reports (a row per day, or per period);
	// Details the per-entity detail reports (report.Detail), whose views
	// are their own and reach readers only by grant-reader --detail.
	Reports []*report.Spec
	Details []*report.Spec
}

// viewFuncs are the functions view templates may call, so that a view's
// COMMENTs come from the report-spec table rather than being written by
// hand for every column:
//
//	report NAME          the *report.Spec of a report (its short name)
//	metric SPEC COLUMN   what a metric column of the report means
//	common NAME          what a column that many views share means
//	lit TEXT             TEXT as a SQL string literal
//	args V...            its arguments as a list, to pass a define several
//
// and, for the detail views (sql/views/120_detail.sql):
//
//	dimsText SPEC        ", col" for each dimension of SPEC besides
//	                     entity_key and concealed (the activations' product_type)
//	currentRule SPEC     how SPEC's _current view picks an entity's row
var viewFuncs = template.FuncMap{
	"report": func(name string) (*report.Spec, error) {
		for _, s := range report.All {
			if s.Name == name {
				return s, nil
			}
		}
		return nil, fmt.Errorf("no report %q in the report-spec table", name)
	},
	"metric": metricText,
	"common": func(name string) (string, error) {
		text, ok := commonColumns[name]
		if !ok {
			return "", fmt.Errorf("no description for the common column %q", name)
		}
		return text, nil
	},
	"lit":  quoteLiteral,
	"args": func(v ...any) []any { return v },
	"dimsText": func(s *report.Spec) string {
		var out string
		for _, d := range s.Dims {
			if d.Name != report.EntityKey.Name && d.Name != report.Concealed.Name {
				out += ", " + d.Name
			}
		}
		return out
	},
	"currentRule": func(s *report.Spec) (string, error) {
		switch {
		case s.Detail == nil:
			return "", fmt.Errorf("report %s is not a detail report", s.Name)
		case s.Detail.ByDate:
			return "from its newest day (rows of one day, report_period 1, only: the report is fetched a day at a time, and rows of a period, from a file, would mix a period's totals with a day's)", nil
		}
		return "from the newest refresh date, the shortest period of that date first", nil
	},
	// For the long usage views (sql/views/100_usage.sql):
	//	numeric SPEC       the metrics of SPEC that aggregate as numbers
	//	value COLUMN       its value as numeric (a duration in seconds)
	//	dimension SPEC     SQL of the row's dimension values, or NULL
	"numeric": func(s *report.Spec) []report.Column {
		var out []report.Column
		for _, c := range s.Metrics {
			if c.Type.Numeric() {
				out = append(out, c)
			}
		}
		return out
	},
	"value": func(c report.Column) string {
		col := "t." + pgx.Identifier{c.Name}.Sanitize()
		if c.Type == report.Duration {
			return "extract(epoch FROM " + col + ")"
		}
		return col + "::numeric"
	},
	"dimension": func(s *report.Spec) string {
		if len(s.Dims) == 0 {
			return "NULL::text"
		}
		var parts []string
		for _, d := range s.Dims {
			parts = append(parts, "t."+pgx.Identifier{d.Name}.Sanitize())
		}
		return "concat_ws(', ', " + strings.Join(parts, ", ") + ")"
	},
}

// metricText describes a metric column of a report for COMMENT ON COLUMN:
// the report's title, the CSV header it comes from, and how it may be
// aggregated.
func metricText(s *report.Spec, c report.Column) string {
	text := fmt.Sprintf(`%s; this column is "%s" (%s, table %s). NULL when the cell was empty`,
		s.Title, c.Header, s.Function, s.Table)
	if !s.Snapshot && s.Detail == nil {
		text += " or the report has no row for the day"
	}
	text += "."
	if s.Detail != nil {
		switch c.Type {
		case report.List:
			text += " A list (the CSV cell's values, '+'-separated)."
		case report.Duration:
			text += " A duration (interval)."
		}
		if slices.Contains(s.Detail.Names, c.Header) {
			text += " A name: 32 hexadecimal digits instead when Microsoft conceals names (see concealed)."
		}
	}
	if strings.HasSuffix(s.Function, "UserCounts") {
		text += " Unique users of one day: average them or take the peak across days, never sum them."
	}
	return text
}

// commonColumns describes the columns that many views share.
var commonColumns = map[string]string{
	"tenant_id":           "Entra tenant id (a GUID) the data came from.",
	"report":              "Report short name, as `ingest reports` lists it and --report takes it.",
	"report_date":         "The day the values are for.",
	"report_refresh_date": "The newest date on which Microsoft refreshed the values of this row (Report Refresh Date); when a row joins several reports, the newest of theirs.",
	"report_period":       "Days of the period the report was requested for (7, 30, 90 or 180).",
	"week_start":          "Monday of the ISO week.",
	"week_end":            "Sunday of the ISO week.",
	"month_start":         "First day of the calendar month.",
	"month_end":           "Last day of the calendar month.",
	"days_in_month":       "Number of days of the calendar month.",
	"days_covered":        "Days of the week or month that have a row in at least one of the reports of this view. A day can have a row and still an empty (NULL) cell: each metric's own count of days is its *_days column.",
	"partial_week":        "True when fewer than 7 days of the week have a row (the current week, or a gap). A day with a row but an empty cell does not make it partial: compare each metric's *_days column with 7.",
	"partial_month":       "True when fewer days of the month than it has have a row (the current month, or a gap). A day with a row but an empty cell does not make it partial: compare each metric's *_days column with days_in_month.",
	// The detail (per-entity) reports' key columns.
	"detail_report_date":   "The day the row describes: the day asked for when Graph was asked for one day (date=, report_period 1); else the Report Refresh Date, the row covering the report_period days up to it.",
	"detail_report_period": "Days the row covers: 1 for a row of one day (date=), 7, 30, 90 or 180 for a row of a period (period=), 0 for a report that takes no period (the activations: as of the refresh date).",
	"detail_refresh_date":  "The date Microsoft refreshed the values of this row (Report Refresh Date).",
	"entity_key":           "The entity the row is about: its id (User Id, Group Id, Site Id, Team Id) when the report has one and it is neither empty nor the nil GUID Microsoft writes when it conceals names, else its name (User Principal Name, Site URL, Group Display Name, Team Name). A concealed name is 32 hexadecimal digits.",
	"concealed":            "True when Microsoft concealed the names of the payload the row came from (32 hexadecimal digits instead of names). The same person, group or site has another entity_key when concealed than when not: they are kept apart, never matched.",
	"as_of":                "The day of the row the figures are from (its report_date): inactivity and lack of use are counted up to it, not to today.",
}

// embeddedViews is the rendering of views.FS: it and the report-spec table
// are fixed for the life of the process, so every schema a process migrates
// (a test suite's hundreds, or a night's tenants) shares one rendering.
var embeddedViews = sync.OnceValues(func() ([]viewFile, error) { return renderViews(views.FS) })

// renderViewsOf is renderViews, rendered once for the embedded views.
func renderViewsOf(fsys fs.FS) ([]viewFile, error) {
	if e, ok := fsys.(embed.FS); ok && e == views.FS {
		return embeddedViews()
	}
	return renderViews(fsys)
}

// renderViews reads every *.sql file of fsys in name order (which is
// dependency order: a file may use views of earlier files) and renders it as
// a text/template over the report-spec table.
func renderViews(fsys fs.FS) ([]viewFile, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var data viewData
	for _, s := range report.All {
		if s.Detail != nil {
			data.Details = append(data.Details, s)
		} else {
			data.Reports = append(data.Reports, s)
		}
	}
	var out []viewFile
	for _, n := range names {
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(n).Option("missingkey=error").Funcs(viewFuncs).Parse(string(body))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		vf := viewFile{name: n, sql: buf.String(), sum: hex.EncodeToString(sum[:])}
		for _, m := range createViewRE.FindAllStringSubmatch(vf.sql, -1) {
			vf.views = append(vf.views, strings.Trim(m[1], `"`))
		}
		if len(vf.views) == 0 {
			return nil, fmt.Errorf("%s creates no view", n)
		}
		for _, m := range grantMarkerRE.FindAllStringSubmatch(vf.sql, -1) {
			if m[1] != "detail" {
				return nil, fmt.Errorf("%s: unknown marker %q (the one known is -- ingest:grant detail)", n, strings.TrimSpace(m[0]))
			}
			vf.detail = true
		}
		out = append(out, vf)
	}
	return out, nil
}

// applyViews (re)creates the views when their SQL changed since they were
// last applied, or when one of them is missing, and does nothing otherwise.
// On a change it first replaces them in place (CREATE OR REPLACE keeps
// grants and any view an analyst built on ours); when a view's columns
// changed so that this is impossible, it drops our views, without CASCADE,
// and creates them again, all in one transaction. A view of someone else's
// that depends on ours stops the migration with an error naming it, rather
// than being dropped silently. Grants to reader roles are re-applied.
func (db *DB) applyViews(ctx context.Context, fsys fs.FS) error {
	files, err := renderViewsOf(fsys)
	if err != nil {
		return fmt.Errorf("views: %w", err)
	}
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("views", db.Schema)); err != nil {
			return fmt.Errorf("views: lock: %w", explain(err))
		}
		rows, err := tx.Query(ctx, `SELECT file, sha256, view_names, detail FROM applied_views ORDER BY file`)
		if err != nil {
			return fmt.Errorf("views: %w", explain(err))
		}
		type applied struct {
			file, sum string
			views     []string
			detail    bool
		}
		old, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (applied, error) {
			var a applied
			err := r.Scan(&a.file, &a.sum, &a.views, &a.detail)
			return a, err
		})
		if err != nil {
			return fmt.Errorf("views: %w", explain(err))
		}
		var missing int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS v(name)
			WHERE NOT EXISTS (SELECT 1 FROM pg_views WHERE schemaname = $2 AND viewname = v.name)`,
			allViews(files), db.Schema).Scan(&missing); err != nil {
			return fmt.Errorf("views: %w", explain(err))
		}
		same := missing == 0 && len(old) == len(files)
		for i := 0; same && i < len(files); i++ {
			same = old[i].file == files[i].name && old[i].sum == files[i].sum && old[i].detail == files[i].detail
		}
		if same {
			return nil
		}

		var oldViews []string
		for _, a := range old {
			oldViews = append(oldViews, a.views...)
		}
		if err := replaceViews(ctx, tx, files, oldViews); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM applied_views`); err != nil {
			return fmt.Errorf("views: %w", explain(err))
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO applied_views (file, view_names, sha256, detail) VALUES ($1, $2, $3, $4)`, f.name, f.views, f.sum, f.detail); err != nil {
				return fmt.Errorf("views: %w", explain(err))
			}
			db.log.Info("view applied", "file", f.name, "views", f.views, "detail", f.detail)
		}
		plain, detail := splitViews(files)
		return grantReaders(ctx, tx, db.Schema, plain, detail)
	})
}

// replaceViews applies the files in place when it can, file by file in
// dependency order. From the first file that cannot be applied in place
// (its views' columns changed), it drops that file's views and every view
// of ours that may be built on them (those of later files, and old views
// no earlier file re-created), dependents first, and creates them again;
// the earlier files' views stay as replaced, so what an analyst built on
// them is kept. Views of ours that no file creates any more are dropped.
func replaceViews(ctx context.Context, tx pgx.Tx, files []viewFile, oldViews []string) error {
	newViews := allViews(files)
	for i, f := range files {
		err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error { // a savepoint
			_, err := tx.Exec(ctx, f.sql)
			return err
		})
		if err == nil {
			continue
		}
		// Drop, newest first so that views built on earlier ones go first:
		// the old views in reverse creation order (the dependencies that
		// exist), then any new name not among them; but not the views that
		// the files before this one have just replaced.
		kept := allViews(files[:i])
		drop := slices.Clone(oldViews)
		slices.Reverse(drop)
		rev := allViews(files[i:])
		slices.Reverse(rev)
		for _, v := range dedupe(append(drop, rev...)) {
			if slices.Contains(kept, v) {
				continue
			}
			if err := dropView(ctx, tx, v); err != nil {
				return err
			}
		}
		for _, f := range files[i:] {
			if _, err := tx.Exec(ctx, f.sql); err != nil {
				return fmt.Errorf("views: apply %s: %w", f.name, explain(err))
			}
		}
		break
	}
	for i := len(oldViews) - 1; i >= 0; i-- {
		if v := oldViews[i]; !slices.Contains(newViews, v) {
			if err := dropView(ctx, tx, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func dropView(ctx context.Context, tx pgx.Tx, v string) error {
	if _, err := tx.Exec(ctx, `DROP VIEW IF EXISTS `+pgx.Identifier{v}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "2BP01" { // dependent_objects_still_exist
			return fmt.Errorf("views: %s must be re-created but other objects depend on it (%s); drop them, migrate, and create them again", v, text.OneLine(pe.Detail))
		}
		return fmt.Errorf("views: drop %s: %w", v, explain(err))
	}
	return nil
}

func allViews(files []viewFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.views...)
	}
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// splitViews divides the files' views into the plain views, which every
// reader role gets, and the detail views, which only the roles granted with
// --detail get (grantMarkerRE).
func splitViews(files []viewFile) (plain, detail []string) {
	for _, f := range files {
		if f.detail {
			detail = append(detail, f.views...)
		} else {
			plain = append(plain, f.views...)
		}
	}
	return plain, detail
}

// grantReaders gives every recorded reader role USAGE on the schema and
// SELECT on the plain views, and on the detail views too when it was
// granted with --detail (reader_roles.detail). A role granted without
// --detail loses SELECT on the detail views, should it hold it: a view
// that a new version makes a detail view keeps its grants when it is
// replaced in place (CREATE OR REPLACE), and they must not outlive the
// change.
func grantReaders(ctx context.Context, tx pgx.Tx, schema string, plain, detail []string) error {
	type reader struct {
		role   string
		detail bool
	}
	rows, err := tx.Query(ctx, `SELECT role_name, detail FROM reader_roles ORDER BY role_name`)
	if err != nil {
		return fmt.Errorf("views: %w", explain(err))
	}
	roles, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (reader, error) {
		var x reader
		err := r.Scan(&x.role, &x.detail)
		return x, err
	})
	if err != nil {
		return fmt.Errorf("views: %w", explain(err))
	}
	for _, r := range roles {
		if err := grantRole(ctx, tx, schema, r.role, plain, detail, r.detail); err != nil {
			return err
		}
	}
	return nil
}

// grantRole gives role USAGE on the schema and SELECT on the plain views;
// on the detail views too with withDetail, else it revokes SELECT on them.
func grantRole(ctx context.Context, tx pgx.Tx, schema, role string, plain, detail []string, withDetail bool) error {
	r := pgx.Identifier{role}.Sanitize()
	if _, err := tx.Exec(ctx, `GRANT USAGE ON SCHEMA `+pgx.Identifier{schema}.Sanitize()+` TO `+r); err != nil {
		return fmt.Errorf("grant usage on schema %s to %s: %w", schema, role, explain(err))
	}
	grant := plain
	if withDetail {
		grant = append(slices.Clone(plain), detail...)
	}
	for _, v := range grant {
		if _, err := tx.Exec(ctx, `GRANT SELECT ON `+pgx.Identifier{v}.Sanitize()+` TO `+r); err != nil {
			return fmt.Errorf("grant select on %s to %s: %w", v, role, explain(err))
		}
	}
	if withDetail {
		return nil
	}
	for _, v := range detail {
		if _, err := tx.Exec(ctx, `REVOKE SELECT ON `+pgx.Identifier{v}.Sanitize()+` FROM `+r); err != nil {
			return fmt.Errorf("revoke select on %s from %s: %w", v, role, explain(err))
		}
	}
	return nil
}

// ReaderGrant is what GrantReader gave a role.
type ReaderGrant struct {
	// Views are the views the role can read: the plain views in file
	// order, then (with --detail) the detail views.
	Views []string
	// Withheld are the detail views it cannot (granted without --detail);
	// nil with --detail.
	Withheld []string
}

// GrantReader lets role read the views (and nothing else) of the schema, now
// and after every later re-creation of the views. The role must exist.
// Without detail the role gets the plain views only, and loses the detail
// views (per user, site, group or team: see grantMarkerRE) should an earlier
// grant have given it them; with detail it gets those too. reader_roles
// records the choice, which every later migration applies to the views it
// creates.
func (db *DB) GrantReader(ctx context.Context, role string, detail bool) (ReaderGrant, error) {
	var g ReaderGrant
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return explain(err)
		}
		if !exists {
			return &ConfigError{fmt.Sprintf("role %q does not exist: create it first (CREATE ROLE %s LOGIN PASSWORD '...')", role, pgx.Identifier{role}.Sanitize())}
		}
		rows, err := tx.Query(ctx, `SELECT v, a.detail FROM applied_views a, unnest(a.view_names) WITH ORDINALITY AS u(v, n) ORDER BY a.file, u.n`)
		if err != nil {
			return explain(err)
		}
		var plain, detailViews []string
		var v string
		var isDetail bool
		if _, err := pgx.ForEachRow(rows, []any{&v, &isDetail}, func() error {
			if isDetail {
				detailViews = append(detailViews, v)
			} else {
				plain = append(plain, v)
			}
			return nil
		}); err != nil {
			return explain(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reader_roles (role_name, detail) VALUES ($1, $2)
			ON CONFLICT (role_name) DO UPDATE SET detail = EXCLUDED.detail`, role, detail); err != nil {
			return explain(err)
		}
		g.Views = plain
		if detail {
			g.Views = append(slices.Clone(plain), detailViews...)
		} else {
			g.Withheld = detailViews
		}
		return grantRole(ctx, tx, db.Schema, role, plain, detailViews, detail)
	})
	if err != nil {
		return ReaderGrant{}, fmt.Errorf("grant-reader %s: %w", role, err)
	}
	return g, nil
}
