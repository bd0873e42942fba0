package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// StdinLabel names standard input (the FILE -) in errors, logs and the audit.
const StdinLabel = "stdin"

// IsStdin is whether a FILE argument is standard input.
func IsStdin(arg string) bool { return arg == "-" }

// Files is what load-file loads: paths (- for standard input), each of at
// most MaxBytes, holding Report for Tenant, in Format ("auto": by content,
// else csv or json, already checked).
type Files struct {
	Tenant   string
	Report   *report.Spec
	Paths    []string
	MaxBytes int64
	Format   string
}

// FileWork is the work of a run that loads files: one at a time, a file an
// item.
func (r *Run) FileWork(ctx context.Context, fs Files) *Work {
	log := r.Log.With("tenant", fs.Tenant, "report", fs.Report.Name)
	return &Work{N: len(fs.Paths), Workers: 1, Log: log, Item: func(i int) Result {
		path := fs.Paths[i]
		if IsStdin(path) {
			path = StdinLabel
		}
		start := time.Now()
		f := load.Fetch{RunID: r.ID, TenantID: fs.Tenant, Report: fs.Report, Source: path}
		body, err := readFile(ctx, fs.Paths[i], fs.MaxBytes)
		if err != nil {
			return r.Failed(ctx, log, f, err)
		}
		format := sniffFormat(body, fs.Format)
		sum := sha256.Sum256(body)
		f.FetchedAt = time.Now().UTC()
		f.Payload = &load.Payload{SHA256: hex.EncodeToString(sum[:]), Body: body, Format: format}
		// A rejected file is not kept as a payload: the file is the source,
		// and it would fail every replay.
		f.DropOnFailure = true
		return r.ParseAndLoad(ctx, log.With("file", path), f, format, 0, start)
	}}
}

// readFile reads a whole file of at most max bytes, or standard input for
// -. It stops when ctx is done, even blocked on a FIFO or a terminal:
// opening waits in a goroutine of its own, and reading ends when the file
// is closed under it. Then the error is ctx's cause, not the closed file's.
func readFile(ctx context.Context, path string, max int64) ([]byte, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	if IsStdin(path) {
		path = StdinLabel
		ch <- opened{os.Stdin, nil}
	} else {
		go func() {
			f, err := os.Open(path) // a FIFO's open waits for a writer
			ch <- opened{f, err}
		}()
	}
	var f *os.File
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		f = o.f
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("read %s: %w", path, context.Cause(ctx))
	}
	if f != os.Stdin {
		defer f.Close()
	}
	// A pipe's read waits in the poller, and Close wakes it.
	defer context.AfterFunc(ctx, func() { f.Close() })()
	body, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%s: larger than the limit of %d bytes (--max-payload-bytes)", path, max)
	}
	return body, nil
}

// sniffFormat decides CSV or JSON: the flag if given, else the content
// (transform.DetectFormat: JSON when it starts with '{' or '[' after any
// byte-order mark), whatever the file is called: the CLI for Microsoft
// 365's JSON is often saved as .csv, and an export as .txt.
func sniffFormat(body []byte, flag string) report.Format {
	if flag != "auto" {
		f, _ := report.ParseFormat(flag)
		return f
	}
	return transform.DetectFormat(body)
}
