package localissuer_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/authtest"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/errs"
)

// serveIssuer opens a LocalIssuer in dir whose issuer URL is an httptest
// server serving its JWKS, as the local platform does.
func serveIssuer(t *testing.T, dir string, opts ...localissuer.Option) (*localissuer.Issuer, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	li, err := localissuer.Open(dir, srv.URL+"/", opts...)
	if err != nil {
		t.Fatalf("OpenLocalIssuer: %v", err)
	}
	mux.Handle("GET "+auth.JWKSPath, li.JWKSHandler())
	return li, srv
}

func TestLocalIssuerRoundTrip(t *testing.T) {
	li, _ := serveIssuer(t, t.TempDir())
	clk := authtest.NewClock()
	cfg := li.VerifierConfig()
	cfg.Now = clk.Now
	v := newVerifier(t, cfg)
	localissuer.SetNow(li, clk.Now)
	now := time.Unix(clk.Now().Unix(), 0)

	tests := []struct {
		name     string
		req      localissuer.MintRequest
		wantCode errs.Code // of Mint, or else of Verify
		want     auth.Claims
	}{
		{"client admin", localissuer.MintRequest{Subject: "local|alice", Role: "client_admin", ClientID: "c-1", Email: "alice@x.test", TTL: 30 * time.Minute},
			"", auth.Claims{Subject: "local|alice", Role: "client_admin", ClientID: "c-1", Email: "alice@x.test", ExpiresAt: now.Add(30 * time.Minute)}},
		{"super admin, default TTL", localissuer.MintRequest{Subject: "local|super-admin", Role: "super_admin"},
			"", auth.Claims{Subject: "local|super-admin", Role: "super_admin", ExpiresAt: now.Add(localissuer.DefaultTokenTTL)}},
		{"explicit default audience", localissuer.MintRequest{Subject: "s", Audience: auth.DefaultAudience},
			"", auth.Claims{Subject: "s", ExpiresAt: now.Add(time.Hour)}},
		{"other audience is refused by the verifier", localissuer.MintRequest{Subject: "s", Audience: "https://elsewhere.test"},
			errs.Unauthorized, auth.Claims{}},
		{"no subject", localissuer.MintRequest{Role: "client_user"}, errs.Invalid, auth.Claims{}},
		{"negative TTL", localissuer.MintRequest{Subject: "s", TTL: -time.Second}, errs.Invalid, auth.Claims{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := li.Mint(tc.req)
			if err != nil {
				if got := errs.CodeOf(err); got != tc.wantCode {
					t.Fatalf("Mint code = %q, want %q (%v)", got, tc.wantCode, err)
				}
				return
			}
			got, err := v.Verify(context.Background(), tok)
			if code := errs.CodeOf(err); code != tc.wantCode {
				t.Fatalf("Verify code = %q, want %q (%v)", code, tc.wantCode, err)
			}
			if got != tc.want {
				t.Errorf("claims = %+v, want %+v", got, tc.want)
			}
		})
	}

	// Minted tokens expire: an hour and a bit later the default-TTL token is refused.
	tok, err := li.Mint(localissuer.MintRequest{Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(localissuer.DefaultTokenTTL + time.Minute)
	_, err = v.Verify(context.Background(), tok)
	if got := errs.CodeOf(err); got != errs.Unauthorized {
		t.Errorf("expired minted token: code = %q, want unauthorized", got)
	}
}

// TestLocalIssuerTokenShape checks the registered and custom claims and the
// header of a minted token, as Auth0 would send them.
func TestLocalIssuerTokenShape(t *testing.T) {
	li, err := localissuer.Open(t.TempDir(), "http://127.0.0.1:8080/")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := li.Mint(localissuer.MintRequest{Subject: "local|u", Role: "client_user", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, claims)
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Header["alg"]; got != "RS256" {
		t.Errorf("alg = %v, want RS256", got)
	}
	if got := parsed.Header["kid"]; got != li.KeyID() {
		t.Errorf("kid = %v, want %s", got, li.KeyID())
	}
	for k, want := range map[string]any{
		"iss": "http://127.0.0.1:8080/", "aud": auth.DefaultAudience, "sub": "local|u",
		auth.DefaultClaimsNamespace + "role": "client_user",
	} {
		if claims[k] != want {
			t.Errorf("%s = %v, want %v", k, claims[k], want)
		}
	}
	for _, k := range []string{"iat", "nbf", "exp", "jti"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claim %s missing", k)
		}
	}
	for _, k := range []string{auth.DefaultClaimsNamespace + "client_id", auth.DefaultClaimsNamespace + "email"} {
		if _, ok := claims[k]; ok {
			t.Errorf("empty claim %s present", k)
		}
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 60 {
		t.Errorf("exp - iat = %v, want 60", exp-iat)
	}
	if li.Issuer() != "http://127.0.0.1:8080/" || li.Audience() != auth.DefaultAudience ||
		li.JWKSURL() != "http://127.0.0.1:8080/.well-known/jwks.json" {
		t.Errorf("Issuer, Audience, JWKSURL = %q, %q, %q", li.Issuer(), li.Audience(), li.JWKSURL())
	}
}

func TestLocalIssuerOptions(t *testing.T) {
	li, _ := serveIssuer(t, t.TempDir(),
		localissuer.WithAudience("https://api.example.test"), localissuer.WithClaimsNamespace("https://example.test/"))
	v := newVerifier(t, li.VerifierConfig())
	tok, err := li.Mint(localissuer.MintRequest{Subject: "s", Role: "client_user", ClientID: "c-3"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != "client_user" || got.ClientID != "c-3" {
		t.Errorf("role, client = %q, %q; want client_user, c-3", got.Role, got.ClientID)
	}
	if _, err := localissuer.Open(t.TempDir(), "http://x/", localissuer.WithAudience("")); !errs.Is(err, errs.Invalid) {
		t.Errorf("empty audience: err = %v, want invalid", err)
	}
}

// TestLocalIssuerKeyPersisted: the key is created once (0600) and reloaded
// with the same kid, so tokens survive a restart.
func TestLocalIssuerKeyPersisted(t *testing.T) {
	dir := t.TempDir()
	li1, _ := serveIssuer(t, dir)
	tok, err := li1.Mint(localissuer.MintRequest{Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth", "issuer-key.pem")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want 0600", got)
	}
	before, _ := os.ReadFile(path)

	li2, _ := serveIssuer(t, dir) // a restart, on another address
	if li2.KeyID() != li1.KeyID() {
		t.Errorf("kid after reload = %s, want %s", li2.KeyID(), li1.KeyID())
	}
	if li2.PrivateKey().N.Cmp(li1.PrivateKey().N) != 0 {
		t.Error("reloaded key differs")
	}
	if li1.KeyID() != auth.Thumbprint(&li1.PrivateKey().PublicKey) {
		t.Error("kid is not the key's RFC 7638 thumbprint")
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Error("key file rewritten on reload")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("auth dir holds %d entries, want only the key (temporary files left?)", len(entries))
	}
	// A token minted before the restart verifies against the new JWKS
	// (issuer URLs differ, so compare signatures through a verifier for li1's issuer).
	cfg := li1.VerifierConfig()
	cfg.JWKSURL = li2.JWKSURL()
	if _, err := newVerifier(t, cfg).Verify(context.Background(), tok); err != nil {
		t.Errorf("token from before the restart: %v", err)
	}
}

func TestLocalIssuerConcurrentCreate(t *testing.T) {
	dir := t.TempDir()
	kids := make([]string, 3)
	errList := make([]error, len(kids))
	var wg sync.WaitGroup
	for i := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			li, err := localissuer.Open(dir, "http://127.0.0.1:1/")
			errList[i] = err
			if err == nil {
				kids[i] = li.KeyID()
			}
		}()
	}
	wg.Wait()
	for i := range kids {
		if errList[i] != nil {
			t.Fatalf("open %d: %v", i, errList[i])
		}
		if kids[i] != kids[0] {
			t.Errorf("open %d: kid %s, want %s (all openers must agree on one key)", i, kids[i], kids[0])
		}
	}
}

func TestOpenLocalIssuerErrors(t *testing.T) {
	corrupt := t.TempDir()
	keyPath := filepath.Join(corrupt, "auth", "issuer-key.pem")
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, issuer string
		wantCode          errs.Code
	}{
		{"no data dir", "", "http://127.0.0.1:8080/", errs.Invalid},
		{"relative issuer", t.TempDir(), "/issuer", errs.Invalid},
		{"issuer without scheme", t.TempDir(), "127.0.0.1:8080", errs.Invalid},
		{"corrupt key file is not replaced", corrupt, "http://127.0.0.1:8080/", errs.Internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := localissuer.Open(tc.dir, tc.issuer)
			if got := errs.CodeOf(err); got != tc.wantCode {
				t.Errorf("code = %q, want %q (%v)", got, tc.wantCode, err)
			}
		})
	}
	if b, _ := os.ReadFile(keyPath); string(b) != "not a key" {
		t.Error("corrupt key file was overwritten")
	}
}

func TestJWKSHandler(t *testing.T) {
	li, srv := serveIssuer(t, t.TempDir())
	resp, err := http.Get(srv.URL + auth.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET: status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	for field, want := range map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": li.KeyID(), "e": "AQAB"} {
		if k[field] != want {
			t.Errorf("%s = %q, want %q", field, k[field], want)
		}
	}
	if _, ok := k["d"]; ok {
		t.Error("JWKS leaks the private exponent")
	}

	rec := httptest.NewRecorder()
	li.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, auth.JWKSPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", rec.Code)
	}
}

func TestLocalIssuerSignBytes(t *testing.T) {
	li, err := localissuer.Open(t.TempDir(), "http://127.0.0.1:8080/")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("GOOG4-RSA-SHA256\n20261128T000000Z\n...")
	sig, err := li.SignBytes(msg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	pub := li.Signer().Public().(*rsa.PublicKey)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// TestThumbprint checks the RFC 7638 §3.1 example.
func TestThumbprint(t *testing.T) {
	const modulus = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	nb, err := base64.RawURLEncoding.DecodeString(modulus)
	if err != nil {
		t.Fatal(err)
	}
	got := auth.Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537})
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("Thumbprint = %s, want %s", got, want)
	}
}

func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}
