package metrics

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/m365ingest/ingest/load"
)

// Shards of one night push to groups of their own, so that they do not
// overwrite each other's series; a failing push never shows the URL's
// password.
func TestPushGroupsByShard(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Query().Has("fail") {
			http.Error(w, "no", http.StatusBadRequest)
		}
	}))
	defer gw.Close()
	reg := Registry(Run{Command: "run", Reports: []load.ReportRun{{TenantID: "t1", Report: "r", Outcome: "loaded"}}})
	for _, shard := range []string{"0-3", "1-3", ""} {
		if err := Push(gw.URL, "run", shard, reg, nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	got := slices.Clone(paths)
	mu.Unlock()
	// The grouping labels come in any order after the job.
	if len(got) != 3 {
		t.Fatalf("pushed to %q, want 3 groups", got)
	}
	for i, shard := range []string{"0-3", "1-3", "all"} {
		if !strings.HasPrefix(got[i], "PUT /metrics/job/ingest/") || !strings.Contains(got[i], "/instance/run") || !strings.Contains(got[i], "/shard/"+shard) {
			t.Errorf("push %d went to %q, want job ingest, instance run, shard %s", i+1, got[i], shard)
		}
	}
	u := "http://user:hunter2@" + gw.Listener.Addr().String() + "/x?fail=1"
	if err := Push(u, "run", "", reg, nil); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("failed push: %v (want an error without the password)", err)
	}
}
