package extract

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Why hand-written rather than azcore's runtime retry policy: that policy
// sleeps on the wall clock (time.After) with no hook, so its Retry-After
// paths cannot be tested without real sleeps; it bounds tries but not the
// total time; its backoff is exponential with ±jitter, not full jitter; it
// does the waiting itself, so a 429 cannot hold back the other requests to the
// tenant or be counted against Graph's per-report budget before the retry is
// sent; and an expired download URL needs a new Graph call, a retry above the
// single request it sees. Its bearer-token policy also refuses plain http,
// which the loopback simulator uses. The loop below is small and does each of
// those.

// Clock tells the time and waits. Client and Limiter use it for every retry
// decision, so tests hand in a fake one and never sleep.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Attempt is one HTTP request made while fetching a report, as kept in the
// audit. It holds no secret: URL is redacted.
type Attempt struct {
	// Phase is "graph" (a request with the token) or "download" (the
	// preauthenticated URL, without it).
	Phase string
	URL   string
	At    time.Time
	// Status is the HTTP status, 0 when no response came.
	Status int
	// Error says what went wrong with a response or its body, if anything.
	Error string
	// Wait is how long the client waited after this attempt before the next
	// (Retry-After or backoff).
	Wait time.Duration
}

// throttled reports the statuses retried after Retry-After or backoff.
func throttled(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// backoff is exponential backoff with full jitter: a random wait in
// [1ms, min(64s, 1s·2^(attempt-1))]. Never under a millisecond: the audit
// (fetch_attempts.wait_ms) and the log count whole milliseconds, where a
// shorter wait would read as none.
func backoff(attempt int) time.Duration {
	ceil := time.Second << min(max(attempt, 1)-1, 6)
	return time.Millisecond + time.Duration(rand.Int64N(int64(ceil-time.Millisecond)+1))
}

// maxRetryAfter is the longest Retry-After in whole seconds that a Duration
// holds; a longer one is taken as this (it fails the report all the same).
const maxRetryAfter = time.Duration(math.MaxInt64) / time.Second * time.Second

// retryAfter parses Retry-After as seconds or an HTTP date; -1 when absent
// or unparsable. Seconds too many for a Duration are maxRetryAfter, never a
// wrapped short wait.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
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

// errText is an error's text without the URL that net/http repeats (with
// its query) in a *url.Error.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// retryLimit is why a retry was not made.
func retryLimit(tries, maxTries int, next, deadline time.Time) string {
	if tries >= maxTries {
		return fmt.Sprintf("giving up after %d tries (--max-attempts)", tries)
	}
	if next.After(deadline) {
		return fmt.Sprintf("giving up after %d tries: the next would start after the retry time limit (--max-retry-wait)", tries)
	}
	return ""
}
