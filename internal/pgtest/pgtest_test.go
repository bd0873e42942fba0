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
