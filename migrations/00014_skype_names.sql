-- +goose Up
-- The Skype for Business short names gain the skype- prefix (the naming
-- rule of DESIGN.md: the short name is the table with '-' for '_'); the old
-- names stay aliases of --report. The audit's names follow, so that the
-- freshness view, ETags, the request budget and replay go on finding a
-- report's history under its new name.
UPDATE report_fetches SET report = 'skype-' || report
WHERE report IN ('organizer-activity-counts', 'organizer-activity-user-counts', 'organizer-activity-minute-counts',
    'participant-activity-counts', 'participant-activity-user-counts', 'participant-activity-minute-counts',
    'peer-to-peer-activity-counts', 'peer-to-peer-activity-user-counts', 'peer-to-peer-activity-minute-counts',
    'activity-counts', 'activity-user-counts', 'device-usage-user-counts', 'device-usage-distribution-user-counts');
UPDATE report_etags SET report = 'skype-' || report
WHERE report IN ('organizer-activity-counts', 'organizer-activity-user-counts', 'organizer-activity-minute-counts',
    'participant-activity-counts', 'participant-activity-user-counts', 'participant-activity-minute-counts',
    'peer-to-peer-activity-counts', 'peer-to-peer-activity-user-counts', 'peer-to-peer-activity-minute-counts',
    'activity-counts', 'activity-user-counts', 'device-usage-user-counts', 'device-usage-distribution-user-counts');
UPDATE fetch_attempts SET report = 'skype-' || report
WHERE report IN ('organizer-activity-counts', 'organizer-activity-user-counts', 'organizer-activity-minute-counts',
    'participant-activity-counts', 'participant-activity-user-counts', 'participant-activity-minute-counts',
    'peer-to-peer-activity-counts', 'peer-to-peer-activity-user-counts', 'peer-to-peer-activity-minute-counts',
    'activity-counts', 'activity-user-counts', 'device-usage-user-counts', 'device-usage-distribution-user-counts');

-- +goose Down
UPDATE report_fetches SET report = substr(report, 7) WHERE report LIKE 'skype-%';
UPDATE report_etags SET report = substr(report, 7) WHERE report LIKE 'skype-%';
UPDATE fetch_attempts SET report = substr(report, 7) WHERE report LIKE 'skype-%';
