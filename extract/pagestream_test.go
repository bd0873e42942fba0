package extract

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/report"
)

// TestJSONPagesStreamed: with Request.Stream, a JSON payload of several
// pages is handed over as a stream that asks for each page only when the
// records before it are read, and reads as the very document Fetch joins
// without Stream (same bytes, so the same SHA-256). A nextLink off the
// Graph host fails the read, naming no credential.
func TestJSONPagesStreamed(t *testing.T) {
	t.Parallel()
	row := func(d string) string {
		return `{"audioVideo": 1, "dialInMicrosoft":2,"dialOutMicrosoft":3,"reportRefreshDate":"2026-11-21","note":"<a&b>","reportDate":"` + d + `","reportPeriod":"7"}`
	}
	serve := func(s **scripted) func(n int, w http.ResponseWriter, r *http.Request) {
		return func(n int, w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("$skiptoken") {
			case "":
				fmt.Fprintf(w, `{"@odata.context":"https://graph/$metadata#x","value":[%s],"@odata.nextLink":"%s/beta/reports/x?$format=application/json&$skiptoken=2"}`, row("2026-11-21"), (*s).srv.URL)
			case "2":
				fmt.Fprintf(w, `{"value":[%s,%s],"@odata.nextLink":"%s/beta/reports/x?$format=application/json&$skiptoken=3"}`, row("2026-11-20"), row("2026-11-19"), (*s).srv.URL)
			default:
				fmt.Fprintf(w, `{"value":[%s]}`, row("2026-11-18"))
			}
		}
	}
	var joined, streamed *scripted
	joined = newScripted(t, fakeclock.New(t0), serve(&joined), serveCSV)
	clock := fakeclock.New(t0)
	streamed = newScripted(t, clock, serve(&streamed), serveCSV)
	fetch := func(s *scripted, stream bool) *Payload {
		c := s.client()
		c.APIVersion = "beta"
		p, err := c.Fetch(context.Background(), Request{Report: spec(t), Period: "D7", Format: report.JSON, Stream: stream})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := fetch(joined, false)
	p := fetch(streamed, true)
	if p.Stream == nil || p.Body != nil {
		t.Fatalf("stream %v, body %d bytes: want the pages as a stream", p.Stream, len(p.Body))
	}
	if api, _ := streamed.calls(); api != 1 {
		t.Errorf("%d requests before the stream was read, want 1 (the first page)", api)
	}
	// The rows before the next page take long to load: each page has the
	// retry time limit of its own, not what is left of the first's.
	clock.Add(DefaultMaxWait + DefaultRequestTimeout + time.Hour)
	got, err := io.ReadAll(p.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want.Body) || sha256Hex(got) != want.SHA256 {
		t.Errorf("streamed document differs from the joined one:\n%s\n%s", got, want.Body)
	}
	if api, _ := streamed.calls(); api != 3 {
		t.Errorf("%d requests, want 3 (a page each)", api)
	}
	if later := p.LaterAttempts(); len(p.Attempts) != 1 || len(later) != 2 || later[1].Status != 200 {
		t.Errorf("attempts %d, then %+v while read; want the first page's, then the two others'", len(p.Attempts), later)
	}

	// One page: as received.
	one := newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"value":[%s]}`, row("2026-11-21"))
	}, serveCSV)
	if p := fetch(one, true); p.Stream != nil || !strings.HasPrefix(string(p.Body), `{"value":[{"audioVideo": 1,`) {
		t.Errorf("a single page: stream %v, body %q; want the body as received", p.Stream, p.Body)
	}

	off := newScripted(t, fakeclock.New(t0), func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"value":[%s],"@odata.nextLink":"https://evil.example.com/page2?sig=s3cr3tsig"}`, row("2026-11-21"))
	}, serveCSV)
	p = fetch(off, true)
	_, err = io.ReadAll(p.Stream)
	if err == nil || !strings.Contains(err.Error(), "refusing @odata.nextLink") || strings.Contains(err.Error(), "s3cr3tsig") ||
		!strings.Contains(err.Error(), spec(t).Name) {
		t.Errorf("reading past a nextLink off the host: %v", err)
	}
}
