package cli

import (
	"encoding/base64"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigurationErrorsExit2: what DESIGN.md calls bad usage or
// configuration exits 2 with one line naming it: a database that does not
// exist, a missing file, an unknown role, a schema never migrated, a tenant
// that cannot be known. The missing file and the unknown tenant are found
// before the warehouse is touched (the schema is not even created).
func TestConfigurationErrorsExit2(t *testing.T) {
	t.Parallel()
	noTid := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"https://graph.microsoft.com"}`)) + ".c2ln"
	for _, tc := range []struct {
		name      string
		args      func(b *bundle) []string
		want      string
		untouched bool // the schema must not exist afterwards
	}{
		{"database does not exist", func(b *bundle) []string {
			u, err := url.Parse(b.url)
			if err != nil {
				t.Fatal(err)
			}
			u.Path = "/ingest_no_such_database"
			return []string{"migrate", "--database-url", u.String()}
		}, `database "ingest_no_such_database" does not exist`, true},
		{"missing file", func(b *bundle) []string {
			return []string{"load-file", "--report", minuteReport, "--tenant-id", tenant, filepath.Join(t.TempDir(), "no-such-export.csv")}
		}, "no-such-export.csv", true},
		{"unknown role", func(b *bundle) []string {
			return []string{"grant-reader", "ingest_no_such_role"}
		}, `role "ingest_no_such_role" does not exist`, false},
		{"never migrated", func(b *bundle) []string {
			return []string{"status"}
		}, "ingest migrate", true},
		{"tenant unknown", func(b *bundle) []string {
			return []string{"run", "--graph-url", "http://127.0.0.1:1", "--access-token", noTid}
		}, "tenant id unknown", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupFresh(t) // it must not be created
			code, _, stderr := b.ingest(t, tc.args(b)...)
			if last := lastLine(stderr); code != ExitUsage || !strings.Contains(last, tc.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, last, tc.want)
			}
			if tc.untouched {
				if got := b.scalar(t, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, b.schema); got != "0" {
					t.Errorf("schema %s was created: the error was found only after touching the warehouse", b.schema)
				}
			}
		})
	}
}
