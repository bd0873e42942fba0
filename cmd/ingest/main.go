// Command ingest pulls Microsoft 365 usage reports from Microsoft Graph and
// loads them into a Postgres warehouse. See the README and `ingest --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/m365ingest/ingest/internal/cli"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr, version)
	stop()
	os.Exit(code)
}
