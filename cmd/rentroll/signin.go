package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/randid"
)

// browserSession walks the local provider's pages as a person's browser
// and the console's Auth0 SDK would: it keeps cookies and inspects each
// redirect instead of following it.
type browserSession struct {
	base string
	http *http.Client
}

func newBrowserSession(base string) *browserSession {
	jar, _ := cookiejar.New(nil)
	return &browserSession{base: strings.TrimSuffix(base, "/"), http: &http.Client{
		Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// send makes one request, with form as its body when set, and returns the
// response (its body closed) and the page it carried.
func (b *browserSession) send(ctx context.Context, method, u string, form url.Values) (resp *http.Response, page string, err error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err = b.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(raw), err
}

// acceptInvitation sets the password through the invitation link.
func (b *browserSession) acceptInvitation(ctx context.Context, link, password string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("invitation link: %w", err)
	}
	resp, _, err := b.send(ctx, http.MethodGet, link, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("invitation page answered %s", resp.Status)
	}
	resp, _, err = b.send(ctx, http.MethodPost, b.base+"/invitation", url.Values{
		"ticket": {u.Query().Get("ticket")}, "password": {password}, "password_confirm": {password},
	})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("setting the password answered %s", resp.Status)
	}
	return nil
}

var txnField = regexp.MustCompile(`name="txn" value="([^"]+)"`)

// signIn signs in as the console does: /config.json, /authorize with PKCE,
// the sign-in form, the redirect back with the code and state, and the
// token endpoint. It returns the access token.
func (b *browserSession) signIn(ctx context.Context, email, password string) (string, error) {
	_, raw, err := b.send(ctx, http.MethodGet, b.base+"/config.json", nil)
	if err != nil {
		return "", err
	}
	var cfg struct {
		Domain      string `json:"domain"`
		ClientID    string `json:"client_id"`
		Audience    string `json:"audience"`
		RedirectURI string `json:"redirect_uri"`
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil || cfg.Domain == "" {
		return "", fmt.Errorf("config.json: %v", err)
	}
	verifier, state := randomURLString(32), randomURLString(16)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id": {cfg.ClientID}, "redirect_uri": {cfg.RedirectURI}, "audience": {cfg.Audience},
		"response_type": {"code"}, "response_mode": {"query"}, "scope": {"openid profile email"},
		"state": {state}, "nonce": {randomURLString(16)},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	resp, page, err := b.send(ctx, http.MethodGet, cfg.Domain+"/authorize?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	m := txnField.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("the sign-in page answered %s", resp.Status)
	}
	resp, _, err = b.send(ctx, http.MethodPost, cfg.Domain+"/login", url.Values{"txn": {m[1]}, "email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	cb, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		return "", fmt.Errorf("sign-in answered %s", resp.Status)
	}
	if e := cb.Query().Get("error"); e != "" {
		return "", fmt.Errorf("sign-in refused: %s: %s", e, cb.Query().Get("error_description"))
	}
	if cb.Query().Get("state") != state {
		return "", fmt.Errorf("sign-in returned another state")
	}
	resp, raw, err = b.send(ctx, http.MethodPost, cfg.Domain+"/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {cfg.ClientID}, "code": {cb.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {cfg.RedirectURI},
	})
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal([]byte(raw), &tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return "", fmt.Errorf("token endpoint answered %s %s", resp.Status, tok.Error)
	}
	return tok.AccessToken, nil
}

func randomURLString(n int) string { return randid.URLSafe(n) }
