package tenancytest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Identity is an in-memory tenancy.IdentityProvider: people by subject, who
// is blocked, and the invitations issued. FailOnce makes the next call of a
// method ("EnsurePerson", "SetClaims", "Invite", "SetBlocked") fail with a
// transient error, to test that a repeated request completes the work.
type Identity struct {
	mu       sync.Mutex
	people   map[string]tenancy.Person
	blocked  map[string]bool
	invites  map[string]int
	failNext map[string]bool
	seq      int
}

// NewIdentity returns a provider that knows nobody.
func NewIdentity() *Identity {
	return &Identity{people: map[string]tenancy.Person{}, blocked: map[string]bool{}, invites: map[string]int{}, failNext: map[string]bool{}}
}

// FailOnce makes the next call of method fail.
func (id *Identity) FailOnce(method string) {
	id.mu.Lock()
	id.failNext[method] = true
	id.mu.Unlock()
}

func (id *Identity) fail(method string) error {
	if id.failNext[method] {
		delete(id.failNext, method)
		return errs.E(errs.Transient, "identity provider unavailable")
	}
	return nil
}

// Add puts a person in the provider, as if created outside the platform.
func (id *Identity) Add(p tenancy.Person) {
	id.mu.Lock()
	id.people[p.Subject] = p
	id.mu.Unlock()
}

// Person returns what the provider holds for sub.
func (id *Identity) Person(sub string) (tenancy.Person, bool) {
	id.mu.Lock()
	defer id.mu.Unlock()
	p, ok := id.people[sub]
	return p, ok
}

// Blocked reports whether sub is blocked.
func (id *Identity) Blocked(sub string) bool {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.blocked[sub]
}

// Invitations counts the invitations issued to sub.
func (id *Identity) Invitations(sub string) int {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.invites[sub]
}

// EnsurePerson implements tenancy.IdentityProvider.
func (id *Identity) EnsurePerson(_ context.Context, p tenancy.Person) (tenancy.Person, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	if err := id.fail("EnsurePerson"); err != nil {
		return tenancy.Person{}, err
	}
	if p.Subject != "" {
		found, ok := id.people[p.Subject]
		if !ok {
			return tenancy.Person{}, errs.E(errs.NotFound, "no person %s", p.Subject)
		}
		return found, nil
	}
	for _, found := range id.people {
		if strings.EqualFold(found.Email, p.Email) {
			return found, nil
		}
	}
	id.seq++
	p.Subject = fmt.Sprintf("fake|%d", id.seq)
	id.people[p.Subject] = p
	return p, nil
}

// SetClaims implements tenancy.IdentityProvider.
func (id *Identity) SetClaims(_ context.Context, p tenancy.Person) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if err := id.fail("SetClaims"); err != nil {
		return err
	}
	found, ok := id.people[p.Subject]
	if !ok {
		return nil
	}
	found.ClientID, found.Role = p.ClientID, p.Role
	id.people[p.Subject] = found
	return nil
}

// Invite implements tenancy.IdentityProvider.
func (id *Identity) Invite(_ context.Context, p tenancy.Person) (tenancy.Invitation, error) {
	id.mu.Lock()
	defer id.mu.Unlock()
	if err := id.fail("Invite"); err != nil {
		return tenancy.Invitation{}, err
	}
	found, ok := id.people[p.Subject]
	if !ok {
		return tenancy.Invitation{}, errs.E(errs.NotFound, "no person %s", p.Subject)
	}
	id.invites[p.Subject]++
	return tenancy.Invitation{Email: found.Email, URL: fmt.Sprintf("https://id.example/invite/%s/%d", p.Subject, id.invites[p.Subject]),
		ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

// SetBlocked implements tenancy.IdentityProvider.
func (id *Identity) SetBlocked(_ context.Context, sub string, blocked bool) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if err := id.fail("SetBlocked"); err != nil {
		return err
	}
	if _, ok := id.people[sub]; ok {
		id.blocked[sub] = blocked
	}
	return nil
}

var _ tenancy.IdentityProvider = (*Identity)(nil)
