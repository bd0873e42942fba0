package cli

import (
	"fmt"
	"io"
	"sync"

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
// terminal, nothing otherwise (the logs say it all).
func newProgress(w io.Writer, terminal bool) func(total int, noun string) pipeline.Progress {
	if !terminal {
		return nil
	}
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
