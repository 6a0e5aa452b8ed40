// Package rsatest provides the RSA key that signing tests share (signed URLs,
// the storage emulator's signature check): generating a 2048-bit key is the
// slowest step of those tests, so one is made per test binary.
package rsatest

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

// Key returns an RSA-2048 private key, the same one for every caller in this
// process. Tests that need two different keys (a forged signature) make the
// second themselves.
var Key = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("rsatest: generate key: " + err.Error())
	}
	return k
})
