// Package extract calls Microsoft Graph report functions and returns the raw
// payload with its fetch metadata.
//
// A report call such as GET /v1.0/reports/getSkypeForBusinessOrganizerActivityUserCounts(period='D7')
// answers 302 Found with a short-lived preauthenticated download URL. Client
// handles that redirect itself: the Graph request carries the bearer token,
// the download request is a fresh one that never carries an Authorization
// header or cookies, whatever host or port it points at, and it is followed
// only when it is https (or http on a loopback address, for the simulator).
// The token itself goes only to an https Graph URL, or plain http on
// loopback (see CheckGraphURL). A download URL carries its credential in its
// path or query: logs, errors and attempts show it as scheme and host with a
// fingerprint (see MaskURL). Error text never holds the token or any
// "Bearer ..." credential a server echoes.
//
// Each request, reading its body included, is bounded by
// Client.RequestTimeout, and by what is left of Client.MaxWait plus one
// RequestTimeout, so one Fetch lasts at most MaxWait plus one request.
//
// Client retries what is worth retrying, within Client.MaxAttempts tries per
// request and Client.MaxWait of total time: 429, 503 and 504 after
// Retry-After (seconds or an HTTP date) or exponential backoff with full
// jitter, connection errors and truncated bodies after backoff. A download
// URL that answers 403, 404 or 410 has expired: Client asks Graph for a
// fresh one. 401 and 403 from Graph fail at once with Graph's error code and
// message and a hint: for a 401, that the token is invalid, expired or for
// another audience (TokenHint; TokenRejected tells it apart); for a 403,
// the permission and its consent (PermissionHint). A Limiter shared by every Client
// of a tenant spreads a 429 to all requests to that tenant and keeps each
// report within Graph's request budget.
//
// With If-None-Match set, a 304 comes back as a Payload with NotModified set;
// without it, a 304 is a failure.
// In JSON (beta) mode an @odata.nextLink on Graph's host is followed and the
// pages are joined into one document.
package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/m365ingest/ingest/report"
)

// DefaultMaxWait bounds the total time spent on one report's retries.
const DefaultMaxWait = 2 * time.Minute

// DefaultRequestTimeout bounds one request, reading its body included.
const DefaultRequestTimeout = 2 * time.Minute

// DefaultMaxAttempts bounds the tries of one request.
const DefaultMaxAttempts = 4

// DefaultMaxPayloadBytes caps a payload unless configured otherwise.
const DefaultMaxPayloadBytes = 256 << 20

// maxPages bounds how many @odata.nextLink pages one report may have.
const maxPages = 1000

// Client fetches report payloads from Graph. One Client serves one tenant;
// its methods are safe for concurrent use.
type Client struct {
	// GraphURL is the scheme and host, such as https://graph.microsoft.com;
	// Fetch refuses one that CheckGraphURL refuses.
	GraphURL string
	// APIVersion is v1.0 or beta.
	APIVersion string
	// Tokens supplies the bearer token for Graph requests. It is asked before
	// every Graph request (azidentity caches and refreshes the token).
	Tokens TokenSource
	// Transport carries both hops; nil means http.DefaultTransport. Client
	// sends each request itself: nothing follows redirects or keeps cookies.
	Transport http.RoundTripper
	// MaxPayloadBytes caps the payload; 0 means DefaultMaxPayloadBytes.
	MaxPayloadBytes int64
	// MaxAttempts bounds the tries of each request: the Graph call (asking
	// again after an expired download URL counts as a try) and the download
	// of each URL. 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxWait bounds the time one Fetch may spend retrying: no retry starts
	// later than MaxWait after the first request. 0 means DefaultMaxWait.
	MaxWait time.Duration
	// RequestTimeout bounds one request, reading its body included; a
	// request starting late gets no more than what is left of MaxWait plus
	// RequestTimeout. 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Limiter paces the tenant's requests; share one among the Clients of a
	// tenant. nil means one private to this Client.
	Limiter *Limiter
	// Clock drives waits and timestamps; nil means the wall clock.
	Clock Clock
	Log   *slog.Logger

	// own is the private Limiter used when Limiter is nil.
	ownOnce sync.Once
	own     *Limiter
}

// Request says what to fetch.
type Request struct {
	Report *report.Spec
	Period string // D7, D30, D90 or D180
	Format report.Format
	// IfNoneMatch is the ETag of the last payload loaded, sent as
	// If-None-Match; "" sends none.
	IfNoneMatch string
	// Date, for a detail report (report.Detail.ByDate), asks for one day
	// (date=YYYY-MM-DD) instead of the period.
	Date string
	// Stream hands a CSV body over unread (Payload.Stream) instead of
	// reading it into Payload.Body: for a detail report, which can be
	// hundreds of MB. A body that fails once handed over is not retried:
	// the reader's error says so. JSON pages (@odata.nextLink) are then
	// fetched one at a time as the stream is read, the document they make
	// together the same as the one Fetch joins without Stream.
	Stream bool
}

// Payload is a report body with its fetch metadata.
type Payload struct {
	Body []byte
	// Stream is the body unread, when Request.Stream asked for it (CSV, or
	// JSON of several pages): Body is then nil and SHA256 empty; the caller
	// reads and closes it.
	// Reading it fails when it exceeds MaxPayloadBytes, or ends before its
	// Content-Length or, without one, mid-line.
	Stream io.ReadCloser
	// Status is the HTTP status of the response that carried the body (304
	// when NotModified).
	Status      int
	ETag        string
	ContentType string
	SHA256      string
	// NotModified is set when Graph (or the download host) answered 304 to
	// If-None-Match: Body is empty and the last payload loaded still holds.
	NotModified bool
	// Pages is how many JSON pages were joined into Body (1 for CSV).
	Pages int
	// Source is the Graph request URL (it holds no secret).
	Source    string
	FetchedAt time.Time
	// Attempts are the requests made, in order.
	Attempts []Attempt
	// LaterAttempts, for a Stream of JSON pages, are the requests made for
	// the pages while the stream was read: call it once it is read.
	LaterAttempts func() []Attempt
}

// Error is a failed fetch. Neither its text nor its fields hold the token, a
// "Bearer ..." credential, or a download URL or @odata.nextLink beyond its
// scheme and host.
type Error struct {
	Report string
	// URL is the Graph function URL, or a download URL or nextLink as MaskURL
	// shows it.
	URL    string
	Status int
	// Phase is the hop whose answer failed: "graph" (the report function or
	// a nextLink, the requests that carry the token) or "download"; "" when
	// no answer came.
	Phase string
	// Code and Message come from Graph's error body when it has one.
	Code, Message string
	Hint          string
	Err           error
	// Attempts are the requests made before the failure, in order.
	Attempts []Attempt
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fetch %s: %s", e.Report, e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Hints added to a 401 and a 403 from Graph. A 401 is about the token
// itself, whatever the report; a 403 about what the token is allowed.
const (
	TokenHint      = "the token is invalid, expired, or for another audience or cloud: with --auth token get a new one for this cloud's Graph; with app credentials check the tenant id, client id, secret or certificate, and --cloud"
	PermissionHint = "the app needs the Microsoft Graph application permission Reports.Read.All with admin consent (a delegated user also needs a role that may read usage reports, such as Reports Reader)"
)

// TokenRejected reports whether err is a 401 from Graph (not from the
// download host): the token is no good for any report, so there is no
// point in asking Graph for another.
func TokenRejected(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Phase == phaseGraph && e.Status == http.StatusUnauthorized
}

// FunctionURL is the Graph request for a report and period.
func (c *Client) FunctionURL(req Request) string {
	path := req.Report.Path(c.APIVersion, req.Period)
	if req.Date != "" {
		path = req.Report.DatePath(c.APIVersion, req.Date)
	}
	u := strings.TrimRight(c.GraphURL, "/") + path
	if req.Format == report.JSON {
		u += "?$format=application/json"
	}
	return u
}

// Fetch calls the report function, follows its redirect without the token,
// retries within the limits, and returns the payload. A failure is an *Error.
func (c *Client) Fetch(ctx context.Context, req Request) (*Payload, error) {
	if c.Tokens == nil {
		return nil, errors.New("extract: no token source")
	}
	if err := CheckGraphURL(c.GraphURL); err != nil {
		return nil, &Error{Report: req.Report.Name, URL: RedactURL(c.GraphURL), Err: fmt.Errorf("refusing to send the token: %w", err)}
	}
	clock := c.clock()
	f := &fetch{
		c: c, req: req, clock: clock, rt: c.transport(), lim: c.limiter(),
		log:      c.logger().With("report", req.Report.Name, "period", req.Period),
		deadline: clock.Now().Add(cmpOr(c.MaxWait, DefaultMaxWait)),
		tries:    cmpOr(c.MaxAttempts, DefaultMaxAttempts),
		key:      report.BudgetKey{Report: req.Report.Name, Format: req.Format},
	}
	apiURL := c.FunctionURL(req)
	start := clock.Now()
	p, err := f.graph(ctx, apiURL, apiURL, req.IfNoneMatch)
	if err == nil && req.Format == report.JSON && !p.NotModified {
		if req.Stream {
			p, err = f.pageStream(ctx, p)
		} else {
			p, err = f.pages(ctx, p)
		}
	}
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = &Error{URL: apiURL, Err: err}
		}
		fe.Report, fe.Attempts = req.Report.Name, f.attempts
		f.scrubError(fe)
		return nil, fe
	}
	p.Source, p.Attempts, p.FetchedAt = apiURL, f.attempts, clock.Now().UTC()
	f.log.Debug("fetched", "status", p.Status, "not_modified", p.NotModified, "bytes", len(p.Body),
		"pages", p.Pages, "requests", len(f.attempts), "duration_ms", clock.Now().Sub(start).Milliseconds())
	return p, nil
}

// fetch is the state of one Fetch.
type fetch struct {
	c        *Client
	req      Request
	clock    Clock
	rt       http.RoundTripper
	lim      *Limiter
	log      *slog.Logger
	deadline time.Time
	tries    int
	key      report.BudgetKey
	attempts []Attempt
	// secrets are the strings scrub removes: every token handed out and
	// every download URL and nextLink seen, in their renderings.
	secrets []string
}

// retry decides whether attempt a, the try-th, is retried after wait (-1:
// backoff). It records a, pauses the tenant on a throttling status and
// sleeps, or returns why it gives up.
func (f *fetch) retry(ctx context.Context, a *Attempt, try int, wait time.Duration, cause error) error {
	asked := wait >= 0 // by Retry-After
	if !asked {
		wait = backoff(try)
	}
	if a.Status == http.StatusTooManyRequests || a.Status == http.StatusServiceUnavailable {
		f.lim.Pause(wait)
	}
	now := f.clock.Now()
	why := retryLimit(try, f.tries, now.Add(wait), f.deadline)
	if why != "" && asked && try < f.tries {
		why = fmt.Sprintf("giving up after %d tries: Retry-After asks for a wait of %v, more than the %v left under the retry time limit (--max-retry-wait)",
			try, wait, max(f.deadline.Sub(now), 0).Round(time.Second))
	}
	if why != "" {
		f.record(*a)
		return fmt.Errorf("%s; last: %w", why, cause)
	}
	a.Wait = wait
	f.record(*a)
	f.log.Warn("retrying", "phase", a.Phase, "url", f.scrub(a.URL), "attempt", try, "status", a.Status, "error", f.scrub(a.Error), "wait_ms", wait.Milliseconds())
	return f.clock.Sleep(ctx, wait)
}

// record keeps an attempt, scrubbed, and logs it.
func (f *fetch) record(a Attempt) {
	a.URL, a.Error = f.scrub(a.URL), f.scrub(a.Error)
	f.log.Debug("request", "phase", a.Phase, "url", a.URL, "status", a.Status, "error", a.Error)
	f.attempts = append(f.attempts, a)
}

// errUnsolicited304 is a 304 to a request that sent no If-None-Match: it
// says nothing about any payload we hold.
var errUnsolicited304 = errors.New("304 Not Modified without If-None-Match")

// send makes one request with the transport. The request, reading its body
// included (the caller closes it), is bounded by the request timeout, and by
// what is left of the retry time limit plus one request timeout; a body
// handed over unread (Request.Stream) is read as fast as it is loaded, so
// it is bounded instead by the time without data (timedBody.streaming).
func (f *fetch) send(ctx context.Context, r *http.Request) (*http.Response, error) {
	limit := cmpOr(f.c.RequestTimeout, DefaultRequestTimeout)
	d := min(limit, f.deadline.Sub(f.clock.Now())+limit)
	if d <= 0 {
		return nil, errors.New("no time left for a request: the retry time limit (--max-retry-wait) and one request timeout (--request-timeout) have passed")
	}
	rctx, cancel := context.WithCancel(ctx)
	b := &timedBody{cancel: cancel, d: d, limit: limit}
	b.timer = time.AfterFunc(d, func() {
		b.expired.Store(true)
		cancel()
	})
	resp, err := f.rt.RoundTrip(r.WithContext(rctx))
	if err != nil {
		b.stop()
		return nil, b.timedOut(ctx, err)
	}
	b.ReadCloser, b.ctx = resp.Body, ctx
	resp.Body = b
	return resp, nil
}

// timedBody ends its request's timeout when closed and says when a read
// failed because of it. Streaming, each read that brings data gives the
// next another request timeout.
type timedBody struct {
	io.ReadCloser
	ctx       context.Context // the caller's: its own end is not a timeout
	cancel    context.CancelFunc
	timer     *time.Timer
	expired   atomic.Bool
	d, limit  time.Duration
	streaming bool
}

// stream makes the timeout one of time without data.
func (b *timedBody) stream() {
	b.streaming = true
	b.timer.Reset(b.limit)
}

func (b *timedBody) timedOut(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil || !b.expired.Load() {
		return err
	}
	switch {
	case b.streaming:
		return fmt.Errorf("no data for %v (--request-timeout)", b.limit)
	case b.d < b.limit:
		return fmt.Errorf("request timed out after %v (--request-timeout, cut to what is left of --max-retry-wait)", b.d.Round(time.Millisecond))
	}
	return fmt.Errorf("request timed out after %v (--request-timeout)", b.d)
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.streaming && !b.expired.Load() {
		b.timer.Reset(b.limit)
	}
	if err != nil && err != io.EOF {
		err = b.timedOut(b.ctx, err)
	}
	return n, err
}

func (b *timedBody) stop() {
	b.timer.Stop()
	b.cancel()
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.stop()
	return err
}

// Shortest strings scrub removes: shorter ones would mangle the text, and
// are not credentials.
const (
	minTokenLen   = 4
	minURLPartLen = 8
	// minURLPiece is for one path segment or query value of a URL alone.
	minURLPiece = 16
)

// bearerRE is a bearer credential in any text.
var bearerRE = regexp.MustCompile(`(?i)\bbearer\s+[^\s"',;]+`)

// secret adds strings for scrub to remove, longest first.
func (f *fetch) secret(minLen int, ss ...string) {
	for _, s := range ss {
		if len(s) >= minLen && !slices.Contains(f.secrets, s) {
			f.secrets = append(f.secrets, s)
		}
	}
	slices.SortFunc(f.secrets, func(a, b string) int { return len(b) - len(a) })
}

// secretURL adds a download URL or nextLink to the secrets, in the
// renderings an error may quote.
func (f *fetch) secretURL(u *url.URL) {
	f.secret(minURLPartLen, u.String(), u.Redacted(), u.Host+u.RequestURI(), u.RequestURI(), u.EscapedPath(), u.Path, u.RawQuery, u.Query().Encode())
	// A server may echo one piece alone: a path segment, a query value (a
	// $skiptoken, a signature).
	// Pieces are taken from 16 characters on, and a function call segment
	// never, so that words such as "download" stay readable.
	for _, seg := range strings.Split(u.Path, "/") {
		if !strings.Contains(seg, "(") {
			f.secret(minURLPiece, seg)
		}
	}
	for _, vs := range u.Query() {
		f.secret(minURLPiece, vs...)
	}
	if p, ok := u.User.Password(); ok {
		f.secret(minTokenLen, p)
	}
}

// scrub removes every token handed out, every download URL and nextLink seen
// and any bearer credential from s.
func (f *fetch) scrub(s string) string {
	for _, sec := range f.secrets {
		s = strings.ReplaceAll(s, sec, "REDACTED")
	}
	return bearerRE.ReplaceAllString(s, "Bearer REDACTED")
}

// scrubError scrubs a failure's fields; its Err keeps its chain for
// errors.Is and errors.As but shows scrubbed text.
func (f *fetch) scrubError(e *Error) {
	e.URL, e.Code, e.Message, e.Hint = f.scrub(e.URL), f.scrub(e.Code), f.scrub(e.Message), f.scrub(e.Hint)
	if e.Err != nil {
		if text := e.Err.Error(); f.scrub(text) != text {
			e.Err = &scrubbedError{text: f.scrub(text), err: e.Err}
		}
	}
}

type scrubbedError struct {
	text string
	err  error
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

func (f *fetch) notModified(resp *http.Response, ifNoneMatch string) *Payload {
	etag := resp.Header.Get("ETag")
	if etag == "" {
		etag = ifNoneMatch
	}
	return &Payload{Status: http.StatusNotModified, NotModified: true, ETag: etag}
}

// readPayload reads a 200 body within the size cap. retryable is set for a
// read error or a body shorter than its Content-Length.
func (f *fetch) readPayload(resp *http.Response) (p *Payload, retryable bool, err error) {
	max := cmpOr(f.c.MaxPayloadBytes, DefaultMaxPayloadBytes)
	if resp.ContentLength > max {
		return nil, false, fmt.Errorf("payload of %d bytes exceeds the limit of %d (--max-payload-bytes)", resp.ContentLength, max)
	}
	if f.req.Stream && f.req.Format == report.CSV {
		if tb, ok := resp.Body.(*timedBody); ok {
			tb.stream()
		}
		return &Payload{
			Stream: &streamBody{r: resp.Body, max: max, length: resp.ContentLength,
				closeDelimited: resp.ContentLength < 0 && !slices.Contains(resp.TransferEncoding, "chunked")},
			Status: resp.StatusCode, ETag: resp.Header.Get("ETag"), ContentType: resp.Header.Get("Content-Type"), Pages: 1,
		}, false, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		if resp.ContentLength >= 0 {
			return nil, true, fmt.Errorf("truncated body: %d of %d bytes: %w", len(body), resp.ContentLength, err)
		}
		return nil, true, fmt.Errorf("read body after %d bytes: %w", len(body), err)
	}
	if int64(len(body)) > max {
		return nil, false, fmt.Errorf("payload exceeds the limit of %d bytes (--max-payload-bytes)", max)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, true, fmt.Errorf("truncated body: %d of %d bytes", len(body), resp.ContentLength)
	}
	// A body without Content-Length or chunks ends where the connection
	// does: a cut one looks whole. A CSV ends in a line break; one that
	// stops mid-line was cut (its last value may be short).
	closeDelimited := resp.ContentLength < 0 && !slices.Contains(resp.TransferEncoding, "chunked")
	if closeDelimited && f.req.Format == report.CSV && len(body) > 0 && body[len(body)-1] != '\n' {
		return nil, true, fmt.Errorf("body of %d bytes without Content-Length ends mid-line: the connection may have been cut", len(body))
	}
	return &Payload{
		Body: body, Status: resp.StatusCode, ETag: resp.Header.Get("ETag"),
		ContentType: resp.Header.Get("Content-Type"), SHA256: sha256Hex(body), Pages: 1,
	}, false, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// transport is what sends requests. Not an http.Client: it would parse a
// redirect's Location itself (and fail with the whole header in its error)
// before letting us refuse to follow it.
func (c *Client) transport() http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

func (c *Client) clock() Clock {
	if c.Clock != nil {
		return c.Clock
	}
	if c.Limiter != nil {
		return c.Limiter.clock
	}
	return RealClock{}
}

func (c *Client) limiter() *Limiter {
	if c.Limiter != nil {
		return c.Limiter
	}
	c.ownOnce.Do(func() { c.own = NewLimiter(c.clock(), DefaultBudget) })
	return c.own
}

func (c *Client) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func cmpOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether raw has the scheme and host of base.
func sameOrigin(raw, base string) bool {
	u, err := url.Parse(raw)
	b, berr := url.Parse(base)
	return err == nil && berr == nil && strings.EqualFold(u.Scheme, b.Scheme) && strings.EqualFold(u.Host, b.Host) && u.User == nil
}

// CheckGraphURL says what is wrong with a Graph URL, if anything: it must
// be a scheme and host only (no user info, path, query or fragment, not even
// an empty "?" or "#"), https, or plain http on loopback (127.0.0.0/8, ::1,
// localhost) for the simulator: the bearer token goes to it.
func CheckGraphURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %s", errText(err))
	case strings.Contains(raw, "#"):
		return errors.New("has a fragment: want a scheme and host only")
	case strings.Contains(raw, "?"):
		return errors.New("has a query: want a scheme and host only")
	case u.User != nil:
		return errors.New("has user info: want a scheme and host only")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return errors.New("has no host: want a scheme and host, such as https://graph.microsoft.com")
	case u.Path != "" && u.Path != "/":
		return errors.New("has a path: want a scheme and host only (the API version and report function are added)")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("plain http is allowed only on loopback (127.0.0.0/8, ::1, localhost): the bearer token would go out in clear; use https")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

// MaskURL shows a URL that may carry a credential anywhere past its host (a
// preauthenticated download URL, an @odata.nextLink) as its scheme and host
// and a fingerprint, the first 8 hex digits of the whole URL's SHA-256, that
// tells two URLs apart without revealing either. A URL that does not parse
// shows as its fingerprint only.
func MaskURL(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	fp := hex.EncodeToString(sum[:4])
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "[unparsable URL, sha256:" + fp + "]"
	}
	return u.Scheme + "://" + u.Host + "/[redacted sha256:" + fp + "]"
}

// RedactURL drops the query string, fragment and any user info from a
// configured URL (--graph-url, --authority-host) for an error message. A
// download URL carries its credential in its path too: show it with
// MaskURL.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexByte(raw, '?'); i >= 0 {
			return raw[:i] + "?REDACTED"
		}
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment = ""
	return u.String()
}

// graphError reads Graph's {"error":{"code","message"}} body.
func graphError(apiURL string, resp *http.Response) *Error {
	e := &Error{URL: apiURL, Status: resp.StatusCode, Phase: phaseGraph}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	var ge struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &ge) == nil && ge.Error.Code != "" {
		e.Code, e.Message = ge.Error.Code, ge.Error.Message
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 {
		e.Message = s
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.Hint = TokenHint
	case http.StatusForbidden:
		e.Hint = PermissionHint
	}
	return e
}

// streamBody is a CSV body handed over unread (Request.Stream), with the
// checks readPayload makes of a body read whole: the size limit, and a
// body cut before its Content-Length or, without one, mid-line.
type streamBody struct {
	r              io.ReadCloser
	max, length, n int64
	closeDelimited bool
	last           byte
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if n > 0 {
		b.last = p[n-1]
	}
	switch {
	case b.n > b.max:
		return n, fmt.Errorf("payload exceeds the limit of %d bytes (--max-payload-bytes)", b.max)
	case err == io.EOF && b.length >= 0 && b.n != b.length:
		return n, fmt.Errorf("truncated body: %d of %d bytes", b.n, b.length)
	case err == io.EOF && b.closeDelimited && b.n > 0 && b.last != '\n':
		return n, fmt.Errorf("body of %d bytes without Content-Length ends mid-line: the connection may have been cut", b.n)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("read body after %d bytes: %w", b.n, err)
	}
	return n, err
}

func (b *streamBody) Close() error { return b.r.Close() }
