// Package retry is the platform's one retry loop: a bounded number of
// attempts with exponential backoff, capped and jittered, that stops at once
// when the context ends or the error is not worth retrying. Every place that
// retries a call (the local platform's event delivery, the audit buffer's
// batch writes, the Auth0 client) uses it, so that each honours cancellation
// and the same error classification (errs.Retryable) the same way.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Policy says how often and how patiently to retry. The zero Policy tries
// DefaultAttempts times, waiting DefaultBase, doubling, up to DefaultMax.
type Policy struct {
	// Attempts is the number of calls in all, the first included
	// (0: DefaultAttempts; 1: no retry).
	Attempts int
	// Base is the wait after the first failure; it doubles per attempt
	// (0: DefaultBase).
	Base time.Duration
	// Max caps one wait, including a wait the error asks for through After
	// (0: DefaultMax).
	Max time.Duration
	// Jitter is the fraction of each wait that is random, from 0 (none) to
	// 1, so that instances that failed together do not retry in step.
	// Negative means none; 0 means DefaultJitter.
	Jitter float64
	// Retryable decides whether an error is worth another attempt
	// (nil: errs.Retryable, i.e. transient or rate-limited).
	Retryable func(error) bool
	// OnRetry, when set, is told of each failure that will be retried and
	// the wait before the next attempt (for a log line).
	OnRetry func(attempt int, err error, wait time.Duration)
	// sleep waits for d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// The zero Policy's values.
const (
	DefaultAttempts = 5
	DefaultBase     = 200 * time.Millisecond
	DefaultMax      = 10 * time.Second
	DefaultJitter   = 0.2
)

// Always retries every error: for callers whose failures are all worth
// another attempt (an event handler that returns an error only to be
// redelivered).
func Always(error) bool { return true }

// Do calls fn until it returns nil, returns an error Retryable refuses, has
// been called Attempts times, or ctx ends. It returns fn's last error; when
// ctx ends during a wait it returns that error joined with ctx's (so both
// errs.CodeOf the last error and errors.Is(err, context.Canceled) work).
// attempt counts from 1.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context, attempt int) error) error {
	p = p.withDefaults()
	backoff := p.Base
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(ctx, attempt)
		if err == nil {
			return nil
		}
		if attempt >= p.Attempts || !p.Retryable(err) {
			return unwrapAfter(err)
		}
		wait := p.jitter(backoff)
		if asked, ok := askedWait(err); ok {
			wait = asked
		}
		wait = min(wait, p.Max)
		if p.OnRetry != nil {
			p.OnRetry(attempt, unwrapAfter(err), wait)
		}
		if serr := p.sleep(ctx, wait); serr != nil {
			return errors.Join(unwrapAfter(err), serr)
		}
		backoff = min(backoff*2, p.Max)
	}
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = DefaultJitter
	case p.Jitter < 0:
		p.Jitter = 0
	case p.Jitter > 1:
		p.Jitter = 1
	}
	if p.Retryable == nil {
		p.Retryable = errs.Retryable
	}
	if p.sleep == nil {
		p.sleep = sleep
	}
	return p
}

// jitter takes a random fraction p.Jitter off d: d*(1-Jitter) to d.
func (p Policy) jitter(d time.Duration) time.Duration {
	if p.Jitter == 0 || d <= 0 {
		return d
	}
	return d - time.Duration(rand.Float64()*p.Jitter*float64(d))
}

// sleep waits d, or less when ctx ends first (its error then).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// afterError carries the wait a server asked for (Retry-After).
type afterError struct {
	err  error
	wait time.Duration
}

func (e *afterError) Error() string { return e.err.Error() }
func (e *afterError) Unwrap() error { return e.err }

// After marks err with the wait before the next attempt that the other side
// asked for (an HTTP Retry-After); Do waits that long instead of its
// backoff, still capped by Policy.Max, and returns err itself, unmarked.
func After(err error, wait time.Duration) error {
	if err == nil || wait <= 0 {
		return err
	}
	return &afterError{err: err, wait: wait}
}

func askedWait(err error) (time.Duration, bool) {
	if a, ok := err.(*afterError); ok {
		return a.wait, true
	}
	return 0, false
}

func unwrapAfter(err error) error {
	if a, ok := err.(*afterError); ok {
		return a.err
	}
	return err
}
