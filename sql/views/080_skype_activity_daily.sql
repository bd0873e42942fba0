{{- $a := report "skype-activity-counts"}}
{{- $b := report "skype-activity-user-counts"}}
-- One row per tenant and report date of the two activity reports side by
-- side: peer-to-peer sessions, conferences organized and participations
-- (*_count), and unique users of each (*_users). A report that has no row
-- for the date shows NULL.
CREATE OR REPLACE VIEW skype_activity_daily AS
WITH days AS (
    SELECT tenant_id, report_date FROM {{$a.Table}}
    UNION SELECT tenant_id, report_date FROM {{$b.Table}}
)
SELECT
    d.tenant_id,
    d.report_date,
{{- range $a.Metrics}}
    a.{{.Name}} AS {{.Name}}_count,
{{- end}}
{{- range $b.Metrics}}
    b.{{.Name}} AS {{.Name}}_users,
{{- end}}
    greatest(a.report_refresh_date, b.report_refresh_date) AS report_refresh_date
FROM days d
LEFT JOIN {{$a.Table}} a USING (tenant_id, report_date)
LEFT JOIN {{$b.Table}} b USING (tenant_id, report_date);

COMMENT ON VIEW skype_activity_daily IS 'Skype for Business activity overall, one row per tenant and day: peer-to-peer sessions, conferences organized and conference participations (*_count), and the unique users of each (*_users), side by side. NULL where a report has no row for the day or its cell was empty.';
COMMENT ON COLUMN skype_activity_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN skype_activity_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN skype_activity_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $a.Metrics}}
COMMENT ON COLUMN skype_activity_daily.{{.Name}}_count IS {{lit (metric $a .)}};
{{- end}}
{{- range $b.Metrics}}
COMMENT ON COLUMN skype_activity_daily.{{.Name}}_users IS {{lit (metric $b .)}};
{{- end}}
