-- Per tenant and report: the newest report date and refresh date loaded,
-- how many days the newest report date trails today (NULL while the report
-- has never had a row: an empty payload is not fresh data), and, apart from
-- each other, the last successful fetch from Graph (`ingest run` or
-- `backfill`: loaded, not modified or empty), the last replay and the last
-- file load. A run still going, or one a crash left "running", has no end
-- yet and does not count. Built from the fetch audit, so a new report needs
-- no change here.
CREATE OR REPLACE VIEW ingest_freshness AS
SELECT f.tenant_id,
       f.report,
       max(f.newest_report_date) FILTER (WHERE f.outcome = 'loaded')      AS newest_report_date,
       max(f.report_refresh_date) FILTER (WHERE f.outcome = 'loaded')     AS newest_refresh_date,
       -- a snapshot report has no report date: its data is as of the refresh
       current_date - coalesce(max(f.newest_report_date) FILTER (WHERE f.outcome = 'loaded'),
                               max(f.report_refresh_date) FILTER (WHERE f.outcome = 'loaded')) AS days_behind,
       max(r.finished_at) FILTER (WHERE r.command IN ('run', 'backfill'))  AS last_success_at,
       max(r.run_id) FILTER (WHERE r.command IN ('run', 'backfill') AND r.finished_at IS NOT NULL) AS last_success_run_id,
       max(r.finished_at) FILTER (WHERE r.command = 'replay')              AS last_replay_at,
       max(r.run_id) FILTER (WHERE r.command = 'replay' AND r.finished_at IS NOT NULL) AS last_replay_run_id,
       max(r.finished_at) FILTER (WHERE r.command = 'load-file')           AS last_file_load_at,
       max(r.run_id) FILTER (WHERE r.command = 'load-file' AND r.finished_at IS NOT NULL) AS last_file_load_run_id
FROM report_fetches f
JOIN ingest_runs r USING (run_id)
WHERE f.outcome IN ('loaded', 'not_modified', 'empty')
GROUP BY f.tenant_id, f.report;

COMMENT ON VIEW ingest_freshness IS 'Per tenant and report: how fresh the loaded data is (newest dates, days behind today) and when Graph was last fetched successfully, with the last replay and the last file load apart. A report fetched only ever empty has days_behind NULL.';
COMMENT ON COLUMN ingest_freshness.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN ingest_freshness.report IS {{lit (common "report")}};
COMMENT ON COLUMN ingest_freshness.newest_report_date IS 'Newest report date of any payload loaded with rows (from Graph, a replay or a file); NULL for a snapshot report, and while no row was ever loaded.';
COMMENT ON COLUMN ingest_freshness.newest_refresh_date IS 'Newest Report Refresh Date of any payload loaded with rows; NULL while no row was ever loaded.';
COMMENT ON COLUMN ingest_freshness.days_behind IS 'Days from newest_report_date (for a snapshot report newest_refresh_date) to today; NULL while the report has never had a row (every payload so far was empty).';
COMMENT ON COLUMN ingest_freshness.last_success_at IS 'End of the last finished `ingest run` or `backfill` that fetched the report from Graph successfully (loaded, not modified, or empty). Replays and file loads do not count: see last_replay_at and last_file_load_at.';
COMMENT ON COLUMN ingest_freshness.last_success_run_id IS 'ingest_runs.run_id of the run of last_success_at.';
COMMENT ON COLUMN ingest_freshness.last_replay_at IS 'End of the last finished `ingest replay` that reloaded the report from stored payloads (no Graph call).';
COMMENT ON COLUMN ingest_freshness.last_replay_run_id IS 'ingest_runs.run_id of the replay of last_replay_at.';
COMMENT ON COLUMN ingest_freshness.last_file_load_at IS 'End of the last finished `ingest load-file` that loaded the report from files (no Graph call).';
COMMENT ON COLUMN ingest_freshness.last_file_load_run_id IS 'ingest_runs.run_id of the file load of last_file_load_at.';
