-- Per tenant and report: every report date missing between the first and the
-- newest date loaded. Rendered over the report-spec table, so a new report
-- appears here without an edit; snapshot reports (no report date) have no
-- gaps to show.
CREATE OR REPLACE VIEW ingest_gaps AS
WITH loaded AS (
{{- $first := true}}
{{- range .Reports}}{{if not .Snapshot}}
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
