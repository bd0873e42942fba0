package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/m365ingest/ingest/internal/jwtclaim"
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

// Token returns a current token for the scope. When Entra ID refuses the
// request the error is a *TokenError.
func (c CredentialToken) Token(ctx context.Context) (string, error) {
	tok, err := c.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.Scope}})
	if err != nil {
		return "", explainTokenError(err)
	}
	return tok.Token, nil
}

// TokenError is Entra ID's answer to a refused token request, on one line:
// its HTTP status, OAuth error code and the first line of its description
// (AADSTS...). Unwrap gives azidentity's error.
type TokenError struct {
	Status      int
	Code        string
	Description string
	Err         error
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("Entra ID refused the token request: HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

func (e *TokenError) Unwrap() error { return e.Err }

// Rejected reports whether the authority rejected the credentials or the
// request as configured (400 or 401), as opposed to failing.
func (e *TokenError) Rejected() bool { return e.Status == 400 || e.Status == 401 }

// explainTokenError shortens azidentity's multi-line AuthenticationFailedError
// (a dump of the authority's response) to a *TokenError.
func explainTokenError(err error) error {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		return err
	}
	te := &TokenError{Status: afe.RawResponse.StatusCode, Err: err}
	if body, rerr := runtime.Payload(afe.RawResponse); rerr == nil {
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &oe) == nil {
			te.Code = oe.Error
			te.Description, _, _ = strings.Cut(strings.ReplaceAll(oe.Description, "\r", ""), "\n")
			te.Description = strings.TrimSpace(te.Description)
		}
	}
	return te
}

// TenantFromToken reads the tid claim of a JWT access token without checking
// its signature (Graph does that); ok is false when the token is not a JWT
// or has no tid. See jwtclaim.Tenant, which the simulator shares.
func TenantFromToken(token string) (string, bool) { return jwtclaim.Tenant(token) }
