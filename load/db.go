// Package load owns the warehouse: it connects to Postgres, applies the
// embedded goose migrations and views into one schema, records runs and
// fetches, and upserts parsed report rows idempotently, one transaction per
// payload. pgx errors are translated here and never leak above it.
package load

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/m365ingest/ingest/migrations"
	"github.com/m365ingest/ingest/sql/views"
)

// DefaultSchema is where the warehouse lives unless --schema says otherwise.
const DefaultSchema = "m365"

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CheckSchema refuses a schema name the warehouse cannot live in, as a
// *ConfigError: one that is not a plain lower-case identifier, or a system
// schema (information_schema, pg_catalog, pg_toast, any pg_…). public is
// allowed.
func CheckSchema(schema string) error {
	if !schemaRE.MatchString(schema) {
		return &ConfigError{fmt.Sprintf("invalid schema %q: want a lower-case identifier of letters, digits and _", schema)}
	}
	// Postgres reserves the pg_ prefix for its own schemas (pg_catalog,
	// pg_toast, pg_temp_N); information_schema is the SQL standard's.
	if schema == "information_schema" || strings.HasPrefix(schema, "pg_") {
		return &ConfigError{fmt.Sprintf("invalid schema %q: a system schema of Postgres; choose a schema of your own, such as %s", schema, DefaultSchema)}
	}
	return nil
}

// DB is a connection pool bound to one warehouse schema: every connection's
// search_path is that schema, so migrations, views and queries use
// unqualified names.
type DB struct {
	Pool   *pgxpool.Pool
	Schema string
	// LockScope narrows the run lock to part of the schema's work: a shard
	// of a tenants file ("shard 1/3") has a lock of its own, so that shards
	// run at once while two runs of one shard never do. "" is the whole
	// schema's lock.
	LockScope string
	log       *slog.Logger
	run       runState // the run lock and the statement timeout (lock.go)
	copyAll   bool     // copy every payload into a staging table (tests of that way; see merge)
}

// ConfigError is bad configuration, not a failure of the server: a database
// URL or schema that Connect refuses before it connects, a database that
// does not exist or refuses the credentials, a schema never migrated, a
// role that does not exist. Its text never holds any part of the URL but
// the parts Connect shows (host, port, database, user).
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

// Connect parses a Postgres URL (or key=value DSN) with pgx's parser, fills
// in application_name and a connect timeout when the URL leaves them unset,
// binds the pool to schema and checks that the server answers. A URL or
// schema it refuses is a *ConfigError. Neither its errors nor its log show
// the URL itself: only the host, port, database and user as pgx parsed them,
// never any part of the password.
func Connect(ctx context.Context, url, schema string, log *slog.Logger) (*DB, error) {
	return ConnectLoads(ctx, url, schema, log, 0)
}

// ConnectLoads is Connect for a run that loads up to loads payloads at once:
// unless the URL sets pool_max_conns, the pool has room for them besides
// the run lock's connection and one for the run's own bookkeeping (pgx's
// default, 4 or the number of CPUs, left a run of --concurrency 4 loading
// 3 at once).
func ConnectLoads(ctx context.Context, url, schema string, log *slog.Logger, loads int) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := CheckSchema(schema); err != nil {
		return nil, err
	}
	cfg, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ingest"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	// Every statement is planned for its parameters: pgx prepares and caches
	// statements per connection, and a generic plan of a payload's merge
	// made while the report's table was small (a scan of all of it) would
	// stay while the table grows; planning a statement is a fraction of a
	// millisecond.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	// A run holds one connection for its lock and needs others to migrate
	// and load: fewer than 3 would wait forever while holding the lock.
	if cfg.MaxConns < 3 {
		cfg.MaxConns = 3
	}
	if loads > 0 && !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, int32(min(loads, 64))+2)
	}
	cc := cfg.ConnConfig
	log.Debug("connecting to the warehouse", "host", cc.Host, "port", cc.Port, "database", cc.Database, "user", cc.User, "schema", schema)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database %s: %w", Location(cfg), redactErr(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		err = fmt.Errorf("connect to database %s: %w", Location(cfg), redactErr(err))
		if refusedConfig(err) {
			return nil, &ConfigError{err.Error()}
		}
		return nil, err
	}
	return &DB{Pool: pool, Schema: schema, log: log}, nil
}

// refusedConfig reports whether the server refused the connection for its
// configuration rather than failing: the database does not exist (3D000),
// the password is wrong (28P01) or no pg_hba.conf entry or role lets the
// user in (28000).
func refusedConfig(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "3D000", "28P01", "28000":
		return true
	}
	return false
}

// notMigrated is err, from a query of what thing, as a *ConfigError when
// the warehouse has no such relation yet (42P01: the schema was never
// migrated, or --schema names another one), else explained.
func (db *DB) notMigrated(thing string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return &ConfigError{fmt.Sprintf("%s: schema %s has no ingest warehouse (%s): run `ingest migrate` first, or check --schema", thing, db.Schema, pe.Message)}
	}
	return fmt.Errorf("%s: %w", thing, explain(err))
}

// Location is where a parsed configuration points, for messages: database
// on host:port as user. It is the one way a database URL is shown.
func Location(cfg *pgxpool.Config) string {
	cc := cfg.ConnConfig
	return fmt.Sprintf("%s on %s:%d as %s", cc.Database, cc.Host, cc.Port, cc.User)
}

// ParseURL parses a database URL or key=value DSN with pgx's parser (which
// also reads PGPASSWORD, PGPASSFILE and the other PG* variables). Its error,
// a *ConfigError, quotes nothing of the input: pgx's parse errors echo the
// input (redacted only on a best-effort basis) and quote stray words of a
// DSN. A URL with a literal '@' after its user info is refused: pgx, like
// libpq, ends the user info at the first '@', so an unencoded '@' or '/' in
// a password would put the password's tail into the host or the database
// name that messages show.
func ParseURL(connString string) (*pgxpool.Config, error) {
	const hint = "; percent-encode a password's @ / : ? # % and spaces in a URL (@ is %40), single-quote it in a key=value string, or give it in PGPASSWORD or PGPASSFILE"
	if scheme, _, ok := strings.Cut(connString, "://"); ok && schemeRE.MatchString(scheme) && scheme != "postgres" && scheme != "postgresql" {
		return nil, &ConfigError{fmt.Sprintf("invalid database URL: the scheme %q is not postgres:// or postgresql://; give a URL such as postgres://user@host:5432/dbname, or a key=value string such as host=localhost dbname=ingest", scheme+"://")}
	}
	if strayAt(connString) {
		return nil, &ConfigError{"invalid database URL: an '@' after the user info (pgx ends the user info at the first '@')" + hint}
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, &ConfigError{"invalid database URL: " + parseReason(err) + hint}
	}
	return cfg, nil
}

// strayAt reports whether a postgres:// URL holds a literal '@' after the
// user info as pgx finds it (up to the first '@' that comes before any '/').
func strayAt(connString string) bool {
	p, ok := strings.CutPrefix(connString, "postgresql://")
	if !ok {
		p, ok = strings.CutPrefix(connString, "postgres://")
	}
	if !ok {
		return false
	}
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		p = p[i+1:]
	}
	return strings.Contains(p, "@")
}

// schemeRE is a URL scheme (RFC 3986): what comes before "://" when the
// string is meant as a URL rather than a key=value DSN.
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|` + "`[^`]*`")

// parseReason is pgx's reason for refusing a connection string, without the
// string and with every quoted piece of it masked.
func parseReason(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "cannot parse it"
	}
	masked := *pe
	masked.ConnString = ""
	s := strings.TrimPrefix(masked.Error(), "cannot parse ``: ")
	return quotedRE.ReplaceAllString(s, `"…"`)
}

// Close releases the pool.
func (db *DB) Close() { db.Pool.Close() }

// Migrate creates the schema if needed, applies the embedded migrations with
// goose (guarded by a Postgres session lock per schema) and then (re)creates
// the views. It is idempotent.
func (db *DB) Migrate(ctx context.Context) error {
	return db.MigrateFS(ctx, migrations.FS, views.FS)
}

// MigrateFS is Migrate with the migration and view files handed in. A nil
// viewsFS applies the migrations only: a test that brings a schema to an
// older version, whose tables the views' bookkeeping (applied_views,
// reader_roles, as the latest migrations shape them) may predate.
func (db *DB) MigrateFS(ctx context.Context, migrationsFS, viewsFS fs.FS) error {
	// Create the schema only when missing: CREATE SCHEMA IF NOT EXISTS needs
	// CREATE on the database even when the schema exists, and a least-
	// privileged ingest role owns its schema without that right.
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, db.Schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", explain(err))
	}
	if !exists {
		if _, err := db.Pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{db.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate: create schema %s: %w", db.Schema, explain(err))
		}
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID("goose", db.Schema)),
		lock.WithLockTimeout(1, 300), // wait up to 5 minutes for another migrate
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrationsFS,
		goose.WithSessionLocker(locker), goose.WithSlog(db.log))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", explain(err))
	}
	for _, r := range results {
		db.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	if viewsFS == nil {
		return nil
	}
	return db.applyViews(ctx, viewsFS)
}

// lockID derives a stable advisory-lock key from a purpose and the schema, so
// that two schemas in one database do not wait on each other.
func lockID(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("ingest:" + purpose + ":" + schema))
	return int64(h.Sum64() >> 1)
}

// explain turns a Postgres error into one line with its SQLSTATE, detail and
// hint.
func explain(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	msg := fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	if pe.Detail != "" {
		msg += ": " + pe.Detail
	}
	if pe.Hint != "" {
		msg += "; hint: " + pe.Hint
	}
	return &dbError{msg: msg, err: err}
}

type dbError struct {
	msg string
	err error
}

func (e *dbError) Error() string { return e.msg }
func (e *dbError) Unwrap() error { return e.err }

var (
	// user:password@ in a URL; the password may itself hold '@' or '/'.
	urlPasswordRE = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)\S*@`)
	// password=... or sslpassword=... in a DSN (quoted or not) or a URL's
	// query string.
	dsnPasswordRE = regexp.MustCompile(`(?i)((?:\b|ssl)password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)`)
)

// redactErr removes anything that looks like a password from an error text.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	r := Redact(s)
	if r == s {
		return err
	}
	return &dbError{msg: r, err: errors.Unwrap(err)}
}

// HasPassword reports whether a database URL or DSN holds a password (in
// the user info, a password= parameter or an sslpassword=), erring on the
// side of yes.
func HasPassword(connString string) bool { return Redact(connString) != connString }

// Redact masks passwords in a database URL or DSN (or any text that holds
// one).
func Redact(s string) string {
	s = urlPasswordRE.ReplaceAllString(s, "${1}xxxxx@")
	return dsnPasswordRE.ReplaceAllString(s, "${1}xxxxx")
}
