-- +goose Up
-- Detail reports (issue 14): a payload streamed into the warehouse, and
-- what report_fetches records of a detail report's fetch.

-- A streamed payload (a detail report of up to a few hundred MB) is not one
-- bytea: it is stored gzip-compressed as it arrives, in pieces of
-- payload_chunks (their concatenation in seq order is one gzip stream),
-- and payloads.stream_id names them; payloads.body is then NULL.
CREATE SEQUENCE payload_stream_seq;
ALTER TABLE payloads ALTER COLUMN body DROP NOT NULL;
ALTER TABLE payloads ADD COLUMN stream_id bigint UNIQUE;
ALTER TABLE payloads ADD CONSTRAINT payloads_body_or_stream CHECK ((body IS NULL) <> (stream_id IS NULL));
CREATE TABLE payload_chunks (
    stream_id bigint  NOT NULL REFERENCES payloads (stream_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq       integer NOT NULL,
    data      bytea   NOT NULL,
    PRIMARY KEY (stream_id, seq)
);
-- Already compressed: no second compression attempt.
ALTER TABLE payload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- asked_date: the day a date= call asked for (NULL for a period= call).
-- concealed: whether the payload's names were concealed (the tenant's
-- setting when it could be read, else as the names look);
-- concealed_setting: the tenant's displayConcealedNames as read before the
-- fetch (NULL: not permitted or not asked); concealment_changed: the
-- payload's concealment differs from the last payload loaded of the
-- tenant's report.
ALTER TABLE report_fetches ADD COLUMN asked_date date;
ALTER TABLE report_fetches ADD COLUMN concealed boolean;
ALTER TABLE report_fetches ADD COLUMN concealed_setting boolean;
ALTER TABLE report_fetches ADD COLUMN concealment_changed boolean;
CREATE INDEX report_fetches_asked_date ON report_fetches (tenant_id, report, asked_date) WHERE asked_date IS NOT NULL;

-- +goose Down
DROP INDEX report_fetches_asked_date;
ALTER TABLE report_fetches DROP COLUMN concealment_changed;
ALTER TABLE report_fetches DROP COLUMN concealed_setting;
ALTER TABLE report_fetches DROP COLUMN concealed;
ALTER TABLE report_fetches DROP COLUMN asked_date;
DROP TABLE payload_chunks;
DELETE FROM payloads WHERE body IS NULL;
ALTER TABLE payloads DROP CONSTRAINT payloads_body_or_stream;
ALTER TABLE payloads DROP COLUMN stream_id;
ALTER TABLE payloads ALTER COLUMN body SET NOT NULL;
DROP SEQUENCE payload_stream_seq;
