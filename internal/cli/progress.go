package cli

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	ucli "github.com/urfave/cli/v2"

	"github.com/schollz/progressbar/v3"

	"github.com/m365ingest/ingest/internal/pipeline"
)

// progressBar is a run's progress on a terminal: items done of the total
// (tenants x reports for a run over a tenants file), rows loaded, failures,
// and the time left, on one line that redraws itself. github.com/schollz/
// progressbar draws it: terminal width, throttled redraws and the ETA are
// its job, not ours.
type progressBar struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	noun   string
	rows   int
	failed int
}

// newProgress is pipeline.Env.Progress for stderr: a bar when it is a
// terminal and the logs are text (drawn through termOf, so that a log
// record never lands on the bar's line), nothing otherwise: JSON logs are
// for a machine, and off a terminal the logs say it all.
func newProgress(c *ucli.Context, terminal bool) func(total int, noun string) pipeline.Progress {
	if !terminal || c.String("log-format") == "json" {
		return nil
	}
	w := barWriter{termOf(c)}
	return func(total int, noun string) pipeline.Progress {
		p := &progressBar{noun: noun}
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetDescription(p.description()),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return p
	}
}

func (p *progressBar) description() string {
	return fmt.Sprintf("%s: %d rows, %d failed", p.noun, p.rows, p.failed)
}

func (p *progressBar) Done(r pipeline.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Err != nil {
		p.failed++
	} else {
		p.rows += r.Counts.Parsed
	}
	p.bar.Describe(p.description())
	p.bar.Add(1)
}

func (p *progressBar) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Finish()
}

// termLines keeps a progress bar and log records apart on one terminal: a
// record clears the bar's line, is written, and the bar is drawn again
// below it.
type termLines struct {
	mu  sync.Mutex
	w   io.Writer
	bar []byte // the bar as last drawn, empty when there is none
}

// termOf is the app's terminal writer (one per run of the app).
func termOf(c *ucli.Context) *termLines {
	t, ok := c.App.Metadata["term"].(*termLines)
	if !ok {
		t = &termLines{w: c.App.ErrWriter}
		c.App.Metadata["term"] = t
	}
	return t
}

// Write writes a log record.
func (t *termLines) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.bar) > 0 {
		io.WriteString(t.w, "\r\033[K")
	}
	n, err := t.w.Write(p)
	if len(t.bar) > 0 {
		t.w.Write(t.bar)
	}
	return n, err
}

// barWriter is where the bar draws itself: what follows its last carriage
// return is the line to draw again after a record; a newline ends it.
type barWriter struct{ t *termLines }

func (b barWriter) Write(p []byte) (int, error) {
	t := b.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := bytes.LastIndexByte(p, '\r'); i >= 0 {
		t.bar = append(t.bar[:0], p[i:]...)
	} else {
		t.bar = append(t.bar, p...)
	}
	if bytes.HasSuffix(p, []byte("\n")) {
		t.bar = t.bar[:0]
	}
	return t.w.Write(p)
}
