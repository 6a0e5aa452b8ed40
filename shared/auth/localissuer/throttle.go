package localissuer

import (
	"sync"
	"time"
)

// throttle counts failed sign-ins per key (an account's e-mail, a client
// address) in a fixed window, and refuses a key once it reached its limit,
// until the window ends. It is bounded: past maxKeys it drops expired
// windows, and if none expired, the oldest.
type throttle struct {
	limit   int
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

func newThrottle(limit int, win time.Duration) *throttle {
	return &throttle{limit: limit, window: win, maxKeys: 10000, keys: map[string]*window{}}
}

// blocked reports whether key may not try now, and until when.
func (t *throttle) blocked(key string, now time.Time) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.keys[key]
	if w == nil || now.Sub(w.start) >= t.window {
		return false, time.Time{}
	}
	return w.failures >= t.limit, w.start.Add(t.window)
}

// fail counts a failure.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.keys[key]
	if w == nil || now.Sub(w.start) >= t.window {
		if len(t.keys) >= t.maxKeys {
			t.evict(now)
		}
		w = &window{start: now}
		t.keys[key] = w
	}
	w.failures++
}

// reset forgets a key's failures (after a successful sign-in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

func (t *throttle) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, w := range t.keys {
		if now.Sub(w.start) >= t.window {
			delete(t.keys, k)
			continue
		}
		if oldestKey == "" || w.start.Before(oldest) {
			oldestKey, oldest = k, w.start
		}
	}
	if len(t.keys) >= t.maxKeys && oldestKey != "" {
		delete(t.keys, oldestKey)
	}
}
