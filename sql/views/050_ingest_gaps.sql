-- Per tenant and report: every report date missing between the first and the
-- newest date loaded. Rendered over the report-spec table, so a new report
-- appears here without an edit; snapshot reports (no report date) have no
-- gaps to show.
CREATE OR REPLACE VIEW ingest_gaps AS
WITH loaded AS (
{{- $first := true}}
{{- range .Reports}}{{if .Dated}}
    {{if not $first}}UNION ALL {{end}}{{$first = false}}SELECT '{{.Name}}'::text AS report, tenant_id, report_date FROM {{.Table}}
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

COMMENT ON VIEW ingest_gaps IS 'Per tenant and dated report: every report date missing between the first and the newest date loaded (one row per missing day). Snapshot reports have no report date and no gaps.';
COMMENT ON COLUMN ingest_gaps.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN ingest_gaps.report IS {{lit (common "report")}};
COMMENT ON COLUMN ingest_gaps.missing_date IS 'A report date with no row in the report''s table, between first_date and newest_date.';
COMMENT ON COLUMN ingest_gaps.first_date IS 'Oldest report date loaded for the tenant and report.';
COMMENT ON COLUMN ingest_gaps.newest_date IS 'Newest report date loaded for the tenant and report.';
