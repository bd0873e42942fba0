-- +goose Up
-- Email activity, email app usage and mailbox usage (report/exchange.go): one
-- table per report, written as go test ./load -run PrintDDL -ddl '^getEmail|^getMailbox'
-- prints them and checked against the spec by TestEveryReportHasItsTable.

-- Email activity: emails sent, received and read, and meetings created and interacted with, per day
CREATE TABLE email_activity_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    send                bigint,
    receive             bigint,
    read                bigint,
    meeting_created     bigint,
    meeting_interacted  bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Email activity: unique users who sent, received or read email, or created or interacted with meetings, per day
CREATE TABLE email_activity_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    send                bigint,
    receive             bigint,
    read                bigint,
    meeting_created     bigint,
    meeting_interacted  bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Email app usage: unique users per email app over the period
CREATE TABLE email_app_usage_apps_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    mail_for_mac        bigint,
    outlook_for_mac     bigint,
    outlook_for_windows bigint,
    outlook_for_mobile  bigint,
    other_for_mobile    bigint,
    outlook_for_web     bigint,
    pop3_app            bigint,
    imap4_app           bigint,
    smtp_app            bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Email app usage: unique users per email app per day
CREATE TABLE email_app_usage_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    mail_for_mac        bigint,
    outlook_for_mac     bigint,
    outlook_for_windows bigint,
    outlook_for_mobile  bigint,
    other_for_mobile    bigint,
    outlook_for_web     bigint,
    pop3_app            bigint,
    imap4_app           bigint,
    smtp_app            bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Email app usage: unique users per Outlook version over the period
CREATE TABLE email_app_usage_versions_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    outlook_2016        bigint,
    outlook_2013        bigint,
    outlook_2010        bigint,
    outlook_2007        bigint,
    undetermined        bigint,
    outlook_m365        bigint,
    outlook_2019        bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Mailbox usage: mailboxes in all and active mailboxes per day
CREATE TABLE mailbox_usage_mailbox_counts (
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

-- Mailbox usage: mailboxes per quota status per day
CREATE TABLE mailbox_usage_quota_status_mailbox_counts (
    tenant_id               text        NOT NULL,
    report_refresh_date     date        NOT NULL,
    report_date             date        NOT NULL,
    report_period           integer     NOT NULL,
    under_limit             bigint,
    warning_issued          bigint,
    send_prohibited         bigint,
    send_receive_prohibited bigint,
    indeterminate           bigint,
    loaded_at               timestamptz NOT NULL DEFAULT now(),
    changed_at              timestamptz NOT NULL DEFAULT now(),
    run_id                  bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Mailbox usage: storage used by all mailboxes per day
CREATE TABLE mailbox_usage_storage (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    storage_used_byte   bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- +goose Down
DROP TABLE email_activity_counts;
DROP TABLE email_activity_user_counts;
DROP TABLE email_app_usage_apps_user_counts;
DROP TABLE email_app_usage_user_counts;
DROP TABLE email_app_usage_versions_user_counts;
DROP TABLE mailbox_usage_mailbox_counts;
DROP TABLE mailbox_usage_quota_status_mailbox_counts;
DROP TABLE mailbox_usage_storage;
