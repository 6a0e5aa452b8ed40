package auth

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
)

// DefaultAudience is the audience of the platform's access tokens (docs/architecture.md#authentication).
const DefaultAudience = "https://api.rentroll.ai"

// JWKSPath is where an issuer publishes its public keys, under its URL.
const JWKSPath = "/.well-known/jwks.json"

// Thumbprint returns the RFC 7638 JWK thumbprint of an RSA public key
// (base64url SHA-256 of its canonical JWK), used as a stable kid.
func Thumbprint(pub *rsa.PublicKey) string {
	// RFC 7638 §3.2: the required members in lexicographic order, no spaces.
	canon := `{"e":"` + b64(big.NewInt(int64(pub.E)).Bytes()) + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
