// Command ingest pulls Microsoft 365 usage reports from Microsoft Graph and
// loads them into a Postgres warehouse. See the README and `ingest --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/m365ingest/ingest/internal/cli"
)

var version = "dev"

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	// The first SIGINT or SIGTERM stops the run gracefully (the work is
	// recorded as interrupted); catching ends with it, so that a second one
	// kills the process at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(fmt.Errorf("interrupted by %s", signalName(s)))
	}()
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr, version)
	os.Exit(code)
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
