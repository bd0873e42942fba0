package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// StopOnSignal returns a context that the first SIGINT or SIGTERM cancels,
// with "interrupted by SIGTERM" (or SIGINT) as its cause: the run stops
// gracefully and its work is recorded as interrupted. Catching ends with
// that first signal, so that a second one kills the process at once. The
// command's main calls it, and so does the tests' re-executed binary, so
// that both handle signals alike.
func StopOnSignal(parent context.Context) context.Context {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel(fmt.Errorf("interrupted by %s", signalName(s)))
	}()
	return ctx
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
