package extract

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/report"
)

// TestStreamedBodyTimeout: a body handed over unread (Request.Stream) is
// read as fast as the warehouse loads it, so the request timeout bounds the
// time without data, not the whole read: a slow reader gets the whole
// body, a body that stops arriving fails, saying so.
func TestStreamedBodyTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	lines := []string{"Report Refresh Date,Report Period\r\n"}
	for i := range 8 {
		lines = append(lines, fmt.Sprintf("2026-11-%02d,7\r\n", i+1))
	}
	fetch := func(t *testing.T, dl func(int, http.ResponseWriter, *http.Request)) *Payload {
		var s *scripted
		s = newScripted(t, fakeclock.New(t0), redirectTo(&s), dl)
		c := s.client()
		c.RequestTimeout = timeout
		p, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.CSV, Stream: true})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("slow reader", func(t *testing.T) {
		t.Parallel()
		// The server sends a line once the one before was read (next), as
		// a body that is read no faster than it is loaded arrives.
		next := make(chan struct{})
		p := fetch(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			for _, l := range lines {
				fmt.Fprint(w, l)
				w.(http.Flusher).Flush()
				if _, ok := <-next; !ok {
					return
				}
			}
		})
		t.Cleanup(func() { close(next) })
		defer p.Stream.Close()
		// A line each 100 ms: 900 ms in all, three request timeouts, never
		// 300 ms without data.
		r := bufio.NewReaderSize(p.Stream, 16)
		var got []string
		for range lines {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %d lines: %q, %v", len(got), line, err)
			}
			got = append(got, line)
			time.Sleep(timeout / 3) // the warehouse loading the line
			next <- struct{}{}
		}
		if len(got) != len(lines) {
			t.Errorf("%d lines read, want %d", len(got), len(lines))
		}
	})

	t.Run("stalled body", func(t *testing.T) {
		t.Parallel()
		stall := make(chan struct{})
		p := fetch(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, lines[0])
			w.(http.Flusher).Flush()
			<-stall
		})
		// Registered after the server's: released before it closes.
		t.Cleanup(func() { close(stall) })
		defer p.Stream.Close()
		buf := make([]byte, 1024)
		var err error
		for err == nil {
			_, err = p.Stream.Read(buf)
		}
		if !strings.Contains(err.Error(), "no data for 300ms (--request-timeout)") {
			t.Errorf("a stalled body: %v", err)
		}
	})
}
