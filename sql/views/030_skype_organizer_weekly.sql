-- Per tenant and ISO week (Monday to Sunday). Minutes are summed. User counts
-- are daily unique users, so a week shows their daily average and daily peak,
-- never a sum. days_covered says how many days of the week have data;
-- partial is true when that is fewer than 7 (the current week, or a gap).
CREATE OR REPLACE VIEW skype_organizer_weekly AS
SELECT
    tenant_id,
    date_trunc('week', report_date)::date                      AS week_start,
    (date_trunc('week', report_date) + interval '6 days')::date AS week_end,
    count(*)::integer                                          AS days_covered,
    count(*) < 7                                               AS partial,
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
GROUP BY tenant_id, date_trunc('week', report_date);
