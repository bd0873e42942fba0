package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
)

// maxStreamPages bounds the @odata.nextLink pages of one streamed payload:
// a detail report of a large tenant has thousands (a page holds hundreds of
// records), each read and let go in turn; MaxPayloadBytes bounds their
// total.
const maxStreamPages = 100_000

// pageStream is pages for Request.Stream: a first page without a nextLink
// is returned as received; else the document of every page's records is
// handed over as a stream (Payload.Stream) that fetches the next page when
// the records of the one before are read, holding one page at a time, each
// page with a retry time limit of its own (the pages of a large payload are
// asked for over as long as loading the rows before takes).
func (f *fetch) pageStream(ctx context.Context, first *Payload) (*Payload, error) {
	ps := f.newPageStream(ctx, first, maxStreamPages, true)
	if ps == nil {
		return first, nil
	}
	first.Body, first.SHA256, first.Stream = nil, "", io.NopCloser(ps)
	handedOver := len(f.attempts) // the first page's: Payload.Attempts
	first.LaterAttempts = func() []Attempt { return slices.Clone(f.attempts[handedOver:]) }
	return first, nil
}

// pages follows @odata.nextLink from a JSON payload and joins the pages'
// value arrays into one document, read whole. A payload without a nextLink
// (or that is not JSON, which transform reports) is returned as received.
func (f *fetch) pages(ctx context.Context, first *Payload) (*Payload, error) {
	ps := f.newPageStream(ctx, first, maxPages, false)
	if ps == nil {
		return first, nil
	}
	body, err := io.ReadAll(ps)
	if err != nil {
		return nil, err
	}
	first.Body, first.SHA256, first.Pages = body, sha256Hex(body), ps.pages
	return first, nil
}

// newPageStream is the document of first's pages, or nil when first has
// no nextLink (or is not JSON). Its bytes are those encoding/json writes
// for {"@odata.context":…,"value":[…]} of the pages' records (each record
// compacted, <, > and & escaped; the context left out when empty; a value
// of null when no page had one). The pages are at most max; with
// pageDeadline each has a retry time limit of its own, else they share the
// fetch's.
func (f *fetch) newPageStream(ctx context.Context, first *Payload, max int, pageDeadline bool) *jsonPageStream {
	var page jsonPage
	if json.Unmarshal(first.Body, &page) != nil || page.Next == "" {
		return nil
	}
	ps := &jsonPageStream{f: f, ctx: ctx, values: page.Value, null: page.Value == nil, next: page.Next, pages: 1,
		maxPages: max, pageDeadline: pageDeadline, total: int64(len(first.Body)), seen: map[string]bool{}}
	ps.buf.WriteByte('{')
	if page.Context != "" {
		ctxJSON, _ := json.Marshal(page.Context)
		ps.buf.WriteString(`"@odata.context":`)
		ps.buf.Write(ctxJSON)
		ps.buf.WriteByte(',')
	}
	ps.buf.WriteString(`"value":`)
	return ps
}

// jsonPage is what pages and pageStream read of a page.
type jsonPage struct {
	Context string            `json:"@odata.context"`
	Value   []json.RawMessage `json:"value"`
	Next    string            `json:"@odata.nextLink"`
}

// jsonPageStream is the document of a payload's pages, read as it is made.
type jsonPageStream struct {
	f            *fetch
	ctx          context.Context
	buf          bytes.Buffer      // made, not yet read
	values       []json.RawMessage // of the current page, not yet made
	null         bool              // no page had a value so far
	next         string            // the next page's link; "" after the last
	wrote        bool              // a record was made (the next needs a comma)
	done         bool              // the document was ended
	pages        int
	maxPages     int
	pageDeadline bool
	total        int64
	seen         map[string]bool
	err          error
	tmp          bytes.Buffer
}

func (s *jsonPageStream) Read(p []byte) (int, error) {
	for s.buf.Len() == 0 {
		if s.err != nil {
			return 0, s.err
		}
		switch {
		case len(s.values) > 0:
			s.record(s.values[0])
			s.values[0] = nil
			s.values = s.values[1:]
		case s.next != "":
			if err := s.fetchNext(); err != nil {
				s.err = err
				return 0, err
			}
		case !s.done:
			switch {
			case s.wrote:
				s.buf.WriteString("]}")
			case s.null:
				s.buf.WriteString("null}")
			default:
				s.buf.WriteString("[]}")
			}
			s.done = true
		default:
			return 0, io.EOF
		}
	}
	return s.buf.Read(p)
}

// record makes a record as encoding/json would write a json.RawMessage:
// compacted, <, > and & escaped.
func (s *jsonPageStream) record(raw json.RawMessage) {
	if s.wrote {
		s.buf.WriteByte(',')
	} else {
		s.buf.WriteByte('[')
	}
	s.wrote = true
	s.tmp.Reset()
	if json.Compact(&s.tmp, raw) != nil {
		s.tmp.Reset()
		s.tmp.Write(raw) // valid: the page parsed
	}
	json.HTMLEscape(&s.buf, s.tmp.Bytes())
}

// fetchNext fetches the page of s.next: on Graph's host only (it carries
// the token), never twice, within s.maxPages and MaxPayloadBytes. Its error
// is an *Error, scrubbed of secrets.
func (s *jsonPageStream) fetchNext() (err error) {
	f, next := s.f, s.next
	shown := MaskURL(next)
	defer func() {
		if err == nil {
			return
		}
		var fe *Error
		if !errors.As(err, &fe) {
			fe = &Error{URL: shown, Err: err}
		}
		fe.Report, fe.Attempts = f.req.Report.Name, f.attempts
		f.scrubError(fe)
		err = fe
	}()
	f.secret(minURLPartLen, next)
	if u, err := url.Parse(next); err == nil {
		f.secretURL(u)
	}
	s.pages++
	max := cmpOr(f.c.MaxPayloadBytes, DefaultMaxPayloadBytes)
	switch {
	case s.pages > s.maxPages:
		return &Error{URL: shown, Err: fmt.Errorf("more than %d pages", s.maxPages)}
	case !sameOrigin(next, f.c.GraphURL):
		return &Error{URL: shown, Err: errors.New("refusing @odata.nextLink: not on the Graph host, and it would carry the token")}
	case s.seen[next]:
		return &Error{URL: shown, Err: errors.New("@odata.nextLink repeats an earlier page")}
	}
	s.seen[next] = true
	if s.pageDeadline {
		f.deadline = f.clock.Now().Add(cmpOr(f.c.MaxWait, DefaultMaxWait))
	}
	p, err := f.graph(s.ctx, next, shown, "")
	if err != nil {
		return err
	}
	if p.NotModified {
		return &Error{URL: shown, Status: p.Status, Err: errors.New("unexpected 304 for a page")}
	}
	var page jsonPage
	if err := json.Unmarshal(p.Body, &page); err != nil {
		return &Error{URL: shown, Status: p.Status, Err: fmt.Errorf("page %d: %w", s.pages, err)}
	}
	if s.total += int64(len(p.Body)); s.total > max {
		return &Error{URL: shown, Err: fmt.Errorf("pages exceed the limit of %d bytes (--max-payload-bytes)", max)}
	}
	s.values, s.next = page.Value, page.Next
	s.null = s.null && len(page.Value) == 0
	return nil
}
