package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGraphSimNonLoopbackNeedsTheFlag: graph-sim refuses an address beyond
// loopback (exit 2, one line naming the address and --allow-non-loopback)
// before listening; with --allow-non-loopback it starts, here on a loopback
// address so that the test listens on loopback only.
func TestGraphSimNonLoopbackNeedsTheFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, `ingest: graph-sim: API address "0.0.0.0:0" is not loopback: pass --allow-non-loopback to listen there`},
		{[]string{"--addr", "127.0.0.1:0", "--download-addr", ":0"}, `ingest: graph-sim: download address ":0" is not loopback: pass --allow-non-loopback to listen there`},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"ingest", "graph-sim"}, tc.args...), &out, &errOut, "test")
		if last := lastLine(errOut.String()); code != ExitUsage || !strings.HasPrefix(last, tc.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line starting %q", tc.args, code, errOut.String(), tc.want)
		}
	}

	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- Main(ctx, []string{"ingest", "graph-sim", "--allow-non-loopback", "--addr", "127.0.0.1:0",
			"--download-addr", "127.0.0.1:0", "--url-file", urlFile, "--log-format", "json"}, &out, &errOut, "test")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(urlFile)
		if err == nil && len(b) > 0 {
			if got := strings.TrimSpace(string(b)); !strings.HasPrefix(got, "http://127.0.0.1:") {
				t.Errorf("URL file holds %q, want http://127.0.0.1:port", got)
			}
			break
		}
		select {
		case code := <-done:
			t.Fatalf("graph-sim --allow-non-loopback exited %d before listening: %s", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("graph-sim --allow-non-loopback wrote no URL file within 10 s")
		}
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("graph-sim exit %d after cancel: %s", code, errOut.String())
	}
}
