-- One row per tenant and report date: unique organizers per activity
-- (user counts) and conference minutes side by side. A side that has no row
-- for the date shows NULL.
CREATE OR REPLACE VIEW skype_organizer_daily AS
SELECT
    coalesce(u.tenant_id, m.tenant_id)                     AS tenant_id,
    coalesce(u.report_date, m.report_date)                 AS report_date,
    u.im                                                   AS im_organizers,
    u.audio_video                                          AS audio_video_organizers,
    u.app_sharing                                          AS app_sharing_organizers,
    u.web                                                  AS web_organizers,
    u.dial_in_out_3rd_party                                AS dial_in_out_3rd_party_organizers,
    u.dial_in_out_microsoft                                AS dial_in_out_microsoft_organizers,
    m.audio_video                                          AS audio_video_minutes,
    m.dial_in_microsoft                                    AS dial_in_microsoft_minutes,
    m.dial_out_microsoft                                   AS dial_out_microsoft_minutes,
    greatest(u.report_refresh_date, m.report_refresh_date) AS report_refresh_date
FROM skype_organizer_activity_user_counts u
FULL JOIN skype_organizer_activity_minute_counts m
    ON m.tenant_id = u.tenant_id AND m.report_date = u.report_date;
