package clocktest

import (
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := New(start)
	steps := []struct {
		do   func()
		want time.Time
	}{
		{func() {}, start},
		{func() { c.Advance(90 * time.Second) }, start.Add(90 * time.Second)},
		{func() { c.Advance(-30 * time.Second) }, start.Add(time.Minute)},
		{func() { c.Set(start.AddDate(0, 1, 0)) }, start.AddDate(0, 1, 0)},
	}
	for i, s := range steps {
		s.do()
		if got := c.Now(); !got.Equal(s.want) {
			t.Errorf("step %d: Now() = %v, want %v", i, got, s.want)
		}
	}

	// Concurrent advances all count.
	c.Set(start)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Advance(time.Second) }()
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(50 * time.Second)) {
		t.Errorf("after 50 concurrent advances Now() = %v", got)
	}
}
