-- Per tenant and report: the newest report date and refresh date loaded, how
-- many days the newest report date trails today, and the last finished run
-- that fetched the report successfully (loaded or not modified; a run still
-- going, or one a crash left "running", has no end yet and does not count).
-- Built from the fetch audit, so a new report needs no change here.
CREATE OR REPLACE VIEW ingest_freshness AS
SELECT f.tenant_id,
       f.report,
       max(f.newest_report_date)                                 AS newest_report_date,
       max(f.report_refresh_date)                                AS newest_refresh_date,
       -- a snapshot report has no report date: its data is as of the refresh
       current_date - coalesce(max(f.newest_report_date), max(f.report_refresh_date)) AS days_behind,
       max(r.finished_at)                                        AS last_success_at,
       max(r.run_id) FILTER (WHERE r.finished_at IS NOT NULL)    AS last_success_run_id
FROM report_fetches f
JOIN ingest_runs r USING (run_id)
WHERE f.outcome IN ('loaded', 'not_modified')
GROUP BY f.tenant_id, f.report;
