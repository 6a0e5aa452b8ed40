// Package tenancytest provides an in-memory client and user registry for tests
// of packages that depend on tenancy stores but not on Firestore. The Firestore
// adapter is tested against the emulator with the same expectations.
package tenancytest

import (
	"context"
	"sort"
	"sync"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Memory is a ClientStore and UserStore kept in maps. Fail, when set, is
// returned by every call, to test how callers handle a failing registry.
type Memory struct {
	mu      sync.Mutex
	clients map[string]tenancy.Client
	users   map[string]tenancy.User
	Fail    error
}

// NewMemory returns an empty registry.
func NewMemory() *Memory {
	return &Memory{clients: map[string]tenancy.Client{}, users: map[string]tenancy.User{}}
}

// CreateClient implements tenancy.ClientStore.
func (m *Memory) CreateClient(_ context.Context, c tenancy.Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.clients[c.ID]; ok {
		return errs.E(errs.Conflict, "client %s exists", c.ID)
	}
	m.clients[c.ID] = c
	return nil
}

// GetClient implements tenancy.ClientStore.
func (m *Memory) GetClient(_ context.Context, id string) (tenancy.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return tenancy.Client{}, m.Fail
	}
	c, ok := m.clients[id]
	if !ok {
		return c, errs.E(errs.NotFound, "client %s not found", id)
	}
	return c, nil
}

// ListClients implements tenancy.ClientStore.
func (m *Memory) ListClients(_ context.Context, p tenancy.Page) ([]tenancy.Client, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, "", m.Fail
	}
	var all []tenancy.Client
	for _, c := range m.clients {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return page(all, p, func(c tenancy.Client) string { return c.ID })
}

// UpdateClient implements tenancy.ClientStore.
func (m *Memory) UpdateClient(_ context.Context, id string, fn func(*tenancy.Client) error) (tenancy.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return tenancy.Client{}, m.Fail
	}
	c, ok := m.clients[id]
	if !ok {
		return c, errs.E(errs.NotFound, "client %s not found", id)
	}
	if err := fn(&c); err != nil {
		return tenancy.Client{}, err
	}
	m.clients[id] = c
	return c, nil
}

// GetUser implements tenancy.UserStore.
func (m *Memory) GetUser(_ context.Context, sub string) (tenancy.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return tenancy.User{}, m.Fail
	}
	u, ok := m.users[sub]
	if !ok {
		return u, errs.E(errs.NotFound, "user not found")
	}
	return u, nil
}

// PutUser implements tenancy.UserStore.
func (m *Memory) PutUser(_ context.Context, u tenancy.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	m.users[u.Subject] = u
	return nil
}

// CreateUser implements tenancy.UserStore.
func (m *Memory) CreateUser(_ context.Context, u tenancy.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.users[u.Subject]; ok {
		return errs.E(errs.Conflict, "user exists")
	}
	m.users[u.Subject] = u
	return nil
}

// UpdateClientUser implements tenancy.UserStore.
func (m *Memory) UpdateClientUser(_ context.Context, clientID, sub string, fn func(*tenancy.User, int) (bool, error)) (tenancy.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return tenancy.User{}, m.Fail
	}
	u, ok := m.users[sub]
	if !ok || u.ClientID != clientID {
		return tenancy.User{}, errs.E(errs.NotFound, "user not found")
	}
	others := 0
	for _, o := range m.users {
		if o.ClientID == clientID && o.Subject != sub && o.Role == tenancy.ClientAdmin && !o.Disabled {
			others++
		}
	}
	remove, err := fn(&u, others)
	if err != nil {
		return tenancy.User{}, err
	}
	if remove {
		delete(m.users, sub)
	} else {
		m.users[sub] = u
	}
	return u, nil
}

// DeleteUser implements tenancy.UserStore.
func (m *Memory) DeleteUser(_ context.Context, sub string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.users[sub]; !ok {
		return errs.E(errs.NotFound, "user not found")
	}
	delete(m.users, sub)
	return nil
}

// ListUsers implements tenancy.UserStore.
func (m *Memory) ListUsers(_ context.Context, clientID string, p tenancy.Page) ([]tenancy.User, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, "", m.Fail
	}
	var all []tenancy.User
	for _, u := range m.users {
		if u.ClientID == clientID {
			all = append(all, u)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Subject < all[j].Subject })
	return page(all, p, func(u tenancy.User) string { return u.Subject })
}

// page returns the items after p.Token (the last key of the previous page).
func page[T any](all []T, p tenancy.Page, key func(T) string) ([]T, string, error) {
	start := 0
	if p.Token != "" {
		start = sort.Search(len(all), func(i int) bool { return key(all[i]) > p.Token })
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	end := min(start+limit, len(all))
	out := all[start:end]
	next := ""
	if end < len(all) && len(out) > 0 {
		next = key(out[len(out)-1])
	}
	return out, next, nil
}
