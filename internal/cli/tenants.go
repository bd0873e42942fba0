package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/internal/auth"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/internal/tenants"
)

func tenantsFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "tenants-file", EnvVars: []string{"INGEST_TENANTS_FILE"}, Usage: "run every tenant of this YAML or JSON `FILE` (see the README's tenants file) instead of one"},
		&ucli.IntFlag{Name: "tenant-concurrency", Value: 4, EnvVars: []string{"INGEST_TENANT_CONCURRENCY"}, Usage: "tenants of the tenants file fetched at once"},
		&ucli.StringFlag{Name: "shard", EnvVars: []string{"INGEST_SHARD"}, Usage: "run shard `i/N` of the tenants file: the tenants whose id hashes to i"},
		&ucli.IntFlag{Name: "shards", EnvVars: []string{"INGEST_SHARDS"}, Usage: "with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) and no --shard: run shard JOB_COMPLETION_INDEX of this many"},
	}
}

// tenantsOptions are a run's tenants file, read, checked and sharded.
type tenantsOptions struct {
	list    []tenants.Tenant
	workers int
	// shard i of shards (n > 1), or n 1 for the whole file.
	i, n int
}

// lockScope is the run lock's scope (load.DB.LockScope): "shard i/N", or
// "" for the whole file.
func (t *tenantsOptions) lockScope() string {
	if t == nil || t.n <= 1 {
		return ""
	}
	return fmt.Sprintf("shard %d/%d", t.i, t.n)
}

// metricsShard is the shard's Pushgateway grouping label: "i-N", or "" for
// the whole file.
func (t *tenantsOptions) metricsShard() string {
	if t == nil || t.n <= 1 {
		return ""
	}
	return fmt.Sprintf("%d-%d", t.i, t.n)
}

// parseTenants reads --tenants-file and picks the shard. A mistake in the
// file or the shard is a usage error (exit 2) before anything runs; nil
// when the run is one tenant's.
func parseTenants(c *ucli.Context) (*tenantsOptions, error) {
	path := c.String("tenants-file")
	if path == "" {
		if c.String("shard") != "" || c.Int("shards") != 0 {
			return nil, usagef("--shard and --shards need --tenants-file")
		}
		return nil, nil
	}
	// On the command line only: AZURE_TENANT_ID is often set around the
	// job (Azure workload identity's webhook sets it in the pod) and is
	// then no mistake; each tenant's id is the file's.
	if onCommandLine(c, "tenant-id") {
		return nil, usagef("--tenant-id and --tenants-file: give one (the file names each tenant)")
	}
	f, err := tenants.Load(path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	list := f.Tenants
	i, n := 0, 1
	switch index := os.Getenv("JOB_COMPLETION_INDEX"); {
	case c.String("shard") != "":
		if i, n, err = tenants.ParseShard(c.String("shard")); err != nil {
			return nil, usagef("%v", err)
		}
	case c.Int("shards") > 0 && index != "":
		n = c.Int("shards")
		if i, err = tenants.ShardFromIndex(index, n); err != nil {
			return nil, usagef("%v", err)
		}
	case c.Int("shards") > 0:
		return nil, usagef("--shards %d needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or --shard i/N", c.Int("shards"))
	}
	if n > 1 {
		list = f.Shard(i, n)
	}
	return &tenantsOptions{list: list, workers: c.Int("tenant-concurrency") * c.Int("concurrency"), i: i, n: n}, nil
}

// connectTenants builds each tenant's credential from the flags' settings
// and the tenant's own, asks for its token (so that bad credentials fail
// the tenant at once), and makes its Graph client with a budget of its own.
// A tenant that fails is returned with its error; the others are not held
// up by it. At most tenant-concurrency tenants connect at once.
func (o *graphOptions) connectTenants(ctx context.Context, t *tenantsOptions) []pipeline.Tenant {
	out := make([]pipeline.Tenant, len(t.list))
	// A goroutine a worker, not one a tenant waiting its turn: a tenants
	// file of thousands made as many goroutines at once.
	pipeline.ForEach(t.workers, len(t.list), func(i int) {
		tn := t.list[i]
		out[i].ID = tn.TenantID
		out[i].Graph, out[i].Err = o.connectTenant(ctx, tn)
	})
	return out
}

func (o *graphOptions) connectTenant(ctx context.Context, t tenants.Tenant) (pipeline.Graph, error) {
	ao := o.base
	ao.TenantID = t.TenantID
	if t.Auth != "" {
		ao.Mode = t.Auth
	}
	if t.ClientID != "" {
		ao.ClientID = t.ClientID
	}
	if t.ClientCertificatePath != "" {
		ao.CertificatePath = t.ClientCertificatePath
	}
	if t.FederatedTokenFile != "" {
		ao.FederatedTokenFile = t.FederatedTokenFile
	}
	for _, s := range []struct {
		v         *string
		env, file string
	}{
		{&ao.ClientSecret, t.ClientSecretEnv, t.ClientSecretFile},
		{&ao.CertificatePassword, t.ClientCertificatePasswordEnv, t.ClientCertificatePasswordFile},
		{&ao.AccessToken, t.AccessTokenEnv, t.AccessTokenFile},
	} {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := tenants.Secret(s.env, s.file)
		if err != nil {
			return pipeline.Graph{}, err
		}
		*s.v = v
	}
	graphURL := o.graphURL
	if t.Cloud != "" {
		cl, err := extract.LookupCloud(t.Cloud)
		if err != nil {
			return pipeline.Graph{}, err
		}
		ao.Cloud = cl
		if !o.graphURLSet {
			graphURL = cl.GraphURL
		}
	}
	cred, err := auth.Build(ctx, ao)
	if err != nil {
		return pipeline.Graph{}, err
	}
	tenant, err := cred.Connect(ctx)
	if err != nil {
		return pipeline.Graph{}, err
	}
	if !strings.EqualFold(tenant, t.TenantID) {
		return pipeline.Graph{}, usagef("the token is for tenant %s, not %s", tenant, t.TenantID)
	}
	g := o.newClient(graphURL, cred.Tokens)
	g.Tenant = t.TenantID
	return g, nil
}
