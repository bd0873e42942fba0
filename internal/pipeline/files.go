package pipeline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
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
		if fs.Report.Detail != nil {
			return r.streamFile(ctx, log.With("file", path), f, fs, fs.Paths[i], start)
		}
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

// streamFile loads a file of a detail report as it reads it, as a fetched
// one is (streamLoad): a file of a million rows is never held whole.
func (r *Run) streamFile(ctx context.Context, log *slog.Logger, f load.Fetch, fs Files, path string, start time.Time) Result {
	file, done, err := openFile(ctx, path)
	if err != nil {
		return r.Failed(ctx, log, f, err)
	}
	defer done()
	br := bufio.NewReaderSize(&limitedFile{r: file, path: f.Source, max: fs.MaxBytes}, 64<<10)
	head, _ := br.Peek(512)
	format := sniffFormat(head, fs.Format)
	f.FetchedAt = time.Now().UTC()
	return r.streamLoad(ctx, log, &f, br, "", format, transform.Options{Source: f.Source}, start)
}

// limitedFile fails a read past the --max-payload-bytes limit.
type limitedFile struct {
	r      io.Reader
	path   string
	max, n int64
}

func (l *limitedFile) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if l.n += int64(n); l.n > l.max {
		return n, fmt.Errorf("%s: larger than the limit of %d bytes (--max-payload-bytes)", l.path, l.max)
	}
	return n, err
}

// readFile reads a whole file of at most max bytes, or standard input for
// -, with openFile's care.
func readFile(ctx context.Context, path string, max int64) ([]byte, error) {
	f, done, err := openFile(ctx, path)
	if err != nil {
		return nil, err
	}
	defer done()
	if IsStdin(path) {
		path = StdinLabel
	}
	return io.ReadAll(&limitedFile{r: f, path: path, max: max})
}

// ctxFile is an open file whose reads end with ctx's cause once ctx is
// done.
type ctxFile struct {
	f    *os.File
	ctx  context.Context
	path string
}

func (c *ctxFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil && err != io.EOF {
		if c.ctx.Err() != nil {
			err = context.Cause(c.ctx)
		}
		err = fmt.Errorf("read %s: %w", c.path, err)
	}
	return n, err
}

// openFile opens a file, or standard input for -, for reading; done closes
// it. It stops when ctx is done, even blocked on a FIFO or a terminal:
// opening waits in a goroutine of its own, and reading ends when the file
// is closed under it. Then the error is ctx's cause, not the closed file's.
func openFile(ctx context.Context, path string) (io.Reader, func(), error) {
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
			return nil, nil, o.err
		}
		f = o.f
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, nil, fmt.Errorf("read %s: %w", path, context.Cause(ctx))
	}
	// A pipe's read waits in the poller, and Close wakes it.
	stop := context.AfterFunc(ctx, func() { f.Close() })
	done := func() {
		stop()
		if f != os.Stdin {
			f.Close()
		}
	}
	return &ctxFile{f: f, ctx: ctx, path: path}, done, nil
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
