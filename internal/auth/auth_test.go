package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const (
	tenant      = "3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51"
	otherTenant = "0b6e3a52-9c1d-4f7e-8a20-5d4c3b2a1f09"
)

// jwtWithTID is an unsigned JWT access token whose tid claim is tid (none
// when tid is empty).
func jwtWithTID(tid string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims := `{"aud":"https://graph.microsoft.com"}`
	if tid != "" {
		claims = `{"tid":"` + tid + `","aud":"https://graph.microsoft.com"}`
	}
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

// TestResolveTenant: every way the configured tenant and the token's tid
// claim can meet.
func TestResolveTenant(t *testing.T) {
	t.Parallel()
	upper := strings.ToUpper(tenant)
	for _, tc := range []struct {
		name, configured, token string
		want, wantErr           string // wantErr: a part of the usage error
	}{
		{"tid only", "", jwtWithTID(tenant), tenant, ""},
		{"same GUID", tenant, jwtWithTID(tenant), tenant, ""},
		{"same GUID in upper case", upper, jwtWithTID(tenant), tenant, ""},
		{"tid in upper case", tenant, jwtWithTID(upper), tenant, ""},
		{"other GUID", otherTenant, jwtWithTID(tenant), "", "--tenant-id " + otherTenant + " is not the tenant the token was issued for (its tid claim is " + tenant + ")"},
		{"domain resolved by tid", "contoso.onmicrosoft.com", jwtWithTID(tenant), tenant, ""},
		{"tid not a GUID", "", jwtWithTID("contoso"), "", `the token's tid claim "contoso" is not a tenant id`},
		{"GUID, no tid", upper, "opaque-token", tenant, ""},
		{"GUID, JWT without tid", tenant, jwtWithTID(""), tenant, ""},
		{"domain, no tid", "contoso.onmicrosoft.com", "opaque-token", "", `--tenant-id "contoso.onmicrosoft.com" is not a GUID and the token has no tid claim`},
		{"nothing", "", "opaque-token", "", "tenant id unknown: set --tenant-id or AZURE_TENANT_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveTenant(tc.configured, tc.token)
			if tc.wantErr != "" {
				var ce *ConfigError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("ResolveTenant(%q) = %q, %v; want a *ConfigError with %q", tc.configured, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResolveTenant(%q) = %q, %v; want %q", tc.configured, got, err, tc.want)
			}
		})
	}
}
