package tenancy

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Forgetter drops cached registry entries after a change (the Gate).
type Forgetter interface {
	ForgetUser(sub string)
	ForgetClient(id string)
}

// Service is client and user administration: onboarding a client with
// everything it needs, renaming and suspending it, and managing its users
// under the rules of DESIGN A1.
type Service struct {
	Clients   ClientStore
	Users     UserStore
	Warehouse warehouse.Warehouse
	Cache     Forgetter // may be nil
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
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
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	return s.Warehouse.Load(ctx, warehouse.Load{
		ID:      fmt.Sprintf("client-%s-%x", c.ID, nonce),
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
	return c, s.mirrorClient(ctx, c)
}

// NewUser is a request to add a user to a client, or change its role.
type NewUser struct {
	Subject string `json:"sub"`
	Email   string `json:"email"`
	Role    Role   `json:"role"`
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

// PutUser adds a user to client cid or changes its role and e-mail. A client
// admin may grant client_user or client_admin only; nobody grants super_admin
// through a client; a subject that belongs to another client is a Conflict
// (and says nothing about that client); demoting the last client admin is a
// Conflict.
func (s *Service) PutUser(ctx context.Context, actor Principal, cid string, req NewUser) (u User, created bool, err error) {
	if err := checkSubject(req.Subject); err != nil {
		return User{}, false, err
	}
	if err := checkEmail(req.Email, false); err != nil {
		return User{}, false, err
	}
	switch req.Role {
	case ClientUser, ClientAdmin:
	case SuperAdmin:
		if actor.Role != SuperAdmin {
			return User{}, false, errs.E(errs.Forbidden, "a client admin cannot grant super_admin")
		}
		return User{}, false, errs.E(errs.Invalid, "super_admin is not a client role")
	default:
		return User{}, false, errs.E(errs.Invalid, "role must be client_user or client_admin")
	}
	now := s.now()
	u = User{Subject: req.Subject, Email: req.Email, Role: req.Role, ClientID: cid, CreatedAt: now, UpdatedAt: now}
	err = s.Users.CreateUser(ctx, u)
	switch {
	case err == nil:
		s.forgetUser(u.Subject)
		return u, true, nil
	case !errs.Is(err, errs.Conflict):
		return User{}, false, err
	}
	// The subject exists: change it if it is this client's, atomically with
	// the rule that the client keeps an admin.
	u, err = s.Users.UpdateClientUser(ctx, cid, req.Subject, func(u *User, otherAdmins int) (bool, error) {
		if u.Role == ClientAdmin && req.Role != ClientAdmin && !u.Disabled && otherAdmins == 0 {
			return false, lastAdmin()
		}
		u.Role, u.UpdatedAt = req.Role, now
		if req.Email != "" {
			u.Email = req.Email
		}
		return false, nil
	})
	if errs.Is(err, errs.NotFound) {
		return User{}, false, errs.E(errs.Conflict, "this subject already belongs to another account").WithReason("user_exists")
	}
	if err != nil {
		return User{}, false, err
	}
	s.forgetUser(u.Subject)
	return u, false, nil
}

func lastAdmin() error {
	return errs.E(errs.Conflict, "a client must keep at least one client_admin").WithReason("last_client_admin")
}

// RemoveUser removes a user of client cid. A user of another client is
// NotFound (the same answer as an unknown subject); removing the client's
// last admin is a Conflict, decided atomically with the removal.
func (s *Service) RemoveUser(ctx context.Context, cid, sub string) error {
	_, err := s.Users.UpdateClientUser(ctx, cid, sub, func(u *User, otherAdmins int) (bool, error) {
		if u.Role == ClientAdmin && !u.Disabled && otherAdmins == 0 {
			return false, lastAdmin()
		}
		return true, nil
	})
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.NotFound, "user not found")
	}
	if err != nil {
		return err
	}
	s.forgetUser(sub)
	return nil
}
