// Package pgtest gives tests an isolated schema on a real Postgres server:
// DATABASE_URL, default the local server. Without a server a test is skipped,
// except with CI=true, where a missing database is a failure.
//
// Each test process works in a database of its own, created on first use
// and dropped when the tests end (a package's TestMain calls Main). A test
// schema leaves dead rows in the catalogs of its database when it is
// dropped, thousands for a migrated warehouse, and a server run without
// autovacuum (this project's machines) keeps them: in the server's own
// database they would slow every later test run and everything else there.
// A database dropped whole takes them with it. When the role may not create
// databases, the tests use DATABASE_URL's database itself, as before.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/m365ingest/ingest/internal/localpg"
)

// prefix names the databases pgtest creates: prefix, the Unix time of
// creation, '_', random hex.
const prefix = "ingest_test_"

// staleAfter is the age past which a database of prefix that nobody is
// connected to is taken for the leftover of a test process that ended
// without Main dropping it: killed, or a test that panicked or ran past
// go test's -timeout (10 minutes by default), which end the process at
// once. A live process keeps connections to its database.
const staleAfter = 30 * time.Minute

var (
	mainRunning bool // set by Main

	once    sync.Once
	dbURL   string // the test database's URL (DATABASE_URL's when own is "")
	own     string // the database this process created, or ""
	server  string // DATABASE_URL (or the local server)
	pool    *pgxpool.Pool
	poolErr error
)

// Main runs the tests and then drops the database they used. A package
// whose tests use pgtest calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	mainRunning = true
	code := m.Run()
	if err := drop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// URL returns the URL of the test database, failing or skipping the test
// when the server does not answer.
func URL(t testing.TB) string {
	t.Helper()
	if !mainRunning {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main, which drops the test database at the end")
	}
	once.Do(start)
	if poolErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Postgres at DATABASE_URL does not answer (CI=true makes this a failure): %v", poolErr)
		}
		t.Skipf("Postgres at DATABASE_URL does not answer: %v", poolErr)
	}
	return dbURL
}

// Pool is a shared pool on the test database (no schema bound).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	URL(t)
	return pool
}

// Schema returns the test database's URL and the name of a fresh schema
// that is dropped when the test ends. The schema itself is not created:
// ingest creates it, as on a fresh database.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL(t)
	schema = newSchema()
	t.Cleanup(func() { dropSchema(t, schema) })
	return url, schema
}

// Migrated returns the test database's URL and a schema that migrate has
// brought up to date, for a test that does not examine migration itself:
// one that an earlier test of the process used, its rows deleted and its
// sequences restarted once that test ended, or else a new one. A fresh
// migrated warehouse costs the server about 190 ms of CPU to create and 66
// ms to drop (58 report tables); clearing one, a few milliseconds. The
// schema goes back to the pool when the test ends (after the test's own
// cleanups), or is dropped when it cannot be cleared.
func Migrated(t testing.TB, migrate func(ctx context.Context, url, schema string) error) (url, schema string) {
	t.Helper()
	url = URL(t)
	freeMu.Lock()
	if n := len(free); n > 0 {
		schema, free = free[n-1], free[:n-1]
	}
	freeMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if schema == "" {
		schema = newSchema()
		err := migrate(ctx, url, schema)
		var shape string
		if err == nil {
			shape, err = shapeOf(ctx, schema)
		}
		if err != nil {
			dropSchema(t, schema)
			t.Fatalf("migrate a test schema: %v", err)
		}
		freeMu.Lock()
		shapes[schema] = shape
		freeMu.Unlock()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 30*time.Second)
		defer cancel()
		// A test that changed the schema's shape (replaced a view with a
		// table to make a migration fail, say) gets it dropped, not reused.
		shape, err := shapeOf(ctx, schema)
		freeMu.Lock()
		same := err == nil && shape == shapes[schema]
		freeMu.Unlock()
		if !same || clearSchema(ctx, schema) != nil {
			dropSchema(t, schema)
			return
		}
		freeMu.Lock()
		free = append(free, schema)
		freeMu.Unlock()
	})
	return url, schema
}

// shapeOf fingerprints a schema's structure: its relations with their kind
// and columns, and its views' definitions.
func shapeOf(ctx context.Context, schema string) (string, error) {
	var shape string
	err := pool.QueryRow(ctx, `SELECT md5(coalesce(string_agg(c.relname || ':' || c.relkind::text || ':' ||
			(SELECT coalesce(string_agg(a.attname || ' ' || a.atttypid::regtype::text, ',' ORDER BY a.attnum), '')
			 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) || ':' ||
			CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) ELSE '' END, '|' ORDER BY c.relname), ''))
		FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'v', 'S', 'i', 'm')`,
		pgx.Identifier{schema}.Sanitize()).Scan(&shape)
	return shape, err
}

var (
	freeMu sync.Mutex
	free   []string              // migrated schemas of ended tests, cleared for the next (Migrated)
	shapes = map[string]string{} // per migrated schema, its shape just after migration
)

// clearSchema deletes every row of a migrated schema but its migration and
// view records, and restarts its sequences (a run id starts at 1 again).
// The tables that others reference go last.
func clearSchema(ctx context.Context, schema string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_class c
			WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND c.relname NOT IN ('goose_db_version', 'applied_views')
			ORDER BY EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.oid)`, pgx.Identifier{schema}.Sanitize())
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, table := range tables {
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{schema, table}.Sanitize()); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `SELECT setval(c.oid, 1, false) FROM pg_class c
			WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'S' AND c.relname <> 'goose_db_version_id_seq'`, pgx.Identifier{schema}.Sanitize())
		return err
	})
}

func newSchema() string {
	var b [6]byte
	rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

func dropSchema(t testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

// start creates the process's database on the server and opens the shared
// pool on it.
func start() {
	server = os.Getenv("DATABASE_URL")
	if server == "" {
		server = localpg.URL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		poolErr = err
		return
	}
	defer admin.Close(ctx)
	dbURL = server
	// A server that refuses a database (a role without CREATEDB, say) leaves
	// the tests in DATABASE_URL's database, as they were before.
	if name, err := create(ctx, admin); err == nil {
		own = name
		dbURL = withDatabase(server, name)
	} else if !isServerError(err) {
		poolErr = fmt.Errorf("create a test database: %w", err)
		return
	}
	pool, poolErr = pgxpool.New(ctx, dbURL)
	if poolErr == nil {
		poolErr = pool.Ping(ctx)
	}
}

// create drops the stale test databases of killed processes, then creates
// one for this process and returns its name.
func create(ctx context.Context, admin *pgx.Conn) (string, error) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database d
		WHERE datname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)`,
		prefix+"%")
	if err != nil {
		return "", err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if created, ok := createdAt(n); ok && time.Since(created) > staleAfter {
			// Another process may be dropping it too: its error is no matter.
			admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize())
		}
	}
	var b [4]byte
	rand.Read(b[:])
	name := prefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b[:])
	// template0, not the default template1: nobody connects to it, and
	// CREATE DATABASE fails while anyone is connected to its template.
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0")
	return name, err
}

// createdAt reads the creation time out of the name of a test database.
func createdAt(name string) (time.Time, bool) {
	secs, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// drop closes the shared pool and drops the process's database, ending any
// session still on it (a test's ingest that outlived its test).
func drop() error {
	if pool != nil {
		pool.Close()
	}
	if own == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("drop the test database %s: %w", own, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{own}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop the test database %s: %w", own, err)
	}
	return nil
}

// isServerError tells an error the server answered (a refusal) from one of
// reaching it.
func isServerError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// withDatabase returns the connection string connString (a URL or a
// key=value DSN) with its database replaced by name, which needs no
// quoting. A URL's query is kept as written (re-encoding it would turn a
// %20 in options into a '+', which libpq and pgx read as such), but for
// its database keys, which would override the path.
func withDatabase(connString, name string) string {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(connString, scheme)
		if !ok {
			continue
		}
		authority, query, _ := strings.Cut(rest, "?")
		authority, _, _ = strings.Cut(authority, "/")
		var keep []string
		for _, kv := range strings.Split(query, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if kv != "" && k != "dbname" && k != "database" {
				keep = append(keep, kv)
			}
		}
		out := scheme + authority + "/" + name
		if len(keep) > 0 {
			out += "?" + strings.Join(keep, "&")
		}
		return out
	}
	// A DSN: a later keyword overrides an earlier one.
	return connString + " dbname=" + name
}
