package tenancy

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Forgetter drops cached registry entries after a change (the Gate).
type Forgetter interface {
	ForgetUser(sub string)
	ForgetClient(id string)
}

// Service is client and user administration: onboarding a client with
// everything it needs, renaming and suspending it, and managing its users
// under the rules of docs/architecture.md#tenancy-and-roles.
type Service struct {
	Clients   ClientStore
	Users     UserStore
	Warehouse warehouse.Warehouse
	Cache     Forgetter // may be nil
	// Identity is where people sign in. Without it users can be registered
	// by subject only (by the super admin), and nobody is invited.
	Identity IdentityProvider
	Now      clock.Func
}

func (s *Service) now() time.Time {
	return s.Now.UTC()
}

func (s *Service) forgetUser(sub string) {
	if s.Cache != nil {
		s.Cache.ForgetUser(sub)
	}
}

func (s *Service) forgetClient(id string) {
	if s.Cache != nil {
		s.Cache.ForgetClient(id)
	}
}

// Input limits.
const (
	MaxNameLen  = 200
	MaxEmailLen = 254
	MaxSubLen   = 256
)

// NewClient is a request to onboard a client.
type NewClient struct {
	ID           string `json:"client_id,omitempty"` // optional; derived from Name when empty
	Name         string `json:"name"`
	BillingEmail string `json:"billing_email,omitempty"`
	// AdminEmail, when set, is the client's first client_admin: Onboard
	// registers and invites them.
	AdminEmail string `json:"admin_email,omitempty"`
	AdminName  string `json:"admin_name,omitempty"`
	// PlanID is the client's billing plan, carried for the billing service;
	// client onboarding does not read it.
	PlanID string `json:"plan_id,omitempty"`
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// SlugID derives a client id from a name: lower-case ASCII words joined by
// hyphens, starting with a letter, at most 40 characters.
func SlugID(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	s = strings.TrimLeft(s, "0123456789-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if len(s) < 3 {
		s = "client-" + s
		s = strings.TrimRight(s, "-")
	}
	return s
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) {
		return "", errs.E(errs.Invalid, "name must be 1-%d characters", MaxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", errs.E(errs.Invalid, "name must not contain control characters")
		}
	}
	return name, nil
}

func checkEmail(email string, required bool) error {
	if email == "" && !required {
		return nil
	}
	if len(email) > MaxEmailLen {
		return errs.E(errs.Invalid, "email is too long")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return errs.E(errs.Invalid, "email %q is not a plain e-mail address", email)
	}
	return nil
}

// CreateClient onboards a client: its warehouse dataset and tables, its
// registry record, and its row in system.clients. Every step is idempotent
// and ordered so that a retry after a crash half-way completes the work: the
// dataset first (keyed by id, harmless if orphaned), then the registry record
// (the commit point: only then does the client exist), then the mirror row.
// Repeating a request for an existing client with the same name completes any
// missing step and reports created=false; a different client under the same
// id is a Conflict.
func (s *Service) CreateClient(ctx context.Context, req NewClient) (c Client, created bool, err error) {
	name, err := checkName(req.Name)
	if err != nil {
		return Client{}, false, err
	}
	if err := checkEmail(req.BillingEmail, false); err != nil {
		return Client{}, false, err
	}
	id := req.ID
	if id == "" {
		id = SlugID(name)
	}
	if err := ValidateClientID(id); err != nil {
		return Client{}, false, err
	}
	existing, err := s.Clients.GetClient(ctx, id)
	switch {
	case err == nil && existing.Name != name:
		return Client{}, false, errs.E(errs.Conflict, "client id %s is taken by another client; choose another client_id", id).WithReason("client_exists")
	case err == nil:
		c = existing
	case errs.Is(err, errs.NotFound):
		now := s.now()
		c = Client{ID: id, Name: name, Status: Active, Dataset: DatasetName(id), BillingEmail: req.BillingEmail, CreatedAt: now, UpdatedAt: now}
		created = true
	default:
		return Client{}, false, err
	}

	if err := s.Warehouse.EnsureDataset(ctx, warehouse.Client(c.Dataset)); err != nil {
		return Client{}, false, fmt.Errorf("provision dataset %s: %w", c.Dataset, err)
	}
	if created {
		if err := s.Clients.CreateClient(ctx, c); err != nil {
			if !errs.Is(err, errs.Conflict) {
				return Client{}, false, err
			}
			// A concurrent request created it first: settle on the stored one.
			if c, err = s.Clients.GetClient(ctx, id); err != nil {
				return Client{}, false, err
			}
			if c.Name != name {
				return Client{}, false, errs.E(errs.Conflict, "client id %s is taken by another client", id).WithReason("client_exists")
			}
			created = false
		}
	}
	if err := s.mirrorClient(ctx, c); err != nil {
		return Client{}, false, err
	}
	return c, created, nil
}

// mirrorClient keeps system.clients in step with the registry, for SQL that
// joins client names and statuses (billing, the cross-client summary).
func (s *Service) mirrorClient(ctx context.Context, c Client) error {
	const table = warehouse.SystemDataset + "." + warehouse.TableClients
	if err := s.Warehouse.Exec(ctx, "DELETE FROM "+table+" WHERE client_id = @id", map[string]any{"id": c.ID}); err != nil {
		return fmt.Errorf("mirror client %s: %w", c.ID, err)
	}
	// A fresh load id every time: the row was just deleted, so an id seen
	// before must not turn this write into a no-op.
	return s.Warehouse.Load(ctx, warehouse.Load{
		ID:      fmt.Sprintf("client-%s-%s", c.ID, randid.Hex(8)),
		Dataset: warehouse.SystemDataset,
		Parts: []warehouse.Part{{Table: warehouse.TableClients, Rows: []warehouse.Row{{
			"client_id": c.ID, "name": c.Name, "status": string(c.Status), "dataset": c.Dataset,
			"billing_email": c.BillingEmail, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt,
		}}}},
	})
}

// ClientPatch changes a client; nil fields stay as they are.
type ClientPatch struct {
	Name         *string       `json:"name,omitempty"`
	Status       *ClientStatus `json:"status,omitempty"`
	BillingEmail *string       `json:"billing_email,omitempty"`
}

// UpdateClient renames, suspends or reactivates a client.
func (s *Service) UpdateClient(ctx context.Context, id string, p ClientPatch) (Client, error) {
	if p.Name == nil && p.Status == nil && p.BillingEmail == nil {
		return Client{}, errs.E(errs.Invalid, "nothing to change: send name, status or billing_email")
	}
	if p.Name != nil {
		n, err := checkName(*p.Name)
		if err != nil {
			return Client{}, err
		}
		p.Name = &n
	}
	if p.Status != nil && *p.Status != Active && *p.Status != Suspended {
		return Client{}, errs.E(errs.Invalid, "status must be active or suspended")
	}
	if p.BillingEmail != nil {
		if err := checkEmail(*p.BillingEmail, false); err != nil {
			return Client{}, err
		}
	}
	now := s.now()
	c, err := s.Clients.UpdateClient(ctx, id, func(c *Client) error {
		if p.Name != nil {
			c.Name = *p.Name
		}
		if p.Status != nil {
			c.Status = *p.Status
		}
		if p.BillingEmail != nil {
			c.BillingEmail = *p.BillingEmail
		}
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return Client{}, err
	}
	s.forgetClient(id)
	if err := s.mirrorClient(ctx, c); err != nil {
		return Client{}, err
	}
	// The registry already refuses a suspended client's users; the provider
	// follows so they cannot sign in either. Repeating the request finishes
	// a partial pass.
	if p.Status != nil {
		if err := s.blockClientUsers(ctx, id, c.Status == Suspended); err != nil {
			return Client{}, fmt.Errorf("client %s is %s; updating sign-in failed (repeat the request to finish): %w", id, c.Status, err)
		}
	}
	return c, nil
}

// NewUser is a request to add a user to a client, or change its role. A
// new person is invited by e-mail; Subject names an existing user instead
// (only the super admin may register a new subject by hand).
type NewUser struct {
	Subject string `json:"sub,omitempty"`
	Email   string `json:"email,omitempty"`
	Role    Role   `json:"role"`
	Name    string `json:"name,omitempty"`
}

// InvitedUser is a user with the invitation that lets them set a password;
// Invitation is nil for a person who can already sign in.
type InvitedUser struct {
	User
	Invitation *Invitation `json:"invitation,omitempty"`
}

func checkSubject(sub string) error {
	if sub == "" || len(sub) > MaxSubLen || !utf8.ValidString(sub) || strings.Contains(sub, "/") {
		return errs.E(errs.Invalid, "sub must be 1-%d characters without '/'", MaxSubLen)
	}
	for _, r := range sub {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return errs.E(errs.Invalid, "sub must not contain spaces or control characters")
		}
	}
	return nil
}

func checkUserRequest(actor Principal, req NewUser) error {
	if req.Subject != "" {
		if err := checkSubject(req.Subject); err != nil {
			return err
		}
	}
	if err := checkEmail(req.Email, req.Subject == ""); err != nil {
		if req.Email == "" {
			return errs.E(errs.Invalid, "email is required")
		}
		return err
	}
	if req.Name != "" {
		if _, err := checkName(req.Name); err != nil {
			return err
		}
	}
	switch req.Role {
	case ClientUser, ClientAdmin:
		return nil
	case SuperAdmin:
		if actor.Role != SuperAdmin {
			return errs.E(errs.Forbidden, "a client admin cannot grant super_admin")
		}
		return errs.E(errs.Invalid, "super_admin is not a client role")
	default:
		return errs.E(errs.Invalid, "role must be client_user or client_admin")
	}
}

// PutUser adds a user to client cid, or changes an existing user's role.
//
// New people come only through the identity provider: with an e-mail, the
// person is found or created there, registered here, and invited. A client
// admin may name a subject only to change one of its own users; any other
// subject, unknown or another client's, answers the same NotFound, so
// subjects cannot be probed or claimed. Only the super admin registers a
// subject by hand. An e-mail whose person belongs to another client or is
// a super admin is refused; to a client admin the refusal names no client
// and no subject.
//
// The registry is written first (it is the source of truth), then the
// provider is told; every step is idempotent, so if the provider fails the
// same request repeated completes the work.
func (s *Service) PutUser(ctx context.Context, actor Principal, cid string, req NewUser) (invited InvitedUser, created bool, err error) {
	if err := checkUserRequest(actor, req); err != nil {
		return InvitedUser{}, false, err
	}
	if req.Subject != "" && actor.Role != SuperAdmin {
		u, err := s.changeUser(ctx, cid, req)
		if err != nil {
			return InvitedUser{}, false, err
		}
		return InvitedUser{User: u}, false, s.follow(ctx, u)
	}
	if req.Subject != "" {
		return s.registerSubject(ctx, actor, cid, req)
	}
	if s.Identity == nil {
		return InvitedUser{}, false, errs.E(errs.NotImplemented, "this deployment has no identity provider to invite people with; register a sub instead")
	}
	person, err := s.Identity.EnsurePerson(ctx, Person{Email: req.Email, Name: req.Name, ClientID: cid, Role: req.Role})
	if err != nil {
		return InvitedUser{}, false, fmt.Errorf("identity provider: %w", err)
	}
	u, created, err := s.enroll(ctx, actor, cid, person.Subject, req)
	if err != nil {
		return InvitedUser{}, false, err
	}
	out := InvitedUser{User: u}
	if err := s.follow(ctx, u); err != nil {
		return InvitedUser{}, false, err
	}
	if !person.Activated {
		inv, err := s.Identity.Invite(ctx, person)
		if err != nil {
			return InvitedUser{}, false, fmt.Errorf("identity provider: invite: %w", err)
		}
		out.Invitation = &inv
	}
	return out, created, nil
}

// enroll registers sub as a user of cid, or updates it if it already is one.
func (s *Service) enroll(ctx context.Context, actor Principal, cid, sub string, req NewUser) (u User, created bool, err error) {
	now := s.now()
	u = User{Subject: sub, Email: req.Email, Name: req.Name, Role: req.Role, ClientID: cid, CreatedAt: now, UpdatedAt: now}
	err = s.Users.CreateUser(ctx, u)
	if err == nil {
		s.forgetUser(sub)
		return u, true, nil
	}
	if !errs.Is(err, errs.Conflict) {
		return User{}, false, err
	}
	u, err = s.Users.UpdateClientUser(ctx, cid, sub, func(x *User, otherAdmins int) (bool, error) {
		return false, applyChange(x, otherAdmins, req, now)
	})
	if errs.Is(err, errs.NotFound) {
		if actor.Role == SuperAdmin {
			return User{}, false, errs.E(errs.Conflict, "this person already belongs to another client or is a super admin").WithReason("user_exists")
		}
		return User{}, false, errs.E(errs.Conflict, "this e-mail address cannot be added to this client; ask RentRoll support").WithReason("email_unavailable")
	}
	if err != nil {
		return User{}, false, err
	}
	s.forgetUser(sub)
	return u, false, nil
}

// applyChange sets a user's role, e-mail and name under the rule that a
// client keeps an active admin.
func applyChange(u *User, otherAdmins int, req NewUser, now time.Time) error {
	if u.Role == ClientAdmin && req.Role != ClientAdmin && !u.Disabled && otherAdmins == 0 {
		return lastAdmin()
	}
	u.Role, u.UpdatedAt = req.Role, now
	if req.Email != "" {
		u.Email = req.Email
	}
	if req.Name != "" {
		u.Name = req.Name
	}
	return nil
}

// changeUser changes an existing user of cid; anything else is NotFound.
func (s *Service) changeUser(ctx context.Context, cid string, req NewUser) (User, error) {
	now := s.now()
	u, err := s.Users.UpdateClientUser(ctx, cid, req.Subject, func(x *User, otherAdmins int) (bool, error) {
		return false, applyChange(x, otherAdmins, req, now)
	})
	if errs.Is(err, errs.NotFound) {
		return User{}, errs.E(errs.NotFound, "user not found")
	}
	if err != nil {
		return User{}, err
	}
	s.forgetUser(u.Subject)
	return u, nil
}

// ChangeRole changes the role of an existing user of cid; any other
// subject is NotFound.
func (s *Service) ChangeRole(ctx context.Context, actor Principal, cid, sub string, role Role) (User, error) {
	req := NewUser{Subject: sub, Role: role}
	if err := checkUserRequest(actor, req); err != nil {
		return User{}, err
	}
	u, err := s.changeUser(ctx, cid, req)
	if err != nil {
		return User{}, err
	}
	return u, s.follow(ctx, u)
}

// registerSubject is the super admin's way to register a subject by hand
// (one created at the provider outside the platform).
func (s *Service) registerSubject(ctx context.Context, actor Principal, cid string, req NewUser) (invited InvitedUser, created bool, err error) {
	u, created, err := s.enroll(ctx, actor, cid, req.Subject, req)
	if err != nil {
		return InvitedUser{}, false, err
	}
	return InvitedUser{User: u}, created, s.follow(ctx, u)
}

// follow brings the provider in line with the registry's entry for u: its
// client and role for the token claims, and sign-in blocked exactly when the
// user is disabled.
func (s *Service) follow(ctx context.Context, u User) error {
	if s.Identity == nil {
		return nil
	}
	if err := s.Identity.SetClaims(ctx, Person{Subject: u.Subject, Email: u.Email, Name: u.Name, ClientID: u.ClientID, Role: u.Role}); err != nil {
		return fmt.Errorf("identity provider: claims of %s: %w", u.Subject, err)
	}
	if err := s.Identity.SetBlocked(ctx, u.Subject, u.Disabled); err != nil {
		return fmt.Errorf("identity provider: block %s: %w", u.Subject, err)
	}
	return nil
}

// SetUserDisabled disables or re-enables a user of client cid: the registry
// first, then sign-in at the provider. Disabling the client's last active
// admin is a Conflict; a user of another client is NotFound.
func (s *Service) SetUserDisabled(ctx context.Context, cid, sub string, disabled bool) (User, error) {
	now := s.now()
	u, err := s.Users.UpdateClientUser(ctx, cid, sub, func(u *User, otherAdmins int) (bool, error) {
		if disabled && u.Role == ClientAdmin && !u.Disabled && otherAdmins == 0 {
			return false, lastAdmin()
		}
		u.Disabled, u.UpdatedAt = disabled, now
		return false, nil
	})
	if errs.Is(err, errs.NotFound) {
		return User{}, errs.E(errs.NotFound, "user not found")
	}
	if err != nil {
		return User{}, err
	}
	s.forgetUser(sub)
	if s.Identity != nil {
		if err := s.Identity.SetBlocked(ctx, sub, disabled); err != nil {
			return User{}, fmt.Errorf("identity provider: block %s: %w", sub, err)
		}
	}
	return u, nil
}

func lastAdmin() error {
	return errs.E(errs.Conflict, "a client must keep at least one client_admin").WithReason("last_client_admin")
}

// RemoveUser removes a user of client cid and blocks their sign-in. A user
// of another client is NotFound (the same answer as an unknown subject);
// removing the client's last admin is a Conflict, decided atomically with
// the removal. The person is blocked at the provider before the registry
// entry goes, so a failure in between leaves a blocked user still listed,
// and repeating the request completes the removal.
func (s *Service) RemoveUser(ctx context.Context, cid, sub string) error {
	u, err := s.Users.GetUser(ctx, sub)
	if errs.Is(err, errs.NotFound) || (err == nil && (u.ClientID != cid || u.Role == SuperAdmin)) {
		return errs.E(errs.NotFound, "user not found")
	}
	if err != nil {
		return err
	}
	if s.Identity != nil {
		if err := s.Identity.SetBlocked(ctx, sub, true); err != nil {
			return fmt.Errorf("identity provider: block %s: %w", sub, err)
		}
	}
	_, err = s.Users.UpdateClientUser(ctx, cid, sub, func(u *User, otherAdmins int) (bool, error) {
		if u.Role == ClientAdmin && !u.Disabled && otherAdmins == 0 {
			return false, lastAdmin()
		}
		return true, nil
	})
	if err != nil {
		if s.Identity != nil && !u.Disabled && errs.Is(err, errs.Conflict) {
			// Refused: the user stays, so their sign-in must too.
			if uerr := s.Identity.SetBlocked(ctx, sub, false); uerr != nil {
				return fmt.Errorf("identity provider: unblock %s after a refused removal: %w", sub, uerr)
			}
		}
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "user not found")
		}
		return err
	}
	s.forgetUser(sub)
	return nil
}

// Onboarded is a client as onboarding answers it: the client, and the
// invitation of its first admin when one was asked for.
type Onboarded struct {
	Client
	Invitation *Invitation `json:"invitation,omitempty"`
}

// Onboard creates the client (CreateClient) and, with AdminEmail, finds or
// creates its first admin at the identity provider, registers them as
// client_admin and invites them. Repeating the request completes whatever
// a failure left undone and issues a fresh invitation.
func (s *Service) Onboard(ctx context.Context, actor Principal, req NewClient) (onboarded Onboarded, created bool, err error) {
	if req.AdminEmail != "" {
		if err := checkEmail(req.AdminEmail, true); err != nil {
			return Onboarded{}, false, err
		}
		if s.Identity == nil {
			return Onboarded{}, false, errs.E(errs.NotImplemented, "this deployment has no identity provider to invite the admin with")
		}
	}
	c, created, err := s.CreateClient(ctx, req)
	if err != nil {
		return Onboarded{}, false, err
	}
	out := Onboarded{Client: c}
	if req.AdminEmail == "" {
		return out, created, nil
	}
	u, _, err := s.PutUser(ctx, actor, c.ID, NewUser{Email: req.AdminEmail, Name: req.AdminName, Role: ClientAdmin})
	if err != nil {
		return Onboarded{}, false, fmt.Errorf("client %s is created; inviting its admin failed (repeat the request to finish): %w", c.ID, err)
	}
	out.Invitation = u.Invitation
	return out, created, nil
}

// blockClientUsers blocks (or unblocks) every user of client id at the
// provider, after a suspension (or reactivation). A disabled user stays
// blocked.
func (s *Service) blockClientUsers(ctx context.Context, id string, blocked bool) error {
	if s.Identity == nil {
		return nil
	}
	page := Page{Limit: 500}
	for {
		users, next, err := s.Users.ListUsers(ctx, id, page)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := s.Identity.SetBlocked(ctx, u.Subject, blocked || u.Disabled); err != nil {
				return fmt.Errorf("identity provider: block %s: %w", u.Subject, err)
			}
		}
		if next == "" {
			return nil
		}
		page.Token = next
	}
}
