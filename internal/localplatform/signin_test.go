package localplatform

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/tenancy"
)

// browser drives the local provider's pages as a person's browser does:
// cookies kept, redirects inspected one hop at a time.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, u string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(out)
}

// acceptInvitation opens the link and sets the password.
func (b *browser) acceptInvitation(link, password string) {
	b.t.Helper()
	if status, _, body := b.do(http.MethodGet, link, nil); status != http.StatusOK {
		b.t.Fatalf("invitation page: %d %s", status, body)
	}
	u, err := url.Parse(link)
	if err != nil {
		b.t.Fatal(err)
	}
	status, _, body := b.do(http.MethodPost, b.base+"/invitation", url.Values{
		"ticket": {u.Query().Get("ticket")}, "password": {password}, "password_confirm": {password},
	})
	if status != http.StatusOK {
		b.t.Fatalf("set password: %d %s", status, body)
	}
}

var txnInput = regexp.MustCompile(`name="txn" value="([^"]+)"`)

// signIn runs the console's sign-in as the Auth0 SPA SDK does: /config.json,
// /authorize with PKCE, the sign-in form, the callback, then the token
// endpoint. It returns the access token.
func (b *browser) signIn(email, password string) string {
	b.t.Helper()
	_, _, raw := b.do(http.MethodGet, b.base+"/config.json", nil)
	var cfg localissuer.ConsoleConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		b.t.Fatalf("config.json: %v: %s", err, raw)
	}
	verifier := strings.Repeat("v3rifier-", 8)
	sum := sha256.Sum256([]byte(verifier))
	params := url.Values{
		"client_id": {cfg.ClientID}, "redirect_uri": {cfg.RedirectURI}, "audience": {cfg.Audience},
		"response_type": {"code"}, "response_mode": {"query"}, "scope": {"openid profile email offline_access"},
		"state": {"st4te"}, "nonce": {"n0nce"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}, "auth0Client": {"eyJuYW1lIjoiYXV0aDAtcmVhY3QifQ"},
	}
	status, _, page := b.do(http.MethodGet, cfg.Domain+"/authorize?"+params.Encode(), nil)
	m := txnInput.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("sign-in page: %d %s", status, page)
	}
	status, hdr, page := b.do(http.MethodPost, cfg.Domain+"/login", url.Values{"txn": {m[1]}, "email": {email}, "password": {password}})
	if status != http.StatusFound {
		b.t.Fatalf("sign in: %d %s", status, page)
	}
	cb, err := url.Parse(hdr.Get("Location"))
	if err != nil || !strings.HasPrefix(hdr.Get("Location"), cfg.RedirectURI+"?") || cb.Query().Get("state") != "st4te" {
		b.t.Fatalf("callback %q", hdr.Get("Location"))
	}
	status, _, page = b.do(http.MethodPost, cfg.Domain+"/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {cfg.ClientID}, "code": {cb.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {cfg.RedirectURI},
	})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(page), &tok) != nil || tok.AccessToken == "" {
		b.t.Fatalf("token: %d %s", status, page)
	}
	return tok.AccessToken
}

// TestSuperAdminSignsInThroughTheProvider: the bootstrap super admin sets a
// password through its invitation and signs in as the console would.
func TestSuperAdminSignsInThroughTheProvider(t *testing.T) {
	p := startForTest(t)
	if p.Provider == nil {
		t.Fatal("no local provider")
	}
	admin, err := p.Provider.EnsurePerson(context.Background(), tenancy.Person{Subject: DefaultBootstrap})
	if err != nil {
		t.Fatal(err)
	}
	if admin.Email != DefaultAdminEmail || p.Provider.HasPassword(admin.Subject) {
		t.Fatalf("bootstrap admin account %+v", admin)
	}
	inv, err := p.Provider.Invite(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, p.URL)
	b.acceptInvitation(inv.URL, "a super password")
	tok := b.signIn(DefaultAdminEmail, "a super password")
	me := caller{t: t, base: p.URL, token: tok}.must(http.StatusOK, http.MethodGet, "/v1/me", nil).json(t)
	if me["sub"] != DefaultBootstrap || me["role"] != "super_admin" {
		t.Errorf("/v1/me = %v", me)
	}
}
