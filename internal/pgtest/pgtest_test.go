package pgtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/db_1?sslmode=disable"},
		{"postgresql://u:p%40ss@h/x", "postgresql://u:p%40ss@h/db_1"},
		{"postgres://h:5/", "postgres://h:5/db_1"},
		{"postgres://h", "postgres://h/db_1"},
		// The database keys of the query would override the path.
		{"postgres://h?dbname=x&sslmode=disable", "postgres://h/db_1?sslmode=disable"},
		{"postgres://h/x?database=x", "postgres://h/db_1"},
		// The rest of the query stays as written: re-encoded, %20 would
		// become '+', which pgx does not read as a space.
		{"postgres://h/x?dbname=x&options=-c%20search_path%3Dfoo", "postgres://h/db_1?options=-c%20search_path%3Dfoo"},
		{"host=127.0.0.1 user=postgres dbname=postgres", "host=127.0.0.1 user=postgres dbname=postgres dbname=db_1"},
	} {
		got := withDatabase(tc.in, "db_1")
		if got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.in, got, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "db_1" {
			t.Errorf("%q: pgx reads database %q (%v), want db_1", got, cfg.Database, err)
		}
		if strings.Contains(tc.in, "options") && cfg.RuntimeParams["options"] != "-c search_path=foo" {
			t.Errorf("%q: options = %q", got, cfg.RuntimeParams["options"])
		}
	}
}

// The shared pool and the URL handed to tests reach the process's own
// database, not DATABASE_URL's.
func TestTestsRunInADatabaseOfTheirOwn(t *testing.T) {
	url := URL(t)
	if own == "" {
		t.Skip("the role may not create databases: the tests use DATABASE_URL's")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var current string
	if err := Pool(t).QueryRow(context.Background(), `SELECT current_database()`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != own || cfg.Database != own || !strings.HasPrefix(own, prefix) {
		t.Errorf("pool on %q, URL on %q; want both on this process's database %q (prefix %q)", current, cfg.Database, own, prefix)
	}
	srv, err := pgx.ParseConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Database == own {
		t.Errorf("the test database is DATABASE_URL's own %q", own)
	}
}

// A test database left by a killed process is dropped by the next one once
// it is old enough; a young one (another process's, running now) is not.
func TestStaleDatabasesAreDropped(t *testing.T) {
	URL(t)
	if own == "" {
		t.Skip("the role may not create databases")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) }) // after the drops below
	stale := prefix + strconv.FormatInt(time.Now().Add(-2*staleAfter).Unix(), 10) + "_feedface"
	young := prefix + strconv.FormatInt(time.Now().Add(-staleAfter/2).Unix(), 10) + "_feedface"
	for _, n := range []string{stale, young} {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+n) })
	}
	made, err := create(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+made) })
	exists := func(n string) bool {
		var ok bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, n).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if exists(stale) {
		t.Errorf("%s (%v old, nobody connected) was not dropped", stale, 2*staleAfter)
	}
	if !exists(young) {
		t.Errorf("%s (%v old) was dropped", young, staleAfter/2)
	}
	if !exists(own) || !exists(made) {
		t.Errorf("a live test database was dropped (%s %v, %s %v)", own, exists(own), made, exists(made))
	}
}

// A session on template1 (a developer's psql, another tool) must not stop
// the tests: CREATE DATABASE refuses a template someone is connected to.
func TestCreateWhileTemplate1IsInUse(t *testing.T) {
	URL(t)
	if own == "" {
		t.Skip("the role may not create databases")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	on1, err := pgx.Connect(ctx, withDatabase(server, "template1"))
	if err != nil {
		t.Fatal(err)
	}
	made, err := create(ctx, admin)
	on1.Close(ctx)
	if err != nil {
		t.Fatalf("create with a session on template1: %v", err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE "+made); err != nil {
		t.Error(err)
	}
}

// Migrated hands a test a migrated schema, reuses it for a later test once
// its rows are cleared and its sequences restarted, and drops it instead
// when the test changed its shape.
func TestMigratedSchemasAreReused(t *testing.T) {
	migrations := 0
	migrate := func(ctx context.Context, url, schema string) error {
		migrations++
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		s := pgx.Identifier{schema}.Sanitize()
		_, err = conn.Exec(ctx, `CREATE SCHEMA `+s+`;
			CREATE TABLE `+s+`.goose_db_version (id int GENERATED ALWAYS AS IDENTITY, version bigint);
			INSERT INTO `+s+`.goose_db_version (version) VALUES (1), (2);
			CREATE TABLE `+s+`.ingest_runs (run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
			CREATE TABLE `+s+`.report (run_id bigint REFERENCES `+s+`.ingest_runs, n int);
			CREATE VIEW `+s+`.daily AS SELECT n FROM `+s+`.report`)
		return err
	}
	ctx := context.Background()
	q := func(t *testing.T, schema, sql string) string {
		t.Helper()
		var v string
		if err := Pool(t).QueryRow(ctx, strings.ReplaceAll(sql, "S.", pgx.Identifier{schema}.Sanitize()+".")).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var first, third string
	t.Run("first", func(t *testing.T) {
		_, first = Migrated(t, migrate)
		q(t, first, `WITH r AS (INSERT INTO S.ingest_runs DEFAULT VALUES RETURNING run_id) INSERT INTO S.report SELECT run_id, 7 FROM r RETURNING n::text`)
	})
	t.Run("second", func(t *testing.T) {
		_, second := Migrated(t, migrate)
		if second != first || migrations != 1 {
			t.Fatalf("got %s after %d migrations, want %s reused", second, migrations, first)
		}
		if got := q(t, second, `SELECT (SELECT count(*) FROM S.report) || ' ' || (SELECT count(*) FROM S.goose_db_version)`); got != "0 2" {
			t.Errorf("rows of the report, goose versions = %s, want 0 2 (rows cleared, migrations kept)", got)
		}
		if got := q(t, second, `INSERT INTO S.ingest_runs DEFAULT VALUES RETURNING run_id::text`); got != "1" {
			t.Errorf("run id %s, want 1 (the sequence restarted)", got)
		}
	})
	t.Run("third", func(t *testing.T) {
		_, third = Migrated(t, migrate)
		s := pgx.Identifier{third}.Sanitize()
		if _, err := Pool(t).Exec(ctx, `DROP VIEW `+s+`.daily; CREATE TABLE `+s+`.daily (n int)`, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("fourth", func(t *testing.T) {
		_, fourth := Migrated(t, migrate)
		if fourth == third || migrations != 2 {
			t.Errorf("got %s after %d migrations: a schema whose shape a test changed was reused", fourth, migrations)
		}
		if got := q(t, fourth, `SELECT count(*)::text FROM pg_namespace WHERE nspname = '`+third+`'`); got != "0" {
			t.Errorf("the changed schema %s was not dropped", third)
		}
	})
}
