{{- /* The weekly and monthly views share their columns: defined once here. */ -}}
{{- define "aggregates"}}
    count(*)::integer                               AS days_covered,
    round(avg(im_organizers), 2)                    AS im_organizers_daily_avg,
    max(im_organizers)                              AS im_organizers_daily_peak,
    round(avg(audio_video_organizers), 2)           AS audio_video_organizers_daily_avg,
    max(audio_video_organizers)                     AS audio_video_organizers_daily_peak,
    round(avg(app_sharing_organizers), 2)           AS app_sharing_organizers_daily_avg,
    max(app_sharing_organizers)                     AS app_sharing_organizers_daily_peak,
    round(avg(web_organizers), 2)                   AS web_organizers_daily_avg,
    max(web_organizers)                             AS web_organizers_daily_peak,
    round(avg(dial_in_out_3rd_party_organizers), 2) AS dial_in_out_3rd_party_organizers_daily_avg,
    max(dial_in_out_3rd_party_organizers)           AS dial_in_out_3rd_party_organizers_daily_peak,
    round(avg(dial_in_out_microsoft_organizers), 2) AS dial_in_out_microsoft_organizers_daily_avg,
    max(dial_in_out_microsoft_organizers)           AS dial_in_out_microsoft_organizers_daily_peak,
    sum(audio_video_minutes)::bigint                AS audio_video_minutes,
    sum(dial_in_microsoft_minutes)::bigint          AS dial_in_microsoft_minutes,
    sum(dial_out_microsoft_minutes)::bigint         AS dial_out_microsoft_minutes,
    max(report_refresh_date)                        AS report_refresh_date
{{- end}}
-- Per tenant and ISO week (Monday to Sunday), and per tenant and calendar
-- month. Minutes are summed. User counts are daily unique users, so a week or
-- month shows their daily average and daily peak, never a sum. days_covered
-- says how many days have data; partial is true when that is fewer than the
-- days of the week or month (the current one, or a gap).
CREATE OR REPLACE VIEW skype_organizer_weekly AS
SELECT
    tenant_id,
    week_start,
    week_start + 6                                  AS week_end,
    count(*) < 7                                    AS partial,
{{- template "aggregates"}}
FROM (SELECT date_trunc('week', report_date)::date AS week_start, * FROM skype_organizer_daily) d
GROUP BY tenant_id, week_start;

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
