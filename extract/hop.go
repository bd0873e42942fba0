package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The phases of Attempt.Phase and Error.Phase.
const (
	phaseGraph    = "graph"
	phaseDownload = "download"
)

// hop is one kind of request a Fetch makes, the Graph call (the report
// function or a nextLink, with the token) or the download of the
// preauthenticated URL (without it): what differs between the two. The
// request loop, do, holds what they share: the retry policy (429, 503 and
// 504, connection errors and truncated bodies), 304 and 200.
type hop struct {
	phase string
	// shown is the URL as errors, attempts and logs show it.
	shown string
	// ifNoneMatch is sent as If-None-Match; "" sends none, and a 304 is
	// then a failure.
	ifNoneMatch string
	// wait holds a try back until it may be sent: Graph's request budget and
	// the tenant's pause for a Graph call, the pause only for a download.
	wait func(ctx context.Context) error
	// request builds a try's request with the hop's own headers.
	request func(ctx context.Context) (*http.Request, error)
	// answer handles every status but 429, 503, 504, 304 and 200 and records
	// a, the try-th attempt, itself. again asks for another try at once.
	answer func(ctx context.Context, resp *http.Response, a Attempt, try int) (p *Payload, again bool, err error)
}

// fail is a failure of the hop with status (0 when no answer came).
func (h *hop) fail(status int, err error) *Error {
	return &Error{URL: h.shown, Status: status, Phase: h.phase, Err: err}
}

// do makes the hop's request, retrying within the tries and the retry time
// limit, until it has a payload (or a 304 to If-None-Match) or a failure.
func (f *fetch) do(ctx context.Context, h *hop) (*Payload, error) {
	for try := 1; ; try++ {
		if err := h.wait(ctx); err != nil {
			return nil, &Error{URL: h.shown, Err: err}
		}
		r, err := h.request(ctx)
		if err != nil {
			return nil, &Error{URL: h.shown, Err: err}
		}
		if h.ifNoneMatch != "" {
			r.Header.Set("If-None-Match", h.ifNoneMatch)
		}
		a := Attempt{Phase: h.phase, URL: h.shown, At: f.clock.Now()}
		resp, err := f.send(ctx, r)
		wait := time.Duration(-1) // backoff
		var retryErr error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			a.Error = f.scrub(errText(err))
			retryErr = errors.New(a.Error)
		case throttled(resp.StatusCode):
			a.Status = resp.StatusCode
			wait = retryAfter(resp.Header.Get("Retry-After"), f.clock.Now())
			retryErr = fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
			drain(resp)
		case resp.StatusCode == http.StatusNotModified:
			a.Status = resp.StatusCode
			drain(resp)
			if h.ifNoneMatch == "" {
				a.Error = errUnsolicited304.Error()
				f.record(a)
				return nil, h.fail(resp.StatusCode, errUnsolicited304)
			}
			f.record(a)
			return f.notModified(resp, h.ifNoneMatch), nil
		case resp.StatusCode == http.StatusOK:
			a.Status = resp.StatusCode
			p, retryable, err := f.readPayload(resp)
			if p == nil || p.Stream == nil {
				resp.Body.Close()
			}
			if err == nil {
				f.record(a)
				return p, nil
			}
			a.Error = err.Error()
			if !retryable {
				f.record(a)
				return nil, h.fail(resp.StatusCode, err)
			}
			retryErr = err
		default:
			a.Status = resp.StatusCode
			p, again, err := h.answer(ctx, resp, a, try)
			if again {
				continue
			}
			return p, err
		}
		if err := f.retry(ctx, &a, try, wait, retryErr); err != nil {
			return nil, h.fail(a.Status, err)
		}
	}
}

// graph GETs a Graph URL with the token, retrying, and follows a redirect to
// the download URL; an expired download URL makes it ask Graph again. shown
// is rawURL as errors, attempts and logs show it.
func (f *fetch) graph(ctx context.Context, rawURL, shown, ifNoneMatch string) (*Payload, error) {
	h := &hop{phase: phaseGraph, shown: shown, ifNoneMatch: ifNoneMatch}
	h.wait = func(ctx context.Context) error { return f.lim.acquire(ctx, f.key, f.deadline) }
	h.request = func(ctx context.Context) (*http.Request, error) {
		token, err := f.c.Tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("get token: %w", err)
		}
		// And as a server may echo it: URL-encoded, as query or path.
		f.secret(minTokenLen, token, url.QueryEscape(token), url.PathEscape(token))
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, errors.New(errText(err))
		}
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Accept", "text/csv, application/json")
		return r, nil
	}
	h.answer = func(ctx context.Context, resp *http.Response, a Attempt, try int) (*Payload, bool, error) {
		if !isRedirect(resp.StatusCode) {
			f.record(a)
			return nil, false, graphError(shown, resp)
		}
		raw := resp.Header.Get("Location")
		f.secret(minURLPartLen, raw)
		loc, lerr := resp.Location()
		etag := resp.Header.Get("ETag")
		drain(resp)
		if lerr != nil || loc.Host == "" {
			a.Error = "redirect without a usable Location"
			f.record(a)
			return nil, false, h.fail(resp.StatusCode, fmt.Errorf("redirect without a usable Location (%s)", MaskURL(raw)))
		}
		f.record(a)
		p, err := f.download(ctx, loc, ifNoneMatch)
		switch {
		case err == nil:
			if p.ETag == "" {
				p.ETag = etag
			}
			return p, false, nil
		case !errors.Is(err, errExpired):
			return nil, false, err
		case try >= f.tries:
			var de *Error
			errors.As(err, &de)
			return nil, false, &Error{URL: de.URL, Status: de.Status, Phase: de.Phase,
				Err: fmt.Errorf("download URL expired or refused, and all %d tries of the Graph call are spent (--max-attempts)", try)}
		}
		f.log.Warn("download URL expired; asking Graph for a fresh one", "attempt", try)
		return nil, true, nil
	}
	return f.do(ctx, h)
}

// errExpired is a download URL that answered 403, 404 or 410: Graph is
// asked for a fresh one.
var errExpired = errors.New("download URL expired or refused")

// download GETs a preauthenticated URL with a request that carries no
// credentials of ours, retrying. A failure wraps errExpired when the URL
// answered 403, 404 or 410.
func (f *fetch) download(ctx context.Context, loc *url.URL, ifNoneMatch string) (*Payload, error) {
	f.secretURL(loc)
	h := &hop{phase: phaseDownload, shown: MaskURL(loc.String()), ifNoneMatch: ifNoneMatch}
	if loc.Scheme != "https" && !(loc.Scheme == "http" && isLoopback(loc.Hostname())) {
		return nil, &Error{URL: h.shown, Err: errors.New("refusing download URL: not https (plain http is allowed only on loopback)")}
	}
	h.wait = func(ctx context.Context) error { return f.lim.wait(ctx, f.deadline) }
	h.request = func(ctx context.Context) (*http.Request, error) {
		// A fresh request: no Authorization, no cookies, nothing copied from
		// the Graph request.
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		if err != nil {
			return nil, errors.New("redirect without a usable Location")
		}
		return r, nil
	}
	h.answer = func(_ context.Context, resp *http.Response, a Attempt, _ int) (*Payload, bool, error) {
		drain(resp)
		switch resp.StatusCode {
		case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
			a.Error = "expired or refused"
			f.record(a)
			return nil, false, h.fail(resp.StatusCode, errExpired)
		}
		f.record(a)
		return nil, false, h.fail(resp.StatusCode, errors.New("download failed"))
	}
	return f.do(ctx, h)
}
