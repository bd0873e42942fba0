-- The long usage views: every numeric metric of every report, one row per
-- tenant, report, metric, dimension (Site Type, Product Type: NULL where the
-- report has none) and day (usage_daily), ISO week (usage_weekly) or month
-- (usage_monthly); the snapshot reports (no report date) in usage_snapshots.
-- Rendered over the report-spec table: a new report appears here without
-- an edit. Each metric carries its unit (count, bytes, seconds) and how it
-- aggregates over a week or a month (report.Agg):
--   sum    the days add up (messages, minutes, files): value is the sum;
--   users  daily distinct users: value is the daily average, never a sum
--          (the same user counts on every day they were active);
--   level  a stock (storage, mailboxes): value is that of the last day
--          with a value.
-- peak is the highest daily value in every case.
CREATE OR REPLACE VIEW usage_daily AS
{{- $first := true}}
{{- range .Reports}}{{if .Dated}}{{$s := .}}
{{if not $first}}UNION ALL
{{end}}{{$first = false}}SELECT t.tenant_id, {{lit .Name}}::text AS report, v.metric, {{dimension .}} AS dimension,
       t.report_date, v.value, v.unit, v.aggregation, t.report_refresh_date
FROM {{.Table}} t
CROSS JOIN LATERAL (VALUES
{{- range $i, $c := numeric .}}{{if $i}},{{end}}
    ({{lit $c.Name}}::text, {{value $c}}, {{lit $c.Type.Unit}}::text, {{lit ($s.Aggregation $c).String}}::text)
{{- end}}
) AS v(metric, value, unit, aggregation)
{{- end}}{{end}};

COMMENT ON VIEW usage_daily IS 'Every numeric metric of every dated report, one row per tenant, report, metric, dimension and day. Aggregate with usage_weekly and usage_monthly, which respect each metric''s aggregation (a users metric is never summed).';
COMMENT ON COLUMN usage_daily.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN usage_daily.report IS {{lit (common "report")}};
COMMENT ON COLUMN usage_daily.metric IS 'The metric: the column of the report''s table (`ingest reports` lists them with their CSV headers).';
COMMENT ON COLUMN usage_daily.dimension IS 'The value of the report''s dimension that the row is for (Site Type: All, OneDrive...; Product Type); NULL for a report without one.';
COMMENT ON COLUMN usage_daily.report_date IS {{lit (common "report_date")}};
COMMENT ON COLUMN usage_daily.value IS 'The metric''s value on the day; NULL when the cell was empty. A duration is in seconds.';
COMMENT ON COLUMN usage_daily.unit IS 'count, bytes or seconds.';
COMMENT ON COLUMN usage_daily.aggregation IS 'How the metric aggregates over a week or a month: sum (the days add up), users (daily distinct users: average and peak, never a sum), level (a stock: last value and peak).';
COMMENT ON COLUMN usage_daily.report_refresh_date IS {{lit (common "report_refresh_date")}};

{{- /* usage_weekly and usage_monthly: usage_daily by the period unit given
     (week or month), each metric aggregated by its kind. */}}
{{- define "by period"}}
SELECT tenant_id, report, metric, dimension,
       date_trunc('{{.}}', report_date)::date AS {{.}}_start,
       (date_trunc('{{.}}', report_date) + interval '1 {{.}}' - interval '1 day')::date AS {{.}}_end,
       CASE aggregation
           WHEN 'sum' THEN sum(value)
           WHEN 'users' THEN round(avg(value), 2)
           ELSE (array_agg(value ORDER BY report_date DESC) FILTER (WHERE value IS NOT NULL))[1]
       END AS value,
       max(value) AS peak,
       unit, aggregation,
       count(value)::integer AS days_with_value,
       count(*)::integer AS days_covered,
       count(*) < (date_trunc('{{.}}', report_date) + interval '1 {{.}}')::date - date_trunc('{{.}}', report_date)::date AS partial_{{.}}
FROM usage_daily
GROUP BY tenant_id, report, metric, dimension, unit, aggregation, date_trunc('{{.}}', report_date)
{{- end}}

CREATE OR REPLACE VIEW usage_weekly AS{{template "by period" "week"}};

COMMENT ON VIEW usage_weekly IS 'usage_daily by ISO week (Monday to Sunday), each metric aggregated as it should be: sum adds the days, users is the daily average (never a sum), level is the value of the last day with one; peak is the highest day.';
COMMENT ON COLUMN usage_weekly.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN usage_weekly.report IS {{lit (common "report")}};
COMMENT ON COLUMN usage_weekly.metric IS 'The metric: the column of the report''s table.';
COMMENT ON COLUMN usage_weekly.dimension IS 'The value of the report''s dimension; NULL for a report without one.';
COMMENT ON COLUMN usage_weekly.week_start IS {{lit (common "week_start")}};
COMMENT ON COLUMN usage_weekly.week_end IS {{lit (common "week_end")}};
COMMENT ON COLUMN usage_weekly.value IS 'The week''s value by the metric''s aggregation: sum of the days (sum), daily average (users), value of the last day with one (level).';
COMMENT ON COLUMN usage_weekly.peak IS 'The highest daily value of the week.';
COMMENT ON COLUMN usage_weekly.unit IS 'count, bytes or seconds.';
COMMENT ON COLUMN usage_weekly.aggregation IS 'sum, users or level (see usage_daily.aggregation).';
COMMENT ON COLUMN usage_weekly.days_with_value IS 'Days of the week with a value (a row and a non-empty cell).';
COMMENT ON COLUMN usage_weekly.days_covered IS 'Days of the week with a row of the report.';
COMMENT ON COLUMN usage_weekly.partial_week IS 'True when fewer than 7 days of the week have a row (the current week, or a gap).';

CREATE OR REPLACE VIEW usage_monthly AS{{template "by period" "month"}};

COMMENT ON VIEW usage_monthly IS 'usage_daily by calendar month, each metric aggregated as it should be: sum adds the days, users is the daily average (never a sum), level is the value of the last day with one; peak is the highest day.';
COMMENT ON COLUMN usage_monthly.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN usage_monthly.report IS {{lit (common "report")}};
COMMENT ON COLUMN usage_monthly.metric IS 'The metric: the column of the report''s table.';
COMMENT ON COLUMN usage_monthly.dimension IS 'The value of the report''s dimension; NULL for a report without one.';
COMMENT ON COLUMN usage_monthly.month_start IS {{lit (common "month_start")}};
COMMENT ON COLUMN usage_monthly.month_end IS {{lit (common "month_end")}};
COMMENT ON COLUMN usage_monthly.value IS 'The month''s value by the metric''s aggregation: sum of the days (sum), daily average (users), value of the last day with one (level).';
COMMENT ON COLUMN usage_monthly.peak IS 'The highest daily value of the month.';
COMMENT ON COLUMN usage_monthly.unit IS 'count, bytes or seconds.';
COMMENT ON COLUMN usage_monthly.aggregation IS 'sum, users or level (see usage_daily.aggregation).';
COMMENT ON COLUMN usage_monthly.days_with_value IS 'Days of the month with a value (a row and a non-empty cell).';
COMMENT ON COLUMN usage_monthly.days_covered IS 'Days of the month with a row of the report.';
COMMENT ON COLUMN usage_monthly.partial_month IS {{lit (common "partial_month")}};

CREATE OR REPLACE VIEW usage_snapshots AS
{{- $first := true}}
{{- range .Reports}}{{if not .Dated}}{{$s := .}}
{{if not $first}}UNION ALL
{{end}}{{$first = false}}SELECT t.tenant_id, {{lit .Name}}::text AS report, v.metric, {{dimension .}} AS dimension,
       t.report_refresh_date, {{if .NoPeriod}}NULL::integer{{else}}t.report_period{{end}} AS report_period,
       v.value, v.unit, v.aggregation
FROM {{.Table}} t
CROSS JOIN LATERAL (VALUES
{{- range $i, $c := numeric .}}{{if $i}},{{end}}
    ({{lit $c.Name}}::text, {{value $c}}, {{lit $c.Type.Unit}}::text, {{lit ($s.Aggregation $c).String}}::text)
{{- end}}
) AS v(metric, value, unit, aggregation)
{{- end}}{{end}};

COMMENT ON VIEW usage_snapshots IS 'Every numeric metric of every report without a report date (distributions over a period, activations), one row per tenant, report, metric, dimension, refresh date and period.';
COMMENT ON COLUMN usage_snapshots.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN usage_snapshots.report IS {{lit (common "report")}};
COMMENT ON COLUMN usage_snapshots.metric IS 'The metric: the column of the report''s table.';
COMMENT ON COLUMN usage_snapshots.dimension IS 'The value of the report''s dimension (Product Type...); NULL for a report without one.';
COMMENT ON COLUMN usage_snapshots.report_refresh_date IS {{lit (common "report_refresh_date")}};
COMMENT ON COLUMN usage_snapshots.report_period IS 'Days of the period the values cover (7, 30, 90 or 180); NULL for a report without a period (the activations: as of the refresh date).';
COMMENT ON COLUMN usage_snapshots.value IS 'The metric''s value over the period (or as of the refresh date); NULL when the cell was empty.';
COMMENT ON COLUMN usage_snapshots.unit IS 'count, bytes or seconds.';
COMMENT ON COLUMN usage_snapshots.aggregation IS 'sum, users or level (see usage_daily.aggregation).';
