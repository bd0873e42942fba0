{{- /* The weekly and monthly views share their columns and their comments:
   defined once here, from the report-spec table. The argument is the view. */ -}}
{{- define "aggregates"}}
    count(*)::integer                               AS days_covered,
{{- range (report "skype-organizer-activity-user-counts").Metrics}}
    round(avg({{.Name}}_organizers), 2) AS {{.Name}}_organizers_daily_avg,
    max({{.Name}}_organizers) AS {{.Name}}_organizers_daily_peak,
    count({{.Name}}_organizers)::integer AS {{.Name}}_organizers_days,
{{- end}}
{{- range (report "skype-organizer-activity-minute-counts").Metrics}}
    sum({{.Name}}_minutes)::bigint AS {{.Name}}_minutes,
    count({{.Name}}_minutes)::integer AS {{.Name}}_minutes_days,
{{- end}}
{{- range (report "skype-organizer-activity-counts").Metrics}}
    sum({{.Name}}_conferences)::bigint AS {{.Name}}_conferences,
    count({{.Name}}_conferences)::integer AS {{.Name}}_conferences_days,
{{- end}}
    max(report_refresh_date)                        AS report_refresh_date
{{- end}}
{{- define "comments"}}
{{- $v := .}}
COMMENT ON COLUMN {{$v}}.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN {{$v}}.days_covered IS {{lit (common "days_covered")}};
COMMENT ON COLUMN {{$v}}.report_refresh_date IS {{lit (common "report_refresh_date")}};
{{- $u := report "skype-organizer-activity-user-counts"}}
{{- range $u.Metrics}}
COMMENT ON COLUMN {{$v}}.{{.Name}}_organizers_daily_avg IS {{lit (printf "Daily average of %s_organizers, over the %s_organizers_days days that have a value (days with an empty cell or no row are left out, not counted as 0). %s" .Name .Name (metric $u .))}};
COMMENT ON COLUMN {{$v}}.{{.Name}}_organizers_daily_peak IS {{lit (printf "Highest daily value of %s_organizers. %s" .Name (metric $u .))}};
COMMENT ON COLUMN {{$v}}.{{.Name}}_organizers_days IS {{lit (printf "Number of days with a value for %s_organizers: the days %s_organizers_daily_avg and _daily_peak are computed over (fewer than days_covered when a day has an empty cell)." .Name .Name)}};
{{- end}}
{{- $m := report "skype-organizer-activity-minute-counts"}}
{{- range $m.Metrics}}
COMMENT ON COLUMN {{$v}}.{{.Name}}_minutes IS {{lit (printf "Sum of %s_minutes over the %s_minutes_days days that have a value; NULL when none has. %s" .Name .Name (metric $m .))}};
COMMENT ON COLUMN {{$v}}.{{.Name}}_minutes_days IS {{lit (printf "Number of days with a value for %s_minutes: the days the sum %s_minutes is over (fewer than days_covered when a day has an empty cell)." .Name .Name)}};
{{- end}}
{{- $c := report "skype-organizer-activity-counts"}}
{{- range $c.Metrics}}
COMMENT ON COLUMN {{$v}}.{{.Name}}_conferences IS {{lit (printf "Sum of %s_conferences over the %s_conferences_days days that have a value; NULL when none has. %s" .Name .Name (metric $c .))}};
COMMENT ON COLUMN {{$v}}.{{.Name}}_conferences_days IS {{lit (printf "Number of days with a value for %s_conferences: the days the sum %s_conferences is over (fewer than days_covered when a day has an empty cell)." .Name .Name)}};
{{- end}}
{{- end}}
-- Per tenant and ISO week (Monday to Sunday), and per tenant and calendar
-- month, over skype_organizer_daily. Minutes and conferences are summed.
-- User counts are daily unique users, so a week or month shows their daily
-- average and daily peak, never a sum. days_covered says how many days have
-- a row; partial is true when that is fewer than the days of the week or
-- month (the current one, or a gap). A day with a row can still have an
-- empty cell: every average and sum has a *_days column next to it with the
-- number of days behind it.
CREATE OR REPLACE VIEW skype_organizer_weekly AS
SELECT
    tenant_id,
    week_start,
    week_start + 6                                  AS week_end,
    count(*) < 7                                    AS partial,
{{- template "aggregates"}}
FROM (SELECT date_trunc('week', report_date)::date AS week_start, * FROM skype_organizer_daily) d
GROUP BY tenant_id, week_start;

COMMENT ON VIEW skype_organizer_weekly IS 'Skype for Business organizers per tenant and ISO week (Monday to Sunday), from skype_organizer_daily: minutes and conferences summed, unique organizers as daily average and daily peak (never summed). Each average and sum has a *_days column next to it: the number of days with a value it is computed over.';
COMMENT ON COLUMN skype_organizer_weekly.week_start IS {{lit (common "week_start")}};
COMMENT ON COLUMN skype_organizer_weekly.week_end IS {{lit (common "week_end")}};
COMMENT ON COLUMN skype_organizer_weekly.partial IS {{lit (common "partial_week")}};
{{- template "comments" "skype_organizer_weekly"}}

CREATE OR REPLACE VIEW skype_organizer_monthly AS
SELECT
    tenant_id,
    month_start,
    month_end,
    month_end - month_start + 1                     AS days_in_month,
    count(*) < month_end - month_start + 1          AS partial,
{{- template "aggregates"}}
FROM (SELECT date_trunc('month', report_date)::date AS month_start,
             (date_trunc('month', report_date) + interval '1 month - 1 day')::date AS month_end, *
      FROM skype_organizer_daily) d
GROUP BY tenant_id, month_start, month_end;

COMMENT ON VIEW skype_organizer_monthly IS 'Skype for Business organizers per tenant and calendar month, from skype_organizer_daily: minutes and conferences summed, unique organizers as daily average and daily peak (never summed). Each average and sum has a *_days column next to it: the number of days with a value it is computed over.';
COMMENT ON COLUMN skype_organizer_monthly.month_start IS {{lit (common "month_start")}};
COMMENT ON COLUMN skype_organizer_monthly.month_end IS {{lit (common "month_end")}};
COMMENT ON COLUMN skype_organizer_monthly.days_in_month IS {{lit (common "days_in_month")}};
COMMENT ON COLUMN skype_organizer_monthly.partial IS {{lit (common "partial_month")}};
{{- template "comments" "skype_organizer_monthly"}}
