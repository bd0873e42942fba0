-- Not a detail view (no marker): it names no user, group or site, only when
-- Microsoft started or stopped concealing them, so every reader gets it.
--
-- Each fetch of a detail report whose names were concealed (32 hexadecimal
-- digits instead of names) when the last payload loaded of the tenant's
-- report was not, or the other way round (report_fetches.concealment_changed).
-- From such a fetch on, the report's entities have other keys: the detail
-- views keep the rows of before and after apart.
CREATE OR REPLACE VIEW detail_concealment_changes AS
SELECT f.tenant_id,
       f.report,
       coalesce(f.asked_date, f.report_refresh_date) AS report_date,
       f.run_id,
       f.fetch_id,
       f.fetched_at,
       NOT f.concealed     AS concealed_before,
       f.concealed         AS concealed_after,
       f.concealed_setting
FROM report_fetches f
WHERE f.concealment_changed;

COMMENT ON VIEW detail_concealment_changes IS 'Each fetch of a detail (per user, site, group or team) report whose payload''s concealment of names differs from that of the last payload loaded of the tenant''s report: when Microsoft started (concealed_after true) or stopped concealing names. From then on the same entities have other entity_key values in the detail views. Names nobody: readable by every reader role.';
COMMENT ON COLUMN detail_concealment_changes.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN detail_concealment_changes.report IS {{lit (common "report")}};
COMMENT ON COLUMN detail_concealment_changes.report_date IS 'The day the fetch asked for (date=), else the payload''s Report Refresh Date (period=).';
COMMENT ON COLUMN detail_concealment_changes.run_id IS 'The run of the fetch (ingest_runs.run_id).';
COMMENT ON COLUMN detail_concealment_changes.fetch_id IS 'The fetch (report_fetches.fetch_id).';
COMMENT ON COLUMN detail_concealment_changes.fetched_at IS 'When the payload was fetched (or read from a file or stored payload).';
COMMENT ON COLUMN detail_concealment_changes.concealed_before IS 'Whether the names of the last payload loaded before were concealed.';
COMMENT ON COLUMN detail_concealment_changes.concealed_after IS 'Whether the names of this payload were concealed.';
COMMENT ON COLUMN detail_concealment_changes.concealed_setting IS 'The tenant''s "display concealed names" setting as read before the fetch (GET /admin/reportSettings); NULL when it could not be read (the app lacks ReportSettings.Read.All), concealment being told from the names then.';
