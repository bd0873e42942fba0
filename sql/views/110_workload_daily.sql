{{- $tc := report "teams-user-activity-counts"}}
{{- $tu := report "teams-user-activity-user-counts"}}
{{- $ec := report "email-activity-counts"}}
{{- $eu := report "email-activity-user-counts"}}
-- Wide daily views of the workloads analysts ask about first, each one row
-- per tenant and report date with a report's counts and its unique users
-- side by side (a report without a row for the date shows NULL), and the
-- storage of mailboxes, OneDrive and SharePoint in one place. Column names
-- and COMMENTs come from the report-spec table.
CREATE OR REPLACE VIEW teams_user_activity_daily AS
WITH days AS (
    SELECT tenant_id, report_date FROM {{$tc.Table}}
    UNION SELECT tenant_id, report_date FROM {{$tu.Table}}
)
SELECT
    d.tenant_id,
    d.report_date,
    greatest(c.report_refresh_date, u.report_refresh_date) AS report_refresh_date
{{- range $tc.Metrics}},
    c.{{.Name}}
{{- end}}
{{- range $tu.Metrics}},
    u.{{.Name}} AS {{.Name}}_users
{{- end}}
FROM days d
LEFT JOIN {{$tc.Table}} c USING (tenant_id, report_date)
LEFT JOIN {{$tu.Table}} u USING (tenant_id, report_date);

COMMENT ON VIEW teams_user_activity_daily IS 'Teams user activity, one row per tenant and day: messages, calls, meetings and their durations (sum them over days), and the unique users of each activity (*_users: average them or take the peak, never sum). NULL where a report has no row for the day or its cell was empty.';
COMMENT ON COLUMN teams_user_activity_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN teams_user_activity_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN teams_user_activity_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $tc.Metrics}}
COMMENT ON COLUMN teams_user_activity_daily.{{.Name}} IS {{lit (metric $tc .)}};
{{- end}}
{{- range $tu.Metrics}}
COMMENT ON COLUMN teams_user_activity_daily.{{.Name}}_users IS {{lit (metric $tu .)}};
{{- end}}

CREATE OR REPLACE VIEW email_activity_daily AS
WITH days AS (
    SELECT tenant_id, report_date FROM {{$ec.Table}}
    UNION SELECT tenant_id, report_date FROM {{$eu.Table}}
)
SELECT
    d.tenant_id,
    d.report_date,
    greatest(c.report_refresh_date, u.report_refresh_date) AS report_refresh_date
{{- range $ec.Metrics}},
    c.{{.Name}}
{{- end}}
{{- range $eu.Metrics}},
    u.{{.Name}} AS {{.Name}}_users
{{- end}}
FROM days d
LEFT JOIN {{$ec.Table}} c USING (tenant_id, report_date)
LEFT JOIN {{$eu.Table}} u USING (tenant_id, report_date);

COMMENT ON VIEW email_activity_daily IS 'Email activity, one row per tenant and day: emails sent, received and read and meetings created and interacted with (sum them over days), and the unique users of each (*_users: average them or take the peak, never sum). NULL where a report has no row for the day or its cell was empty.';
COMMENT ON COLUMN email_activity_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN email_activity_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN email_activity_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $ec.Metrics}}
COMMENT ON COLUMN email_activity_daily.{{.Name}} IS {{lit (metric $ec .)}};
{{- end}}
{{- range $eu.Metrics}}
COMMENT ON COLUMN email_activity_daily.{{.Name}}_users IS {{lit (metric $eu .)}};
{{- end}}

CREATE OR REPLACE VIEW storage_daily AS
SELECT tenant_id, report_date, 'exchange'::text AS workload, NULL::text AS site_type, storage_used_byte, report_refresh_date
FROM {{(report "mailbox-usage-storage").Table}}
UNION ALL
SELECT tenant_id, report_date, 'onedrive', site_type, storage_used_byte, report_refresh_date
FROM {{(report "onedrive-usage-storage").Table}}
UNION ALL
SELECT tenant_id, report_date, 'sharepoint', site_type, storage_used_byte, report_refresh_date
FROM {{(report "sharepoint-site-usage-storage").Table}};

COMMENT ON VIEW storage_daily IS 'Storage used at the end of each day by all mailboxes (exchange), OneDrive and SharePoint, per tenant, workload and site type. A level: take a period''s last day (or its peak), never a sum over days.';
COMMENT ON COLUMN storage_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN storage_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN storage_daily.workload IS 'exchange (mailbox-usage-storage), onedrive (onedrive-usage-storage) or sharepoint (sharepoint-site-usage-storage).';
COMMENT ON COLUMN storage_daily.site_type IS 'The Site Type of the OneDrive or SharePoint report (All, OneDrive...); NULL for mailboxes.';
COMMENT ON COLUMN storage_daily.storage_used_byte IS 'Storage used in bytes at the end of the day (Storage Used (Byte)). A level: never sum it over days.';
COMMENT ON COLUMN storage_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
