-- +goose Up
-- Detail views (per user, site, group or team) reach a reader role only
-- when `ingest grant-reader --detail` granted it them (DESIGN.md). Which
-- applied view files create detail views (their template carries the line
-- `-- ingest:grant detail`, see load/views.go), and which reader roles were
-- granted with --detail, so that `ingest migrate` gives the detail views of
-- a later version to those roles only, and takes them back from the others.
ALTER TABLE applied_views ADD COLUMN detail boolean NOT NULL DEFAULT false;
ALTER TABLE reader_roles ADD COLUMN detail boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE reader_roles DROP COLUMN detail;
ALTER TABLE applied_views DROP COLUMN detail;
