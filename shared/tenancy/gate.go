package tenancy

import (
	"context"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
)

// Identity is what a verified token says about its subject. The claims are
// hints: the user registry decides the principal.
type Identity struct {
	Subject  string
	Email    string
	Role     string
	ClientID string
}

// TokenVerifier checks a bearer token's signature and standard claims.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, raw string) (Identity, error)
}

// MaxCacheTTL bounds how long a removed user or a suspended client may still
// pass on an instance that did not make the change (docs/architecture.md#authentication: at most 60 s).
const MaxCacheTTL = 60 * time.Second

// Gate turns tokens into principals and applies the tenant rule with the
// client's existence and status. It caches registry reads briefly; changes
// made through this process are forgotten at once (Forget*), so on the local
// platform suspension and removal take effect on the next request.
type Gate struct {
	tokens  TokenVerifier
	users   UserReader
	clients ClientReader
	ttl     time.Duration
	now     clock.Func

	mu          sync.Mutex
	userCache   map[string]cached[User]
	clientCache map[string]cached[Client]
}

type cached[T any] struct {
	v       T
	expires time.Time
}

// NewGate returns a Gate; ttl is capped at MaxCacheTTL, and 0 disables caching.
func NewGate(tokens TokenVerifier, users UserReader, clients ClientReader, ttl time.Duration) *Gate {
	return &Gate{
		tokens: tokens, users: users, clients: clients, ttl: min(ttl, MaxCacheTTL), now: time.Now,
		userCache: map[string]cached[User]{}, clientCache: map[string]cached[Client]{},
	}
}

// Authenticate verifies the token and resolves its subject in the user registry.
func (g *Gate) Authenticate(ctx context.Context, raw string) (Principal, error) {
	id, err := g.tokens.VerifyToken(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	u, err := g.user(ctx, id.Subject)
	if errs.Is(err, errs.NotFound) {
		return Principal{}, (&errs.Error{Code: errs.Forbidden, Message: "this account is not registered with RentRoll"}).WithReason("user_not_registered")
	}
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, errs.E(errs.Forbidden, "this account is disabled").WithReason("user_disabled")
	}
	if (id.Role != "" && Role(id.Role) != u.Role) || (id.ClientID != "" && id.ClientID != u.ClientID) {
		// The token was issued before the registry changed; a fresh sign-in fixes it.
		return Principal{}, errs.E(errs.Unauthorized, "token claims disagree with the user registry; sign in again").WithReason("stale_claims")
	}
	email := u.Email
	if email == "" {
		email = id.Email
	}
	return Principal{Subject: u.Subject, Role: u.Role, ClientID: u.ClientID, Email: email}, nil
}

// AuthorizeClient applies Authorize, then requires the client to exist and,
// for everyone but a super admin, to be active.
func (g *Gate) AuthorizeClient(ctx context.Context, p Principal, clientID string, min Role, write bool) error {
	if ValidateClientID(clientID) != nil {
		return errs.E(errs.NotFound, "not found")
	}
	if err := Authorize(p, clientID, min); err != nil {
		return err
	}
	c, err := g.client(ctx, clientID)
	if err != nil {
		return err
	}
	if c.Status == Suspended && p.Role != SuperAdmin {
		return errs.E(errs.Forbidden, "client %s is suspended", clientID).WithReason("client_suspended")
	}
	return nil
}

// ForgetUser drops a cached user, after a change through this process.
func (g *Gate) ForgetUser(sub string) {
	g.mu.Lock()
	delete(g.userCache, sub)
	g.mu.Unlock()
}

// ForgetClient drops a cached client, after a change through this process.
func (g *Gate) ForgetClient(id string) {
	g.mu.Lock()
	delete(g.clientCache, id)
	g.mu.Unlock()
}

func (g *Gate) user(ctx context.Context, sub string) (User, error) {
	if sub == "" {
		return User{}, errs.E(errs.Unauthorized, "token has no subject")
	}
	g.mu.Lock()
	c, ok := g.userCache[sub]
	g.mu.Unlock()
	if ok && g.now().Before(c.expires) {
		return c.v, nil
	}
	u, err := g.users.GetUser(ctx, sub)
	if err != nil {
		return User{}, err
	}
	if g.ttl > 0 {
		g.mu.Lock()
		g.userCache[sub] = cached[User]{u, g.now().Add(g.ttl)}
		g.mu.Unlock()
	}
	return u, nil
}

func (g *Gate) client(ctx context.Context, id string) (Client, error) {
	g.mu.Lock()
	c, ok := g.clientCache[id]
	g.mu.Unlock()
	if ok && g.now().Before(c.expires) {
		return c.v, nil
	}
	cl, err := g.clients.GetClient(ctx, id)
	if err != nil {
		return Client{}, err
	}
	if g.ttl > 0 {
		g.mu.Lock()
		g.clientCache[id] = cached[Client]{cl, g.now().Add(g.ttl)}
		g.mu.Unlock()
	}
	return cl, nil
}

// TokenVerifierFunc adapts a function to TokenVerifier.
type TokenVerifierFunc func(ctx context.Context, raw string) (Identity, error)

// VerifyToken calls f.
func (f TokenVerifierFunc) VerifyToken(ctx context.Context, raw string) (Identity, error) {
	return f(ctx, raw)
}

// Bootstrap makes sub a super admin (docs/architecture.md#authentication: RENTROLL_BOOTSTRAP_SUPER_ADMIN),
// so a fresh installation can be administered. It leaves an existing super
// admin untouched and is safe to run at every start.
func Bootstrap(ctx context.Context, users UserStore, sub string, now time.Time) error {
	if sub == "" {
		return nil
	}
	u, err := users.GetUser(ctx, sub)
	switch {
	case err == nil && u.Role == SuperAdmin && !u.Disabled:
		return nil
	case err == nil:
		u.Role, u.ClientID, u.Disabled, u.UpdatedAt = SuperAdmin, "", false, now
	case errs.Is(err, errs.NotFound):
		u = User{Subject: sub, Role: SuperAdmin, CreatedAt: now, UpdatedAt: now}
	default:
		return err
	}
	return users.PutUser(ctx, u)
}
