package cli

import (
	"context"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/m365ingest/ingest/extract"
	"github.com/m365ingest/ingest/load"
)

// hooks are test seams. Only this package's tests set them, through the
// context they hand to Main; a real run has none.
type hooks struct {
	// clock drives retries and throttling (nil: the wall clock).
	clock extract.Clock
	// budget overrides Graph's request budget (zero: DefaultBudget).
	budget extract.Budget
	// authTransport carries azidentity's requests (to a fake authority).
	authTransport policy.Transporter
	// metadata carries --auth auto's question to Azure's instance metadata
	// service (nil: a direct connection to 169.254.169.254).
	metadata http.RoundTripper
	// lookPath finds the Azure CLI for --auth auto (nil: exec.LookPath).
	lookPath func(file string) (string, error)
	// beforeLoad is called just before a payload's rows are upserted.
	beforeLoad func(ctx context.Context, f load.Fetch)
	// terminal makes the run take stderr for a terminal (its progress bar
	// and one-line notices), as a test's buffer never is.
	terminal bool
	// maxRuns ends run --daily-at after this many runs (0: never);
	// beforeRun is called before each of them.
	maxRuns   int
	beforeRun func()
}

type hooksKey struct{}

func withHooks(ctx context.Context, h hooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) hooks {
	h, _ := ctx.Value(hooksKey{}).(hooks)
	return h
}
