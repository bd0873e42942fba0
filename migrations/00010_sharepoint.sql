-- +goose Up
-- SharePoint activity and site usage (report/sharepoint.go): one table per
-- report, written as go test ./load -run PrintDDL -ddl '^getSharePoint' prints
-- them and checked against the spec by TestEveryReportHasItsTable.

-- SharePoint activity: files viewed or edited, synced, and shared internally and externally, per day
CREATE TABLE sharepoint_activity_file_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    viewed_or_edited    bigint,
    synced              bigint,
    shared_internally   bigint,
    shared_externally   bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- SharePoint activity: pages visited per day
CREATE TABLE sharepoint_activity_pages (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    visited_page_count  bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- SharePoint activity: unique users who visited pages, viewed or edited, synced, or shared files, per day
CREATE TABLE sharepoint_activity_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    visited_page        bigint,
    viewed_or_edited    bigint,
    synced              bigint,
    shared_internally   bigint,
    shared_externally   bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- SharePoint site usage: files in all and active files across sites per site type per day
CREATE TABLE sharepoint_site_usage_file_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    site_type           text        NOT NULL,
    total               bigint,
    active              bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date, site_type)
);

-- SharePoint site usage: page views across sites per site type per day
CREATE TABLE sharepoint_site_usage_pages (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    site_type           text        NOT NULL,
    page_view_count     bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date, site_type)
);

-- SharePoint site usage: sites in all and active sites per site type per day
CREATE TABLE sharepoint_site_usage_site_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    site_type           text        NOT NULL,
    total               bigint,
    active              bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date, site_type)
);

-- SharePoint site usage: storage used across sites per site type per day
CREATE TABLE sharepoint_site_usage_storage (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    site_type           text        NOT NULL,
    storage_used_byte   bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date, site_type)
);

-- +goose Down
DROP TABLE sharepoint_activity_file_counts;
DROP TABLE sharepoint_activity_pages;
DROP TABLE sharepoint_activity_user_counts;
DROP TABLE sharepoint_site_usage_file_counts;
DROP TABLE sharepoint_site_usage_pages;
DROP TABLE sharepoint_site_usage_site_counts;
DROP TABLE sharepoint_site_usage_storage;
