{{- $u := report "skype-organizer-activity-user-counts"}}
{{- $m := report "skype-organizer-activity-minute-counts"}}
{{- $c := report "skype-organizer-activity-counts"}}
-- One row per tenant and report date of the three organizer reports side by
-- side: unique organizers per activity (*_organizers), conference minutes
-- (*_minutes) and, after the refresh date (so that the view stays
-- compatible with what analysts built on it), conferences organized per
-- activity (*_conferences). A report that has no row for the date shows
-- NULL. Column names and COMMENTs come from the report-spec table.
CREATE OR REPLACE VIEW skype_organizer_daily AS
WITH days AS (
    SELECT tenant_id, report_date FROM {{$u.Table}}
    UNION SELECT tenant_id, report_date FROM {{$m.Table}}
    UNION SELECT tenant_id, report_date FROM {{$c.Table}}
)
SELECT
    d.tenant_id,
    d.report_date,
{{- range $u.Metrics}}
    u.{{.Name}} AS {{.Name}}_organizers,
{{- end}}
{{- range $m.Metrics}}
    m.{{.Name}} AS {{.Name}}_minutes,
{{- end}}
    greatest(u.report_refresh_date, m.report_refresh_date, c.report_refresh_date) AS report_refresh_date
{{- range $c.Metrics}},
    c.{{.Name}} AS {{.Name}}_conferences
{{- end}}
FROM days d
LEFT JOIN {{$u.Table}} u USING (tenant_id, report_date)
LEFT JOIN {{$m.Table}} m USING (tenant_id, report_date)
LEFT JOIN {{$c.Table}} c USING (tenant_id, report_date);

COMMENT ON VIEW skype_organizer_daily IS 'Skype for Business organizers, one row per tenant and day: unique organizers per activity (*_organizers), conference minutes (*_minutes) and conferences organized per activity (*_conferences), side by side. NULL where a report has no row for the day or its cell was empty.';
COMMENT ON COLUMN skype_organizer_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN skype_organizer_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN skype_organizer_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $u.Metrics}}
COMMENT ON COLUMN skype_organizer_daily.{{.Name}}_organizers IS {{lit (metric $u .)}};
{{- end}}
{{- range $m.Metrics}}
COMMENT ON COLUMN skype_organizer_daily.{{.Name}}_minutes IS {{lit (metric $m .)}};
{{- end}}
{{- range $c.Metrics}}
COMMENT ON COLUMN skype_organizer_daily.{{.Name}}_conferences IS {{lit (metric $c .)}};
{{- end}}
