package extract

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TokenSource supplies bearer tokens for Graph.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a token obtained elsewhere (--access-token).
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", errors.New("empty access token")
	}
	return string(t), nil
}

// CredentialToken gets tokens from an azidentity credential for one scope.
// azidentity caches and refreshes them.
type CredentialToken struct {
	Credential azcore.TokenCredential
	Scope      string
}

// Token returns a current token for the scope.
func (c CredentialToken) Token(ctx context.Context) (string, error) {
	tok, err := c.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.Scope}})
	if err != nil {
		return "", err
	}
	return tok.Token, nil
}

// TenantFromToken reads the tid claim of a JWT access token without checking
// its signature (Graph does that); ok is false when the token is not a JWT
// or has no tid.
func TenantFromToken(token string) (string, bool) {
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
