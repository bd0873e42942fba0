// Package localpg names the Postgres server this project's machines run:
// the default of --database-url (DATABASE_URL) and the server the tests use
// when DATABASE_URL is unset. It is a package of its own so that the command
// line and internal/pgtest share it without depending on each other or on
// load (whose own tests use pgtest). scripts/ensure-postgres.sh holds the
// same default for the shell.
package localpg

// URL is the local server: trust authentication, no TLS.
const URL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
