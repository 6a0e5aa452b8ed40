package auth_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/authtest"
	"rentroll.ai/rentroll/shared/errs"
)

func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// claimsAt returns valid claims for sub relative to now (the fake clock's).
func claimsAt(s *authtest.Server, now time.Time) jwt.MapClaims {
	c := s.Claims("auth0|alice", "client_user", "c-1")
	c["iat"] = now.Unix()
	c["nbf"] = now.Unix()
	c["exp"] = now.Add(10 * time.Minute).Unix()
	return c
}

// with returns a copy of c with the given claims set, or deleted when nil.
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func publicKeyPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// checkErr asserts err's code and, when wantMsg is set, its public message;
// and that neither the log text nor the public message contains the token.
func checkErr(t *testing.T, err error, raw string, wantCode errs.Code, wantMsg string) {
	t.Helper()
	if got := errs.CodeOf(err); got != wantCode {
		t.Fatalf("code = %q, want %q (err: %v)", got, wantCode, err)
	}
	if err == nil {
		return
	}
	_, msg := errs.Public(err)
	if wantMsg != "" && msg != wantMsg {
		t.Errorf("message = %q, want %q", msg, wantMsg)
	}
	if raw != "" && len(raw) > 20 && (strings.Contains(err.Error(), raw) || strings.Contains(msg, raw)) {
		t.Errorf("error echoes the token: %v", err)
	}
	if sig := raw[strings.LastIndexByte(raw, '.')+1:]; len(sig) > 20 && strings.Contains(err.Error(), sig) {
		t.Errorf("error echoes the token signature: %v", err)
	}
}

func TestVerify(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	active := s.Active()
	other := authtest.NewKey(t)
	now := time.Now()
	base := s.Claims("auth0|alice", "client_admin", "c-1")
	valid := auth.Claims{Subject: "auth0|alice", Role: "client_admin", ClientID: "c-1",
		ExpiresAt: time.Unix(base["exp"].(int64), 0)}
	kid := map[string]any{"kid": active.KID}
	ns := auth.DefaultClaimsNamespace

	tampered := func() string {
		tok := s.Sign(t, base)
		parts := strings.Split(tok, ".")
		payload, _ := json.Marshal(with(base, ns+"role", "super_admin"))
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}

	tests := []struct {
		name     string
		token    func() string
		wantCode errs.Code
		wantMsg  string
		want     auth.Claims
	}{
		{name: "valid", token: func() string { return s.Sign(t, base) }, want: valid},
		{name: "email namespaced", token: func() string { return s.Sign(t, with(base, ns+"email", "a@x.test")) },
			want: func() auth.Claims { c := valid; c.Email = "a@x.test"; return c }()},
		{name: "email plain", token: func() string { return s.Sign(t, with(base, "email", "b@x.test")) },
			want: func() auth.Claims { c := valid; c.Email = "b@x.test"; return c }()},
		{name: "no custom claims", token: func() string { return s.Token(t, "auth0|bob", "", "") },
			want: auth.Claims{Subject: "auth0|bob", ExpiresAt: valid.ExpiresAt}},
		{name: "aud array containing ours", token: func() string {
			return s.Sign(t, with(base, "aud", []string{"https://other.test", authtest.Audience}))
		}, want: valid},
		{name: "alg none", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "HS256 with the RSA public key as secret", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodHS256, publicKeyPEM(t, &active.Private.PublicKey), kid, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "RS512", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodRS512, active.Private, kid, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "PS256", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodPS256, active.Private, kid, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "wrong issuer", token: func() string { return s.Sign(t, with(base, "iss", "https://evil.test/")) },
			wantCode: errs.Unauthorized, wantMsg: "token issuer not accepted"},
		{name: "issuer without trailing slash", token: func() string {
			return s.Sign(t, with(base, "iss", strings.TrimSuffix(s.Issuer, "/")))
		}, wantCode: errs.Unauthorized, wantMsg: "token issuer not accepted"},
		{name: "missing issuer", token: func() string { return s.Sign(t, with(base, "iss", nil)) },
			wantCode: errs.Unauthorized, wantMsg: "token lacks a required claim"},
		{name: "wrong audience", token: func() string { return s.Sign(t, with(base, "aud", "https://other.test")) },
			wantCode: errs.Unauthorized, wantMsg: "token audience not accepted"},
		{name: "aud array without ours", token: func() string {
			return s.Sign(t, with(base, "aud", []string{"https://a.test", "https://b.test"}))
		}, wantCode: errs.Unauthorized, wantMsg: "token audience not accepted"},
		{name: "missing audience", token: func() string { return s.Sign(t, with(base, "aud", nil)) },
			wantCode: errs.Unauthorized, wantMsg: "token lacks a required claim"},
		{name: "expired", token: func() string { return s.Sign(t, with(base, "exp", now.Add(-2*time.Minute).Unix())) },
			wantCode: errs.Unauthorized, wantMsg: "token expired"},
		{name: "expired beyond leeway", token: func() string {
			return s.Sign(t, with(base, "exp", now.Add(-45*time.Second).Unix()))
		}, wantCode: errs.Unauthorized, wantMsg: "token expired"},
		{name: "expired within leeway", token: func() string {
			return s.Sign(t, with(base, "exp", now.Add(-10*time.Second).Unix()))
		}, want: func() auth.Claims { c := valid; c.ExpiresAt = time.Unix(now.Add(-10*time.Second).Unix(), 0); return c }()},
		{name: "missing exp", token: func() string { return s.Sign(t, with(base, "exp", nil)) },
			wantCode: errs.Unauthorized, wantMsg: "token lacks a required claim"},
		{name: "exp not a number", token: func() string { return s.Sign(t, with(base, "exp", "tomorrow")) },
			wantCode: errs.Unauthorized},
		{name: "nbf in the future", token: func() string { return s.Sign(t, with(base, "nbf", now.Add(5*time.Minute).Unix())) },
			wantCode: errs.Unauthorized, wantMsg: "token not valid yet"},
		{name: "iat in the future", token: func() string { return s.Sign(t, with(base, "iat", now.Add(5*time.Minute).Unix())) },
			wantCode: errs.Unauthorized, wantMsg: "token not valid yet"},
		{name: "iat and nbf within leeway", token: func() string {
			return s.Sign(t, with(base, "iat", now.Add(10*time.Second).Unix(), "nbf", now.Add(10*time.Second).Unix()))
		}, want: valid},
		{name: "tampered payload", token: tampered,
			wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "other key claiming our kid", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodRS256, other.Private, kid, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signature or algorithm not accepted"},
		{name: "other key with its own kid", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodRS256, other.Private, map[string]any{"kid": other.KID}, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signed by an unknown key"},
		{name: "no kid", token: func() string {
			return authtest.SignWith(t, jwt.SigningMethodRS256, active.Private, map[string]any{"kid": nil}, base)
		}, wantCode: errs.Unauthorized, wantMsg: "token signing key not accepted"},
		{name: "missing sub", token: func() string { return s.Sign(t, with(base, "sub", nil)) },
			wantCode: errs.Unauthorized, wantMsg: "token lacks a subject"},
		{name: "role not a string", token: func() string { return s.Sign(t, with(base, ns+"role", 3)) },
			wantCode: errs.Unauthorized},
		{name: "not a JWT", token: func() string { return "not-a-token" },
			wantCode: errs.Unauthorized, wantMsg: "malformed token"},
		{name: "empty", token: func() string { return "" },
			wantCode: errs.Unauthorized, wantMsg: "missing token"},
		{name: "larger than 8 KiB", token: func() string {
			return s.Sign(t, with(base, "pad", strings.Repeat("x", auth.MaxTokenBytes)))
		}, wantCode: errs.Unauthorized, wantMsg: "token too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.token()
			got, err := v.Verify(context.Background(), raw)
			checkErr(t, err, raw, tc.wantCode, tc.wantMsg)
			if tc.wantCode == "" && got != tc.want {
				t.Errorf("claims = %+v, want %+v", got, tc.want)
			}
			if tc.wantCode != "" && got != (auth.Claims{}) {
				t.Errorf("claims = %+v on error, want zero", got)
			}
		})
	}
	// One fetch at first use, one for the unknown kid.
	if got := s.Fetches(); got != 2 {
		t.Errorf("JWKS fetches = %d, want 2", got)
	}
}

func TestVerifyClaimsNamespace(t *testing.T) {
	s := authtest.NewServer(t)
	cfg := s.Config()
	cfg.ClaimsNamespace = "https://example.test/claims/"
	v := newVerifier(t, cfg)
	// The default-namespace claims that Claims adds must be ignored.
	c := with(s.Claims("auth0|x", "super_admin", "c-9"),
		"https://example.test/claims/role", "client_user",
		"https://example.test/claims/client_id", "c-2")
	got, err := v.Verify(context.Background(), s.Sign(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != "client_user" || got.ClientID != "c-2" {
		t.Errorf("role, client = %q, %q; want client_user, c-2", got.Role, got.ClientID)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	ok := auth.Config{Issuer: "https://tenant.auth0.test/", Audience: "https://api.rentroll.ai",
		JWKSURL: "https://tenant.auth0.test/.well-known/jwks.json"}
	tests := []struct {
		name     string
		edit     func(*auth.Config)
		wantCode errs.Code
	}{
		{"valid", func(*auth.Config) {}, ""},
		{"leeway 60s", func(c *auth.Config) { c.Leeway = 60 * time.Second }, ""},
		{"no issuer", func(c *auth.Config) { c.Issuer = "" }, errs.Invalid},
		{"no audience", func(c *auth.Config) { c.Audience = "" }, errs.Invalid},
		{"no JWKS URL", func(c *auth.Config) { c.JWKSURL = "" }, errs.Invalid},
		{"relative JWKS URL", func(c *auth.Config) { c.JWKSURL = "/.well-known/jwks.json" }, errs.Invalid},
		{"ftp JWKS URL", func(c *auth.Config) { c.JWKSURL = "ftp://host/jwks.json" }, errs.Invalid},
		{"leeway over 60s", func(c *auth.Config) { c.Leeway = 61 * time.Second }, errs.Invalid},
		{"negative leeway", func(c *auth.Config) { c.Leeway = -time.Second }, errs.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := auth.NewVerifier(cfg)
			if got := errs.CodeOf(err); got != tc.wantCode {
				t.Errorf("code = %q, want %q (err: %v)", got, tc.wantCode, err)
			}
		})
	}
}

// TestNewVerifierNoNetwork: construction neither fetches nor fails when the
// JWKS endpoint is unreachable; the first verification does the fetching.
func TestNewVerifierNoNetwork(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	if got := s.Fetches(); got != 0 {
		t.Fatalf("fetches after NewVerifier = %d, want 0", got)
	}
	if _, err := v.Verify(context.Background(), s.Token(t, "auth0|a", "", "")); err != nil {
		t.Fatal(err)
	}
	if got := s.Fetches(); got != 1 {
		t.Errorf("fetches after first Verify = %d, want 1", got)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	start := time.Now()
	cfg := s.Config()
	cfg.JWKSURL = closed.URL + auth.JWKSPath
	if _, err := auth.NewVerifier(cfg); err != nil {
		t.Fatalf("NewVerifier with unreachable JWKS: %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("NewVerifier took %v", d)
	}
}

// TestVerifyConcurrentFirstUse: requests arriving together before any key is
// held share one fetch.
func TestVerifyConcurrentFirstUse(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	tok := s.Token(t, "auth0|a", "client_user", "c-1")
	errList := make([]error, 12)
	var wg sync.WaitGroup
	for i := range errList {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errList[i] = v.Verify(context.Background(), tok)
		}()
	}
	wg.Wait()
	for i, err := range errList {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := s.Fetches(); got != 1 {
		t.Errorf("fetches = %d, want 1", got)
	}
}

// TestVerifyUnknownKIDAtFirstUse: the fetch that loads the keys also answers
// for the unknown kid; it does not cost a second fetch.
func TestVerifyUnknownKIDAtFirstUse(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	tok := authtest.SignWith(t, jwt.SigningMethodRS256, s.Active().Private,
		map[string]any{"kid": "made-up"}, s.Claims("auth0|a", "", ""))
	_, err := v.Verify(context.Background(), tok)
	checkErr(t, err, tok, errs.Unauthorized, "token signed by an unknown key")
	if got := s.Fetches(); got != 1 {
		t.Errorf("fetches = %d, want 1", got)
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	s := authtest.NewServer(t)
	cfg := s.Config()
	// The window is long enough that a loaded machine still makes the "inside
	// the window" step inside it; the test waits out the rest, measured from
	// the refresh that opened it.
	const window = time.Second
	cfg.UnknownKIDRefreshInterval = window
	v := newVerifier(t, cfg)
	ctx := context.Background()

	old := s.Token(t, "auth0|a", "", "")
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	s.Rotate(t)
	rotated := s.Token(t, "auth0|a", "", "")
	opened := time.Now() // the first step's refresh opens the window
	steps := []struct {
		name        string
		token       string
		wantCode    errs.Code
		wantFetches int
	}{
		{"new key picked up by one refresh", rotated, "", 2},
		{"old key still published", old, "", 2},
		{"new key again, no refetch", rotated, "", 2},
	}
	for _, st := range steps {
		_, err := v.Verify(ctx, st.token)
		if got := errs.CodeOf(err); got != st.wantCode {
			t.Fatalf("%s: code = %q, want %q (%v)", st.name, got, st.wantCode, err)
		}
		if got := s.Fetches(); got != st.wantFetches {
			t.Errorf("%s: fetches = %d, want %d", st.name, got, st.wantFetches)
		}
	}

	// A second rotation inside the rate-limit window is not seen yet; after
	// the window it is.
	s.Rotate(t)
	again := s.Token(t, "auth0|a", "", "")
	_, err := v.Verify(ctx, again)
	if time.Since(opened) < window {
		checkErr(t, err, again, errs.Unauthorized, "token signed by an unknown key")
		if got := s.Fetches(); got != 2 {
			t.Errorf("fetches inside the window = %d, want 2", got)
		}
	} else {
		t.Logf("the machine took %v to reach the in-window step; not checked", time.Since(opened))
	}
	time.Sleep(time.Until(opened.Add(window + 50*time.Millisecond)))
	if _, err := v.Verify(ctx, again); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if got := s.Fetches(); got != 3 {
		t.Errorf("fetches after the window = %d, want 3", got)
	}
}

// TestVerifyConcurrentRotation: requests arriving together with a newly
// rotated kid all succeed on one refresh; none is refused because another
// request holds the rate-limit token.
func TestVerifyConcurrentRotation(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	ctx := context.Background()
	if _, err := v.Verify(ctx, s.Token(t, "auth0|a", "", "")); err != nil {
		t.Fatal(err)
	}
	s.Rotate(t)
	tok := s.Token(t, "auth0|a", "", "")
	errList := make([]error, 12)
	var wg sync.WaitGroup
	for i := range errList {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errList[i] = v.Verify(ctx, tok)
		}()
	}
	wg.Wait()
	for i, err := range errList {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := s.Fetches(); got != 2 {
		t.Errorf("fetches = %d, want 2", got)
	}
}

// TestVerifyUnknownKIDFlood: many concurrent tokens with made-up kids cost at
// most the rate-limited number of JWKS fetches, and none waits for the limiter.
func TestVerifyUnknownKIDFlood(t *testing.T) {
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config()) // default: one unknown-kid refresh a minute
	ctx := context.Background()
	if _, err := v.Verify(ctx, s.Token(t, "auth0|a", "", "")); err != nil {
		t.Fatal(err)
	}
	active := s.Active()
	const workers, perWorker = 16, 8
	tokens := make([]string, workers*perWorker)
	for i := range tokens {
		tokens[i] = authtest.SignWith(t, jwt.SigningMethodRS256, active.Private,
			map[string]any{"kid": fmt.Sprintf("made-up-%d", i)}, s.Claims("auth0|a", "", ""))
	}
	start := time.Now()
	var wg sync.WaitGroup
	codes := make([]errs.Code, len(tokens))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * perWorker; i < (w+1)*perWorker; i++ {
				_, err := v.Verify(ctx, tokens[i])
				codes[i] = errs.CodeOf(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, c := range codes {
		if c != errs.Unauthorized {
			t.Fatalf("token %d: code = %q, want unauthorized", i, c)
		}
	}
	if got := s.Fetches(); got > 2 {
		t.Errorf("JWKS fetches = %d, want at most 2 (first use + one rate-limited refresh)", got)
	}
	if elapsed > 5*time.Second {
		t.Errorf("flood of %d tokens took %v: requests are waiting for the rate limiter", len(tokens), elapsed)
	}
}

// TestVerifyJWKSDownAtFirstUse: with no keys ever fetched, a failing JWKS is
// Transient (503), never Unauthorized, and is not hammered; it recovers.
func TestVerifyJWKSDownAtFirstUse(t *testing.T) {
	s := authtest.NewServer(t)
	clk := authtest.NewClock()
	v := newVerifier(t, s.Config())
	auth.SetNow(v, clk.Now)
	ctx := context.Background()
	s.SetDown(true)
	tok := s.Sign(t, claimsAt(s, clk.Now()))

	_, err := v.Verify(ctx, tok)
	checkErr(t, err, tok, errs.Transient, "token signing keys are unavailable")
	if got := s.Fetches(); got != 1 {
		t.Fatalf("fetches = %d, want 1", got)
	}
	// Within the retry interval, concurrent requests fail fast without fetching.
	var wg sync.WaitGroup
	codes := make([]errs.Code, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(ctx, tok)
			codes[i] = errs.CodeOf(err)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != errs.Transient {
			t.Errorf("request %d: code = %q, want transient", i, c)
		}
	}
	if got := s.Fetches(); got != 1 {
		t.Errorf("fetches during the retry interval = %d, want 1", got)
	}
	// The endpoint recovers; after the retry interval the next request fetches.
	s.SetDown(false)
	clk.Advance(6 * time.Second)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got := s.Fetches(); got != 2 {
		t.Errorf("fetches after recovery = %d, want 2", got)
	}
}

// TestVerifyJWKSDownAfterFetch: keys already held keep working through an
// outage, even when stale; an unknown kid during the outage is Transient,
// since it may be a key the issuer published meanwhile.
func TestVerifyJWKSDownAfterFetch(t *testing.T) {
	s := authtest.NewServer(t)
	clk := authtest.NewClock()
	v := newVerifier(t, s.Config())
	auth.SetNow(v, clk.Now)
	ctx := context.Background()
	if _, err := v.Verify(ctx, s.Sign(t, claimsAt(s, clk.Now()))); err != nil {
		t.Fatal(err)
	}
	s.SetDown(true)
	clk.Advance(2 * time.Hour) // stale: the next request tries to refresh
	tok := s.Sign(t, claimsAt(s, clk.Now()))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("stale keys during outage: %v", err)
	}
	if got := s.Fetches(); got != 2 {
		t.Errorf("fetches = %d, want 2 (the failed refresh)", got)
	}
	unknown := authtest.SignWith(t, jwt.SigningMethodRS256, s.Active().Private,
		map[string]any{"kid": "new-during-outage"}, claimsAt(s, clk.Now()))
	_, err := v.Verify(ctx, unknown)
	checkErr(t, err, unknown, errs.Transient, "token signing keys are unavailable")
	// A token that fails on its own merits is still Unauthorized.
	expired := s.Sign(t, with(claimsAt(s, clk.Now()), "exp", clk.Now().Add(-time.Hour).Unix()))
	_, err = v.Verify(ctx, expired)
	checkErr(t, err, expired, errs.Unauthorized, "token expired")
}

func TestVerifyStaleKeysRefreshed(t *testing.T) {
	s := authtest.NewServer(t)
	clk := authtest.NewClock()
	v := newVerifier(t, s.Config())
	auth.SetNow(v, clk.Now)
	ctx := context.Background()
	steps := []struct {
		advance     time.Duration
		wantFetches int
	}{
		{0, 1},
		{59 * time.Minute, 1},
		{2 * time.Minute, 2}, // older than the 1h refresh interval
		{time.Minute, 2},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if _, err := v.Verify(ctx, s.Sign(t, claimsAt(s, clk.Now()))); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := s.Fetches(); got != st.wantFetches {
			t.Errorf("step %d: fetches = %d, want %d", i, got, st.wantFetches)
		}
	}
}

func TestVerifyBadJWKS(t *testing.T) {
	weak := authtest.NewKey(t) // replaced below by a short key in the JWKS
	tests := []struct {
		name string
		body string
	}{
		{"not JSON", "<html>oops</html>"},
		{"no keys", `{"keys":[]}`},
		{"only an encryption key", `{"keys":[{"kty":"RSA","use":"enc","kid":"` + weak.KID + `","n":"AQAB","e":"AQAB"}]}`},
		{"only a short RSA key", `{"keys":[{"kty":"RSA","kid":"` + weak.KID + `","n":"` +
			base64.RawURLEncoding.EncodeToString(make([]byte, 128)) + `","e":"AQAB"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			cfg := auth.Config{Issuer: "https://issuer.test/", Audience: authtest.Audience, JWKSURL: srv.URL}
			v := newVerifier(t, cfg)
			claims := jwt.MapClaims{"iss": cfg.Issuer, "aud": cfg.Audience, "sub": "x",
				"exp": time.Now().Add(time.Minute).Unix()}
			tok := authtest.SignWith(t, jwt.SigningMethodRS256, weak.Private, map[string]any{"kid": weak.KID}, claims)
			_, err := v.Verify(context.Background(), tok)
			checkErr(t, err, tok, errs.Transient, "token signing keys are unavailable")
		})
	}
}

// TestVerifyCanceledWhileWaiting: a request whose context ends while another
// fetches the keys gives up (Transient) instead of hanging.
func TestVerifyCanceledWhileWaiting(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.Error(w, "slow", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	defer close(release)
	cfg := auth.Config{Issuer: "https://issuer.test/", Audience: authtest.Audience, JWKSURL: srv.URL}
	v := newVerifier(t, cfg)
	k := authtest.NewKey(t)
	tok := authtest.SignWith(t, jwt.SigningMethodRS256, k.Private, map[string]any{"kid": k.KID},
		jwt.MapClaims{"iss": cfg.Issuer, "aud": cfg.Audience, "sub": "x", "exp": time.Now().Add(time.Minute).Unix()})

	go func() { _, _ = v.Verify(context.Background(), tok) }() // holds the fetch
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Verify(ctx, tok)
	checkErr(t, err, tok, errs.Transient, "")
	if d := time.Since(start); d > time.Second {
		t.Errorf("waited %v for a canceled request", d)
	}
}
