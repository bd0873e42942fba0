// Package jwtclaim reads claims of a JWT access token without checking its
// signature (Graph does that): the client resolves the tenant from the tid
// claim and the simulator seeds its data with it.
package jwtclaim

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Tenant returns the tid claim of token; ok is false when token is not a
// JWT or has no tid.
func Tenant(token string) (tid string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", false
	}
	var claims struct {
		TID string `json:"tid"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.TID == "" {
		return "", false
	}
	return claims.TID, true
}
