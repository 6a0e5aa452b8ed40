package tenancytest

import (
	"context"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Guard is a route guard for handler tests: it resolves bearer tokens from
// the map and applies the real tenant rule (tenancy.Authorize), as
// tenancy.Gate does for an active client, so the tests exercise the route
// table's access settings without a token verifier or a registry.
type Guard map[string]tenancy.Principal

// Authenticate returns the token's principal, or Unauthorized for a token
// not in the map.
func (g Guard) Authenticate(_ context.Context, bearer string) (tenancy.Principal, error) {
	p, ok := g[bearer]
	if !ok {
		return p, errs.E(errs.Unauthorized, "invalid token")
	}
	return p, nil
}

// AuthorizeClient applies tenancy.Authorize.
func (Guard) AuthorizeClient(_ context.Context, p tenancy.Principal, clientID string, min tenancy.Role, _ bool) error {
	return tenancy.Authorize(p, clientID, min)
}

// PipeGuard is Guard for tests that name principals inline: a token is
// "subject|role|client" (client empty for the super admin).
type PipeGuard struct{}

// Authenticate reads the principal from the token, or answers Unauthorized
// for a token of another form.
func (PipeGuard) Authenticate(_ context.Context, bearer string) (tenancy.Principal, error) {
	parts := strings.Split(bearer, "|")
	if len(parts) != 3 {
		return tenancy.Principal{}, errs.E(errs.Unauthorized, "bad token")
	}
	return tenancy.Principal{Subject: parts[0], Role: tenancy.Role(parts[1]), ClientID: parts[2]}, nil
}

// AuthorizeClient applies tenancy.Authorize.
func (PipeGuard) AuthorizeClient(_ context.Context, p tenancy.Principal, clientID string, min tenancy.Role, _ bool) error {
	return tenancy.Authorize(p, clientID, min)
}
