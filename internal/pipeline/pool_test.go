package pipeline

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForEachIsBoundedAndConcurrent: ForEach runs every index once, never
// more than workers at a time, and does run workers at a time (the first
// three calls meet at a barrier that a sequential loop would never pass).
func TestForEachIsBoundedAndConcurrent(t *testing.T) {
	t.Parallel()
	const workers, n = 3, 10
	var (
		inflight, most atomic.Int32
		seen           [n]atomic.Int32
		barrier        sync.WaitGroup
		met            = make(chan struct{})
	)
	barrier.Add(workers)
	go func() { barrier.Wait(); close(met) }()
	ForEach(workers, n, func(i int) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		seen[i].Add(1)
		if i < workers {
			barrier.Done()
			select {
			case <-met:
			case <-time.After(30 * time.Second): // only reached when ForEach is sequential
				t.Error("the first calls never ran at the same time")
			}
		}
	})
	if got := most.Load(); got != workers {
		t.Errorf("at most %d calls at once, want %d", got, workers)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Errorf("index %d ran %d times", i, seen[i].Load())
		}
	}
}
