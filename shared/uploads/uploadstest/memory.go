// Package uploadstest provides an in-memory uploads.Store and the contract
// suite every uploads.Store adapter runs (the Firestore adapter against the
// emulator, Memory here), so that ingestion and the Uploads function can be
// tested without an emulator on a store that keeps the same rules.
package uploadstest

import (
	"context"
	"sort"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
)

// Page sizes the Firestore adapter applies too: an unset limit lists a page of
// defaultLimit, a larger one than maxLimit is capped.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// Memory is an uploads.Store kept in maps. The zero value is not usable: call
// NewMemory.
type Memory struct {
	mu      sync.Mutex
	uploads map[string]uploads.Upload // client id + "/" + upload id
	claims  map[string]uploads.Claim  // idempotency key
	updates int

	// FailUpdate, when set, is asked before the n-th UpdateUpload (1-based)
	// and its error, if any, is returned instead: a test refuses a chosen
	// write the way a missing IAM grant or an outage would.
	FailUpdate func(n int) error
}

var _ uploads.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{uploads: map[string]uploads.Upload{}, claims: map[string]uploads.Claim{}}
}

func key(clientID, id string) string { return clientID + "/" + id }

// CreateUpload implements uploads.Store.
func (m *Memory) CreateUpload(_ context.Context, u uploads.Upload) error {
	if tenancy.ValidateClientID(u.ClientID) != nil || !uploads.ValidID(u.ID) {
		return errs.E(errs.Invalid, "malformed client or upload id")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := key(u.ClientID, u.ID)
	if _, ok := m.uploads[k]; ok {
		return errs.E(errs.Conflict, "upload %s exists", u.ID)
	}
	m.uploads[k] = clone(u)
	return nil
}

// GetUpload implements uploads.Store. Malformed ids are NotFound, as in the
// Firestore adapter: path segments from requests are not trusted.
func (m *Memory) GetUpload(_ context.Context, clientID, id string) (uploads.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.uploads[key(clientID, id)]
	if !ok || tenancy.ValidateClientID(clientID) != nil || !uploads.ValidID(id) {
		return uploads.Upload{}, errs.E(errs.NotFound, "upload not found")
	}
	return clone(u), nil
}

// ListUploads implements uploads.Store: newest first (ids are time-ordered),
// filtered by kind and status; the page token is the last id returned.
func (m *Memory) ListUploads(_ context.Context, clientID string, f uploads.Filter, p tenancy.Page) ([]uploads.Upload, string, error) {
	if tenancy.ValidateClientID(clientID) != nil {
		return nil, "", errs.E(errs.Invalid, "malformed client id")
	}
	limit := p.Limit
	switch {
	case limit < 0:
		return nil, "", errs.E(errs.Invalid, "limit must not be negative")
	case limit == 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	if p.Token != "" && !uploads.ValidID(p.Token) {
		return nil, "", errs.E(errs.Invalid, "malformed page token")
	}
	m.mu.Lock()
	var all []uploads.Upload
	for _, u := range m.uploads {
		if u.ClientID != clientID || (f.Kind != "" && u.Kind != f.Kind) || (f.Status != "" && u.Status != f.Status) {
			continue
		}
		if p.Token != "" && u.ID >= p.Token {
			continue
		}
		all = append(all, clone(u))
	}
	m.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	next := ""
	if len(all) > limit {
		all = all[:limit]
		next = all[limit-1].ID
	}
	return all, next, nil
}

// UpdateUpload implements uploads.Store: fn sees a copy, and the record
// changes only when fn returns nil.
func (m *Memory) UpdateUpload(_ context.Context, clientID, id string, fn func(*uploads.Upload) error) (uploads.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updates++
	if m.FailUpdate != nil {
		if err := m.FailUpdate(m.updates); err != nil {
			return uploads.Upload{}, err
		}
	}
	k := key(clientID, id)
	cur, ok := m.uploads[k]
	if !ok || tenancy.ValidateClientID(clientID) != nil || !uploads.ValidID(id) {
		return uploads.Upload{}, errs.E(errs.NotFound, "upload not found")
	}
	u := clone(cur)
	if err := fn(&u); err != nil {
		return uploads.Upload{}, err
	}
	u.ID, u.ClientID = id, clientID
	m.uploads[k] = clone(u)
	return u, nil
}

// AcquireClaim implements uploads.Store under one lock, so that of two
// concurrent deliveries exactly one holds the claim: a claim with an outcome,
// or with another holder's live lease, is not taken; each take counts an
// attempt.
func (m *Memory) AcquireClaim(_ context.Context, k, holder string, now, leaseUntil time.Time) (uploads.Claim, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	if !ok {
		c = uploads.Claim{Key: k}
	}
	if c.Outcome != "" || (c.Holder != "" && c.Holder != holder && now.Before(c.LeaseUntil)) {
		return c, false, nil
	}
	c.Holder, c.LeaseUntil, c.UpdatedAt = holder, leaseUntil.UTC(), now.UTC()
	c.Attempts++
	m.claims[k] = c
	return c, true, nil
}

// FinishClaim implements uploads.Store. A holder whose lease was taken over
// gets Conflict and its outcome is not recorded; the attempt count is kept.
func (m *Memory) FinishClaim(_ context.Context, k, holder string, c uploads.Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.claims[k]
	if cur.Holder != "" && cur.Holder != holder {
		return errs.E(errs.Conflict, "claim on %s is held by another delivery", k)
	}
	c.Key, c.Holder, c.Attempts = k, holder, cur.Attempts
	c.UpdatedAt = time.Now().UTC()
	m.claims[k] = c
	return nil
}

// Claim returns the stored claim on key, for tests that check an outcome.
func (m *Memory) Claim(k string) (uploads.Claim, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	return c, ok
}

// clone copies the slices of u so that a caller's later changes do not reach
// the stored record (Firestore hands out decoded copies too).
func clone(u uploads.Upload) uploads.Upload {
	if u.Properties != nil {
		u.Properties = append([]string{}, u.Properties...)
	}
	if u.Errors != nil {
		u.Errors = append([]uploads.Issue{}, u.Errors...)
	}
	if u.Warnings != nil {
		u.Warnings = append([]uploads.Issue{}, u.Warnings...)
	}
	if u.Excluded != nil {
		ex := make(map[string]int, len(u.Excluded))
		for k, v := range u.Excluded {
			ex[k] = v
		}
		u.Excluded = ex
	}
	return u
}
