-- +goose Up
-- A valid payload with no rows (a header-only CSV, an empty JSON value
-- array: what Graph answers for a workload without data) is recorded as
-- `empty`, not as `loaded`, so that it never passes for fresh data.
ALTER TABLE report_fetches DROP CONSTRAINT report_fetches_outcome_check;
ALTER TABLE report_fetches ADD CONSTRAINT report_fetches_outcome_check
    CHECK (outcome IN ('loaded', 'not_modified', 'empty', 'failed'));

-- +goose Down
UPDATE report_fetches SET outcome = 'loaded' WHERE outcome = 'empty';
ALTER TABLE report_fetches DROP CONSTRAINT report_fetches_outcome_check;
ALTER TABLE report_fetches ADD CONSTRAINT report_fetches_outcome_check
    CHECK (outcome IN ('loaded', 'not_modified', 'failed'));
