package load

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestConnectNeverShowsPassword: whatever the password holds, and however
// pgx splits a URL that does not encode it, neither Connect's error nor its
// debug log shows any part of it. pgx splits a URL at its first '@' (as
// libpq does), so an unencoded '@' or '/' in a password strands its tail in
// the host or the database name; such a URL is refused without quoting it.
// Every URL points at a closed loopback port.
func TestConnectNeverShowsPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		conn   string
		config bool // refused before connecting, as a *ConfigError
	}{
		{"postgresql://u:Pa55@W0rd@127.0.0.1:1/db", true},
		{"postgres://u:Pa55@W0rd@127.0.0.1:1/db?sslmode=disable", true},
		{"postgresql://u:Pa55@W0rd/x@127.0.0.1:1/db", true},
		{"postgresql://u:Pa55@W0rd:1@127.0.0.1:1/db", true},
		{"postgresql://u:Pa55@W0rd?x@127.0.0.1:1/db", true},
		{"postgresql://u:Pa55/W0rd@127.0.0.1:1/db", true},
		{"postgresql://localhost:1/Pa55W0rd@127.0.0.1:1/db", true}, // user localhost, password 1/Pa55W0rd: the database would be Pa55W0rd@…
		{"postgresql://u:Pa55%W0rd@127.0.0.1:1/db", true},
		{"postgresql://u:Pa55 W0rd@127.0.0.1:1/db", true},
		{"postgresql://u:Pa55:W0rd@127.0.0.1:1/db", false},
		{"postgresql://u:Pa55?W0rd@127.0.0.1:1/db", false},
		{"postgresql://u:Pa55#W0rd@127.0.0.1:1/db", false},
		{"postgresql://u:Pa55%40W0rd@127.0.0.1:1/db", false},
		{"postgresql://u:Pa55%2FW0rd@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", false},
		{"postgresql://u@127.0.0.1:1/db?password=Pa55W0rd", false},
		{"host=127.0.0.1 port=1 user=u password=Pa55 W0rd dbname=db", true},
		{"host=127.0.0.1 port=1 user=u password='Pa55 W0rd dbname=db", true},
		{"host=127.0.0.1 port=1 user=u password='Pa55 W0rd' dbname=db", false},
		{"host=127.0.0.1 port=1 user=u password=Pa55'W0rd dbname=db", false},
		{"host=127.0.0.1 port=1 user=u password=Pa55@W0rd/x?y#z dbname=db", false},
	} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		db, err := Connect(context.Background(), tc.conn, "m365", log)
		if err == nil {
			db.Close()
			t.Errorf("%s: connected to a closed port", tc.conn)
			continue
		}
		all := err.Error() + "\n" + logs.String()
		for _, part := range []string{"pa55", "w0rd"} {
			if strings.Contains(strings.ToLower(all), part) {
				t.Errorf("%s: the error or the log shows %q:\n%s", tc.conn, part, all)
			}
		}
		var ce *ConfigError
		if got := errors.As(err, &ce); got != tc.config {
			t.Errorf("%s: refused as configuration = %v, want %v: %v", tc.conn, got, tc.config, err)
		}
		if !tc.config && !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("%s: the error does not say where it tried to connect: %v", tc.conn, err)
		}
	}
}

// TestConnectRefusesSystemSchemas: the warehouse never goes into a schema
// of Postgres itself (information_schema, pg_catalog, pg_toast, any pg_…);
// public stays a legitimate choice. Refused before connecting.
func TestConnectRefusesSystemSchemas(t *testing.T) {
	t.Parallel()
	for _, schema := range []string{"information_schema", "pg_catalog", "pg_toast", "pg_temp_1", "pg_anything"} {
		_, err := Connect(context.Background(), "postgres://u@127.0.0.1:1/db", schema, nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), schema) || !strings.Contains(err.Error(), "system schema") {
			t.Errorf("--schema %s: %v; want a *ConfigError naming it as a system schema", schema, err)
		}
	}
	for _, schema := range []string{"public", "m365", "pgx", "pg", "information"} {
		if err := CheckSchema(schema); err != nil {
			t.Errorf("CheckSchema(%q) = %v, want nil", schema, err)
		}
	}
}
