-- +goose Up
-- The backend (pid and start time) of the session that holds a run's lock.
-- Another run tells by it a live run from one whose process died, and a run
-- from a session that merely holds the lock's key.
ALTER TABLE ingest_runs ADD COLUMN backend_pid integer, ADD COLUMN backend_start timestamptz;

-- +goose Down
ALTER TABLE ingest_runs DROP COLUMN backend_start, DROP COLUMN backend_pid;
