// Package localissuer is the local platform's stand-in for Auth0: an RSA key
// kept in the data directory, published as a JWKS, minting RS256 tokens shaped
// like Auth0's, so local mode verifies tokens with exactly the production
// auth.Verifier. It is local only: the deployed build never imports it.
package localissuer

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
)

// DefaultTokenTTL is the lifetime of a minted token when none is asked for.
const DefaultTokenTTL = time.Hour

// issuerKeyFile is the local issuer's key, relative to the data directory.
const issuerKeyFile = "auth/issuer-key.pem"

// Issuer is the local platform's stand-in for Auth0: an RSA-2048 key kept
// in the data directory, published as a JWKS, and used to mint RS256 tokens
// shaped like Auth0's, so the local platform verifies tokens with exactly the
// production Verifier. The same key signs the local storage emulator's upload
// URLs. A Issuer is immutable and safe for concurrent use.
type Issuer struct {
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	audience string
	ns       string
	jwks     []byte
	now      clock.Func
}

// Option adjusts a Issuer at Open.
type Option func(*Issuer)

// WithAudience sets the audience of minted tokens; default auth.DefaultAudience.
func WithAudience(aud string) Option {
	return func(li *Issuer) { li.audience = aud }
}

// WithClaimsNamespace sets the custom claims' namespace; default
// auth.DefaultClaimsNamespace. It must match the Verifier's ClaimsNamespace.
func WithClaimsNamespace(ns string) Option {
	return func(li *Issuer) { li.ns = ns }
}

// Open loads the issuer key from <dataDir>/auth/issuer-key.pem, or
// creates it (mode 0600, written to a temporary file and linked into place, so
// a crash never leaves a partial key and concurrent first starts agree on one
// key). issuerURL is the iss of minted tokens, "http://<addr>/" locally; the
// JWKS is served under it at auth.JWKSPath. The kid is the key's RFC 7638
// thumbprint, stable across restarts.
func Open(dataDir, issuerURL string, opts ...Option) (*Issuer, error) {
	if dataDir == "" {
		return nil, errs.E(errs.Invalid, "auth: local issuer needs a data directory")
	}
	if u, err := url.Parse(issuerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.Wrap(err, errs.Invalid, "auth: issuer URL must be an absolute http(s) URL")
	}
	li := &Issuer{issuer: issuerURL, audience: auth.DefaultAudience, ns: auth.DefaultClaimsNamespace, now: time.Now}
	for _, o := range opts {
		o(li)
	}
	if li.audience == "" || li.ns == "" {
		return nil, errs.E(errs.Invalid, "auth: local issuer audience and claims namespace must not be empty")
	}
	key, err := loadOrCreateKey(filepath.Join(dataDir, filepath.FromSlash(issuerKeyFile)))
	if err != nil {
		return nil, err
	}
	li.key = key
	li.kid = auth.Thumbprint(&key.PublicKey)
	li.jwks, err = json.Marshal(jwksDoc{Keys: []jwkDoc{publicJWK(li.kid, &key.PublicKey)}})
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: encode JWKS")
	}
	return li, nil
}

// Issuer returns the iss of minted tokens.
func (li *Issuer) Issuer() string { return li.issuer }

// Audience returns the default aud of minted tokens.
func (li *Issuer) Audience() string { return li.audience }

// ClaimsNamespace returns the prefix of the minted custom claims.
func (li *Issuer) ClaimsNamespace() string { return li.ns }

// KeyID returns the kid of the signing key (its RFC 7638 thumbprint).
func (li *Issuer) KeyID() string { return li.kid }

// JWKSURL returns the URL at which the JWKS is expected to be served: the
// issuer URL with auth.JWKSPath.
func (li *Issuer) JWKSURL() string { return strings.TrimSuffix(li.issuer, "/") + auth.JWKSPath }

// VerifierConfig returns the Config of a Verifier that accepts this issuer's
// tokens, once JWKSHandler is served at JWKSURL.
func (li *Issuer) VerifierConfig() auth.Config {
	return auth.Config{Issuer: li.issuer, Audience: li.audience, JWKSURL: li.JWKSURL(), ClaimsNamespace: li.ns}
}

// PrivateKey returns the issuer's RSA key, for the local storage emulator's
// signed URLs. Callers must not modify it.
func (li *Issuer) PrivateKey() *rsa.PrivateKey { return li.key }

// Signer returns the issuer's key as a crypto.Signer.
func (li *Issuer) Signer() crypto.Signer { return li.key }

// SignBytes signs b with RSASSA-PKCS1-v1_5 over SHA-256, the GOOG4-RSA-SHA256
// scheme of V4 signed URLs; it fits storage.SignedURLOptions.SignBytes.
func (li *Issuer) SignBytes(b []byte) ([]byte, error) {
	sum := sha256.Sum256(b)
	sig, err := rsa.SignPKCS1v15(rand.Reader, li.key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: sign")
	}
	return sig, nil
}

// JWKSHandler serves the public key set (mount it at auth.JWKSPath). Only GET and
// HEAD are allowed.
func (li *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(li.jwks)
	})
}

// MintRequest describes a token to mint.
type MintRequest struct {
	Subject  string        // required: sub, the users/{sub} key
	Role     string        // <ns>role, omitted when empty
	ClientID string        // <ns>client_id, omitted when empty
	Email    string        // <ns>email, omitted when empty
	TTL      time.Duration // default DefaultTokenTTL
	Audience string        // default the issuer's audience
}

// Mint signs an RS256 token for req, with kid in its header and iss, aud,
// sub, iat, nbf, exp, jti and the namespaced custom claims, as Auth0 would.
func (li *Issuer) Mint(req MintRequest) (string, error) {
	if req.Subject == "" {
		return "", errs.E(errs.Invalid, "auth: a token needs a subject")
	}
	if req.TTL < 0 {
		return "", errs.E(errs.Invalid, "auth: token TTL must not be negative")
	}
	if req.TTL == 0 {
		req.TTL = DefaultTokenTTL
	}
	if req.Audience == "" {
		req.Audience = li.audience
	}
	now := li.now()
	claims := jwt.MapClaims{
		"iss": li.issuer,
		"aud": req.Audience,
		"sub": req.Subject,
		"iat": jwt.NewNumericDate(now),
		"nbf": jwt.NewNumericDate(now),
		"exp": jwt.NewNumericDate(now.Add(req.TTL)),
		"jti": randid.Hex(16),
	}
	for name, val := range map[string]string{"role": req.Role, "client_id": req.ClientID, "email": req.Email} {
		if val != "" {
			claims[li.ns+name] = val
		}
	}
	return li.sign(claims)
}

// sign signs claims as an RS256 JWT with the issuer's kid.
func (li *Issuer) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = li.kid
	s, err := tok.SignedString(li.key)
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "auth: sign token")
	}
	return s, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwksDoc and jwkDoc are the JSON of a public RSA key set (RFC 7517).
type jwksDoc struct {
	Keys []jwkDoc `json:"keys"`
}

type jwkDoc struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func publicJWK(kid string, pub *rsa.PublicKey) jwkDoc {
	return jwkDoc{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: kid,
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())}
}

// loadOrCreateKey reads the key at path, or creates it if there is none. An
// existing but unreadable key is an error, never replaced: replacing it would
// silently invalidate every token and signed URL issued with it.
func loadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: create %s", dir)
	}
	key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: generate issuer key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: encode issuer key")
	}
	// CreateTemp makes the file 0600; the key is complete and synced before
	// it becomes visible at path.
	tmp, err := os.CreateTemp(dir, ".issuer-key-*.tmp")
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: create issuer key file")
	}
	defer os.Remove(tmp.Name())
	err = pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: write issuer key file")
	}
	// Link, unlike rename, fails if path exists: when another process created
	// the key first, use that one so both agree.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKey(path)
		}
		return nil, errs.Wrap(err, errs.Internal, "auth: install issuer key file")
	}
	if d, err := os.Open(dir); err == nil { // persist the new directory entry
		_ = d.Sync()
		_ = d.Close()
	}
	return key, nil
}

// readKey parses a PEM RSA private key (PKCS#8 or PKCS#1) of at least 2048
// bits. A missing file yields an error matching fs.ErrNotExist.
func readKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: read issuer key %s", path)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errs.E(errs.Internal, "auth: issuer key %s is not PEM", path)
	}
	var parsed any
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: parse issuer key %s", path)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok || key.N.BitLen() < auth.MinRSABits {
		return nil, errs.E(errs.Internal, "auth: issuer key %s is not an RSA key of at least %d bits", path, auth.MinRSABits)
	}
	return key, nil
}
