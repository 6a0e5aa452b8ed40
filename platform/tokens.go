package platform

import (
	"context"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Tokens adapts the JWT verifier to the tenancy gate.
func Tokens(v *auth.Verifier) tenancy.TokenVerifier {
	return tenancy.TokenVerifierFunc(func(ctx context.Context, raw string) (tenancy.Identity, error) {
		c, err := v.Verify(ctx, raw)
		if err != nil {
			return tenancy.Identity{}, err
		}
		return tenancy.Identity{Subject: c.Subject, Email: c.Email, Role: c.Role, ClientID: c.ClientID}, nil
	})
}
