-- +goose Up
-- Every invocation of a command that loads data.
CREATE TABLE ingest_runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command     text        NOT NULL,
    period      text,
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    host        text,
    version     text,
    error       text
);

-- Every payload as received, keyed by its sha256, so it can be replayed.
CREATE TABLE payloads (
    sha256        text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    body          bytea       NOT NULL,
    bytes         bigint      NOT NULL,
    content_type  text,
    format        text        NOT NULL CHECK (format IN ('csv', 'json')),
    first_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Every report fetched (or file loaded) by a run, and what came of it.
CREATE TABLE report_fetches (
    fetch_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          bigint      NOT NULL REFERENCES ingest_runs,
    tenant_id       text        NOT NULL,
    report          text        NOT NULL,
    period          text,
    source          text        NOT NULL,
    fetched_at      timestamptz NOT NULL DEFAULT now(),
    http_status     integer,
    etag            text,
    content_type    text,
    bytes           bigint,
    sha256          text REFERENCES payloads,
    report_refresh_date date,
    oldest_report_date  date,
    newest_report_date  date,
    rows_parsed     integer,
    rows_inserted   integer,
    rows_updated    integer,
    rows_unchanged  integer,
    unknown_columns text[],
    duration_ms     bigint,
    outcome         text        NOT NULL CHECK (outcome IN ('loaded', 'not_modified', 'failed')),
    error           text
);
CREATE INDEX report_fetches_run_id ON report_fetches (run_id);
CREATE INDEX report_fetches_report ON report_fetches (tenant_id, report, fetched_at DESC);

CREATE TABLE skype_organizer_activity_user_counts (
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

CREATE TABLE skype_organizer_activity_minute_counts (
    tenant_id           text        NOT NULL,
    report_date         date        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_period       integer     NOT NULL,
    audio_video         bigint,
    dial_in_microsoft   bigint,
    dial_out_microsoft  bigint,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint      REFERENCES ingest_runs,
    PRIMARY KEY (tenant_id, report_date)
);

-- +goose Down
DROP TABLE skype_organizer_activity_minute_counts;
DROP TABLE skype_organizer_activity_user_counts;
DROP TABLE report_fetches;
DROP TABLE payloads;
DROP TABLE ingest_runs;
