-- +goose Up
-- The last ETag loaded per tenant, report and period, sent as If-None-Match
-- on the next fetch (unless --force). Written only after a load committed,
-- so a report that failed is never skipped as "not modified".
CREATE TABLE report_etags (
    tenant_id  text        NOT NULL,
    report     text        NOT NULL,
    period     text        NOT NULL,
    etag       text        NOT NULL,
    format     text        NOT NULL CHECK (format IN ('csv', 'json')),
    run_id     bigint      REFERENCES ingest_runs,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, report, period)
);

-- Every HTTP request made to fetch a report, retries included: what was
-- asked (the URL without its query when it is a download URL), what came
-- back, and how long the client waited before the next try. It also tells a
-- later run how much of Graph's per-report request budget is already spent.
CREATE TABLE fetch_attempts (
    attempt_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint      NOT NULL REFERENCES ingest_runs,
    tenant_id   text        NOT NULL,
    report      text        NOT NULL,
    period      text,
    format      text        NOT NULL CHECK (format IN ('csv', 'json')),
    seq         integer     NOT NULL,   -- 1-based order within the report's fetch
    phase       text        NOT NULL CHECK (phase IN ('graph', 'download')),
    url         text        NOT NULL,
    sent_at     timestamptz NOT NULL,
    http_status integer,                -- NULL when no response came
    error       text,
    wait_ms     bigint      NOT NULL DEFAULT 0
);
CREATE INDEX fetch_attempts_run_id ON fetch_attempts (run_id);
CREATE INDEX fetch_attempts_budget ON fetch_attempts (tenant_id, sent_at) WHERE phase = 'graph';

-- +goose Down
DROP TABLE fetch_attempts;
DROP TABLE report_etags;
