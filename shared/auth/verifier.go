// Package auth verifies the platform's bearer tokens (docs/architecture.md#authentication) and, for the
// local platform, issues them.
//
// A Verifier checks an RS256 access token against the signing keys published
// at a JWKS URL (Auth0 in production, a LocalIssuer locally) with keyfunc/v3
// and golang-jwt/v5, and returns the token's Claims. It fails closed in two
// distinguishable ways: a token that is not acceptable is errs.Unauthorized,
// while keys that cannot be fetched are errs.Transient, so an identity
// provider outage answers 503 rather than a flood of 401s, and never accepts.
//
// The package knows nothing about routes or the user registry: the platform's
// middleware extracts the token (BearerToken), calls Verify and maps errors.
package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
)

// MaxTokenBytes is the largest token accepted. Auth0 access tokens are around
// 1 KiB; the limit is checked before any decoding so an oversized header costs
// neither time nor memory.
const MaxTokenBytes = 8 << 10

// DefaultClaimsNamespace prefixes the custom claims (<ns>role, <ns>client_id)
// that the Auth0 rule adds, unless Config.ClaimsNamespace says otherwise;
// it is the configuration's default (RENTROLL_CLAIMS_NAMESPACE).
const DefaultClaimsNamespace = config.DefaultClaimsNamespace

// Defaults and limits of Config.
const (
	// DefaultLeeway absorbs clock skew between the issuer and this service.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway is the most skew docs/architecture.md#authentication allows.
	MaxLeeway = 60 * time.Second
	// DefaultRefreshInterval is how old the key set may get before the next
	// verification refetches it. Auth0 rotates keys rarely and announces new
	// keys before using them; unknown kids trigger an earlier refresh anyway.
	DefaultRefreshInterval = time.Hour
	// DefaultUnknownKIDRefreshInterval rate-limits refetches caused by a token
	// whose kid is not in the key set: a rotation is noticed within a minute,
	// while a flood of made-up kids costs the JWKS endpoint one request a minute.
	DefaultUnknownKIDRefreshInterval = time.Minute
	// DefaultFetchTimeout bounds one JWKS request; requests waiting for keys
	// wait at most this long.
	DefaultFetchTimeout = 5 * time.Second
)

// Config configures a Verifier. Issuer, Audience and JWKSURL are required
// (environment RENTROLL_AUTH_ISSUER, RENTROLL_AUTH_AUDIENCE,
// RENTROLL_AUTH_JWKS_URL); the rest have defaults.
type Config struct {
	// Issuer must equal the token's iss exactly (Auth0's ends with "/").
	Issuer string
	// Audience must be the token's aud or one of its elements.
	Audience string
	// JWKSURL is where the issuer publishes its public signing keys.
	JWKSURL string
	// ClaimsNamespace prefixes the custom claims; default DefaultClaimsNamespace.
	ClaimsNamespace string
	// Leeway is the clock skew tolerated on exp, nbf and iat; zero means
	// DefaultLeeway, and more than MaxLeeway is refused.
	Leeway time.Duration
	// HTTPClient fetches the JWKS; default a client with FetchTimeout.
	HTTPClient *http.Client
	// RefreshInterval, UnknownKIDRefreshInterval and FetchTimeout override the
	// Default* constants of the same names when positive.
	RefreshInterval           time.Duration
	UnknownKIDRefreshInterval time.Duration
	FetchTimeout              time.Duration
	// Now is the clock for claim validation and key freshness; default
	// time.Now. Tests set it to move time without sleeping.
	Now clock.Func
	// Logger receives background refresh failures that did not fail a
	// request (stale keys kept); default slog.Default().
	Logger *slog.Logger
}

// Claims are the facts a verified token asserts. Role and ClientID come from
// the namespaced custom claims and may be empty; the user registry, not the
// token, is the source of truth for them (docs/architecture.md#authentication).
type Claims struct {
	Subject   string
	Email     string
	Role      string
	ClientID  string
	ExpiresAt time.Time
}

// Verifier verifies access tokens. It is safe for concurrent use and starts no
// goroutines: keys are fetched on demand by the requests that need them, so
// construction never touches the network and nothing needs closing.
type Verifier struct {
	ns      string
	keys    *remoteKeySet
	kf      keyfunc.Keyfunc
	parser  *jwt.Parser
	nowFunc clock.Func
}

// NewVerifier validates cfg and returns a Verifier. It does not fetch keys:
// the first Verify does.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" || cfg.JWKSURL == "" {
		return nil, errs.E(errs.Invalid, "auth: issuer, audience and JWKS URL are required")
	}
	u, err := url.Parse(cfg.JWKSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errs.Wrap(err, errs.Invalid, "auth: JWKS URL must be an absolute http(s) URL")
	}
	switch {
	case cfg.Leeway < 0 || cfg.Leeway > MaxLeeway:
		return nil, errs.E(errs.Invalid, "auth: leeway must be between 0 and %s", MaxLeeway)
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	}
	if cfg.ClaimsNamespace == "" {
		cfg.ClaimsNamespace = DefaultClaimsNamespace
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.UnknownKIDRefreshInterval <= 0 {
		cfg.UnknownKIDRefreshInterval = DefaultUnknownKIDRefreshInterval
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.FetchTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	v := &Verifier{ns: cfg.ClaimsNamespace, nowFunc: time.Now}
	if cfg.Now != nil {
		v.nowFunc = cfg.Now
	}
	v.keys = &remoteKeySet{
		url:          cfg.JWKSURL,
		client:       cfg.HTTPClient,
		timeout:      cfg.FetchTimeout,
		refreshEvery: cfg.RefreshInterval,
		retryEvery:   fetchRetryInterval,
		unknownKID:   rate.NewLimiter(rate.Every(cfg.UnknownKIDRefreshInterval), 1),
		log:          cfg.Logger,
		now:          v.now,
	}
	v.keys.init()
	// keyfunc.New only wraps the storage; it cannot fail with one given.
	v.kf, err = keyfunc.New(keyfunc.Options{Storage: v.keys})
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: keyfunc")
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(v.now),
	)
	return v, nil
}

// now is the clock of both claim validation and key freshness; tests replace
// nowFunc to move time without sleeping.
func (v *Verifier) now() time.Time { return v.nowFunc() }

// Verify checks raw (the compact JWT, without "Bearer ") and returns its
// claims. An unacceptable token is errs.Unauthorized with a short message that
// never contains the token; keys that cannot be fetched are errs.Transient.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	if raw == "" {
		return Claims{}, errs.E(errs.Unauthorized, "missing token")
	}
	if len(raw) > MaxTokenBytes {
		return Claims{}, errs.E(errs.Unauthorized, "token too large")
	}
	mc := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(raw, mc, v.keyfunc(ctx)); err != nil {
		return Claims{}, classify(err)
	}
	return v.claims(mc)
}

// keyfunc resolves the token's verification key. It insists on a kid (Auth0
// and the local issuer always send one) so that a kid-less token is not tried
// against every key, and on an RSA key of at least 2048 bits.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	lookup := v.kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errMissingKID
		}
		key, err := lookup(t)
		if err != nil {
			return nil, err
		}
		pub, ok := key.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() < MinRSABits {
			return nil, errWeakKey
		}
		return pub, nil
	}
}

// Reasons a token is refused before its signature is checked. They are
// constant values compared with errors.Is, never mutated.
var (
	errMissingKID = errors.New("token header has no kid")
	errWeakKey    = errors.New("signing key is not an RSA key of at least 2048 bits")
)

// MinRSABits is the smallest RSA modulus accepted for signatures.
const MinRSABits = 2048

// classify turns a parse error into the platform's error: Transient when the
// keys were unavailable, otherwise Unauthorized with a message that says what
// was wrong without echoing the token.
func classify(err error) error {
	var unavailable *keysUnavailableError
	if errors.As(err, &unavailable) {
		return errs.Wrap(err, errs.Transient, "token signing keys are unavailable")
	}
	msg := "invalid token"
	switch {
	case errors.Is(err, errUnknownKID):
		msg = "token signed by an unknown key"
	case errors.Is(err, errMissingKID), errors.Is(err, errWeakKey):
		msg = "token signing key not accepted"
	case errors.Is(err, jwt.ErrTokenMalformed):
		msg = "malformed token"
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "token not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = "token issuer not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = "token audience not accepted"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		msg = "token lacks a required claim"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = "token signature or algorithm not accepted"
	}
	return errs.Wrap(err, errs.Unauthorized, "%s", msg)
}

// claims extracts Claims from a verified token. A present custom claim of the
// wrong type makes the token unacceptable rather than silently ignored.
func (v *Verifier) claims(mc jwt.MapClaims) (Claims, error) {
	var c Claims
	sub, err := mc.GetSubject()
	if err != nil || sub == "" {
		return Claims{}, errs.Wrap(err, errs.Unauthorized, "token lacks a subject")
	}
	c.Subject = sub
	exp, err := mc.GetExpirationTime()
	if err != nil || exp == nil { // unreachable after validation; kept as a guard
		return Claims{}, errs.Wrap(err, errs.Unauthorized, "token lacks an expiry")
	}
	c.ExpiresAt = exp.Time
	for _, f := range []struct {
		dst  *string
		keys []string
	}{
		{&c.Role, []string{v.ns + "role"}},
		{&c.ClientID, []string{v.ns + "client_id"}},
		{&c.Email, []string{v.ns + "email", "email"}},
	} {
		for _, k := range f.keys {
			raw, ok := mc[k]
			if !ok || raw == nil {
				continue
			}
			s, ok := raw.(string)
			if !ok {
				return Claims{}, errs.E(errs.Unauthorized, "token claim %s is not a string", k)
			}
			*f.dst = s
			break
		}
	}
	return c, nil
}
