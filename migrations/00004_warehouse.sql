-- +goose Up
-- The previous version of every report row that a restatement replaced:
-- nothing Microsoft restated is lost.
CREATE TABLE row_history (
    history_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_table    text        NOT NULL,
    tenant_id       text        NOT NULL,
    report_date     date,
    old_row         jsonb       NOT NULL,
    replaced_by_run bigint      NOT NULL REFERENCES ingest_runs,
    replaced_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX row_history_key ON row_history (report_table, tenant_id, report_date);

-- Roles given read access to the views by `ingest grant-reader`; the grants
-- are re-applied whenever the views are re-created.
CREATE TABLE reader_roles (
    role_name  text        PRIMARY KEY,
    granted_at timestamptz NOT NULL DEFAULT now()
);

-- The views as last applied, so that `ingest migrate` re-creates them only
-- when their SQL changed.
CREATE TABLE applied_views (
    file       text        PRIMARY KEY,
    view_names text[]      NOT NULL,
    sha256     text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE report_fetches ADD COLUMN rows_restated integer;

-- +goose Down
ALTER TABLE report_fetches DROP COLUMN rows_restated;
DROP TABLE applied_views;
DROP TABLE reader_roles;
DROP TABLE row_history;
