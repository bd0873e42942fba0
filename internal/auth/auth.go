// Package auth builds the credential a run fetches Graph tokens with (the
// --auth modes, and auto's rule for choosing one, managed-identity
// detection included) and resolves the tenant a token is for. It knows no
// command line: the CLI passes it Options.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/managedidentity"

	"github.com/m365ingest/ingest/extract"
)

// Options are the credential's settings, as the flags give them (secrets
// already read from their files).
type Options struct {
	Mode  string // auto, default, client-secret, client-certificate, managed-identity, workload-identity, azure-cli or token
	Cloud extract.Cloud

	AccessToken, ClientSecret, CertificatePassword string
	TenantID, ClientID, AuthorityHost              string
	CertificatePath, FederatedTokenFile            string

	// Sources name where a setting came from (its environment variable, or
	// the flag), by flag name (access-token, client-secret,
	// client-certificate-path, federated-token-file), for what auto says
	// of its choice; a missing one is named --NAME.
	Sources map[string]string

	// Log is where Build says what auto chose, at debug level (nil: nowhere).
	Log *slog.Logger

	// Test seams (nil: the real thing): azidentity's transport (to a fake
	// authority), auto's transport to Azure's instance metadata service,
	// and how auto finds the Azure CLI (exec.LookPath).
	AuthTransport policy.Transporter
	Metadata      http.RoundTripper
	LookPath      func(file string) (string, error)
}

func (o Options) source(name string) string {
	if s := o.Sources[name]; s != "" {
		return s
	}
	return "--" + name
}

// ConfigError is a mistake in the credential's settings, or a credential
// that Entra ID refuses: bad configuration, not a failure of the run.
type ConfigError struct{ err error }

func (e *ConfigError) Error() string { return e.err.Error() }
func (e *ConfigError) Unwrap() error { return e.err }

func configf(format string, args ...any) error {
	return &ConfigError{fmt.Errorf(format, args...)}
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID is whether s is a GUID, as a tenant id is.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// Modes are the values --auth (and a tenants file's auth) takes.
var Modes = []string{"auto", "default", "client-secret", "client-certificate", "managed-identity", "workload-identity", "azure-cli", "token"}

// ResolveTenant decides the tenant_id that a run's rows carry: a GUID, lower
// case. The token's tid claim is the truth when it has one: a configured
// GUID must be the same tenant, and a configured domain (which azidentity
// accepts, such as contoso.onmicrosoft.com) gives way to it. Without a tid
// claim the configured tenant must be the GUID itself.
func ResolveTenant(configured, token string) (string, error) {
	tid, ok := extract.TenantFromToken(token)
	switch {
	case ok && !IsGUID(tid):
		return "", configf("the token's tid claim %q is not a tenant id (a GUID)", tid)
	case ok && IsGUID(configured) && !strings.EqualFold(configured, tid):
		return "", configf("--tenant-id %s is not the tenant the token was issued for (its tid claim is %s)", configured, tid)
	case ok:
		return strings.ToLower(tid), nil
	case configured == "":
		return "", configf("tenant id unknown: set --tenant-id or AZURE_TENANT_ID (the token has no tid claim)")
	case !IsGUID(configured):
		return "", configf("--tenant-id %q is not a GUID and the token has no tid claim to resolve it: give the tenant id (a GUID)", configured)
	}
	return strings.ToLower(configured), nil
}

// Credential is a credential that Build built, not yet used: no token has
// been asked for.
type Credential struct {
	Tokens extract.TokenSource
	Mode   string // Options.Mode as resolved
	Why    string // why auto chose Mode; "" when Options named it
	Cloud  extract.Cloud
	Tenant string // as configured (Options.TenantID): a GUID, a domain or ""
}

// Build builds the credential o.Mode asks for: the mode it resolved to,
// and, when auto chose it, why (logged at debug level). Nothing is asked of
// the network but, for auto, the instance metadata service (see
// managedIdentityHost). A mistake in o is a *ConfigError; so is, for a
// token given as is, a tenant it cannot tell (see ResolveTenant): that is
// known before anything is asked of anyone.
func Build(ctx context.Context, o Options) (*Credential, error) {
	cl, h := o.Cloud, o
	accessToken, clientSecret, certPassword := o.AccessToken, o.ClientSecret, o.CertificatePassword
	mode, why := o.Mode, ""
	if mode == "auto" {
		var err error
		if mode, why, err = autoMode(ctx, o); err != nil {
			return nil, err
		}
		if o.Log != nil {
			o.Log.Debug("--auth auto chose "+mode, "auth", mode, "because", why)
		}
	}
	built := func(tokens extract.TokenSource) *Credential {
		return &Credential{Tokens: tokens, Mode: mode, Why: why, Cloud: cl, Tenant: o.TenantID}
	}
	if mode != "token" && accessToken != "" {
		return nil, configf("--access-token (GRAPH_ACCESS_TOKEN) is used only with --auth token or auto, not with --auth %s", mode)
	}
	tenant, clientID := o.TenantID, o.ClientID
	need := func(pairs ...string) error {
		var missing []string
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i+1] == "" {
				missing = append(missing, pairs[i])
			}
		}
		if len(missing) > 0 {
			return configf("--auth %s needs %s", mode, strings.Join(missing, ", "))
		}
		return nil
	}
	authority := cl.Azure
	customAuthority := false
	if a := o.AuthorityHost; a != "" {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.User != nil {
			return nil, configf("invalid --authority-host %q: want an https URL such as https://login.microsoftonline.com", extract.RedactURL(a))
		}
		authority = cloud.Configuration{ActiveDirectoryAuthorityHost: a, Services: cl.Azure.Services}
		customAuthority = true
	}
	opts := azcore.ClientOptions{Cloud: authority}
	if h.AuthTransport != nil {
		opts.Transport = h.AuthTransport
	}
	var cred azcore.TokenCredential
	var err error
	switch mode {
	case "token":
		if accessToken == "" {
			return nil, configf("--auth token needs --access-token, GRAPH_ACCESS_TOKEN or GRAPH_ACCESS_TOKEN_FILE")
		}
		if _, err := ResolveTenant(o.TenantID, accessToken); err != nil {
			return nil, err
		}
		return built(extract.StaticToken(accessToken)), nil
	case "client-secret":
		if err := need("--tenant-id (AZURE_TENANT_ID)", tenant, "--client-id (AZURE_CLIENT_ID)", clientID, "--client-secret (AZURE_CLIENT_SECRET)", clientSecret); err != nil {
			return nil, err
		}
		cred, err = azidentity.NewClientSecretCredential(tenant, clientID, clientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: customAuthority})
	case "client-certificate":
		path := o.CertificatePath
		if err := need("--tenant-id (AZURE_TENANT_ID)", tenant, "--client-id (AZURE_CLIENT_ID)", clientID, "--client-certificate-path (AZURE_CLIENT_CERTIFICATE_PATH)", path); err != nil {
			return nil, err
		}
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, configf("--client-certificate-path: %v", rerr)
		}
		certs, key, perr := azidentity.ParseCertificates(data, []byte(certPassword))
		if perr != nil {
			return nil, configf("--client-certificate-path %s: not a PEM or PFX file with a certificate and its private key, or the password is wrong, or a PFX encrypted in a way Go cannot read (export it with openssl pkcs12 -export -legacy): %v", path, perr)
		}
		cred, err = azidentity.NewClientCertificateCredential(tenant, clientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: customAuthority})
	case "managed-identity":
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if clientID != "" {
			o.ID = azidentity.ClientID(clientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(o)
	case "workload-identity":
		file := o.FederatedTokenFile
		if err := need("--tenant-id (AZURE_TENANT_ID)", tenant, "--client-id (AZURE_CLIENT_ID)", clientID, "--federated-token-file (AZURE_FEDERATED_TOKEN_FILE)", file); err != nil {
			return nil, err
		}
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, ClientID: clientID, TenantID: tenant, TokenFilePath: file, DisableInstanceDiscovery: customAuthority})
	case "azure-cli":
		cred, err = azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant})
	case "default":
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: opts, TenantID: tenant, DisableInstanceDiscovery: customAuthority})
	default:
		return nil, configf("invalid --auth %q: want auto, default, client-secret, client-certificate, managed-identity, workload-identity, azure-cli or token", mode)
	}
	if err != nil {
		return nil, configf("--auth %s: %v", mode, err)
	}
	return built(extract.CredentialToken{Credential: cred, Scope: cl.Scope()}), nil
}

// Connect asks for a token up front (azidentity caches it for the run), so
// that a credential that does not work fails before any report, and
// resolves the tenant with the token's tid claim (see ResolveTenant). A
// credential that Entra ID rejects, or that is not where the mode looks for
// it (no managed identity on this host, the Azure CLI not logged in), is a
// *ConfigError, as is a tenant that does not add up; a request that failed
// or was interrupted is not.
func (c *Credential) Connect(ctx context.Context) (tenant string, err error) {
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		mode := c.Mode
		if c.Why != "" {
			mode += ", chosen by --auth auto: " + c.Why
		}
		err = fmt.Errorf("get a token (--auth %s; scope %s): %w", mode, c.Cloud.Scope(), err)
		var te *extract.TokenError
		if (errors.As(err, &te) && te.Rejected()) || (credentialUnavailable(err) && ctx.Err() == nil) {
			return "", &ConfigError{err}
		}
		return "", err
	}
	return ResolveTenant(c.Tenant, tok)
}

// credentialUnavailable reports whether azidentity found no credential
// where the mode looks for one (no managed identity on this host, the Azure
// CLI not logged in, nothing in DefaultAzureCredential's chain): its
// credentialUnavailableError is unexported, but like AuthenticationFailedError
// (which is a refusal or a failure, not an absence) it is NonRetriable.
func credentialUnavailable(err error) bool {
	var afe *azidentity.AuthenticationFailedError
	var nr interface{ NonRetriable() }
	return !errors.As(err, &afe) && errors.As(err, &nr)
}

// noCredentials is what --auth auto says when it finds no credential.
const noCredentials = "no credentials configured (--auth auto found none): set GRAPH_ACCESS_TOKEN or GRAPH_ACCESS_TOKEN_FILE (--auth token); " +
	"or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, AZURE_CLIENT_SECRET_FILE or AZURE_CLIENT_CERTIFICATE_PATH (an app registration); " +
	"or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (workload identity); " +
	"or give --auth managed-identity on an Azure host, or --auth azure-cli after az login"

// autoMode is the mode --auth auto resolves to, and why: the first of
//
//   - token: an access token is given (GRAPH_ACCESS_TOKEN(_FILE));
//   - client-secret: a client secret is (AZURE_CLIENT_SECRET(_FILE));
//   - client-certificate: a certificate is (AZURE_CLIENT_CERTIFICATE_PATH);
//   - workload-identity: a federated token file is (AZURE_FEDERATED_TOKEN_FILE);
//   - managed-identity: the host provides one (see managedIdentityHost);
//   - azure-cli: the az command is on PATH;
//
// and with none of them a usage error that says what to set. Unlike
// DefaultAzureCredential, it never asks an instance-metadata endpoint for a
// token on a host that is not Azure's.
func autoMode(ctx context.Context, o Options) (mode, why string, err error) {
	switch {
	case o.AccessToken != "":
		return "token", o.source("access-token") + " is set", nil
	case o.ClientSecret != "":
		return "client-secret", o.source("client-secret") + " is set", nil
	case o.CertificatePath != "":
		return "client-certificate", o.source("client-certificate-path") + " is set", nil
	case o.FederatedTokenFile != "":
		return "workload-identity", o.source("federated-token-file") + " is set", nil
	}
	if why := managedIdentityHost(ctx, o); why != "" {
		return "managed-identity", why, nil
	}
	lookPath := exec.LookPath
	if o.LookPath != nil {
		lookPath = o.LookPath
	}
	if path, err := lookPath("az"); err == nil {
		return "azure-cli", "the Azure CLI is at " + path, nil
	}
	return "", "", configf("%s", noCredentials)
}

// managedIdentityHost says why this host has a managed identity, or "" when
// it has none: the variables azidentity's ManagedIdentityCredential reads
// to find App Service, Functions, Container Apps and Service Fabric
// (IDENTITY_ENDPOINT), Cloud Shell and Azure ML (MSI_ENDPOINT) or Azure Arc
// (IMDS_ENDPOINT, or its agent installed), else an Azure VM (also a scale
// set or an AKS node): Azure's instance metadata service answering as
// Azure's (see azureIMDS).
func managedIdentityHost(ctx context.Context, o Options) string {
	for _, v := range []string{"IDENTITY_ENDPOINT", "MSI_ENDPOINT", "IMDS_ENDPOINT"} {
		if os.Getenv(v) != "" {
			return v + " is set"
		}
	}
	if src, err := managedidentity.GetSource(); err == nil && src == managedidentity.AzureArc {
		return "the Azure Arc agent is installed"
	}
	if cloud := azureIMDS(ctx, o); cloud != "" {
		return "Azure's instance metadata service answers (" + cloud + ")"
	}
	return ""
}

// imdsURL asks Azure's instance metadata service (IMDS) the host's Azure
// cloud; imdsTimeout bounds the question, as azidentity bounds its own probe.
const (
	imdsURL     = "http://169.254.169.254/metadata/instance/compute/azEnvironment?api-version=2021-02-01&format=text"
	imdsTimeout = time.Second
)

// azureIMDS is the Azure cloud (AzurePublicCloud, AzureUSGovernmentCloud,
// AzureChinaCloud) that the instance metadata service names, or "" when
// nothing answers as Azure's does: 200 and such a name to a request with
// the Metadata header. Other clouds' metadata services, and whatever else
// listens at 169.254.169.254 (a proxy answering 403, say), answer
// otherwise. No proxy is used: the address is the host's own.
func azureIMDS(ctx context.Context, o Options) string {
	rt := o.Metadata
	if rt == nil {
		rt = &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: imdsTimeout}).DialContext}
	}
	ctx, cancel := context.WithTimeout(ctx, imdsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, imdsURL, nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Metadata", "true")
	client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	name := strings.TrimSpace(string(body))
	if err != nil || resp.StatusCode != http.StatusOK || !imdsCloudRE.MatchString(name) {
		return ""
	}
	return name
}

var imdsCloudRE = regexp.MustCompile(`^Azure[A-Za-z]*Cloud$`)
