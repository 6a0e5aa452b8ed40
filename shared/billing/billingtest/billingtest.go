// Package billingtest provides an in-memory billing.RunStore and the
// contract suite every RunStore adapter runs (the Firestore adapter against
// the emulator, Memory here), so that the lease rules are the same everywhere.
package billingtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// Memory is a billing.RunStore kept in a map.
type Memory struct {
	mu   sync.Mutex
	runs map[string]billing.RunRecord
}

var _ billing.RunStore = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{runs: map[string]billing.RunRecord{}} }

// Acquire implements billing.RunStore.
func (m *Memory) Acquire(_ context.Context, a billing.Attempt) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.runs[a.Month]
	if err := r.Take(a); err != nil {
		return billing.RunRecord{}, err
	}
	m.runs[a.Month] = r
	return r, nil
}

// Renew implements billing.RunStore.
func (m *Memory) Renew(_ context.Context, month, runID string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[month]
	if !ok {
		return errs.E(errs.Conflict, "no billing run of %s", month)
	}
	if err := r.Held(runID); err != nil {
		return err
	}
	r.LeaseExpiresAt = expires
	m.runs[month] = r
	return nil
}

// Finish implements billing.RunStore.
func (m *Memory) Finish(_ context.Context, month, runID string, fn func(*billing.RunRecord)) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[month]
	if !ok {
		return billing.RunRecord{}, errs.E(errs.Conflict, "no billing run of %s", month)
	}
	if err := r.Held(runID); err != nil {
		return billing.RunRecord{}, err
	}
	fn(&r)
	r.Release()
	m.runs[month] = r
	return r, nil
}

// Get implements billing.RunStore.
func (m *Memory) Get(_ context.Context, month string) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[month]
	if !ok {
		return billing.RunRecord{}, errs.E(errs.NotFound, "no billing run of %s", month)
	}
	return r, nil
}

// SetReport implements billing.RunStore.
func (m *Memory) SetReport(_ context.Context, month, runID string, rep billing.Report) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[month]
	if !ok {
		return errs.E(errs.Conflict, "no billing run of %s", month)
	}
	if err := r.ApplyReport(runID, rep); err != nil {
		return err
	}
	m.runs[month] = r
	return nil
}

// t0 is the suite's clock origin, at whole microseconds as Firestore keeps
// times.
var t0 = time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)

// Contract runs the RunStore contract against fresh stores from open.
func Contract(t *testing.T, open func(t *testing.T) billing.RunStore) {
	ctx := context.Background()
	attempt := func(id string, now time.Time) billing.Attempt {
		return billing.Attempt{Month: "2026-11", RunID: id, Trigger: "test", Now: now, Expires: now.Add(10 * time.Minute)}
	}
	code := func(t *testing.T, what string, err error, want errs.Code) {
		t.Helper()
		if got := errs.CodeOf(err); got != want {
			t.Fatalf("%s: code %q (%v), want %q", what, got, err, want)
		}
	}

	t.Run("GetAbsent", func(t *testing.T) {
		_, err := open(t).Get(ctx, "2026-11")
		code(t, "Get", err, errs.NotFound)
	})

	t.Run("LeaseLifecycle", func(t *testing.T) {
		s := open(t)
		r, err := s.Acquire(ctx, attempt("a", t0))
		if err != nil {
			t.Fatalf("Acquire a: %v", err)
		}
		if r.Status != billing.Running || r.RunID != "a" || r.Attempts != 1 || !r.StartedAt.Equal(t0) || r.LeaseHolder != "a" {
			t.Fatalf("Acquire a = %+v, want running attempt a, 1 attempt", r)
		}
		_, err = s.Acquire(ctx, attempt("b", t0.Add(time.Minute)))
		code(t, "Acquire b while a is live", err, errs.Conflict)
		code(t, "Renew by b", s.Renew(ctx, "2026-11", "b", t0.Add(time.Hour)), errs.Conflict)
		_, err = s.Finish(ctx, "2026-11", "b", func(r *billing.RunRecord) { r.Status = billing.Failed })
		code(t, "Finish by b", err, errs.Conflict)
		if err := s.Renew(ctx, "2026-11", "a", t0.Add(20*time.Minute)); err != nil {
			t.Fatalf("Renew a: %v", err)
		}
		// Still held at +15 min thanks to the renewal.
		_, err = s.Acquire(ctx, attempt("b", t0.Add(15*time.Minute)))
		code(t, "Acquire b after renewal", err, errs.Conflict)

		done, err := s.Finish(ctx, "2026-11", "a", func(r *billing.RunRecord) {
			r.Status, r.CompletedRunID, r.UnitsTotal, r.Clients = billing.Exported, "a", 42, 3
			r.Export = billing.Export{Bucket: "fin", Object: "billing/2026-11/billing_units.csv", SHA256: "00", Rows: 3}
			r.FinishedAt = t0.Add(2 * time.Minute)
		})
		if err != nil {
			t.Fatalf("Finish a: %v", err)
		}
		got, err := s.Get(ctx, "2026-11")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.LeaseHolder != "" || got.Status != billing.Exported || got.CompletedRunID != "a" || got.UnitsTotal != 42 ||
			got.Clients != 3 || got.Export.Bucket != "fin" || !got.FinishedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("Get after Finish = %+v", got)
		}
		if done.CompletedRunID != got.CompletedRunID || done.Export != got.Export {
			t.Errorf("Finish returned %+v, Get %+v", done, got)
		}
		_, err = s.Finish(ctx, "2026-11", "a", func(*billing.RunRecord) {})
		code(t, "Finish a twice", err, errs.Conflict)

		// A released lease is free at once; the completed fields are kept.
		r, err = s.Acquire(ctx, attempt("c", t0.Add(3*time.Minute)))
		if err != nil {
			t.Fatalf("Acquire c: %v", err)
		}
		if r.CompletedRunID != "a" || r.UnitsTotal != 42 || r.Attempts != 2 || r.RunID != "c" || !r.FinishedAt.IsZero() {
			t.Errorf("Acquire c = %+v, want completed run a kept, attempt 2", r)
		}
	})

	t.Run("ExpiredLeaseTakenOver", func(t *testing.T) {
		s := open(t)
		if _, err := s.Acquire(ctx, attempt("a", t0)); err != nil {
			t.Fatalf("Acquire a: %v", err)
		}
		r, err := s.Acquire(ctx, attempt("b", t0.Add(10*time.Minute)))
		if err != nil {
			t.Fatalf("Acquire b at expiry: %v", err)
		}
		if r.LeaseHolder != "b" || r.Attempts != 2 {
			t.Errorf("Acquire b = %+v", r)
		}
		code(t, "Renew by the crashed a", s.Renew(ctx, "2026-11", "a", t0.Add(time.Hour)), errs.Conflict)
	})

	t.Run("ConcurrentAcquireOneWins", func(t *testing.T) {
		s := open(t)
		const n = 5
		errc := make(chan error, n)
		for i := range n {
			go func() {
				_, err := s.Acquire(ctx, attempt(string(rune('a'+i)), t0))
				errc <- err
			}()
		}
		won, lost := 0, 0
		for range n {
			switch err := <-errc; {
			case err == nil:
				won++
			case errs.Is(err, errs.Conflict):
				lost++
			default:
				t.Errorf("Acquire: %v", err)
			}
		}
		if won != 1 || lost != n-1 {
			t.Errorf("won %d lost %d, want 1 and %d", won, lost, n-1)
		}
	})
}
