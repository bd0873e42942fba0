{{- $a := report "skype-participant-activity-counts"}}
{{- $b := report "skype-participant-activity-user-counts"}}
{{- $c := report "skype-participant-activity-minute-counts"}}
-- One row per tenant and report date of the three participant reports side
-- by side: conference participations per activity (*_participations), unique
-- participants per activity (*_participants) and conference minutes
-- (*_minutes). A report that has no row for the date shows NULL.
CREATE OR REPLACE VIEW skype_participant_daily AS
WITH days AS (
    SELECT tenant_id, report_date FROM {{$a.Table}}
    UNION SELECT tenant_id, report_date FROM {{$b.Table}}
    UNION SELECT tenant_id, report_date FROM {{$c.Table}}
)
SELECT
    d.tenant_id,
    d.report_date,
{{- range $a.Metrics}}
    a.{{.Name}} AS {{.Name}}_participations,
{{- end}}
{{- range $b.Metrics}}
    b.{{.Name}} AS {{.Name}}_participants,
{{- end}}
{{- range $c.Metrics}}
    c.{{.Name}} AS {{.Name}}_minutes,
{{- end}}
    greatest(a.report_refresh_date, b.report_refresh_date, c.report_refresh_date) AS report_refresh_date
FROM days d
LEFT JOIN {{$a.Table}} a USING (tenant_id, report_date)
LEFT JOIN {{$b.Table}} b USING (tenant_id, report_date)
LEFT JOIN {{$c.Table}} c USING (tenant_id, report_date);

COMMENT ON VIEW skype_participant_daily IS 'Skype for Business conference participants, one row per tenant and day: participations per activity (*_participations), unique participants per activity (*_participants) and participant minutes (*_minutes), side by side. NULL where a report has no row for the day or its cell was empty.';
COMMENT ON COLUMN skype_participant_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN skype_participant_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN skype_participant_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $a.Metrics}}
COMMENT ON COLUMN skype_participant_daily.{{.Name}}_participations IS {{lit (metric $a .)}};
{{- end}}
{{- range $b.Metrics}}
COMMENT ON COLUMN skype_participant_daily.{{.Name}}_participants IS {{lit (metric $b .)}};
{{- end}}
{{- range $c.Metrics}}
COMMENT ON COLUMN skype_participant_daily.{{.Name}}_minutes IS {{lit (metric $c .)}};
{{- end}}
