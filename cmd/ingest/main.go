// Command ingest pulls Microsoft 365 usage reports from Microsoft Graph and
// loads them into a Postgres warehouse. See the README and `ingest --help`.
package main

import (
	"context"
	"os"

	"github.com/m365ingest/ingest/internal/cli"
)

var version = "dev"

func main() {
	// The first SIGINT or SIGTERM stops the run gracefully; a second one
	// kills the process at once.
	ctx := cli.StopOnSignal(context.Background())
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr, version)
	os.Exit(code)
}
