package retry

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

var (
	transient = errs.E(errs.Transient, "backend unavailable")
	invalid   = errs.E(errs.Invalid, "bad input")
)

func TestDo(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		policy    Policy
		results   []error // fn's answer per attempt; past the end: nil
		wantCalls int
		wantWaits []time.Duration
		wantCode  errs.Code // "" = success
	}{
		{"first call succeeds", Policy{}, nil, 1, nil, ""},
		{"succeeds on the third", Policy{Base: 10 * ms, Jitter: -1},
			[]error{transient, transient}, 3, []time.Duration{10 * ms, 20 * ms}, ""},
		{"not retryable: one call", Policy{Base: 10 * ms},
			[]error{invalid, transient}, 1, nil, errs.Invalid},
		{"rate limited is retried", Policy{Base: 10 * ms, Jitter: -1},
			[]error{errs.E(errs.RateLimited, "slow down")}, 2, []time.Duration{10 * ms}, ""},
		{"attempts run out, waits capped", Policy{Attempts: 4, Base: 10 * ms, Max: 25 * ms, Jitter: -1},
			[]error{transient, transient, transient, transient, nil}, 4, []time.Duration{10 * ms, 20 * ms, 25 * ms}, errs.Transient},
		{"default attempts", Policy{Jitter: -1},
			slices.Repeat([]error{transient}, 10), DefaultAttempts,
			[]time.Duration{DefaultBase, 2 * DefaultBase, 4 * DefaultBase, 8 * DefaultBase}, errs.Transient},
		{"a wait the server asks for replaces the backoff", Policy{Base: 10 * ms, Max: time.Second, Jitter: -1},
			[]error{After(transient, 300*ms), transient}, 3, []time.Duration{300 * ms, 20 * ms}, ""},
		{"an asked wait is capped", Policy{Base: 10 * ms, Max: 50 * ms, Jitter: -1},
			[]error{After(transient, time.Hour)}, 2, []time.Duration{50 * ms}, ""},
		{"custom classification", Policy{Base: 10 * ms, Jitter: -1, Retryable: Always},
			[]error{invalid}, 2, []time.Duration{10 * ms}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			p := tt.policy
			p.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			var retried []int
			p.OnRetry = func(attempt int, err error, _ time.Duration) {
				retried = append(retried, attempt)
				if _, asked := err.(*afterError); asked {
					t.Errorf("OnRetry got the After wrapper, want the error itself")
				}
			}
			calls := 0
			err := Do(context.Background(), p, func(_ context.Context, attempt int) error {
				calls++
				if attempt != calls {
					t.Errorf("attempt = %d on call %d", attempt, calls)
				}
				if attempt <= len(tt.results) {
					return tt.results[attempt-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if !slices.Equal(waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", waits, tt.wantWaits)
			}
			if len(retried) != len(tt.wantWaits) {
				t.Errorf("OnRetry called for attempts %v, want %d calls", retried, len(tt.wantWaits))
			}
			if got := errs.CodeOf(err); (err == nil) != (tt.wantCode == "") || (err != nil && got != tt.wantCode) {
				t.Errorf("err = %v (code %q), want code %q", err, got, tt.wantCode)
			}
			if _, asked := err.(*afterError); asked {
				t.Errorf("Do returned the After wrapper")
			}
		})
	}
}

// TestDoCancellation: an ended context stops the loop at once, before a
// call and during a wait, and the error says both what failed and why it
// stopped.
func TestDoCancellation(t *testing.T) {
	t.Run("cancelled before the first call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := Do(ctx, Policy{}, func(context.Context, int) error { calls++; return nil })
		if calls != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("calls = %d, err = %v; want no call and context.Canceled", calls, err)
		}
	})
	t.Run("cancelled during a long wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		start := time.Now()
		time.AfterFunc(50*time.Millisecond, cancel)
		err := Do(ctx, Policy{Base: time.Hour, Max: time.Hour, Attempts: 3}, func(context.Context, int) error {
			calls++
			return transient
		})
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("Do returned after %v; the wait was not cut short", took)
		}
		if calls != 1 {
			t.Errorf("calls = %d, want 1", calls)
		}
		if !errors.Is(err, context.Canceled) || errs.CodeOf(err) != errs.Transient {
			t.Errorf("err = %v (code %q): want context.Canceled and the transient failure", err, errs.CodeOf(err))
		}
	})
	t.Run("deadline inside fn", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		calls := 0
		err := Do(ctx, Policy{Base: time.Millisecond, Attempts: 100, Retryable: Always}, func(ctx context.Context, _ int) error {
			calls++
			<-ctx.Done() // a call that waits on its context, as a network call does
			return errs.Wrap(ctx.Err(), errs.Transient, "call")
		})
		if calls != 1 || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("calls = %d, err = %v; want 1 call and DeadlineExceeded", calls, err)
		}
	})
}

func TestJitter(t *testing.T) {
	p := Policy{Jitter: 0.5}.withDefaults()
	d := 100 * time.Millisecond
	seen := map[time.Duration]bool{}
	for range 200 {
		j := p.jitter(d)
		if j < d/2 || j > d {
			t.Fatalf("jitter(%v) = %v, want within [%v, %v]", d, j, d/2, d)
		}
		seen[j] = true
	}
	if len(seen) < 10 {
		t.Errorf("%d distinct waits of 200: not random", len(seen))
	}
	if got := (Policy{Jitter: -1}).withDefaults().jitter(d); got != d {
		t.Errorf("no jitter: %v, want %v", got, d)
	}
}
