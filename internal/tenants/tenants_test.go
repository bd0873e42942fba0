package tenants

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const contoso = `tenants:
  - tenant_id: 5B6F3C2E-0D1A-4C7E-9F00-7E57AB1E0001
    name: Contoso
    cloud: public                 # optional, as --cloud
    auth: client-secret
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret_env: CONTOSO_SECRET
  - tenant_id: 5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0002
    name: Fabrikam
    auth: token
    access_token_file: /run/secrets/fabrikam-token
`

// The example of DESIGN.md reads as YAML and, written as JSON, as JSON.
func TestParseYAMLAndJSON(t *testing.T) {
	t.Parallel()
	f, err := Parse("t.yaml", []byte(contoso))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tenants) != 2 || f.Tenants[0].TenantID != "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0001" || f.Tenants[0].ClientSecretEnv != "CONTOSO_SECRET" ||
		f.Tenants[1].Auth != "token" || f.Tenants[1].AccessTokenFile != "/run/secrets/fabrikam-token" {
		t.Errorf("tenants %+v", f.Tenants)
	}
	j, err := Parse("t.json", []byte(`{"tenants": [{"tenant_id": "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0001", "name": "Contoso", "auth": "managed-identity"}]}`))
	if err != nil || len(j.Tenants) != 1 || j.Tenants[0].Auth != "managed-identity" {
		t.Errorf("JSON: %+v, %v", j, err)
	}
}

// A mistake anywhere refuses the whole file, naming the tenant and the
// field, and never quoting a secret.
func TestFileMistakes(t *testing.T) {
	t.Parallel()
	const id = "5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0003"
	for _, tc := range []struct{ tenant, want string }{
		{"client_secret: hunter2-secret", "tenant 3 (" + id + ", line 12): client_secret is inline: give client_secret_env"},
		{"access_token: eyJhbGciOi", "tenant 3 (" + id + ", line 12): access_token is inline"},
		{"client_certificate_password: pfx-pass", "client_certificate_password is inline"},
		{"client_secret_env: A\n    client_secret_file: /b", "client_secret is given twice"},
		{"cloud: mars", `cloud invalid cloud "mars"`},
		{"auth: kerberos", `auth "kerberos" is not an auth mode`},
		{"client_scret_env: X", "line 13: unknown field client_scret_env"},
		// A secret pasted into a reference field is refused, never shown.
		{"client_secret_env: Xy8Q~hunter2.VALUE_abc", "client_secret_env is not an environment variable's name"},
		{"access_token_file: eyJhbGciOi.x", "access_token_file does not look like a file's path"},
	} {
		data := contoso + "  - tenant_id: " + id + "\n    " + tc.tenant + "\n"
		_, err := Parse("t.yaml", []byte(data))
		var fe *Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want an *Error with %q", tc.tenant, err, tc.want)
		}
		for _, secret := range []string{"hunter2", "eyJhbGciOi", "pfx-pass"} {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("%q: the error quotes the secret: %v", tc.tenant, err)
			}
		}
	}
	for _, tc := range []struct{ data, want string }{
		{"", "is empty"},
		{"tenants: []\n", "lists no tenants"},
		{"tenants:\n  - name: x\n", "tenant 1 (line 2): tenant_id is missing"},
		{"tenants:\n  - tenant_id: contoso.onmicrosoft.com\n", `tenant_id "contoso.onmicrosoft.com" is not a GUID`},
		{contoso + "  - tenant_id: 5B6F3C2E-0D1A-4C7E-9F00-7E57AB1E0002\n", "tenant 3 (5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0002, line 12): tenant_id is also tenant 2's"},
		{"tenant:\n  - tenant_id: x\n", "unknown field tenant"},
		{"tenants: [", "is not a tenants file"},
	} {
		_, err := Parse("t.yaml", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tenants file t.yaml: ") {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot be read: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// Shards 0/3, 1/3 and 2/3 of 100 tenants hold each tenant exactly once, and
// the same split comes from the file in another order.
func TestShardsPartitionStably(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := range 100 {
		ids = append(ids, fmt.Sprintf("%08x-0000-4000-8000-%012x", i*7919, i))
	}
	file := func(ids []string) *File {
		var b strings.Builder
		b.WriteString("tenants:\n")
		for _, id := range ids {
			fmt.Fprintf(&b, "  - tenant_id: %s\n    access_token_env: TOKEN_%s\n", id, strings.ReplaceAll(id, "-", "_"))
		}
		f, err := Parse("t.yaml", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	split := func(f *File) [][]string {
		var out [][]string
		for i := range 3 {
			var shard []string
			for _, tn := range f.Shard(i, 3) {
				shard = append(shard, tn.TenantID)
			}
			slices.Sort(shard)
			out = append(out, shard)
		}
		return out
	}
	a := split(file(ids))
	seen := map[string]int{}
	for i, shard := range a {
		if len(shard) < 20 {
			t.Errorf("shard %d/3 has %d of 100 tenants", i, len(shard))
		}
		for _, id := range shard {
			seen[id]++
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("tenant %s is in %d shards", id, seen[id])
		}
	}
	shuffled := slices.Clone(ids)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if b := split(file(shuffled)); !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("a reordered file splits differently")
	}
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	if i, n, err := ParseShard("1/3"); i != 1 || n != 3 || err != nil {
		t.Errorf("1/3: %d %d %v", i, n, err)
	}
	for _, bad := range []string{"3/3", "-1/3", "1/0", "1", "a/b", "1/3/4"} {
		if _, _, err := ParseShard(bad); err == nil || !strings.Contains(err.Error(), "--shard") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if i, err := ShardFromIndex("2", 3); i != 2 || err != nil {
		t.Errorf("index 2 of 3: %d %v", i, err)
	}
	if _, err := ShardFromIndex("3", 3); err == nil || !strings.Contains(err.Error(), "JOB_COMPLETION_INDEX") {
		t.Errorf("index 3 of 3: %v", err)
	}
}

func TestSecretByReference(t *testing.T) {
	t.Setenv("INGEST_TEST_SECRET", "s3cret")
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ env, file, want, err string }{
		{"INGEST_TEST_SECRET", "", "s3cret", ""},
		{"", path, "tok", ""},
		{"INGEST_TEST_UNSET_SECRET", "", "", "INGEST_TEST_UNSET_SECRET is not set"},
		{"", path + ".missing", "", "no such file"},
		{"", "", "", ""},
	} {
		got, err := Secret(tc.env, tc.file)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Secret(%q, %q) = %q, %v", tc.env, tc.file, got, err)
		}
	}
}
