-- ingest:grant detail
{{- /* The marker above makes every view of this file a detail view: granted
   only by `ingest grant-reader --detail` (load/views.go). copilot_adoption_weekly
   names nobody, but it is computed from per-user rows and counts the users
   of a tenant as small as a team: it goes with them. */}}
{{- $a := report "office365-active-user-detail"}}
{{- $c := report "copilot-usage-user-detail"}}
{{- $o := report "onedrive-usage-account-detail"}}
{{- $p := report "sharepoint-site-usage-detail"}}
-- Views over the per-entity reports that answer the questions analysts ask
-- of them: licences not used, Copilot adoption, sites nobody uses.
--
-- licensed_users_inactive_30d and sites_unused_90d read the _current views
-- (the newest row of each user or site), keeping only the rows of the
-- tenant's newest day: a user or site missing from it has left (a report by
-- day lists every user, site or account the tenant has), and so have the
-- entities of before a change of concealment, whose rows under their other
-- key (a hash, or the name) stop at the last day before it
-- (detail_concealment_changes says when). Inactivity is counted up to that
-- day (as_of), not today, so that a report that stopped loading does not
-- make everyone inactive.

CREATE OR REPLACE VIEW licensed_users_inactive_30d AS
SELECT u.tenant_id,
       w.workload,
       u.entity_key,
       u.user_principal_name,
       u.display_name,
       w.license_assign_date,
       w.last_activity_date,
       u.report_date - w.last_activity_date AS days_inactive,
       u.report_date AS as_of,
       u.is_deleted,
       u.concealed
FROM (
    SELECT c.*, max(c.report_date) OVER (PARTITION BY c.tenant_id) AS newest
    FROM {{$a.Table}}_current c
) u
CROSS JOIN LATERAL (VALUES
    ('exchange'::text,     u.has_exchange_license,           u.exchange_last_activity_date,           u.exchange_license_assign_date),
    ('onedrive',           u.has_onedrive_license,           u.onedrive_last_activity_date,           u.onedrive_license_assign_date),
    ('sharepoint',         u.has_sharepoint_license,         u.sharepoint_last_activity_date,         u.sharepoint_license_assign_date),
    ('skype_for_business', u.has_skype_for_business_license, u.skype_for_business_last_activity_date, u.skype_for_business_license_assign_date),
    ('yammer',             u.has_yammer_license,             u.yammer_last_activity_date,             u.yammer_license_assign_date),
    ('teams',              u.has_teams_license,              u.teams_last_activity_date,              u.teams_license_assign_date)
) AS w(workload, licensed, last_activity_date, license_assign_date)
WHERE w.licensed
  AND (w.last_activity_date IS NULL OR w.last_activity_date < u.report_date - 30)
  AND u.report_date = u.newest;

COMMENT ON VIEW licensed_users_inactive_30d IS {{lit (printf "Licences not used: one row per tenant, workload and user who has a licence for the workload (Exchange, OneDrive, SharePoint, Skype for Business, Yammer, Teams) and no activity in it for more than 30 days before the row's day (as_of), or never (days_inactive NULL). From the newest row of each user of %s (%s_current), on the tenant's newest day: users no longer listed (gone, or of a concealment the tenant has since left) are left out. Compare license_assign_date with as_of before reclaiming a licence: one assigned last week has had no time to be used. Per-user data: readable only by roles granted with `ingest grant-reader --detail`." $a.Function $a.Table)}};
COMMENT ON COLUMN licensed_users_inactive_30d.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN licensed_users_inactive_30d.workload IS 'The workload the licence is for: exchange, onedrive, sharepoint, skype_for_business, yammer or teams (the Has <workload> License and <workload> Last Activity Date columns of the report).';
COMMENT ON COLUMN licensed_users_inactive_30d.entity_key IS {{lit (common "entity_key")}};
COMMENT ON COLUMN licensed_users_inactive_30d.user_principal_name IS {{lit (printf "The user's principal name (User Principal Name of %s); 32 hexadecimal digits when Microsoft conceals names." $a.Function)}};
COMMENT ON COLUMN licensed_users_inactive_30d.display_name IS {{lit (printf "The user's display name (Display Name of %s); 32 hexadecimal digits when Microsoft conceals names." $a.Function)}};
COMMENT ON COLUMN licensed_users_inactive_30d.license_assign_date IS 'When the licence for the workload was assigned (<workload> License Assign Date); NULL when the report does not say.';
COMMENT ON COLUMN licensed_users_inactive_30d.last_activity_date IS 'The user''s last activity in the workload (<workload> Last Activity Date); NULL: never active in it (as far as Microsoft''s report goes).';
COMMENT ON COLUMN licensed_users_inactive_30d.days_inactive IS 'Days from last_activity_date to as_of, more than 30; NULL when the user was never active in the workload.';
COMMENT ON COLUMN licensed_users_inactive_30d.as_of IS {{lit (common "as_of")}};
COMMENT ON COLUMN licensed_users_inactive_30d.is_deleted IS 'True when the user is deleted (Is Deleted): the licence goes with the user; filter these out to find licences to reclaim.';
COMMENT ON COLUMN licensed_users_inactive_30d.concealed IS {{lit (common "concealed")}};

CREATE OR REPLACE VIEW copilot_adoption_weekly AS
WITH weeks AS (
    -- a week counts the users of the concealment of its newest snapshot:
    -- a week in which the tenant started or stopped concealing names has
    -- each user under two keys, and would count them twice
    SELECT DISTINCT ON (tenant_id, date_trunc('week', report_date))
           tenant_id, date_trunc('week', report_date)::date AS week_start, concealed
    FROM {{$c.Table}}
    ORDER BY tenant_id, date_trunc('week', report_date), report_date DESC
), snapshots AS (
    -- every user listed in a snapshot of the week has a Copilot licence
    SELECT c.tenant_id,
           w.week_start,
           count(DISTINCT c.report_date)::integer AS snapshot_days,
           count(DISTINCT c.entity_key) FILTER (WHERE c.concealed = w.concealed)::integer AS licensed_users
    FROM {{$c.Table}} c
    JOIN weeks w ON w.tenant_id = c.tenant_id AND w.week_start = date_trunc('week', c.report_date)::date
    GROUP BY c.tenant_id, w.week_start
), activity AS (
    -- each night's snapshot repeats the dates of the nights before: once each
    SELECT DISTINCT tenant_id, entity_key, concealed, last_activity_date,
           microsoft_teams_copilot_last_activity_date, word_copilot_last_activity_date,
           excel_copilot_last_activity_date, powerpoint_copilot_last_activity_date,
           outlook_copilot_last_activity_date, onenote_copilot_last_activity_date,
           loop_copilot_last_activity_date, copilot_chat_last_activity_date
    FROM {{$c.Table}}
), active AS (
    SELECT a.tenant_id,
           date_trunc('week', v.day)::date AS week_start,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'any')          AS active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'teams')        AS teams_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'word')         AS word_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'excel')        AS excel_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'powerpoint')   AS powerpoint_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'outlook')      AS outlook_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'onenote')      AS onenote_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'loop')         AS loop_active_users,
           count(DISTINCT a.entity_key) FILTER (WHERE v.app = 'copilot_chat') AS copilot_chat_active_users
    FROM activity a
    CROSS JOIN LATERAL (VALUES
        ('any'::text,     a.last_activity_date),
        ('teams',         a.microsoft_teams_copilot_last_activity_date),
        ('word',          a.word_copilot_last_activity_date),
        ('excel',         a.excel_copilot_last_activity_date),
        ('powerpoint',    a.powerpoint_copilot_last_activity_date),
        ('outlook',       a.outlook_copilot_last_activity_date),
        ('onenote',       a.onenote_copilot_last_activity_date),
        ('loop',          a.loop_copilot_last_activity_date),
        ('copilot_chat',  a.copilot_chat_last_activity_date)
    ) AS v(app, day)
    JOIN weeks w ON w.tenant_id = a.tenant_id AND w.week_start = date_trunc('week', v.day)::date AND w.concealed = a.concealed
    WHERE v.day IS NOT NULL
    GROUP BY a.tenant_id, date_trunc('week', v.day)
)
SELECT s.tenant_id,
       s.week_start,
       s.week_start + 6 AS week_end,
       s.snapshot_days,
       s.licensed_users,
       coalesce(a.active_users, 0)::integer AS active_users,
       round(coalesce(a.active_users, 0)::numeric / nullif(s.licensed_users, 0), 4) AS adoption_rate,
       coalesce(a.teams_active_users, 0)::integer        AS teams_active_users,
       coalesce(a.word_active_users, 0)::integer         AS word_active_users,
       coalesce(a.excel_active_users, 0)::integer        AS excel_active_users,
       coalesce(a.powerpoint_active_users, 0)::integer   AS powerpoint_active_users,
       coalesce(a.outlook_active_users, 0)::integer      AS outlook_active_users,
       coalesce(a.onenote_active_users, 0)::integer      AS onenote_active_users,
       coalesce(a.loop_active_users, 0)::integer         AS loop_active_users,
       coalesce(a.copilot_chat_active_users, 0)::integer AS copilot_chat_active_users
FROM snapshots s
LEFT JOIN active a USING (tenant_id, week_start);

{{- define "copilot app"}}
COMMENT ON COLUMN copilot_adoption_weekly.{{index . 0}}_active_users IS {{lit (printf "Users whose last Copilot activity in %s (the report's \"%s\" column), in any snapshot, falls within the week." (index . 1) (index . 2))}};
{{- end}}

COMMENT ON VIEW copilot_adoption_weekly IS {{lit (printf "Microsoft 365 Copilot adoption per tenant and ISO week (Monday to Sunday), from the nightly snapshots of %s (table %s): the users with a Copilot licence seen in the week's snapshots, the users active in the week (a last activity date within it, in any snapshot) overall and per app, and the share of licensed users active. Only weeks with a snapshot are listed; a week before the first snapshot would count only the users whose last activity fell in it. In a week in which the tenant started or stopped concealing names, the users are counted under the concealment of the week's newest snapshot only (each user once). Computed from per-user rows: readable only by roles granted with `ingest grant-reader --detail`." $c.Function $c.Table)}};
COMMENT ON COLUMN copilot_adoption_weekly.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN copilot_adoption_weekly.week_start IS {{lit (common "week_start")}};
COMMENT ON COLUMN copilot_adoption_weekly.week_end IS {{lit (common "week_end")}};
COMMENT ON COLUMN copilot_adoption_weekly.snapshot_days IS 'Days of the week with a snapshot of the report (a refresh date loaded): fewer than 7 for the current week or when nights were missed; licensed_users of such a week may miss a user licensed and unlicensed in between.';
COMMENT ON COLUMN copilot_adoption_weekly.licensed_users IS 'Distinct users listed in the week''s snapshots: the report lists the users with a Microsoft 365 Copilot licence.';
COMMENT ON COLUMN copilot_adoption_weekly.active_users IS 'Distinct users whose last Copilot activity (Last Activity Date), in any snapshot, falls within the week.';
COMMENT ON COLUMN copilot_adoption_weekly.adoption_rate IS 'active_users / licensed_users, 0 to 1 (4 decimals); NULL when no licensed user was seen. Above 1 only when users active in the week were no longer listed in its snapshots.';
{{- template "copilot app" (args "teams" "Microsoft Teams" "Microsoft Teams Copilot Last Activity Date")}}
{{- template "copilot app" (args "word" "Word" "Word Copilot Last Activity Date")}}
{{- template "copilot app" (args "excel" "Excel" "Excel Copilot Last Activity Date")}}
{{- template "copilot app" (args "powerpoint" "PowerPoint" "PowerPoint Copilot Last Activity Date")}}
{{- template "copilot app" (args "outlook" "Outlook" "Outlook Copilot Last Activity Date")}}
{{- template "copilot app" (args "onenote" "OneNote" "OneNote Copilot Last Activity Date")}}
{{- template "copilot app" (args "loop" "Loop" "Loop Copilot Last Activity Date")}}
{{- template "copilot app" (args "copilot_chat" "Copilot Chat" "Copilot Chat Last Activity Date")}}

CREATE OR REPLACE VIEW sites_unused_90d AS
WITH sites AS (
    SELECT tenant_id, 'onedrive'::text AS kind, entity_key, NULL::text AS site_id, site_url,
           owner_display_name, owner_principal_name, NULL::text AS root_web_template,
           last_activity_date, storage_used_byte, storage_allocated_byte, file_count,
           is_deleted, report_date, concealed
    FROM {{$o.Table}}_current
    UNION ALL
    SELECT tenant_id, 'sharepoint', entity_key, site_id, site_url,
           owner_display_name, owner_principal_name, root_web_template,
           last_activity_date, storage_used_byte, storage_allocated_byte, file_count,
           is_deleted, report_date, concealed
    FROM {{$p.Table}}_current
), newest AS (
    SELECT s.*, max(s.report_date) OVER (PARTITION BY s.tenant_id, s.kind) AS newest
    FROM sites s
)
SELECT tenant_id,
       kind,
       entity_key,
       site_id,
       site_url,
       owner_display_name,
       owner_principal_name,
       root_web_template,
       last_activity_date,
       report_date - last_activity_date AS days_unused,
       storage_used_byte,
       storage_allocated_byte,
       file_count,
       report_date AS as_of,
       concealed
FROM newest
WHERE is_deleted IS NOT TRUE
  AND (last_activity_date IS NULL OR last_activity_date < report_date - 90)
  AND report_date = newest;

COMMENT ON VIEW sites_unused_90d IS {{lit (printf "OneDrive accounts and SharePoint sites nobody used for more than 90 days before the row's day (as_of), or ever (days_unused NULL), deleted ones left out: one row per tenant and site, from the newest row of each of %s (%s_current) and %s (%s_current), on the tenant's newest day of each: sites no longer listed (gone, or of a concealment the tenant has since left) are left out. Storage and files show what is at stake. Per-site data naming owners: readable only by roles granted with `ingest grant-reader --detail`." $o.Function $o.Table $p.Function $p.Table)}};
COMMENT ON COLUMN sites_unused_90d.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN sites_unused_90d.kind IS 'onedrive (a user''s OneDrive, getOneDriveUsageAccountDetail) or sharepoint (a SharePoint site, getSharePointSiteUsageDetail).';
COMMENT ON COLUMN sites_unused_90d.entity_key IS {{lit (common "entity_key")}};
COMMENT ON COLUMN sites_unused_90d.site_id IS 'The SharePoint site''s id (Site Id; the nil GUID when Microsoft conceals names); NULL for a OneDrive, whose report has none.';
COMMENT ON COLUMN sites_unused_90d.site_url IS 'The site''s URL (Site URL); 32 hexadecimal digits when Microsoft conceals names.';
COMMENT ON COLUMN sites_unused_90d.owner_display_name IS 'The owner''s display name (Owner Display Name); 32 hexadecimal digits when Microsoft conceals names.';
COMMENT ON COLUMN sites_unused_90d.owner_principal_name IS 'The owner''s principal name (Owner Principal Name); 32 hexadecimal digits when Microsoft conceals names; NULL when the report does not say.';
COMMENT ON COLUMN sites_unused_90d.root_web_template IS 'The SharePoint site''s template (Root Web Template: Team Site, Group, Communication Site...); NULL for a OneDrive.';
COMMENT ON COLUMN sites_unused_90d.last_activity_date IS 'The site''s last activity (Last Activity Date); NULL: never used (as far as Microsoft''s report goes).';
COMMENT ON COLUMN sites_unused_90d.days_unused IS 'Days from last_activity_date to as_of, more than 90; NULL when the site was never used.';
COMMENT ON COLUMN sites_unused_90d.storage_used_byte IS 'Storage the site uses, in bytes (Storage Used (Byte)).';
COMMENT ON COLUMN sites_unused_90d.storage_allocated_byte IS 'Storage allocated to the site, in bytes (Storage Allocated (Byte)).';
COMMENT ON COLUMN sites_unused_90d.file_count IS 'Files in the site (File Count).';
COMMENT ON COLUMN sites_unused_90d.as_of IS {{lit (common "as_of")}};
COMMENT ON COLUMN sites_unused_90d.concealed IS {{lit (common "concealed")}};
