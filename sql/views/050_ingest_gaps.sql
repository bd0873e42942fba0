-- Per tenant and report: every report date missing between the first and the
-- newest date loaded. Rendered over the report-spec table, so a new report
-- appears here without an edit; snapshot reports (no report date) have no
-- gaps to show. The detail reports fetched a day at a time (date=) count
-- their days of one day (report_period 1); the others (period= snapshots)
-- have no days to miss. A detail table has a row per entity and day, up to
-- millions: its days are found by skipping through its primary key (tenant,
-- day, ...) a day at a time (<table>_days), not by reading every row.
CREATE OR REPLACE VIEW ingest_gaps AS
WITH RECURSIVE
{{- range .Details}}{{if .Detail.ByDate}}
{{.Table}}_days (tenant_id, report_date) AS (
    (SELECT tenant_id, report_date FROM {{.Table}} WHERE report_period = 1 ORDER BY tenant_id, report_date LIMIT 1)
    UNION ALL
    SELECT n.tenant_id, n.report_date
    FROM {{.Table}}_days p
    CROSS JOIN LATERAL (
        SELECT t.tenant_id, t.report_date FROM {{.Table}} t
        WHERE t.report_period = 1 AND (t.tenant_id, t.report_date) > (p.tenant_id, p.report_date)
        ORDER BY t.tenant_id, t.report_date LIMIT 1
    ) n
),
{{- end}}{{end}}
loaded AS (
{{- $first := true}}
{{- range .Reports}}{{if .Dated}}
    {{if not $first}}UNION ALL {{end}}{{$first = false}}SELECT '{{.Name}}'::text AS report, tenant_id, report_date FROM {{.Table}}
{{- end}}{{end}}
{{- range .Details}}{{if .Detail.ByDate}}
    {{if not $first}}UNION ALL {{end}}{{$first = false}}SELECT '{{.Name}}'::text AS report, tenant_id, report_date FROM {{.Table}}_days
{{- end}}{{end}}
), bounds AS (
    SELECT report, tenant_id, min(report_date) AS first_date, max(report_date) AS newest_date
    FROM loaded GROUP BY report, tenant_id
)
SELECT b.tenant_id, b.report, d::date AS missing_date, b.first_date, b.newest_date
FROM bounds b
CROSS JOIN LATERAL generate_series(b.first_date, b.newest_date, interval '1 day') AS d
WHERE NOT EXISTS (
    SELECT 1 FROM loaded l
    WHERE l.report = b.report AND l.tenant_id = b.tenant_id AND l.report_date = d::date
);

COMMENT ON VIEW ingest_gaps IS 'Per tenant and dated report: every report date missing between the first and the newest date loaded (one row per missing day). Snapshot reports have no report date and no gaps; of the detail (per user, site, group or team) reports, those fetched a day at a time (date=) count their days of one day, report_period 1 (Graph answers a day only for the last 28 days: a day missed longer ago stays missing). Names nobody.';
COMMENT ON COLUMN ingest_gaps.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN ingest_gaps.report IS {{lit (common "report")}};
COMMENT ON COLUMN ingest_gaps.missing_date IS 'A report date with no row in the report''s table (for a detail report, no row of report_period 1), between first_date and newest_date.';
COMMENT ON COLUMN ingest_gaps.first_date IS 'Oldest report date loaded for the tenant and report.';
COMMENT ON COLUMN ingest_gaps.newest_date IS 'Newest report date loaded for the tenant and report.';
