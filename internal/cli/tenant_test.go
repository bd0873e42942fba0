package cli

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// jwtWithTID is an unsigned JWT access token whose tid claim is tid (none
// when tid is empty).
func jwtWithTID(tid string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims := `{"aud":"https://graph.microsoft.com","nonce":"` + randomText(4) + `"}`
	if tid != "" {
		claims = `{"tid":"` + tid + `","aud":"https://graph.microsoft.com"}`
	}
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

const otherTenant = "0b6e3a52-9c1d-4f7e-8a20-5d4c3b2a1f09"

// TestRunTenant: the tenant a run stores, end to end: the tid claim wins
// over a domain, a GUID is stored lower case, and a tenant that does not add
// up is a usage error (exit 2), found before the warehouse or Graph is
// touched (the token is given as is, so its tid claim is known up front).
func TestRunTenant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		args        []string
		code        int
		want        string // the stored tenant, or a part of the last line
	}{
		{"tid, configured GUID in upper case", jwtWithTID(tenant), []string{"--tenant-id", strings.ToUpper(tenant)}, ExitOK, tenant},
		{"tid, configured domain", jwtWithTID(tenant), []string{"--tenant-id", "contoso.onmicrosoft.com"}, ExitOK, tenant},
		{"tid, nothing configured", jwtWithTID(tenant), nil, ExitOK, tenant},
		{"tid, other GUID configured", jwtWithTID(tenant), []string{"--tenant-id", otherTenant}, ExitUsage, otherTenant + " is not the tenant the token was issued for (its tid claim is " + tenant + ")"},
		{"no tid, GUID in upper case", "opaque-token", []string{"--tenant-id", strings.ToUpper(tenant)}, ExitOK, tenant},
		{"no tid, domain", "opaque-token", []string{"--tenant-id", "contoso.onmicrosoft.com"}, ExitUsage, "is not a GUID and the token has no tid claim"},
		{"no tid, nothing configured", "opaque-token", nil, ExitUsage, "tenant id unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupFresh(t) // it must not be created
			sim := simOn(t, fakeclock.New(asOf), graphsim.Options{Token: tc.token})
			args := append([]string{"run", "--graph-url", sim.URL(), "--access-token", tc.token, "--report", userReport}, tc.args...)
			code, out, stderr := b.ingest(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, stderr)
			}
			if tc.code == ExitOK {
				got := b.scalar(t, `SELECT (SELECT string_agg(DISTINCT tenant_id, ',') FROM S.skype_organizer_activity_user_counts) || ' ' ||
					(SELECT string_agg(DISTINCT tenant_id, ',') FROM S.report_fetches)`)
				if got != tc.want+" "+tc.want {
					t.Errorf("stored tenants (rows, fetches) = %s, want %s", got, tc.want)
				}
				return
			}
			last := lastLine(stderr)
			if !strings.Contains(last, tc.want) {
				t.Errorf("last line %q lacks %q", last, tc.want)
			}
			// A token given as is tells its tenant up front: the mistake is
			// found before the warehouse is touched, so no run is recorded.
			if got := b.scalar(t, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, b.schema); got != "0" {
				t.Errorf("schema %s was created: the tenant was checked only after touching the warehouse", b.schema)
			}
			if n := len(sim.APIRequests()); n != 0 {
				t.Errorf("Graph saw %d requests", n)
			}
		})
	}
}

// TestLoadFileTenant: load-file wants the tenant's GUID (a file has no token
// to resolve a domain) and stores it lower case.
func TestLoadFileTenant(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "minutes.csv")
	os.WriteFile(path, []byte(minuteWeek("2026-11-21", "2026-11-21", 1)), 0o644)
	for _, bad := range []string{"contoso.onmicrosoft.com", "3f2d8c1e5b7a4e609d142a6c0b9e7d51", "{" + tenant + "}"} {
		var out, errOut strings.Builder
		code := Main(t.Context(), []string{"ingest", "load-file", "--database-url", deadDatabase, "--report", minuteReport, "--tenant-id", bad, path}, &out, &errOut, "test")
		if want := `--tenant-id "` + bad + `" is not a GUID`; code != ExitUsage || !strings.Contains(lastLine(errOut.String()), want) {
			t.Errorf("--tenant-id %s: exit %d, %q; want 2 and %q", bad, code, lastLine(errOut.String()), want)
		}
	}
	b := setup(t)
	if code, out, errOut := b.ingest(t, "load-file", "--report", minuteReport, "--tenant-id", strings.ToUpper(tenant), path); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := b.scalar(t, `SELECT string_agg(DISTINCT tenant_id, ',') FROM S.skype_organizer_activity_minute_counts`); got != tenant {
		t.Errorf("stored tenant %s, want %s", got, tenant)
	}
}
