package extract

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/m365ingest/ingest/report"
)

// Budget is how many Graph requests one report may take within Window.
// Graph's reports service allows, per app, tenant and report, 14 CSV
// requests and 100 JSON requests every 10 minutes (DefaultBudget).
type Budget struct {
	CSV, JSON int
	Window    time.Duration
}

// DefaultBudget is Graph's documented reports-service limit.
var DefaultBudget = Budget{CSV: 14, JSON: 100, Window: 10 * time.Minute}

func (b Budget) limit(f report.Format) int {
	if f == report.JSON {
		return b.JSON
	}
	return b.CSV
}

// Limiter paces the Graph requests of one tenant. Give every Client that
// calls the same tenant the same Limiter: a 429 (or 503) with Retry-After
// then holds back every request to that tenant, not only the one that got it,
// and each report's requests, retries included, stay within the Budget.
// Download requests (to the preauthenticated URL) do not count against the
// budget, which is Graph's, but they do wait out a pause.
// ErrBudgetSpent is a request that Graph's request budget for the report
// and tenant leaves no room for within the retry time limit.
var ErrBudgetSpent = errors.New("request budget spent")

type Limiter struct {
	clock  Clock
	budget Budget

	mu          sync.Mutex
	pausedUntil time.Time
	sent        map[report.BudgetKey][]time.Time // oldest first
}

// NewLimiter returns a limiter on clock (nil means the wall clock) with
// budget (a zero field takes DefaultBudget's).
func NewLimiter(clock Clock, budget Budget) *Limiter {
	if clock == nil {
		clock = RealClock{}
	}
	if budget.CSV <= 0 {
		budget.CSV = DefaultBudget.CSV
	}
	if budget.JSON <= 0 {
		budget.JSON = DefaultBudget.JSON
	}
	if budget.Window <= 0 {
		budget.Window = DefaultBudget.Window
	}
	return &Limiter{clock: clock, budget: budget, sent: map[report.BudgetKey][]time.Time{}}
}

// Now is the limiter's clock's time.
func (l *Limiter) Now() time.Time { return l.clock.Now() }

// Budget returns the limiter's budget.
func (l *Limiter) Budget() Budget { return l.budget }

// Record counts requests sent before this limiter existed (by an earlier
// run, from the audit) against key's budget.
func (l *Limiter) Record(key report.BudgetKey, at ...time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := append(l.sent[key], at...)
	for i := 1; i < len(s); i++ { // keep oldest first
		for j := i; j > 0 && s[j].Before(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	l.sent[key] = s
}

// Pause holds back every request to the tenant for d from now, or longer if
// an earlier pause ends later.
func (l *Limiter) Pause(d time.Duration) {
	until := l.clock.Now().Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// wait blocks until the tenant's pause is over. It fails at once when the
// pause ends after deadline.
func (l *Limiter) wait(ctx context.Context, deadline time.Time) error {
	for {
		l.mu.Lock()
		now, until := l.clock.Now(), l.pausedUntil
		l.mu.Unlock()
		if !until.After(now) {
			return nil
		}
		if until.After(deadline) {
			return fmt.Errorf("the tenant is throttled until %s (Retry-After), past the retry time limit (--max-retry-wait)", until.UTC().Format(time.RFC3339))
		}
		if err := l.clock.Sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
	}
}

// acquire waits until a Graph request drawing on key may be sent and counts
// it. It fails, without waiting, when that moment is after deadline: Graph's
// budget is never exceeded, by retries or otherwise.
func (l *Limiter) acquire(ctx context.Context, key report.BudgetKey, deadline time.Time) error {
	limit := l.budget.limit(key.Format)
	for {
		l.mu.Lock()
		now := l.clock.Now()
		s := l.sent[key]
		for len(s) > 0 && !s[0].After(now.Add(-l.budget.Window)) {
			s = s[1:]
		}
		l.sent[key] = s
		ready := now
		if l.pausedUntil.After(ready) {
			ready = l.pausedUntil
		}
		full := len(s) >= limit
		if full {
			if free := s[len(s)-limit].Add(l.budget.Window); free.After(ready) {
				ready = free
			}
		}
		if !ready.After(now) {
			l.sent[key] = append(s, now)
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if ready.After(deadline) {
			if full {
				return fmt.Errorf("%w: Graph allows %d %s requests per %s for a report and tenant, and the next is allowed at %s, past the retry time limit (--max-retry-wait)",
					ErrBudgetSpent, limit, key.Format, l.budget.Window, ready.UTC().Format(time.RFC3339))
			}
			return fmt.Errorf("the tenant is throttled until %s (Retry-After), past the retry time limit (--max-retry-wait)", ready.UTC().Format(time.RFC3339))
		}
		if err := l.clock.Sleep(ctx, ready.Sub(now)); err != nil {
			return err
		}
	}
}
