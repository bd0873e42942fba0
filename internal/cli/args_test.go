package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMisplacedFlagsAreNotEchoed: flags given after an argument are not
// read by urfave/cli; the usage error must not quote them back, since their
// values may be secrets.
func TestMisplacedFlagsAreNotEchoed(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-VALUE"
	for _, args := range [][]string{
		{"run", "D30", "--client-secret", secret},
		{"status", "x", "--database-url", "postgres://u:" + secret + "@127.0.0.1:1/db"},
		{"replay", "x", "--access-token", secret},
		{"load-file", "--report", "skype-organizer-activity-minute-counts", "--tenant-id", tenant, "a.csv", "--client-secret", secret},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"ingest"}, args...), &out, &errOut, "test")
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", args[:2], code)
		}
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("%v: the secret was echoed: %s", args[:2], errOut.String())
		}
		if !strings.Contains(errOut.String(), "flags must come before") {
			t.Errorf("%v: no hint about flag order: %s", args[:2], errOut.String())
		}
	}
}

// TestWaitTimeoutBounds: lock_timeout counts whole milliseconds (0 would
// wait forever) up to 2^31-1.
func TestWaitTimeoutBounds(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"500us", "0s", "600h"} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), []string{"ingest", "replay", "--wait", "--wait-timeout", d, "--database-url", "postgres://u@127.0.0.1:1/db"}, &out, &errOut, "test")
		if code != ExitUsage || !strings.Contains(errOut.String(), "--wait-timeout") {
			t.Errorf("--wait-timeout %s: exit %d, %s", d, code, errOut.String())
		}
	}
}
