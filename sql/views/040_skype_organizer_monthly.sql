-- Per tenant and calendar month. Minutes are summed. User counts
-- are daily unique users, so a month shows their daily average and daily peak,
-- never a sum. days_covered says how many days of the month have data;
-- partial is true when that is fewer than the days of the month (the current month, or a gap).
CREATE OR REPLACE VIEW skype_organizer_monthly AS
SELECT
    tenant_id,
    date_trunc('month', report_date)::date                      AS month_start,
    (date_trunc('month', report_date) + interval '1 month - 1 day')::date AS month_end,
    extract(day FROM date_trunc('month', report_date) + interval '1 month - 1 day')::integer AS days_in_month,
    count(*)::integer                                          AS days_covered,
    count(*) < extract(day FROM date_trunc('month', report_date) + interval '1 month - 1 day') AS partial,
    round(avg(im_organizers), 2)                               AS im_organizers_daily_avg,
    max(im_organizers)                                         AS im_organizers_daily_peak,
    round(avg(audio_video_organizers), 2)                      AS audio_video_organizers_daily_avg,
    max(audio_video_organizers)                                AS audio_video_organizers_daily_peak,
    round(avg(app_sharing_organizers), 2)                      AS app_sharing_organizers_daily_avg,
    max(app_sharing_organizers)                                AS app_sharing_organizers_daily_peak,
    round(avg(web_organizers), 2)                              AS web_organizers_daily_avg,
    max(web_organizers)                                        AS web_organizers_daily_peak,
    round(avg(dial_in_out_3rd_party_organizers), 2)            AS dial_in_out_3rd_party_organizers_daily_avg,
    max(dial_in_out_3rd_party_organizers)                      AS dial_in_out_3rd_party_organizers_daily_peak,
    round(avg(dial_in_out_microsoft_organizers), 2)            AS dial_in_out_microsoft_organizers_daily_avg,
    max(dial_in_out_microsoft_organizers)                      AS dial_in_out_microsoft_organizers_daily_peak,
    sum(audio_video_minutes)::bigint                           AS audio_video_minutes,
    sum(dial_in_microsoft_minutes)::bigint                     AS dial_in_microsoft_minutes,
    sum(dial_out_microsoft_minutes)::bigint                    AS dial_out_microsoft_minutes,
    max(report_refresh_date)                                   AS report_refresh_date
FROM skype_organizer_daily
GROUP BY tenant_id, date_trunc('month', report_date);
