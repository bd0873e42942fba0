-- +goose Up
-- Microsoft 365 activations, active users and services, and Microsoft 365
-- groups activity (report/office365.go): one table per report, written as
-- go test ./load -run PrintDDL -ddl '^getOffice365' prints them and checked
-- against the spec by TestEveryReportHasItsTable.

-- Microsoft 365 activations: activated devices per platform and product type, as of the refresh date
CREATE TABLE office365_activation_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    product_type        text        NOT NULL,
    windows             bigint,
    mac                 bigint,
    android             bigint,
    ios                 bigint,
    windows_10_mobile   bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, product_type)
);

-- Microsoft 365 activations: users assigned and activated per product type, as of the refresh date
CREATE TABLE office365_activations_user_counts (
    tenant_id                  text        NOT NULL,
    report_refresh_date        date        NOT NULL,
    product_type               text        NOT NULL,
    assigned                   bigint,
    activated                  bigint,
    shared_computer_activation bigint,
    loaded_at                  timestamptz NOT NULL DEFAULT now(),
    changed_at                 timestamptz NOT NULL DEFAULT now(),
    run_id                     bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, product_type)
);

-- Microsoft 365 active users: unique active users per service per day
CREATE TABLE office365_active_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    office_365          bigint,
    exchange            bigint,
    onedrive            bigint,
    sharepoint          bigint,
    skype_for_business  bigint,
    yammer              bigint,
    teams               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 services: active and inactive users per service over the period
CREATE TABLE office365_services_user_counts (
    tenant_id                   text        NOT NULL,
    report_refresh_date         date        NOT NULL,
    report_period               integer     NOT NULL,
    exchange_active             bigint,
    exchange_inactive           bigint,
    onedrive_active             bigint,
    onedrive_inactive           bigint,
    sharepoint_active           bigint,
    sharepoint_inactive         bigint,
    skype_for_business_active   bigint,
    skype_for_business_inactive bigint,
    yammer_active               bigint,
    yammer_inactive             bigint,
    teams_active                bigint,
    teams_inactive              bigint,
    office_365_active           bigint,
    office_365_inactive         bigint,
    loaded_at                   timestamptz NOT NULL DEFAULT now(),
    changed_at                  timestamptz NOT NULL DEFAULT now(),
    run_id                      bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Microsoft 365 groups activity: emails received and Yammer messages posted, read and liked in groups per day
CREATE TABLE office365_groups_activity_counts (
    tenant_id                text        NOT NULL,
    report_refresh_date      date        NOT NULL,
    report_date              date        NOT NULL,
    report_period            integer     NOT NULL,
    exchange_emails_received bigint,
    yammer_messages_posted   bigint,
    yammer_messages_read     bigint,
    yammer_messages_liked    bigint,
    loaded_at                timestamptz NOT NULL DEFAULT now(),
    changed_at               timestamptz NOT NULL DEFAULT now(),
    run_id                   bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 groups activity: files in all and active files in groups' sites per day
CREATE TABLE office365_groups_activity_file_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    total               bigint,
    active              bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 groups activity: groups in all and active groups per day
CREATE TABLE office365_groups_activity_group_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    total               bigint,
    active              bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 groups activity: storage used by groups' mailboxes and sites per day
CREATE TABLE office365_groups_activity_storage (
    tenant_id                 text        NOT NULL,
    report_refresh_date       date        NOT NULL,
    report_date               date        NOT NULL,
    report_period             integer     NOT NULL,
    mailbox_storage_used_byte bigint,
    site_storage_used_byte    bigint,
    loaded_at                 timestamptz NOT NULL DEFAULT now(),
    changed_at                timestamptz NOT NULL DEFAULT now(),
    run_id                    bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- +goose Down
DROP TABLE office365_activation_counts;
DROP TABLE office365_activations_user_counts;
DROP TABLE office365_active_user_counts;
DROP TABLE office365_services_user_counts;
DROP TABLE office365_groups_activity_counts;
DROP TABLE office365_groups_activity_file_counts;
DROP TABLE office365_groups_activity_group_counts;
DROP TABLE office365_groups_activity_storage;
