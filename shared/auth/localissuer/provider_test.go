package localissuer_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

// directory is an in-memory user registry.
type directory struct {
	mu    sync.Mutex
	users map[string]tenancy.User
}

func (d *directory) GetUser(_ context.Context, sub string) (tenancy.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[sub]
	if !ok {
		return tenancy.User{}, errs.E(errs.NotFound, "no user")
	}
	return u, nil
}

func (d *directory) put(u tenancy.User) {
	d.mu.Lock()
	d.users[u.Subject] = u
	d.mu.Unlock()
}

// opEnv is a provider on an httptest server with a movable clock.
type opEnv struct {
	t     *testing.T
	srv   *httptest.Server
	iss   *localissuer.Issuer
	prov  *localissuer.Provider
	users *directory
	dir   string

	mu  sync.Mutex
	now time.Time
}

func newOP(t *testing.T) *opEnv {
	t.Helper()
	mux := http.NewServeMux()
	e := &opEnv{t: t, srv: httptest.NewServer(mux), users: &directory{users: map[string]tenancy.User{}}, dir: t.TempDir(), now: time.Now()}
	t.Cleanup(e.srv.Close)
	iss, err := localissuer.Open(e.dir, e.srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	localissuer.SetNow(iss, e.clock)
	e.iss = iss
	e.prov, err = localissuer.NewProvider(iss, localissuer.ProviderConfig{
		DataDir: e.dir, Users: e.users, PasswordCost: bcrypt.MinCost,
		RedirectURIs: []string{"http://127.0.0.1:5173/callback"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET "+auth.JWKSPath, iss.JWKSHandler())
	e.prov.Register(mux)
	return e
}

func (e *opEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *opEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// browser is a cookie-keeping client that does not follow redirects, so
// each hop can be checked.
func (e *opEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// person registers a user of client c and returns its invitation link.
func (e *opEnv) person(email string, role tenancy.Role, client string) (tenancy.Person, tenancy.Invitation) {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.prov.EnsurePerson(ctx, tenancy.Person{Email: email, Role: role, ClientID: client})
	if err != nil {
		e.t.Fatal(err)
	}
	e.users.put(tenancy.User{Subject: p.Subject, Email: email, Role: role, ClientID: client})
	inv, err := e.prov.Invite(ctx, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return p, inv
}

type page struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) page {
	t.Helper()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func (e *opEnv) setPassword(c *http.Client, inv tenancy.Invitation, pw string) page {
	e.t.Helper()
	form := do(e.t, c, http.MethodGet, inv.URL, nil)
	if form.status != http.StatusOK || !strings.Contains(form.body, `autocomplete="new-password"`) {
		e.t.Fatalf("invitation page: %d %s", form.status, form.body)
	}
	u, _ := url.Parse(inv.URL)
	return do(e.t, c, http.MethodPost, e.srv.URL+"/invitation", url.Values{
		"ticket": {u.Query().Get("ticket")}, "password": {pw}, "password_confirm": {pw},
	})
}

// pkce is a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 64)[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func pkceChallengeOf(seed string) string { _, c := pkce(seed); return c }

// authParams is what the Auth0 SPA SDK sends to /authorize.
func (e *opEnv) authParams(challenge, state string) url.Values {
	return url.Values{
		"client_id": {localissuer.ConsoleClientID}, "redirect_uri": {e.srv.URL + "/callback"},
		"response_type": {"code"}, "response_mode": {"query"}, "scope": {"openid profile email offline_access"},
		"audience": {auth.DefaultAudience}, "state": {state}, "nonce": {"n-0S6_WzA2Mj"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"auth0Client": {base64.StdEncoding.EncodeToString([]byte(`{"name":"auth0-react","version":"2.27.0"}`))},
	}
}

var txnField = regexp.MustCompile(`name="txn" value="([^"]+)"`)

// signIn shows the sign-in page for params and submits it; it returns the
// provider's answer to the form.
func (e *opEnv) signIn(c *http.Client, params url.Values, email, pw string) page {
	e.t.Helper()
	form := do(e.t, c, http.MethodGet, e.srv.URL+"/authorize?"+params.Encode(), nil)
	m := txnField.FindStringSubmatch(form.body)
	if form.status != http.StatusOK || m == nil {
		e.t.Fatalf("sign-in page: %d %s", form.status, form.body)
	}
	return do(e.t, c, http.MethodPost, e.srv.URL+"/login", url.Values{"txn": {m[1]}, "email": {email}, "password": {pw}})
}

// callback reads the authorization response from a redirect to the console.
func (e *opEnv) callback(p page) url.Values {
	e.t.Helper()
	if p.status != http.StatusFound {
		e.t.Fatalf("want a redirect to the console, got %d %s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil || u.Scheme+"://"+u.Host+u.Path != e.srv.URL+"/callback" {
		e.t.Fatalf("redirect to %q, want %s/callback", p.header.Get("Location"), e.srv.URL)
	}
	return u.Query()
}

func (e *opEnv) token(form url.Values) (int, map[string]any) {
	e.t.Helper()
	p := do(e.t, http.DefaultClient, http.MethodPost, e.srv.URL+"/oauth/token", form)
	var m map[string]any
	if err := json.Unmarshal([]byte(p.body), &m); err != nil {
		e.t.Fatalf("token answer is not JSON: %d %s", p.status, p.body)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		e.t.Errorf("token answer Cache-Control = %q, want no-store", p.header.Get("Cache-Control"))
	}
	return p.status, m
}

func codeForm(e *opEnv, code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {localissuer.ConsoleClientID},
		"code": {code}, "code_verifier": {verifier}, "redirect_uri": {e.srv.URL + "/callback"}}
}

// signedIn runs the whole flow for a fresh person and returns the token answer.
func (e *opEnv) signedIn(email string) (tenancy.Person, map[string]any) {
	e.t.Helper()
	p, inv := e.person(email, tenancy.ClientAdmin, "acme")
	c := e.browser()
	if r := e.setPassword(c, inv, "correct horse battery"); r.status != http.StatusOK {
		e.t.Fatalf("set password: %d %s", r.status, r.body)
	}
	v, ch := pkce("a")
	q := e.callback(e.signIn(c, e.authParams(ch, "s1"), email, "correct horse battery"))
	status, tok := e.token(codeForm(e, q.Get("code"), v))
	if status != http.StatusOK {
		e.t.Fatalf("token: %d %v", status, tok)
	}
	return p, tok
}

func TestProviderSignInIssuesPlatformTokens(t *testing.T) {
	e := newOP(t)
	p, inv := e.person("Ann@Example.com", tenancy.ClientAdmin, "acme")
	c := e.browser()
	if r := e.setPassword(c, inv, "correct horse battery"); r.status != http.StatusOK || !strings.Contains(r.body, "password is set") {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	// The password is stored as a bcrypt hash, never in clear.
	raw, err := os.ReadFile(filepath.Join(e.dir, "auth", "accounts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "correct horse") || !strings.Contains(string(raw), `"password_hash": "$2a$`) {
		t.Errorf("accounts file does not hold a bcrypt hash only: %s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(e.dir, "auth", "accounts.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("accounts file mode %v, want 0600", fi.Mode().Perm())
	}

	// The sign-in page is plain and labelled: every field has a label, the
	// page a language and a heading.
	signin := do(t, c, http.MethodGet, e.srv.URL+"/authorize?"+e.authParams(pkceChallengeOf("x"), "s").Encode(), nil)
	for _, want := range []string{`<html lang="en">`, `<h1>`, `<label for="email">`, `<label for="password">`, `autocomplete="current-password"`} {
		if !strings.Contains(signin.body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if csp := signin.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("sign-in page CSP %q", csp)
	}

	// A state with characters that need encoding comes back byte for byte.
	state := "xyz+/= &é%20~"
	v, ch := pkce("b")
	q := e.callback(e.signIn(c, e.authParams(ch, state), "ann@example.com", "correct horse battery"))
	if q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("callback %v, want a code and state %q", q, state)
	}
	status, tok := e.token(codeForm(e, q.Get("code"), v))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) || tok["refresh_token"] == nil {
		t.Errorf("token answer %v", tok)
	}

	// The access token is the platform's usual token: the production verifier
	// accepts it and it carries the registry's client and role.
	ver, err := auth.NewVerifier(e.iss.VerifierConfig())
	if err != nil {
		t.Fatal(err)
	}
	claims, err := ver.Verify(context.Background(), tok["access_token"].(string))
	if err != nil {
		t.Fatalf("access token rejected: %v", err)
	}
	if claims.Subject != p.Subject || claims.Role != "client_admin" || claims.ClientID != "acme" || claims.Email != "Ann@Example.com" {
		t.Errorf("access token claims %+v", claims)
	}

	// The ID token is what the SDK checks: iss is <domain>/, aud the client
	// id, the nonce echoed.
	idc := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok["id_token"].(string), idc, func(*jwt.Token) (any, error) {
		return &e.iss.PrivateKey().PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"})); err != nil {
		t.Fatalf("id token: %v", err)
	}
	want := map[string]any{"iss": e.prov.Domain() + "/", "aud": localissuer.ConsoleClientID, "sub": p.Subject, "nonce": "n-0S6_WzA2Mj", "email": "Ann@Example.com"}
	for k, w := range want {
		if idc[k] != w {
			t.Errorf("id token %s = %v, want %v", k, idc[k], w)
		}
	}

	// The browser session answers a second authorization without the form
	// (prompt=none, as a silent sign-in).
	params := e.authParams(ch, "s2")
	params.Set("prompt", "none")
	q = e.callback(do(t, c, http.MethodGet, e.srv.URL+"/authorize?"+params.Encode(), nil))
	if q.Get("code") == "" || q.Get("state") != "s2" {
		t.Errorf("silent sign-in %v, want a code", q)
	}
}

func TestProviderRefreshTokenRotates(t *testing.T) {
	e := newOP(t)
	p, tok := e.signedIn("rita@example.com")
	rt := tok["refresh_token"].(string)
	refresh := func(rt string) (int, map[string]any) {
		return e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {localissuer.ConsoleClientID}, "refresh_token": {rt}})
	}
	status, next := refresh(rt)
	if status != http.StatusOK || next["access_token"] == nil || next["refresh_token"] == nil || next["refresh_token"] == rt {
		t.Fatalf("refresh: %d %v, want new tokens", status, next)
	}
	// The old refresh token was rotated out; presenting it again ends the family.
	if status, m := refresh(rt); status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v, want invalid_grant", status, m)
	}
	if status, m := refresh(next["refresh_token"].(string)); status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("refresh after a replay: %d %v, want invalid_grant (family revoked)", status, m)
	}

	// A person the registry disables gets no new tokens.
	p2, tok2 := e.signedIn("sam@example.com")
	e.users.put(tenancy.User{Subject: p2.Subject, Email: "sam@example.com", Role: tenancy.ClientAdmin, ClientID: "acme", Disabled: true})
	if status, m := refresh(tok2["refresh_token"].(string)); status != http.StatusBadRequest || m["error"] != "invalid_grant" {
		t.Errorf("refresh of a disabled person: %d %v, want invalid_grant", status, m)
	}
	_ = p
}

func TestProviderRefusesHostileRequests(t *testing.T) {
	e := newOP(t)
	e.person("eve@example.com", tenancy.ClientUser, "acme")
	p, inv := e.person("bob@example.com", tenancy.ClientUser, "acme")
	c := e.browser()
	if r := e.setPassword(c, inv, "bob's long password"); r.status != http.StatusOK {
		t.Fatal(r.body)
	}
	v, ch := pkce("c")
	codeOnce := func() string {
		q := e.callback(e.signIn(e.browser(), e.authParams(ch, "st"), "bob@example.com", "bob's long password"))
		return q.Get("code")
	}

	t.Run("authorize", func(t *testing.T) {
		base := e.authParams(ch, "st")
		tests := []struct {
			name     string
			edit     func(url.Values)
			redirect bool // the error goes back to the console
			want     string
		}{
			{"unregistered redirect URI", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/callback") }, false, "redirect_uri"},
			{"redirect URI with a different path", func(v url.Values) { v.Set("redirect_uri", e.srv.URL+"/callback/x") }, false, "redirect_uri"},
			{"unknown client", func(v url.Values) { v.Set("client_id", "other") }, false, "client_id"},
			{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, true, "invalid_request"},
			{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, true, "invalid_request"},
			{"malformed challenge", func(v url.Values) { v.Set("code_challenge", "short") }, true, "invalid_request"},
			{"implicit flow", func(v url.Values) { v.Set("response_type", "token") }, true, "unsupported_response_type"},
			{"no openid scope", func(v url.Values) { v.Set("scope", "email") }, true, "invalid_scope"},
			{"other audience", func(v url.Values) { v.Set("audience", "https://other.example") }, true, "invalid_request"},
			{"form_post", func(v url.Values) { v.Set("response_mode", "form_post") }, true, "invalid_request"},
			{"prompt=none without a session", func(v url.Values) { v.Set("prompt", "none") }, true, "login_required"},
		}
		for _, tt := range tests {
			params := url.Values{}
			for k, vs := range base {
				params[k] = append([]string(nil), vs...)
			}
			tt.edit(params)
			r := do(t, e.browser(), http.MethodGet, e.srv.URL+"/authorize?"+params.Encode(), nil)
			if !tt.redirect {
				if r.status != http.StatusBadRequest || r.header.Get("Location") != "" || !strings.Contains(r.body, tt.want) {
					t.Errorf("%s: %d Location=%q, want a 400 page naming %s and no redirect", tt.name, r.status, r.header.Get("Location"), tt.want)
				}
				continue
			}
			q := e.callback(r)
			if q.Get("error") != tt.want || q.Get("state") != "st" || q.Get("code") != "" {
				t.Errorf("%s: callback %v, want error %s with the state", tt.name, q, tt.want)
			}
		}
	})

	t.Run("token", func(t *testing.T) {
		good := codeOnce()
		tests := []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"wrong code", codeForm(e, "not-a-code", v), 400, "invalid_grant"},
			{"PKCE mismatch", codeForm(e, codeOnce(), strings.Repeat("z", 64)), 400, "invalid_grant"},
			{"no verifier", codeForm(e, codeOnce(), ""), 400, "invalid_request"},
			{"redirect_uri differs", func() url.Values { f := codeForm(e, codeOnce(), v); f.Set("redirect_uri", e.srv.URL+"/"); return f }(), 400, "invalid_grant"},
			{"unknown client", func() url.Values { f := codeForm(e, codeOnce(), v); f.Set("client_id", "x"); return f }(), 401, "invalid_client"},
			{"client secret", func() url.Values { f := codeForm(e, codeOnce(), v); f.Set("client_secret", "s"); return f }(), 401, "invalid_client"},
			{"password grant", url.Values{"grant_type": {"password"}, "client_id": {localissuer.ConsoleClientID}}, 400, "unsupported_grant_type"},
			{"good code", codeForm(e, good, v), 200, ""},
			{"reused code", codeForm(e, good, v), 400, "invalid_grant"},
		}
		for _, tt := range tests {
			status, m := e.token(tt.form)
			if status != tt.status || (tt.want != "" && m["error"] != tt.want) {
				t.Errorf("%s: %d %v, want %d %s", tt.name, status, m, tt.status, tt.want)
			}
		}
		// JSON instead of a form is refused.
		r := do(t, http.DefaultClient, http.MethodPost, e.srv.URL+"/oauth/token?"+codeForm(e, codeOnce(), v).Encode(), nil)
		if r.status != 400 || !strings.Contains(r.body, "invalid_request") {
			t.Errorf("token without a form: %d %s", r.status, r.body)
		}
	})

	t.Run("reused code revokes its refresh token", func(t *testing.T) {
		code := codeOnce()
		status, tok := e.token(codeForm(e, code, v))
		if status != 200 {
			t.Fatal(tok)
		}
		if status, _ := e.token(codeForm(e, code, v)); status != 400 {
			t.Fatalf("replay: %d", status)
		}
		status, m := e.token(url.Values{"grant_type": {"refresh_token"}, "client_id": {localissuer.ConsoleClientID}, "refresh_token": {tok["refresh_token"].(string)}})
		if status != 400 || m["error"] != "invalid_grant" {
			t.Errorf("refresh after a code replay: %d %v, want invalid_grant", status, m)
		}
	})

	t.Run("forged or expired sign-in form", func(t *testing.T) {
		// The authorization request (redirect URI, state, PKCE challenge)
		// stays on the server; the form carries only an opaque id, so a
		// tampered form can change nothing but that id.
		r := do(t, e.browser(), http.MethodPost, e.srv.URL+"/login", url.Values{"txn": {"forged"}, "email": {"bob@example.com"}, "password": {"bob's long password"}})
		if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
			t.Errorf("forged transaction: %d %q, want a 400 page and no redirect", r.status, r.header.Get("Location"))
		}
		c := e.browser()
		form := do(t, c, http.MethodGet, e.srv.URL+"/authorize?"+e.authParams(ch, "st").Encode(), nil)
		m := txnField.FindStringSubmatch(form.body)
		if m == nil {
			t.Fatal(form.body)
		}
		e.advance(16 * time.Minute)
		r = do(t, c, http.MethodPost, e.srv.URL+"/login", url.Values{"txn": {m[1]}, "email": {"bob@example.com"}, "password": {"bob's long password"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired") {
			t.Errorf("expired transaction: %d %s", r.status, r.body)
		}
	})

	t.Run("expired code", func(t *testing.T) {
		code := codeOnce()
		e.advance(2 * time.Minute)
		if status, m := e.token(codeForm(e, code, v)); status != 400 || m["error"] != "invalid_grant" {
			t.Errorf("expired code: %d %v", status, m)
		}
	})

	t.Run("blocked and disabled people cannot sign in", func(t *testing.T) {
		ctx := context.Background()
		if err := e.prov.SetBlocked(ctx, p.Subject, true); err != nil {
			t.Fatal(err)
		}
		q := e.callback(e.signIn(e.browser(), e.authParams(ch, "st"), "bob@example.com", "bob's long password"))
		if q.Get("error") != "access_denied" || q.Get("code") != "" {
			t.Errorf("blocked: %v, want access_denied", q)
		}
		if err := e.prov.SetBlocked(ctx, p.Subject, false); err != nil {
			t.Fatal(err)
		}
		code := codeOnce()
		e.users.put(tenancy.User{Subject: p.Subject, Role: tenancy.ClientUser, ClientID: "acme", Disabled: true})
		if status, m := e.token(codeForm(e, code, v)); status != 400 || m["error"] != "invalid_grant" {
			t.Errorf("disabled after authorize: %d %v, want invalid_grant", status, m)
		}
		e.users.put(tenancy.User{Subject: p.Subject, Role: tenancy.ClientUser, ClientID: "acme"})
	})
}

func TestProviderInvitations(t *testing.T) {
	e := newOP(t)
	_, inv := e.person("ivy@example.com", tenancy.ClientUser, "acme")
	c := e.browser()
	ticket := func(inv tenancy.Invitation) string { u, _ := url.Parse(inv.URL); return u.Query().Get("ticket") }
	post := func(tk, pw, confirm string) page {
		return do(t, c, http.MethodPost, e.srv.URL+"/invitation", url.Values{"ticket": {tk}, "password": {pw}, "password_confirm": {confirm}})
	}
	if !inv.ExpiresAt.After(e.clock().Add(6*24*time.Hour)) || !strings.HasPrefix(inv.URL, e.srv.URL+"/invitation?ticket=") {
		t.Errorf("invitation %+v", inv)
	}
	if r := post(ticket(inv), "short", "short"); r.status != 400 || !strings.Contains(r.body, "at least 8") {
		t.Errorf("short password: %d", r.status)
	}
	if r := post(ticket(inv), strings.Repeat("x", 73), strings.Repeat("x", 73)); r.status != 400 {
		t.Errorf("73-byte password: %d, want 400 (bcrypt would cut it)", r.status)
	}
	if r := post(ticket(inv), "one password", "another one"); r.status != 400 || !strings.Contains(r.body, "differ") {
		t.Errorf("mismatch: %d", r.status)
	}
	if r := post(ticket(inv), "a good password", "a good password"); r.status != 200 {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	// Single use.
	if r := post(ticket(inv), "a second password", "a second password"); r.status != http.StatusGone {
		t.Errorf("reused link: %d, want 410", r.status)
	}
	if r := do(t, c, http.MethodGet, inv.URL, nil); r.status != http.StatusGone {
		t.Errorf("reused link page: %d, want 410", r.status)
	}
	// Expired.
	_, inv2 := e.person("old@example.com", tenancy.ClientUser, "acme")
	e.advance(localissuer.DefaultInvitationTTL + time.Second)
	if r := do(t, c, http.MethodGet, inv2.URL, nil); r.status != http.StatusGone || !strings.Contains(r.body, "expired") {
		t.Errorf("expired link page: %d %s", r.status, r.body)
	}
	if r := post(ticket(inv2), "a good password", "a good password"); r.status != http.StatusGone {
		t.Errorf("expired link: %d, want 410", r.status)
	}
	if r := post("forged", "a good password", "a good password"); r.status != http.StatusGone {
		t.Errorf("forged ticket: %d, want 410", r.status)
	}
	// A new invitation replaces the old link.
	p3, inv3 := e.person("old@example.com", tenancy.ClientUser, "acme")
	inv4, err := e.prov.Invite(context.Background(), p3)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, c, http.MethodGet, inv3.URL, nil); r.status != http.StatusGone {
		t.Errorf("replaced link: %d, want 410", r.status)
	}
	if r := do(t, c, http.MethodGet, inv4.URL, nil); r.status != http.StatusOK {
		t.Errorf("new link: %d", r.status)
	}
	// Finding by e-mail is case-insensitive and keeps the subject.
	again, err := e.prov.EnsurePerson(context.Background(), tenancy.Person{Email: "OLD@example.com"})
	if err != nil || again.Subject != p3.Subject {
		t.Errorf("EnsurePerson again = %+v, %v; want subject %s", again, err, p3.Subject)
	}
}

func TestProviderThrottlesGuessing(t *testing.T) {
	e := newOP(t)
	_, inv := e.person("tom@example.com", tenancy.ClientUser, "acme")
	c := e.browser()
	if r := e.setPassword(c, inv, "the right password"); r.status != 200 {
		t.Fatal(r.body)
	}
	_, ch := pkce("d")
	params := e.authParams(ch, "st")
	for i := 0; i < localissuer.AccountFailureLimit; i++ {
		if r := e.signIn(c, params, "tom@example.com", "guess"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong e-mail or password") {
			t.Fatalf("guess %d: %d", i, r.status)
		}
	}
	// Locked: the right password is refused too, until the window ends.
	if r := e.signIn(c, params, "tom@example.com", "the right password"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("after %d failures: %d, want 429", localissuer.AccountFailureLimit, r.status)
	}
	e.advance(localissuer.FailureWindow)
	if q := e.callback(e.signIn(c, params, "tom@example.com", "the right password")); q.Get("code") == "" {
		t.Errorf("after the window: %v, want a code", q)
	}

	// Per address: spraying many accounts from one address is stopped too.
	_, inv2 := e.person("una@example.com", tenancy.ClientUser, "acme")
	if r := e.setPassword(c, inv2, "una's password"); r.status != 200 {
		t.Fatal(r.body)
	}
	c = e.browser() // no session: every sign-in shows the form
	for i := 0; i < localissuer.AddressFailureLimit; i++ {
		e.signIn(c, params, "nobody"+itoa(i)+"@example.com", "guess")
	}
	if r := e.signIn(c, params, "una@example.com", "una's password"); r.status != http.StatusTooManyRequests {
		t.Errorf("after %d failures from one address: %d, want 429", localissuer.AddressFailureLimit, r.status)
	}
}

func TestProviderLogoutAndDiscovery(t *testing.T) {
	e := newOP(t)
	_, inv := e.person("lou@example.com", tenancy.ClientUser, "acme")
	c := e.browser()
	e.setPassword(c, inv, "lou's password")
	_, ch := pkce("e")
	e.callback(e.signIn(c, e.authParams(ch, "st"), "lou@example.com", "lou's password"))

	r := do(t, c, http.MethodGet, e.srv.URL+"/v2/logout?client_id=rentroll-console&returnTo="+url.QueryEscape("https://evil.example/"), nil)
	if r.status != 400 || r.header.Get("Location") != "" {
		t.Errorf("logout to an unregistered address: %d %q", r.status, r.header.Get("Location"))
	}
	r = do(t, c, http.MethodGet, e.srv.URL+"/v2/logout?client_id=rentroll-console&returnTo="+url.QueryEscape(e.srv.URL+"/"), nil)
	if r.status != http.StatusFound || r.header.Get("Location") != e.srv.URL+"/" {
		t.Errorf("logout: %d %q", r.status, r.header.Get("Location"))
	}
	params := e.authParams(ch, "st")
	params.Set("prompt", "none")
	if q := e.callback(do(t, c, http.MethodGet, e.srv.URL+"/authorize?"+params.Encode(), nil)); q.Get("error") != "login_required" {
		t.Errorf("after logout, silent sign-in: %v, want login_required", q)
	}

	r = do(t, c, http.MethodGet, e.srv.URL+"/.well-known/openid-configuration", nil)
	var d map[string]any
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != e.srv.URL+"/" || d["authorization_endpoint"] != e.srv.URL+"/authorize" || d["token_endpoint"] != e.srv.URL+"/oauth/token" ||
		d["jwks_uri"] != e.srv.URL+auth.JWKSPath || !strings.Contains(r.body, `"code_challenge_methods_supported":["S256"]`) {
		t.Errorf("discovery %s", r.body)
	}
	r = do(t, c, http.MethodGet, e.srv.URL+"/config.json", nil)
	want := `{"domain":"` + e.srv.URL + `","client_id":"rentroll-console","audience":"https://api.rentroll.ai","redirect_uri":"` + e.srv.URL + `/callback","api":"` + e.srv.URL + `"}`
	if strings.TrimSpace(r.body) != want {
		t.Errorf("config.json = %s, want %s", r.body, want)
	}

	// A development server on another origin may call the token endpoint.
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/oauth/token", nil)
	req.Header.Set("Origin", "http://127.0.0.1:5173")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Auth0-Client") {
		t.Errorf("preflight headers %v", resp.Header)
	}
}

func TestProviderSilentSignInByWebMessage(t *testing.T) {
	e := newOP(t)
	_, inv := e.person("wes@example.com", tenancy.ClientUser, "acme")
	c := e.browser()
	e.setPassword(c, inv, "wes's password")
	_, ch := pkce("f")
	e.callback(e.signIn(c, e.authParams(ch, "st"), "wes@example.com", "wes's password"))
	params := e.authParams(ch, "quiet")
	params.Set("prompt", "none")
	params.Set("response_mode", "web_message")
	r := do(t, c, http.MethodGet, e.srv.URL+"/authorize?"+params.Encode(), nil)
	if r.status != 200 || !strings.Contains(r.body, "authorization_response") || !strings.Contains(r.body, "quiet") ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors "+e.srv.URL) {
		t.Errorf("web_message answer: %d %v %s", r.status, r.header, r.body)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestProviderKeepsTheIdentityContract(t *testing.T) {
	tenancytest.IdentityContract(t, newOP(t).prov)
}
