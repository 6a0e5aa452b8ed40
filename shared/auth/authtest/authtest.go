// Package authtest is a fake identity provider for tests: an httptest server
// publishing a JWKS the way Auth0 does, with keys it can rotate, an outage
// switch and a count of JWKS fetches, plus helpers that sign arbitrary tokens.
// Tests of packages that sit behind the auth middleware use it to get real
// RS256 tokens for an auth.Verifier without a network.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/clocktest"
)

// Audience is the aud of the server's tokens.
const Audience = auth.DefaultAudience

// Server is a fake issuer. Its JWKS lists every key ever added (as during an
// Auth0 rotation); tokens are signed with the newest.
type Server struct {
	// Issuer is the iss of the server's tokens: its URL with a trailing "/".
	Issuer string
	srv    *httptest.Server

	fetches atomic.Int64
	down    atomic.Bool

	mu   sync.Mutex
	keys []Key
}

// Key is a signing key and its kid.
type Key struct {
	KID     string
	Private *rsa.PrivateKey
}

// NewServer starts a server with one key; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveJWKS))
	t.Cleanup(s.srv.Close)
	s.Issuer = s.srv.URL + "/"
	s.Rotate(t)
	return s
}

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != auth.JWKSPath {
		http.NotFound(w, r)
		return
	}
	s.fetches.Add(1)
	if s.down.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	keys := append([]Key(nil), s.keys...)
	s.mu.Unlock()
	var set jwkset.JWKSMarshal
	for _, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(&k.Private.PublicKey, jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.KID, ALG: jwkset.AlgRS256, USE: jwkset.UseSig},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// JWKSURL returns the URL of the server's JWKS.
func (s *Server) JWKSURL() string { return s.srv.URL + auth.JWKSPath }

// Config returns a Verifier configuration that trusts this server.
func (s *Server) Config() auth.Config {
	return auth.Config{Issuer: s.Issuer, Audience: Audience, JWKSURL: s.JWKSURL()}
}

// Fetches returns how many JWKS requests the server has received.
func (s *Server) Fetches() int { return int(s.fetches.Load()) }

// SetDown makes the JWKS endpoint answer 503 (true) or serve again (false).
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Rotate adds a new 2048-bit key, publishes it next to the old ones and signs
// subsequent tokens with it. It returns the new key.
func (s *Server) Rotate(t testing.TB) Key {
	t.Helper()
	k := NewKey(t)
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	return k
}

// Active returns the key that signs tokens.
func (s *Server) Active() Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1]
}

// NewKey generates an RSA-2048 key with its RFC 7638 thumbprint as kid.
func NewKey(t testing.TB) Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("authtest: generate key: %v", err)
	}
	return Key{KID: auth.Thumbprint(&priv.PublicKey), Private: priv}
}

// Claims returns the claims of a valid token for sub, valid from a minute ago
// for ten minutes, with the namespaced role and client_id when not empty.
// Tests change them to build invalid tokens.
func (s *Server) Claims(sub, role, clientID string) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": s.Issuer,
		"aud": Audience,
		"sub": sub,
		"iat": now.Add(-time.Minute).Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
	if role != "" {
		c[auth.DefaultClaimsNamespace+"role"] = role
	}
	if clientID != "" {
		c[auth.DefaultClaimsNamespace+"client_id"] = clientID
	}
	return c
}

// Token returns a valid token for sub with role and clientID.
func (s *Server) Token(t testing.TB, sub, role, clientID string) string {
	t.Helper()
	return s.Sign(t, s.Claims(sub, role, clientID))
}

// Sign signs claims with RS256 and the active key, its kid in the header.
func (s *Server) Sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	k := s.Active()
	return SignWith(t, jwt.SigningMethodRS256, k.Private, map[string]any{"kid": k.KID}, claims)
}

// SignWith signs claims with any method and key, adding header fields (a nil
// value deletes one, e.g. "kid"). It is how tests build hostile tokens.
func SignWith(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("authtest: sign %s token: %v", method.Alg(), err)
	}
	return s
}

// Clock is the settable time source a test shares with a Verifier
// (auth.Config.Now) or an issuer, to move time without sleeping.
type Clock = clocktest.Clock

// NewClock returns a Clock set to the current time.
func NewClock() *Clock { return clocktest.New(time.Now()) }
