package tenancy

import (
	"context"
	"time"
)

// Person is someone as the identity provider knows them: the account people
// sign in with. The platform's user registry, not the provider, decides what
// a person may do; the provider keeps a copy of the client and role only so
// that the tokens it issues carry matching claims.
type Person struct {
	Subject  string // the token subject; empty when asking the provider to find or create by Email
	Email    string
	Name     string
	ClientID string // "" for a super admin
	Role     Role
	// Activated reports that the person can already sign in (has a
	// password, or has signed in): such a person is not sent a link that
	// would reset it.
	Activated bool
}

// Invitation is a set-password link for a person's first sign-in.
type Invitation struct {
	Email     string    `json:"email"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IdentityProvider is where people sign in: Auth0 in production, the local
// platform's own OpenID provider in local mode. Every method is idempotent,
// so a request that failed half-way can simply be repeated; the user
// registry stays the source of truth, and the provider follows it.
type IdentityProvider interface {
	// EnsurePerson finds the person with p.Email, or creates one recording
	// p.ClientID and p.Role; an existing person is returned as found, not
	// changed. With p.Subject set it finds that person instead (NotFound if
	// the provider has none). It returns the person with its Subject.
	EnsurePerson(ctx context.Context, p Person) (Person, error)
	// SetClaims records p.ClientID and p.Role with the person p.Subject,
	// for the claims of the tokens the provider issues. An unknown subject
	// is not an error.
	SetClaims(ctx context.Context, p Person) error
	// Invite issues a fresh set-password link for the person p.Subject.
	Invite(ctx context.Context, p Person) (Invitation, error)
	// SetBlocked blocks (or unblocks) the person's sign-in. An unknown
	// subject is not an error: there is nothing to block.
	SetBlocked(ctx context.Context, sub string, blocked bool) error
}
