// Command bench measures ingest's load path and a whole run against the
// limits of the machine it runs on, in one run, and prints one markdown
// table (bench/README.md explains each figure). Every figure comes with its
// ratio to a limit measured in the same run, because absolute times drift
// on shared machines.
//
//	make bench                      # builds bin/ingest, finds Postgres, runs this
//	go run ./bench -database-url postgres://... -ingest bin/ingest
//
// It works in schemas of its own (bench_<pid>…) of the database it is given
// and drops them when it ends.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type config struct {
	databaseURL string
	ingest      string // the ingest binary, for the end-to-end run
	out         string
	runs        int
	tenants     int // tenants of the small-payload and end-to-end figures
	fewTenants  int // the second end-to-end run, for RSS against tenants
	bulkRows    int
	latency     time.Duration
	concurrency int // the project's default --concurrency
	tenantConc  int // the project's default --tenant-concurrency
	skipE2E     bool
	only        string // comma-separated steps to run (for profiling one)
	detailRows  []int  // sizes of the detail figure
	cpuprofile  string
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == rssFlag {
		os.Exit(runForRSS(os.Args[2], os.Args[3:]))
	}
	var c config
	flag.StringVar(&c.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "Postgres URL (default $DATABASE_URL)")
	flag.StringVar(&c.ingest, "ingest", "bin/ingest", "the ingest binary the end-to-end figure runs")
	flag.StringVar(&c.out, "out", "bench/out/latest.json", "where to write the figures as JSON")
	flag.IntVar(&c.runs, "runs", 5, "runs of each database figure; the median is reported")
	flag.IntVar(&c.tenants, "tenants", 500, "tenants (x 4 reports x D180) of the small-payload and end-to-end figures")
	flag.IntVar(&c.fewTenants, "few-tenants", 100, "tenants of the second end-to-end run")
	flag.IntVar(&c.bulkRows, "bulk-rows", 100_000, "rows of the bulk file")
	flag.DurationVar(&c.latency, "latency", 100*time.Millisecond, "delay graph-sim adds to every answer in the end-to-end run")
	flag.IntVar(&c.concurrency, "concurrency", 4, "the project's default --concurrency")
	flag.IntVar(&c.tenantConc, "tenant-concurrency", 4, "the project's default --tenant-concurrency")
	flag.BoolVar(&c.skipE2E, "skip-e2e", false, "skip the end-to-end runs")
	flag.StringVar(&c.only, "only", "", "run only these steps, comma-separated (transform, limits, bulk, small, naive, e2e, detail; "+
		"bulk and small need limits, naive and e2e small's figures): to profile one")
	detailRows := flag.String("detail-rows", "30000,300000,1000000", "rows of the detail payloads, comma-separated")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write the bench process's CPU profile (the load path's client side) to this file")
	flag.Parse()
	for _, f := range strings.Split(*detailRows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("-detail-rows: %q is not a number of rows", f)
		}
		c.detailRows = append(c.detailRows, n)
	}
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if c.databaseURL == "" {
		log.Fatal("no database: give -database-url or set DATABASE_URL")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := run(ctx, c, os.Stderr)
	if err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
	pprof.StopCPUProfile()
	res.print(os.Stdout)
	if err := res.write(c.out); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "bench: figures written to %s\n", c.out)
}

// run measures every figure.
func run(ctx context.Context, c config, progress io.Writer) (*Results, error) {
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(progress, "bench: %5.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	admin, err := pgxpool.New(ctx, c.databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer admin.Close()
	var version string
	if err := admin.QueryRow(ctx, `SHOW server_version`).Scan(&version); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	res := &Results{
		Machine: Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Postgres: version, Concurrency: c.concurrency,
			TenantConcurrency: c.tenantConc, Runs: c.runs, At: time.Now().UTC().Format(time.RFC3339)},
	}
	b := &bencher{c: c, admin: admin, say: say, prefix: fmt.Sprintf("bench_%d", os.Getpid())}
	defer b.cleanup()

	say("generating %d payloads (%d tenants x %d reports x D180) and a %d-row file", c.tenants*len(smallReports), c.tenants, len(smallReports), c.bulkRows)
	if err := b.prepare(); err != nil {
		return nil, err
	}
	steps := []struct {
		name, key string
		fn        func(context.Context, *Results) error
	}{
		{"transform", "transform", b.transform},
		{"parsing the payloads", "", b.parseRows},
		{"limits (raw COPY, small-payload floor)", "limits", b.limits},
		{"bulk load", "bulk", b.bulk},
		{"small payloads, reload, restatement", "small", b.small},
		{"naive peer", "naive", b.naive},
		{"end to end", "e2e", b.endToEnd},
		{"detail payloads", "detail", b.detail},
	}
	for _, s := range steps {
		if (s.key == "e2e" || s.key == "detail") && c.skipE2E || c.only != "" && s.key != "" && !slices.Contains(strings.Split(c.only, ","), s.key) {
			continue
		}
		say("%s", s.name)
		if err := s.fn(ctx, res); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	say("done")
	return res, nil
}

func (r *Results) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// median of xs (xs is sorted in place).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// rssFlag makes the bench a small parent of the command after it (see
// runForRSS).
const rssFlag = "-rss-of"

// runForRSS runs a command and writes its peak RSS in KiB to file. The
// bench runs ingest through a fresh copy of itself in this mode because a
// child's ru_maxrss counts the memory of the process it was forked from
// until it execs: forked from the bench, which holds 2,000 payloads, every
// ingest run measured 506 MiB.
func runForRSS(file string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if err := os.WriteFile(file, []byte(strconv.FormatInt(ru.Maxrss, 10)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	return cmd.ProcessState.ExitCode()
}
