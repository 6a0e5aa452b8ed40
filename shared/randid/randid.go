// Package randid makes the random parts of the platform's identifiers
// (request ids, audit batch ids, upload ids, test project ids) in one place,
// so that each uses the same source of randomness and the same alphabet.
package randid

import (
	"crypto/rand"
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
