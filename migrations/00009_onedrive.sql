-- +goose Up
-- OneDrive activity and usage (report/onedrive.go): one table per report,
-- written as go test ./load -run PrintDDL -ddl '^getOneDrive' prints them and
-- checked against the spec by TestEveryReportHasItsTable.

-- OneDrive activity: files viewed or edited, synced, and shared internally and externally, per day
CREATE TABLE onedrive_activity_file_counts (
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

-- OneDrive activity: unique users who viewed or edited, synced, or shared files internally and externally, per day
CREATE TABLE onedrive_activity_user_counts (
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

-- OneDrive usage: OneDrive accounts in all and active accounts per site type per day
CREATE TABLE onedrive_usage_account_counts (
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

-- OneDrive usage: files in all and active files across OneDrive accounts per site type per day
CREATE TABLE onedrive_usage_file_counts (
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

-- OneDrive usage: storage used across OneDrive accounts per site type per day
CREATE TABLE onedrive_usage_storage (
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
DROP TABLE onedrive_activity_file_counts;
DROP TABLE onedrive_activity_user_counts;
DROP TABLE onedrive_usage_account_counts;
DROP TABLE onedrive_usage_file_counts;
DROP TABLE onedrive_usage_storage;
