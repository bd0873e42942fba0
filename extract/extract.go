// Package extract calls Microsoft Graph report functions and returns the raw
// payload with its fetch metadata.
//
// A report call such as GET /v1.0/reports/getSkypeForBusinessOrganizerActivityUserCounts(period='D7')
// answers 302 Found with a short-lived preauthenticated download URL. Client
// handles that redirect itself: the Graph request carries the bearer token,
// the download request is made by a separate client that never sends an
// Authorization header or cookies, whatever host or port it points at. The
// download URL's query string is a credential and never appears in logs or
// errors (see RedactURL).
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
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// DefaultMaxWait bounds the total time spent waiting between retries.
const DefaultMaxWait = 2 * time.Minute

// DefaultMaxPayloadBytes caps a payload unless configured otherwise.
const DefaultMaxPayloadBytes = 256 << 20

// Client fetches report payloads from Graph.
type Client struct {
	// GraphURL is the scheme and host, such as https://graph.microsoft.com.
	GraphURL string
	// APIVersion is v1.0 or beta.
	APIVersion string
	// Tokens supplies the bearer token for Graph requests.
	Tokens TokenSource
	// HTTP is the transport used for both hops; nil means a default one.
	// Client never lets it follow redirects.
	HTTP *http.Client
	// MaxPayloadBytes caps the payload; 0 means DefaultMaxPayloadBytes.
	MaxPayloadBytes int64
	// MaxAttempts bounds tries per request (default 4); MaxWait bounds the
	// total time spent waiting between them (default 2 minutes).
	MaxAttempts int
	MaxWait     time.Duration
	Log         *slog.Logger
	// sleep is replaced in tests.
	sleep func(context.Context, time.Duration) error
}

// Request says what to fetch.
type Request struct {
	Report *report.Spec
	Period string // D7, D30, D90 or D180
	Format transform.Format
}

// Payload is a report body with its fetch metadata.
type Payload struct {
	Body        []byte
	Status      int
	ETag        string
	ContentType string
	SHA256      string
	// Source is the Graph request URL (it holds no secret).
	Source    string
	FetchedAt time.Time
}

// Error is a failed fetch. Its text never holds a token or a download URL's
// query string.
type Error struct {
	Report string
	// URL is redacted.
	URL    string
	Status int
	// Code and Message come from Graph's error body when it has one.
	Code, Message string
	Hint          string
	Err           error
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

// FunctionURL is the Graph request for a report and period.
func (c *Client) FunctionURL(req Request) string {
	u := strings.TrimRight(c.GraphURL, "/") + "/" + c.APIVersion + "/reports/" + req.Report.Function + "(period='" + req.Period + "')"
	if req.Format == transform.JSON {
		u += "?$format=application/json"
	}
	return u
}

// Fetch calls the report function, follows its redirect without the token
// and returns the payload.
func (c *Client) Fetch(ctx context.Context, req Request) (*Payload, error) {
	if c.Tokens == nil {
		return nil, errors.New("extract: no token source")
	}
	log := c.logger().With("report", req.Report.Name, "period", req.Period)
	apiURL := c.FunctionURL(req)
	fail := func(status int, err error) *Error {
		return &Error{Report: req.Report.Name, URL: apiURL, Status: status, Err: err}
	}
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return nil, fail(0, fmt.Errorf("get token: %w", err))
	}
	start := time.Now()
	resp, err := c.do(ctx, log, func() (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL, nil)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Accept", "text/csv, application/json")
		return r, nil
	})
	if err != nil {
		return nil, fail(0, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		p, err := c.readPayload(resp, apiURL)
		if err != nil {
			return nil, fail(resp.StatusCode, err)
		}
		log.Debug("fetched", "status", resp.StatusCode, "bytes", len(p.Body), "duration", time.Since(start))
		return p, nil
	case isRedirect(resp.StatusCode):
		loc, err := resp.Location()
		if err != nil {
			return nil, fail(resp.StatusCode, errors.New("redirect without a usable Location"))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		p, err := c.download(ctx, log, loc)
		if err != nil {
			var fe *Error
			if errors.As(err, &fe) {
				fe.Report = req.Report.Name
				return nil, fe
			}
			return nil, fail(0, err)
		}
		p.Source = apiURL
		log.Debug("fetched", "status", p.Status, "bytes", len(p.Body), "download_host", loc.Host, "duration", time.Since(start))
		return p, nil
	default:
		return nil, graphError(req.Report.Name, apiURL, resp)
	}
}

// download fetches a preauthenticated URL with a request that carries no
// credentials of ours.
func (c *Client) download(ctx context.Context, log *slog.Logger, loc *url.URL) (*Payload, error) {
	shown := RedactURL(loc.String())
	if loc.Scheme != "https" && !(loc.Scheme == "http" && isLoopback(loc.Hostname())) {
		return nil, &Error{URL: shown, Err: errors.New("refusing download URL: not https (plain http is allowed only on loopback)")}
	}
	resp, err := c.do(ctx, log, func() (*http.Request, error) {
		// A fresh request: no Authorization, no cookies, nothing copied from
		// the Graph request.
		return http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	})
	if err != nil {
		return nil, &Error{URL: shown, Err: redactErr(err, loc)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{URL: shown, Status: resp.StatusCode, Err: errors.New("download failed")}
	}
	p, err := c.readPayload(resp, shown)
	if err != nil {
		return nil, &Error{URL: shown, Status: resp.StatusCode, Err: redactErr(err, loc)}
	}
	return p, nil
}

func (c *Client) readPayload(resp *http.Response, source string) (*Payload, error) {
	max := c.MaxPayloadBytes
	if max <= 0 {
		max = DefaultMaxPayloadBytes
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("payload of %d bytes exceeds the limit of %d (--max-payload-bytes)", resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("payload exceeds the limit of %d bytes (--max-payload-bytes)", max)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, fmt.Errorf("truncated body: %d of %d bytes", len(body), resp.ContentLength)
	}
	sum := sha256.Sum256(body)
	return &Payload{
		Body: body, Status: resp.StatusCode, ETag: resp.Header.Get("ETag"),
		ContentType: resp.Header.Get("Content-Type"), SHA256: hex.EncodeToString(sum[:]),
		Source: source, FetchedAt: time.Now().UTC(),
	}, nil
}

// do sends a request built by mk, retrying 429, 503, 504 and connection
// errors with Retry-After or exponential backoff with full jitter, within
// MaxAttempts and MaxWait. It never follows redirects.
func (c *Client) do(ctx context.Context, log *slog.Logger, mk func() (*http.Request, error)) (*http.Response, error) {
	hc := c.httpClient()
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	budget := c.MaxWait
	if budget <= 0 {
		budget = DefaultMaxWait
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		req, err := mk()
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			wait = backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			wait = retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if wait < 0 {
				wait = backoff(attempt)
			}
		default:
			return resp, nil
		}
		if attempt >= attempts || waited+wait > budget {
			if err != nil {
				return nil, fmt.Errorf("giving up after %d attempts: %w", attempt, err)
			}
			return resp, nil // the caller reports the status
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		log.Warn("retrying", "attempt", attempt, "status", status, "error", errText(err), "wait", wait)
		if err := c.sleepFn()(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error() // url.Error repeats the URL with its query
	}
	return err.Error()
}

// redactErr drops the URL (and so its query string) from net/http errors.
func redactErr(err error, u *url.URL) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, RedactURL(ue.URL), ue.Err)
	}
	if u.RawQuery != "" && strings.Contains(err.Error(), u.RawQuery) {
		return errors.New(strings.ReplaceAll(err.Error(), u.RawQuery, "REDACTED"))
	}
	return err
}

func backoff(attempt int) time.Duration {
	ceil := time.Second << min(attempt-1, 6)
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

// retryAfter parses Retry-After as seconds or an HTTP date; -1 when absent
// or unparsable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return -1
}

func (c *Client) httpClient() *http.Client {
	base := c.HTTP
	if base == nil {
		base = &http.Client{Timeout: 5 * time.Minute}
	}
	hc := *base
	hc.Jar = nil
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

func (c *Client) sleepFn() func(context.Context, time.Duration) error {
	if c.sleep != nil {
		return c.sleep
	}
	return func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
}

func (c *Client) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactURL drops the query string and any user info from a URL: a
// preauthenticated download URL carries its credential there.
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
func graphError(reportName, apiURL string, resp *http.Response) *Error {
	e := &Error{Report: reportName, URL: apiURL, Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
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
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Hint = "the app needs the Microsoft Graph application permission Reports.Read.All with admin consent, and a token for this cloud's Graph"
	}
	return e
}
