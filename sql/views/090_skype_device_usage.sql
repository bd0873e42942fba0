{{- $d := report "skype-device-usage-user-counts"}}
{{- $s := report "skype-device-usage-distribution-user-counts"}}
-- Device usage: unique users per device type (*_users), one row per tenant
-- and day; and the distribution report, which has no report date (one row
-- of distinct users over a whole period, per refresh date and period).
CREATE OR REPLACE VIEW skype_device_usage_daily AS
SELECT
    tenant_id,
    report_date,
{{- range $d.Metrics}}
    {{.Name}} AS {{.Name}}_users,
{{- end}}
    report_refresh_date
FROM {{$d.Table}};

COMMENT ON VIEW skype_device_usage_daily IS 'Skype for Business device usage, one row per tenant and day: unique users per device type (*_users). Over a whole period at once: skype_device_usage_distribution. NULL where the cell was empty.';
COMMENT ON COLUMN skype_device_usage_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN skype_device_usage_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN skype_device_usage_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- range $d.Metrics}}
COMMENT ON COLUMN skype_device_usage_daily.{{.Name}}_users IS {{lit (metric $d .)}};
{{- end}}

CREATE OR REPLACE VIEW skype_device_usage_distribution AS
SELECT
    tenant_id,
    report_refresh_date,
    report_period
{{- range $s.Metrics}},
    {{.Name}} AS {{.Name}}_users
{{- end}}
FROM {{$s.Table}};

COMMENT ON VIEW skype_device_usage_distribution IS 'Skype for Business device usage over a whole period: distinct users per device type (*_users) in the report_period days of the report as of its refresh date, one row per tenant, refresh date and period. Not a sum of skype_device_usage_daily: a user counts once over the period.';
COMMENT ON COLUMN skype_device_usage_distribution.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN skype_device_usage_distribution.report_refresh_date IS 'The date Microsoft refreshed the report (Report Refresh Date): the values are as of then.';
COMMENT ON COLUMN skype_device_usage_distribution.report_period IS {{lit (common "report_period")}};
{{- range $s.Metrics}}
COMMENT ON COLUMN skype_device_usage_distribution.{{.Name}}_users IS {{lit (metric $s .)}};
{{- end}}
