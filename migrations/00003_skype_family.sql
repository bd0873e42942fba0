-- +goose Up
-- The rest of the Skype for Business report family (report/report.go): one
-- table per report, the same shape as the two organizer tables of 00001:
-- snake_case of the headers, bigint counts (an empty cell is NULL), the
-- bookkeeping columns, and one row per tenant and report date; but the device
-- usage distribution, a snapshot without a report date (at the end).

-- Conferences organized per day and activity type
CREATE TABLE skype_organizer_activity_counts (
    tenant_id             text        NOT NULL,
    report_date           date        NOT NULL,
    report_refresh_date   date        NOT NULL,
    report_period         integer     NOT NULL,
    im                    bigint,
    audio_video           bigint,
    app_sharing           bigint,
    web                   bigint,
    dial_in_out_3rd_party bigint,
    dial_in_out_microsoft bigint,
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    changed_at            timestamptz NOT NULL DEFAULT now(),
    run_id                bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Conference participations per day and activity type
CREATE TABLE skype_participant_activity_counts (
    tenant_id             text        NOT NULL,
    report_date           date        NOT NULL,
    report_refresh_date   date        NOT NULL,
    report_period         integer     NOT NULL,
    im                    bigint,
    audio_video           bigint,
    app_sharing           bigint,
    web                   bigint,
    dial_in_out_3rd_party bigint,
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    changed_at            timestamptz NOT NULL DEFAULT now(),
    run_id                bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Unique conference participants per day and activity type
CREATE TABLE skype_participant_activity_user_counts (
    tenant_id             text        NOT NULL,
    report_date           date        NOT NULL,
    report_refresh_date   date        NOT NULL,
    report_period         integer     NOT NULL,
    im                    bigint,
    audio_video           bigint,
    app_sharing           bigint,
    web                   bigint,
    dial_in_out_3rd_party bigint,
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    changed_at            timestamptz NOT NULL DEFAULT now(),
    run_id                bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Conference minutes of participants per day
CREATE TABLE skype_participant_activity_minute_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    audio_video         bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Peer-to-peer sessions per day and activity type
CREATE TABLE skype_peer_to_peer_activity_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    im                  bigint,
    audio               bigint,
    video               bigint,
    app_sharing         bigint,
    file_transfer       bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Unique peer-to-peer users per day and activity type
CREATE TABLE skype_peer_to_peer_activity_user_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    im                  bigint,
    audio               bigint,
    video               bigint,
    app_sharing         bigint,
    file_transfer       bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Peer-to-peer audio and video minutes per day
CREATE TABLE skype_peer_to_peer_activity_minute_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    audio               bigint,
    video               bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Peer-to-peer sessions, conferences organized and participations per day
CREATE TABLE skype_activity_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    peer_to_peer        bigint,
    organized           bigint,
    participated        bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Unique users per day in peer-to-peer sessions, organizing and participating
CREATE TABLE skype_activity_user_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    peer_to_peer        bigint,
    organized           bigint,
    participated        bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Unique users per day and device type
CREATE TABLE skype_device_usage_user_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    windows             bigint,
    windows_phone       bigint,
    android_phone       bigint,
    iphone              bigint,
    ipad                bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- Unique users per device type over a whole period. The report has no Report
-- Date: it is a snapshot per refresh date and period, so that is its key.
CREATE TABLE skype_device_usage_distribution_user_counts (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    windows             bigint,
    windows_phone       bigint,
    android_phone       bigint,
    iphone              bigint,
    ipad                bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_refresh_date, report_period)
);

-- +goose Down
DROP TABLE skype_device_usage_distribution_user_counts;
DROP TABLE skype_device_usage_user_counts;
DROP TABLE skype_activity_user_counts;
DROP TABLE skype_activity_counts;
DROP TABLE skype_peer_to_peer_activity_minute_counts;
DROP TABLE skype_peer_to_peer_activity_user_counts;
DROP TABLE skype_peer_to_peer_activity_counts;
DROP TABLE skype_participant_activity_minute_counts;
DROP TABLE skype_participant_activity_user_counts;
DROP TABLE skype_participant_activity_counts;
DROP TABLE skype_organizer_activity_counts;
