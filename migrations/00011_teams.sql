-- +goose Up
-- Teams device usage, user activity and team activity (report/teams.go): one
-- table per report, written as go test ./load -run PrintDDL -ddl '^getTeams'
-- prints them and checked against the spec by TestEveryReportHasItsTable.

-- Teams device usage: unique users per device type per day
CREATE TABLE teams_device_usage_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    web                 bigint,
    windows_phone       bigint,
    android_phone       bigint,
    ios                 bigint,
    mac                 bigint,
    windows             bigint,
    chrome_os           bigint,
    linux               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Teams device usage: unique users per device type over the whole period (one row per refresh date and period)
CREATE TABLE teams_device_usage_distribution_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    web                 bigint,
    windows_phone       bigint,
    android_phone       bigint,
    ios                 bigint,
    mac                 bigint,
    windows             bigint,
    chrome_os           bigint,
    linux               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Teams user activity: chat, channel post and reply messages, calls, meetings and audio, video and screen-share time per day
CREATE TABLE teams_user_activity_counts (
    tenant_id                text        NOT NULL,
    report_refresh_date      date        NOT NULL,
    report_date              date        NOT NULL,
    report_period            integer     NOT NULL,
    team_chat_messages       bigint,
    private_chat_messages    bigint,
    calls                    bigint,
    meetings                 bigint,
    meetings_organized_count bigint,
    meetings_attended_count  bigint,
    audio_duration           interval,
    video_duration           interval,
    screen_share_duration    interval,
    post_messages            bigint,
    reply_messages           bigint,
    loaded_at                timestamptz NOT NULL DEFAULT now(),
    changed_at               timestamptz NOT NULL DEFAULT now(),
    run_id                   bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Teams user activity: unique users who chatted, called, met or did other actions per day
CREATE TABLE teams_user_activity_user_counts (
    tenant_id             text        NOT NULL,
    report_refresh_date   date        NOT NULL,
    report_date           date        NOT NULL,
    report_period         integer     NOT NULL,
    team_chat_messages    bigint,
    private_chat_messages bigint,
    calls                 bigint,
    meetings              bigint,
    other_actions         bigint,
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    changed_at            timestamptz NOT NULL DEFAULT now(),
    run_id                bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Teams team activity: active users, channels and guests, and messages, reactions, meetings and mentions in teams per day
CREATE TABLE teams_team_activity_counts (
    tenant_id              text        NOT NULL,
    report_refresh_date    date        NOT NULL,
    report_date            date        NOT NULL,
    report_period          integer     NOT NULL,
    active_users           bigint,
    active_channels        bigint,
    guests                 bigint,
    reactions              bigint,
    meetings_organized     bigint,
    post_messages          bigint,
    channel_messages       bigint,
    active_shared_channels bigint,
    active_external_users  bigint,
    reply_messages         bigint,
    urgent_messages        bigint,
    mentions               bigint,
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    changed_at             timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Teams team activity: teams per activity type over the whole period (one row per refresh date and period)
CREATE TABLE teams_team_activity_distribution_counts (
    tenant_id              text        NOT NULL,
    report_refresh_date    date        NOT NULL,
    report_period          integer     NOT NULL,
    active_users           bigint,
    active_channels        bigint,
    guests                 bigint,
    reactions              bigint,
    meetings_organized     bigint,
    post_messages          bigint,
    channel_messages       bigint,
    active_shared_channels bigint,
    active_external_users  bigint,
    reply_messages         bigint,
    urgent_messages        bigint,
    mentions               bigint,
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    changed_at             timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- Teams team counts: public and private teams, and the active ones, per day
CREATE TABLE teams_team_counts (
    tenant_id            text        NOT NULL,
    report_refresh_date  date        NOT NULL,
    report_date          date        NOT NULL,
    public_teams         bigint,
    active_public_teams  bigint,
    private_teams        bigint,
    active_private_teams bigint,
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    changed_at           timestamptz NOT NULL DEFAULT now(),
    run_id               bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- +goose Down
DROP TABLE teams_device_usage_user_counts;
DROP TABLE teams_device_usage_distribution_user_counts;
DROP TABLE teams_user_activity_counts;
DROP TABLE teams_user_activity_user_counts;
DROP TABLE teams_team_activity_counts;
DROP TABLE teams_team_activity_distribution_counts;
DROP TABLE teams_team_counts;
