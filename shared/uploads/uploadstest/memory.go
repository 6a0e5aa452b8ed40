// Package uploadstest holds an in-memory uploads.Store for tests of the code
// that uses upload records (the Uploads function, withdrawal), so they run
// without the Firestore emulator.
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

// Memory is an in-memory uploads.Store. Records are copied in and out, so a
// caller cannot change a stored record behind the store's back.
type Memory struct {
	mu      sync.Mutex
	uploads map[string]uploads.Upload // by clientID + "/" + id
	claims  map[string]uploads.Claim
}

var _ uploads.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{uploads: map[string]uploads.Upload{}, claims: map[string]uploads.Claim{}}
}

func key(clientID, id string) string { return clientID + "/" + id }

func clone(u uploads.Upload) uploads.Upload {
	u.Errors = append([]uploads.Issue(nil), u.Errors...)
	u.Warnings = append([]uploads.Issue(nil), u.Warnings...)
	u.Properties = append([]string(nil), u.Properties...)
	if u.Excluded != nil {
		ex := make(map[string]int, len(u.Excluded))
		for k, v := range u.Excluded {
			ex[k] = v
		}
		u.Excluded = ex
	}
	return u
}

// CreateUpload implements uploads.Store.
func (m *Memory) CreateUpload(_ context.Context, u uploads.Upload) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := key(u.ClientID, u.ID)
	if _, ok := m.uploads[k]; ok {
		return errs.E(errs.Conflict, "upload %s exists", u.ID)
	}
	m.uploads[k] = clone(u)
	return nil
}

// GetUpload implements uploads.Store.
func (m *Memory) GetUpload(_ context.Context, clientID, id string) (uploads.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.uploads[key(clientID, id)]
	if !ok {
		return uploads.Upload{}, errs.E(errs.NotFound, "no such upload")
	}
	return clone(u), nil
}

// ListUploads implements uploads.Store: newest first, page tokens are the
// last id of the previous page.
func (m *Memory) ListUploads(_ context.Context, clientID string, f uploads.Filter, p tenancy.Page) ([]uploads.Upload, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []uploads.Upload
	for _, u := range m.uploads {
		if u.ClientID != clientID || (f.Kind != "" && u.Kind != f.Kind) || (f.Status != "" && u.Status != f.Status) {
			continue
		}
		all = append(all, clone(u))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	if p.Token != "" {
		i := sort.Search(len(all), func(i int) bool { return all[i].ID < p.Token })
		all = all[i:]
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	if len(all) > limit {
		return all[:limit], all[limit-1].ID, nil
	}
	return all, "", nil
}

// UpdateUpload implements uploads.Store.
func (m *Memory) UpdateUpload(_ context.Context, clientID, id string, fn func(*uploads.Upload) error) (uploads.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.uploads[key(clientID, id)]
	if !ok {
		return uploads.Upload{}, errs.E(errs.NotFound, "no such upload")
	}
	u = clone(u)
	if err := fn(&u); err != nil {
		return uploads.Upload{}, err
	}
	m.uploads[key(clientID, id)] = clone(u)
	return u, nil
}

// AcquireClaim implements uploads.Store.
func (m *Memory) AcquireClaim(_ context.Context, k, holder string, now, leaseUntil time.Time) (uploads.Claim, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[k]
	if ok && (c.Outcome != "" || (c.Holder != holder && now.Before(c.LeaseUntil))) {
		return c, false, nil
	}
	c.Key, c.Holder, c.LeaseUntil, c.UpdatedAt = k, holder, leaseUntil, now
	c.Attempts++
	m.claims[k] = c
	return c, true, nil
}

// FinishClaim implements uploads.Store.
func (m *Memory) FinishClaim(_ context.Context, k, holder string, c uploads.Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	have, ok := m.claims[k]
	if !ok || have.Holder != holder {
		return errs.E(errs.Conflict, "claim %s is not held by %s", k, holder)
	}
	have.Outcome, have.ClientID, have.UploadID, have.Reason = c.Outcome, c.ClientID, c.UploadID, c.Reason
	if c.Outcome == "" {
		have.Holder, have.LeaseUntil = "", time.Time{}
	}
	m.claims[k] = have
	return nil
}
