-- +goose Up
-- Microsoft 365 apps usage and Microsoft 365 Copilot usage (report/apps.go):
-- one table per report, written as go test ./load -run PrintDDL -ddl '^getM365App|^getMicrosoft365Copilot'
-- prints them and checked against the spec by TestEveryReportHasItsTable.

-- Microsoft 365 apps usage: unique users per platform (Windows, Mac, mobile, web) per day
CREATE TABLE m365_app_platform_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    windows             bigint,
    mac                 bigint,
    mobile              bigint,
    web                 bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 apps usage: unique users per app (Outlook, Word, Excel, PowerPoint, OneNote, Teams) per day
CREATE TABLE m365_app_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    outlook             bigint,
    word                bigint,
    excel               bigint,
    powerpoint          bigint,
    onenote             bigint,
    teams               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Microsoft 365 Copilot usage: users enabled for and active in Copilot, per app, over the whole period (one row per refresh date and period)
CREATE TABLE copilot_user_count_summary (
    tenant_id                     text        NOT NULL,
    report_refresh_date           date        NOT NULL,
    report_period                 integer     NOT NULL,
    any_app_enabled_users         bigint,
    any_app_active_users          bigint,
    microsoft_teams_enabled_users bigint,
    microsoft_teams_active_users  bigint,
    word_enabled_users            bigint,
    word_active_users             bigint,
    powerpoint_enabled_users      bigint,
    powerpoint_active_users       bigint,
    outlook_enabled_users         bigint,
    outlook_active_users          bigint,
    excel_enabled_users           bigint,
    excel_active_users            bigint,
    onenote_enabled_users         bigint,
    onenote_active_users          bigint,
    loop_enabled_users            bigint,
    loop_active_users             bigint,
    copilot_chat_enabled_users    bigint,
    copilot_chat_active_users     bigint,
    loaded_at                     timestamptz NOT NULL DEFAULT now(),
    changed_at                    timestamptz NOT NULL DEFAULT now(),
    run_id                        bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Microsoft 365 Copilot usage: users enabled for and active in Copilot, per app, per day
CREATE TABLE copilot_user_count_trend (
    tenant_id                     text        NOT NULL,
    report_refresh_date           date        NOT NULL,
    report_date                   date        NOT NULL,
    report_period                 integer     NOT NULL,
    any_app_enabled_users         bigint,
    any_app_active_users          bigint,
    microsoft_teams_enabled_users bigint,
    microsoft_teams_active_users  bigint,
    word_enabled_users            bigint,
    word_active_users             bigint,
    powerpoint_enabled_users      bigint,
    powerpoint_active_users       bigint,
    outlook_enabled_users         bigint,
    outlook_active_users          bigint,
    excel_enabled_users           bigint,
    excel_active_users            bigint,
    onenote_enabled_users         bigint,
    onenote_active_users          bigint,
    loop_enabled_users            bigint,
    loop_active_users             bigint,
    copilot_chat_enabled_users    bigint,
    copilot_chat_active_users     bigint,
    loaded_at                     timestamptz NOT NULL DEFAULT now(),
    changed_at                    timestamptz NOT NULL DEFAULT now(),
    run_id                        bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- +goose Down
DROP TABLE m365_app_platform_user_counts;
DROP TABLE m365_app_user_counts;
DROP TABLE copilot_user_count_summary;
DROP TABLE copilot_user_count_trend;
