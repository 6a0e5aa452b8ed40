// Package tenancy holds the platform's tenants and principals: clients, users,
// roles, and the one authorization rule every tenant route goes through. It
// imports no cloud SDK; stores are interfaces implemented by adapters.
package tenancy

import (
	"context"
	"regexp"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Role is what a principal may do. Roles are ordered: a higher role may do
// everything a lower one may within the same client.
type Role string

// The roles of docs/architecture.md#tenancy-and-roles.
const (
	ClientUser  Role = "client_user"
	ClientAdmin Role = "client_admin"
	SuperAdmin  Role = "super_admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

func (r Role) rank() int {
	switch r {
	case ClientUser:
		return 1
	case ClientAdmin:
		return 2
	case SuperAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r is min or higher. An unknown role is below all.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// Principal is the authenticated caller as the platform resolved it: the token
// subject, and the role and client from the user registry (not the claims).
type Principal struct {
	Subject  string `json:"sub"`
	Role     Role   `json:"role"`
	ClientID string `json:"client_id"` // "" for a super admin, who belongs to no client
	Email    string `json:"email,omitempty"`
}

// Authorize is the single tenant rule of docs/architecture.md#tenancy-and-roles: the client a request acts on
// comes from its path; a principal of another client gets NotFound, so the
// existence of clients is not revealed; the right client with too small a role
// gets Forbidden. A super admin may act on every client.
func Authorize(p Principal, clientID string, min Role) error {
	if !p.Role.Valid() {
		return errs.E(errs.Forbidden, "no role")
	}
	if p.Role == SuperAdmin {
		return nil
	}
	if p.ClientID == "" || p.ClientID != clientID {
		return errs.E(errs.NotFound, "not found")
	}
	if !p.Role.AtLeast(min) {
		return errs.E(errs.Forbidden, "role %s may not do this", p.Role)
	}
	return nil
}

// ClientStatus is whether a client's users may use the platform.
type ClientStatus string

// Client statuses.
const (
	Active    ClientStatus = "active"
	Suspended ClientStatus = "suspended"
)

// Client is a tenant: one property owner or manager.
type Client struct {
	ID           string       `json:"client_id" firestore:"client_id"`
	Name         string       `json:"name" firestore:"name"`
	Status       ClientStatus `json:"status" firestore:"status"`
	Dataset      string       `json:"dataset" firestore:"dataset"`
	BillingEmail string       `json:"billing_email,omitempty" firestore:"billing_email"`
	CreatedAt    time.Time    `json:"created_at" firestore:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at" firestore:"updated_at"`
}

// clientIDPattern keeps ids safe as BigQuery dataset names (after - → _), as
// object-name prefixes and in URLs: lower-case letters, digits and hyphens,
// starting with a letter, at most 40 characters.
var clientIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}[a-z0-9]$`)

// ValidateClientID reports whether id is a well-formed client id.
func ValidateClientID(id string) error {
	if !clientIDPattern.MatchString(id) || strings.Contains(id, "--") {
		return errs.E(errs.Invalid, "client id must be 3-40 lower-case letters, digits or single hyphens, starting with a letter")
	}
	return nil
}

// DatasetName is the warehouse dataset (BigQuery dataset, DuckDB schema) of a
// client: "client_" and the id with hyphens turned to underscores.
func DatasetName(clientID string) string {
	return "client_" + strings.ReplaceAll(clientID, "-", "_")
}

// User is an entry of the user registry, the source of truth for a subject's
// client and role (docs/architecture.md#authentication).
type User struct {
	Subject   string    `json:"sub" firestore:"sub"`
	Email     string    `json:"email" firestore:"email"`
	Name      string    `json:"name,omitempty" firestore:"name,omitempty"`
	Role      Role      `json:"role" firestore:"role"`
	ClientID  string    `json:"client_id,omitempty" firestore:"client_id"`
	Disabled  bool      `json:"disabled" firestore:"disabled"`
	CreatedAt time.Time `json:"created_at" firestore:"created_at"`
	UpdatedAt time.Time `json:"updated_at" firestore:"updated_at"`
}

// Page asks a list for at most Limit items after the opaque Token.
type Page struct {
	Limit int
	Token string
}

// ClientReader reads the client registry. It is all that the functions
// other than Admin are given: the registry is written by Admin alone, and in
// production their service accounts can only read its database
// (docs/architecture.md#data-model, terraform/README.md).
type ClientReader interface {
	// GetClient returns the client, or NotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients lists clients by id, returning the next page token ("" at the end).
	ListClients(ctx context.Context, p Page) ([]Client, string, error)
}

// ClientStore keeps the client registry: the Admin function's view.
type ClientStore interface {
	ClientReader
	// CreateClient stores c; it fails with Conflict if the id exists.
	CreateClient(ctx context.Context, c Client) error
	// UpdateClient applies fn to the stored client atomically and returns the result.
	UpdateClient(ctx context.Context, id string, fn func(*Client) error) (Client, error)
}

// UserReader reads the user registry; like ClientReader, it is the view of
// every function but Admin.
type UserReader interface {
	// GetUser returns the user, or NotFound.
	GetUser(ctx context.Context, sub string) (User, error)
	// ListUsers lists a client's users by subject.
	ListUsers(ctx context.Context, clientID string, p Page) ([]User, string, error)
}

// UserStore keeps the user registry: the Admin function's view.
type UserStore interface {
	UserReader
	// PutUser creates or replaces the user.
	PutUser(ctx context.Context, u User) error
	// CreateUser stores a new user; Conflict if the subject exists, so two
	// concurrent grants of one subject cannot both succeed.
	CreateUser(ctx context.Context, u User) error
	// UpdateClientUser changes client clientID's user sub atomically with a
	// count of the client's other active client admins, so a rule such as
	// "keep one admin" holds under concurrent changes. fn edits the user, or
	// returns remove=true to delete it. A user of another client is NotFound.
	UpdateClientUser(ctx context.Context, clientID, sub string, fn func(u *User, otherAdmins int) (remove bool, err error)) (User, error)
	// DeleteUser removes the user; removing an absent user is NotFound.
	DeleteUser(ctx context.Context, sub string) error
}
