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
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// signInAnswer submits the sign-in form and returns the provider's answer:
// the status and the redirect's target (or the page).
func (b *browser) signInAnswer(email, password string) (int, string, string) {
	b.t.Helper()
	verifier := strings.Repeat("v3rifier-", 8)
	sum := sha256.Sum256([]byte(verifier))
	params := url.Values{
		"client_id": {localissuer.ConsoleClientID}, "redirect_uri": {b.base + "/callback"}, "response_type": {"code"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	_, _, page := b.do(http.MethodGet, b.base+"/authorize?"+params.Encode(), nil)
	m := txnInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no sign-in form: %s", page)
	}
	status, hdr, page := b.do(http.MethodPost, b.base+"/login", url.Values{"txn": {m[1]}, "email": {email}, "password": {password}})
	if loc := hdr.Get("Location"); loc != "" {
		return status, loc, loc
	}
	return status, "", page
}

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
	if cb, _ := url.Parse(hdr.Get("Location")); cb.Query().Get("error") != "" {
		b.t.Fatalf("sign in refused: %s", hdr.Get("Location"))
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

// TestOnboardingOverHTTP drives the whole onboarding as the people involved
// would: the super admin signs in and creates a client with its admin's
// e-mail; the admin opens the invitation, sets a password, signs in through
// the provider (authorization code with PKCE) and calls the API as
// client_admin; a first rent roll goes through the signed upload and the
// analytics answer. It reports how long that took from the create.
func TestOnboardingOverHTTP(t *testing.T) {
	p := startForTest(t)
	ctx := context.Background()
	admin, err := p.Provider.EnsurePerson(ctx, tenancy.Person{Subject: DefaultBootstrap})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := p.Provider.Invite(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	operator := newBrowser(t, p.URL)
	operator.acceptInvitation(inv.URL, "operator password")
	super := caller{t: t, base: p.URL, token: operator.signIn(DefaultAdminEmail, "operator password")}

	start := time.Now()
	created := super.must(http.StatusCreated, http.MethodPost, "/v1/admin/clients", map[string]string{
		"name": "Harbor Homes", "admin_email": "dana@harbor.example", "admin_name": "Dana",
	}).json(t)
	cid, _ := created["client_id"].(string)
	invitation, _ := created["invitation"].(map[string]any)
	link, _ := invitation["url"].(string)
	if cid != "harbor-homes" || invitation["email"] != "dana@harbor.example" || !strings.HasPrefix(link, p.URL+"/invitation?ticket=") {
		t.Fatalf("create answered %v", created)
	}

	dana := newBrowser(t, p.URL)
	dana.acceptInvitation(link, "dana's password")
	ca := caller{t: t, base: p.URL, token: dana.signIn("dana@harbor.example", "dana's password")}
	me := ca.must(http.StatusOK, http.MethodGet, "/v1/me", nil).json(t)
	if me["role"] != "client_admin" || me["client_id"] != cid || me["email"] != "dana@harbor.example" {
		t.Fatalf("/v1/me = %v", me)
	}
	ca.must(http.StatusOK, http.MethodGet, "/v1/clients/"+cid+"/analytics/rent-roll/summary", nil)
	firstAnswer := time.Since(start)

	// The first roll, through the signed upload, to analytics with data.
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "rentroll", "generic_rent_roll.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ticket := ca.must(http.StatusCreated, http.MethodPost, "/v1/clients/"+cid+"/uploads", map[string]any{
		"kind": "rent_roll", "filename": "generic_rent_roll.csv", "content_type": "text/csv", "size_bytes": len(data), "as_of": "2026-03-31",
	}).json(t)
	if st := putSigned(t, ticket, data); st != http.StatusOK {
		t.Fatalf("PUT: %d", st)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		u := ca.must(http.StatusOK, http.MethodGet, "/v1/clients/"+cid+"/uploads/"+ticket["upload_id"].(string), nil).json(t)
		if u["status"] == "loaded" {
			break
		}
		if u["status"] != "pending" && u["status"] != "processing" || time.Now().After(deadline) {
			t.Fatalf("upload %v", u)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sum := ca.must(http.StatusOK, http.MethodGet, "/v1/clients/"+cid+"/analytics/rent-roll/summary", nil).json(t)
	withData := time.Since(start)
	if sum["data"] != true {
		t.Fatalf("summary after the first roll: %v", sum)
	}
	t.Logf("onboarding: POST /v1/admin/clients to first answered analytics call %v; to analytics over the first loaded roll %v",
		firstAnswer.Round(time.Millisecond), withData.Round(time.Millisecond))

	// The invitation works once; the admin's sign-in is the only way in.
	if status, _, _ := newBrowser(t, p.URL).do(http.MethodGet, link, nil); status != http.StatusGone {
		t.Errorf("used invitation: %d, want 410", status)
	}
	// Removing the admin's colleague and suspending the client block sign-in.
	colleague := ca.must(http.StatusCreated, http.MethodPost, "/v1/clients/"+cid+"/users", map[string]string{
		"email": "eli@harbor.example", "role": "client_user",
	}).json(t)
	eli := newBrowser(t, p.URL)
	eli.acceptInvitation(colleague["invitation"].(map[string]any)["url"].(string), "eli's password")
	eli.signIn("eli@harbor.example", "eli's password")
	ca.must(http.StatusNoContent, http.MethodDelete, "/v1/clients/"+cid+"/users/"+url.PathEscape(colleague["sub"].(string)), nil)
	if p.Provider.HasPassword(colleague["sub"].(string)) != true {
		t.Error("the removed colleague's account is gone; want it kept and blocked")
	}
	if status, _, body := newBrowser(t, p.URL).signInAnswer("eli@harbor.example", "eli's password"); status != http.StatusFound || !strings.Contains(body, "access_denied") {
		t.Errorf("removed colleague signs in: %d %s, want access_denied", status, body)
	}
}
