package billing

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/api/idtoken"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/errs"
)

// ValidateFunc validates a Google-signed ID token for audience and returns
// its payload: idtoken.Validate in production, a fake in tests.
type ValidateFunc func(ctx context.Context, token, audience string) (*idtoken.Payload, error)

// googleIssuers are the issuers of Google-signed ID tokens.
var googleIssuers = map[string]bool{"accounts.google.com": true, "https://accounts.google.com": true}

// OIDCVerifier admits the Cloud Scheduler job's calls: a Google-signed OIDC
// token for Audience whose verified email is ServiceAccount, the one account
// allowed to trigger billing.
type OIDCVerifier struct {
	Audience       string
	ServiceAccount string
	// Validate checks signature, expiry and audience; nil is idtoken.Validate.
	Validate ValidateFunc
}

// NewOIDCVerifier returns the production verifier (idtoken.Validate, which
// fetches and caches Google's keys).
func NewOIDCVerifier(audience, serviceAccount string) OIDCVerifier {
	return OIDCVerifier{Audience: audience, ServiceAccount: serviceAccount, Validate: idtoken.Validate}
}

// Verify implements Deps.Verify. A missing or invalid token is Unauthorized
// (401); a valid Google token of another account is Forbidden (403). Neither
// the token nor the caller's email goes into the error.
func (v OIDCVerifier) Verify(ctx context.Context, r *http.Request) error {
	if v.Audience == "" || v.ServiceAccount == "" {
		// An empty audience would make idtoken.Validate skip the audience
		// check, admitting any Google token: refuse to run unconfigured.
		return errs.E(errs.Internal, "the scheduler audience and service account are not configured")
	}
	tok, err := auth.BearerToken(r.Header)
	if err != nil {
		return err
	}
	validate := v.Validate
	if validate == nil {
		validate = idtoken.Validate
	}
	p, err := validate(ctx, tok, v.Audience)
	if err != nil {
		return errs.Wrap(err, errs.Unauthorized, "invalid Google ID token")
	}
	if p == nil || p.Audience != v.Audience || !googleIssuers[p.Issuer] {
		return errs.E(errs.Unauthorized, "invalid Google ID token")
	}
	email, _ := p.Claims["email"].(string)
	if !verified(p.Claims["email_verified"]) || !strings.EqualFold(email, v.ServiceAccount) {
		return errs.E(errs.Forbidden, "this account may not trigger billing runs")
	}
	return nil
}

// verified reads email_verified, which Google sends as a JSON boolean (and
// some issuers as the string "true").
func verified(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}
