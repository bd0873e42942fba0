-- +goose Up
-- Viva Engage (Yammer) activity, device usage and groups activity
-- (report/yammer.go): one table per report, written as go test ./load -run
-- PrintDDL -ddl '^getYammer' prints them and checked against the spec by
-- TestEveryReportHasItsTable.

-- Viva Engage (Yammer) activity: messages liked, posted and read per day
CREATE TABLE yammer_activity_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    liked               bigint,
    posted              bigint,
    read                bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Viva Engage (Yammer) activity: unique users who liked, posted or read messages per day
CREATE TABLE yammer_activity_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    liked               bigint,
    posted              bigint,
    read                bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Viva Engage (Yammer) device usage: unique users per device type over the whole period (one row per refresh date and period)
CREATE TABLE yammer_device_usage_distribution_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    web                 bigint,
    windows_phone       bigint,
    android_phone       bigint,
    iphone              bigint,
    ipad                bigint,
    other               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Viva Engage (Yammer) device usage: unique users per device type per day
CREATE TABLE yammer_device_usage_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    web                 bigint,
    windows_phone       bigint,
    android_phone       bigint,
    iphone              bigint,
    ipad                bigint,
    other               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Viva Engage (Yammer) groups activity: messages liked, posted and read in groups per day
CREATE TABLE yammer_groups_activity_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    liked               bigint,
    posted              bigint,
    read                bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Viva Engage (Yammer) groups activity: groups in all and active groups per day
CREATE TABLE yammer_groups_activity_group_counts (
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

-- +goose Down
DROP TABLE yammer_activity_counts;
DROP TABLE yammer_activity_user_counts;
DROP TABLE yammer_device_usage_distribution_user_counts;
DROP TABLE yammer_device_usage_user_counts;
DROP TABLE yammer_groups_activity_counts;
DROP TABLE yammer_groups_activity_group_counts;
