package rsatest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

func TestKey(t *testing.T) {
	k := Key()
	if k != Key() {
		t.Error("Key returned two different keys")
	}
	if k.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", k.N.BitLen())
	}
	sum := sha256.Sum256([]byte("payload"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}
