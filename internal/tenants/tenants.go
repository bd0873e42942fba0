// Package tenants reads the tenants file of a multi-tenant run (DESIGN.md,
// "Tenants file"; --tenants-file) and picks a shard of it (--shard i/N, or
// JOB_COMPLETION_INDEX with --shards N in a Kubernetes Indexed Job).
//
// The file is YAML or JSON (JSON is read as the YAML it also is):
//
//	tenants:
//	  - tenant_id: 5b6f3c2e-0d1a-4c7e-9f00-7e57ab1e0001
//	    name: Contoso
//	    cloud: public
//	    auth: client-secret
//	    client_id: 11111111-2222-3333-4444-555555555555
//	    client_secret_env: CONTOSO_SECRET
//
// Secrets are given by reference only: <field>_env (an environment
// variable's name) or <field>_file (a file's path), for client_secret,
// client_certificate_password and access_token. An inline secret, an
// unknown field, a tenant id that is not a GUID or given twice, an unknown
// cloud or auth mode is an *Error naming the file, the tenant and the
// field: nothing runs on a file that is wrong anywhere.
package tenants

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
)

// Tenant is one tenant of the file.
type Tenant struct {
	TenantID string `yaml:"tenant_id"`
	Name     string `yaml:"name"`
	Cloud    string `yaml:"cloud"` // as --cloud; "" is public
	Auth     string `yaml:"auth"`  // as --auth; "" is auto
	ClientID string `yaml:"client_id"`

	ClientCertificatePath string `yaml:"client_certificate_path"`
	FederatedTokenFile    string `yaml:"federated_token_file"`

	// Secrets, by reference.
	ClientSecretEnv               string `yaml:"client_secret_env"`
	ClientSecretFile              string `yaml:"client_secret_file"`
	ClientCertificatePasswordEnv  string `yaml:"client_certificate_password_env"`
	ClientCertificatePasswordFile string `yaml:"client_certificate_password_file"`
	AccessTokenEnv                string `yaml:"access_token_env"`
	AccessTokenFile               string `yaml:"access_token_file"`

	// Inline secrets: read only to be refused by name (a Node takes any
	// value, and its Kind says whether one was given).
	ClientSecret              yaml.Node `yaml:"client_secret"`
	ClientCertificatePassword yaml.Node `yaml:"client_certificate_password"`
	AccessToken               yaml.Node `yaml:"access_token"`

	line int // where the tenant starts in the file
}

// File is a tenants file read and checked.
type File struct {
	Path    string
	Tenants []Tenant
}

// Error is a mistake in a tenants file. It prints on one line:
//
//	tenants file t.yaml: tenant 2 (5b6f...0002, line 8): client_secret is inline: give client_secret_env or client_secret_file
type Error struct {
	Path   string
	Tenant int    // 1-based; 0 when the mistake is not a tenant's
	ID     string // the tenant's id, if it has one
	Line   int    // 0 when unknown
	Field  string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenants file %s: ", e.Path)
	switch {
	case e.Tenant > 0:
		fmt.Fprintf(&b, "tenant %d", e.Tenant)
		var in []string
		if e.ID != "" {
			in = append(in, e.ID)
		}
		if e.Line > 0 {
			in = append(in, "line "+strconv.Itoa(e.Line))
		}
		if len(in) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(in, ", "))
		}
		b.WriteString(": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + " ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// maxFileBytes bounds a tenants file: thousands of tenants take a few MB.
const maxFileBytes = 64 << 20

// Load reads and checks the tenants file at path.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: "cannot be read: " + errors.Unwrap(err).Error()}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, &Error{Path: path, Reason: "cannot be read: " + err.Error()}
	}
	if len(data) > maxFileBytes {
		return nil, &Error{Path: path, Reason: fmt.Sprintf("is larger than %d MiB", maxFileBytes>>20)}
	}
	return Parse(path, data)
}

// Parse checks the tenants file data, read from path (for errors).
func Parse(path string, data []byte) (*File, error) {
	// Once strictly, so that an unknown field (a typo) is an error naming
	// its line; once as nodes, for the line where each tenant starts.
	var strict struct {
		Tenants []Tenant `yaml:"tenants"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&strict); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Path: path, Reason: "is empty: want a tenants: list"}
		}
		reason := yamlReason(err)
		if strings.Contains(reason, " not found in type ") {
			// "line 13: field client_scret_env not found in type tenants.Tenant"
			reason = unknownFieldRE.ReplaceAllString(reason, "unknown field $1 (fields are those of DESIGN.md's tenants file)")
			return nil, &Error{Path: path, Reason: reason}
		}
		return nil, &Error{Path: path, Reason: "is not a tenants file: " + reason}
	}
	var doc struct {
		Tenants []yaml.Node `yaml:"tenants"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{Path: path, Reason: "is not a tenants file: " + yamlReason(err)}
	}
	if len(doc.Tenants) == 0 {
		return nil, &Error{Path: path, Reason: "lists no tenants (want tenants: followed by a list)"}
	}
	out := &File{Path: path}
	seen := map[string]int{}
	for i := range doc.Tenants {
		n := &doc.Tenants[i]
		fail := func(id, field, reason string) error {
			return &Error{Path: path, Tenant: i + 1, ID: id, Line: n.Line, Field: field, Reason: reason}
		}
		t := strict.Tenants[i]
		t.line = n.Line
		t.TenantID = strings.ToLower(strings.TrimSpace(t.TenantID))
		if t.TenantID == "" {
			return nil, fail("", "tenant_id", "is missing")
		}
		if !auth.IsGUID(t.TenantID) {
			return nil, fail("", "tenant_id", fmt.Sprintf("%q is not a GUID", t.TenantID))
		}
		if first, dup := seen[t.TenantID]; dup {
			return nil, fail(t.TenantID, "tenant_id", fmt.Sprintf("is also tenant %d's", first))
		}
		seen[t.TenantID] = i + 1
		for _, s := range []struct {
			name      string
			inline    yaml.Node
			env, file string
		}{
			{"client_secret", t.ClientSecret, t.ClientSecretEnv, t.ClientSecretFile},
			{"client_certificate_password", t.ClientCertificatePassword, t.ClientCertificatePasswordEnv, t.ClientCertificatePasswordFile},
			{"access_token", t.AccessToken, t.AccessTokenEnv, t.AccessTokenFile},
		} {
			switch {
			case s.inline.Kind != 0:
				// The value is never quoted back: it is a secret.
				return nil, fail(t.TenantID, s.name, fmt.Sprintf("is inline: give %s_env (an environment variable's name) or %s_file (a file's path), never the secret itself", s.name, s.name))
			case s.env != "" && s.file != "":
				return nil, fail(t.TenantID, s.name, fmt.Sprintf("is given twice: %s_env and %s_file; give one", s.name, s.name))
			case s.env != "" && !envNameRE.MatchString(s.env):
				// Most likely the secret itself, pasted: never shown.
				return nil, fail(t.TenantID, s.name+"_env", "is not an environment variable's name (letters, digits and _, not starting with a digit); the value is not shown, in case it is the secret itself")
			case s.file != "" && !looksLikePath(s.file):
				return nil, fail(t.TenantID, s.name+"_file", "does not look like a file's path (absolute, or starting with ./ or ../); the value is not shown, in case it is the secret itself")
			}
		}
		if t.Cloud != "" {
			if _, err := extract.LookupCloud(t.Cloud); err != nil {
				return nil, fail(t.TenantID, "cloud", err.Error())
			}
		}
		if t.Auth != "" && !slices.Contains(auth.Modes, t.Auth) {
			return nil, fail(t.TenantID, "auth", fmt.Sprintf("%q is not an auth mode (want one of %s)", t.Auth, strings.Join(auth.Modes, ", ")))
		}
		out.Tenants = append(out.Tenants, t)
	}
	return out, nil
}

// envNameRE is what an environment variable's name is made of.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// looksLikePath tells a file's path from a pasted secret: a path is
// absolute or starts with ./ or ../ (a secret rarely does, and is then
// shown in no message anyway).
func looksLikePath(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../")
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlReason is a decoder's error without its "yaml: " prefix, on one line.
func yamlReason(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.ReplaceAll(s, "unmarshal errors:\n  ", "")
	return strings.Join(strings.Fields(s), " ")
}

// Secret is the value of a secret given by reference: the environment
// variable named by env, or the content of the file at file (trailing
// newlines dropped); "" when neither is given.
func Secret(env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, errors.Unwrap(err))
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}

// ShardOf is the shard of n that a tenant belongs to: a hash of its id
// (FNV-1a, lower case), so the split depends on neither the file's order
// nor the other tenants.
func ShardOf(tenantID string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(tenantID)))
	return int(h.Sum64() % uint64(n))
}

// Shard returns the tenants of shard i of n, in the file's order.
func (f *File) Shard(i, n int) []Tenant {
	var out []Tenant
	for _, t := range f.Tenants {
		if ShardOf(t.TenantID, n) == i {
			out = append(out, t)
		}
	}
	return out
}

// ParseShard reads --shard i/N: 0 <= i < N.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/N with 0 <= i < N, such as 0/3", s)
	}
	return i, n, nil
}

// ShardFromIndex is the shard of a Kubernetes Indexed Job's pod: its
// JOB_COMPLETION_INDEX (index) of --shards n.
func ShardFromIndex(index string, n int) (int, error) {
	i, err := strconv.Atoi(strings.TrimSpace(index))
	if err != nil || n < 1 || i < 0 || i >= n {
		return 0, fmt.Errorf("JOB_COMPLETION_INDEX %q with --shards %d: want an index from 0 to %d", index, n, n-1)
	}
	return i, nil
}
