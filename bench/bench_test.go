package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/m365ingest/ingest/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestBenchSmall runs every database part of the bench at a tiny size, so
// that make bench does not rot between runs, and checks what its table
// claims: a no-op reload leaves no dead tuple and writes no catalog row, a
// restatement keeps one history row a changed row, every ratio is
// measured, and the JSON holds the documented keys.
func TestBenchSmall(t *testing.T) {
	url := pgtest.URL(t)
	out := filepath.Join(t.TempDir(), "latest.json")
	c := config{databaseURL: url, out: out, runs: 1, tenants: 6, fewTenants: 2, bulkRows: 6000,
		concurrency: 4, tenantConc: 4, skipE2E: true}
	res, err := run(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.write(out); err != nil {
		t.Fatal(err)
	}
	if res.Reload.DeadTuples != 0 || res.Reload.CatalogDeadTuples != 0 {
		t.Errorf("no-op reload left %d dead tuples, %d in the catalogs", res.Reload.DeadTuples, res.Reload.CatalogDeadTuples)
	}
	if res.Restatement.RowsChanged == 0 || res.Restatement.HistoryRows != int64(res.Restatement.RowsChanged) {
		t.Errorf("restatement: %d history rows for %d rows changed", res.Restatement.HistoryRows, res.Restatement.RowsChanged)
	}
	for name, v := range map[string]float64{
		"bulk/raw COPY": res.Bulk.RatioToCopy, "small/floor": res.Small.RatioToFloor, "small/COPY": res.Small.RatioToCopy,
		"reload/first": res.Reload.RatioToFirstLoad, "naive speed-up": res.Naive.Speedup, "transform/csv": res.Transform.RatioToCSV,
	} {
		if !(v > 0) {
			t.Errorf("%s ratio = %v, want a measured ratio", name, v)
		}
	}
	if res.Small.Payloads != 6*len(smallReports) || res.Small.Rows != 6*len(smallReports)*180 || res.Bulk.Rows != 6000 {
		t.Errorf("sizes: %d payloads, %d rows, bulk %d rows", res.Small.Payloads, res.Small.Rows, res.Bulk.Rows)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// The keys bench/README.md documents.
	for _, k := range []string{"machine", "raw_copy", "small_payload_floor", "bulk_load", "small_payloads", "noop_reload",
		"restatement", "naive_peer", "transform", "end_to_end", "seconds", "targets"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("latest.json has no %q", k)
		}
	}
	// Its schemas are gone.
	var n int
	if err := pgtest.Pool(t).QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench\_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d bench schemas left behind", n)
	}
}
