// Package randid makes the random parts of the platform's identifiers and
// secrets (request ids, audit batch ids, upload ids, billing run ids, ingest
// claim holders, token ids, one-time tokens, test project ids) in one place,
// so that each uses the same source of randomness (crypto/rand) and one of
// two alphabets.
package randid

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

// Hex returns n random bytes from crypto/rand as 2n lower-case hex
// characters. crypto/rand.Read never returns an error on the platforms Go
// supports (it aborts the program instead), so there is none to handle.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// URLSafe returns n random bytes from crypto/rand in unpadded URL-safe
// base64 (about 4n/3 characters): for tokens that travel in URLs and forms.
func URLSafe(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
