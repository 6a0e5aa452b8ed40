// Package auth0 is the identity provider adapter for production: it keeps the
// people who sign in to RentRoll in an Auth0 database connection through the
// Management API (client-credentials token, users, users by e-mail,
// password-change tickets, blocking), implementing tenancy.IdentityProvider.
// The user registry stays the source of truth; this package only makes Auth0
// follow it. See docs/identity.md for the tenant set-up.
package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/retry"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Config configures a Client.
type Config struct {
	// Domain is the tenant's domain, e.g. rentroll.us.auth0.com; https is
	// implied. A value with a scheme is used as is (tests).
	Domain string
	// Connection is the database connection people are created in.
	Connection string
	// ClientID and ClientSecret are the Management API application's
	// credentials (machine to machine, client credentials grant).
	ClientID     string
	ClientSecret string
	// InvitationTTL is how long a password-change ticket works; default 7 days.
	InvitationTTL time.Duration
	// ResultURL, when set, is where Auth0 sends the person after the
	// password is set (the console).
	ResultURL string
	// HTTP is the client to use; default one with a 15 s timeout.
	HTTP *http.Client
	// MaxAttempts bounds the tries of one call on 429 and transient
	// failures; default 5.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per attempt. Default 250 ms.
	BaseDelay time.Duration
	Log       *slog.Logger
}

// Client calls the Management API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string

	mu      sync.Mutex
	token   string
	expires time.Time
	now     clock.Func
}

// New checks cfg and returns a Client. It does not call Auth0.
func New(cfg Config) (*Client, error) {
	if cfg.Domain == "" || cfg.Connection == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errs.E(errs.Invalid, "auth0: domain, connection, client id and client secret are all required")
	}
	base := strings.TrimSuffix(cfg.Domain, "/")
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" {
		return nil, errs.E(errs.Invalid, "auth0: domain %q is not a host name", cfg.Domain)
	}
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: base, now: time.Now}, nil
}

var _ tenancy.IdentityProvider = (*Client)(nil)

// user is the part of Auth0's user object the platform reads.
type user struct {
	UserID      string         `json:"user_id"`
	Email       string         `json:"email"`
	Name        string         `json:"name"`
	Blocked     bool           `json:"blocked"`
	LoginsCount int            `json:"logins_count"`
	LastLogin   string         `json:"last_login"`
	AppMetadata map[string]any `json:"app_metadata"`
}

func (u user) person() tenancy.Person {
	p := tenancy.Person{Subject: u.UserID, Email: u.Email, Name: u.Name, Activated: u.LoginsCount > 0 || u.LastLogin != ""}
	if c, ok := u.AppMetadata["client_id"].(string); ok {
		p.ClientID = c
	}
	if r, ok := u.AppMetadata["role"].(string); ok {
		p.Role = tenancy.Role(r)
	}
	return p
}

// EnsurePerson implements tenancy.IdentityProvider: users-by-email, else a
// new user in the connection with a random password nobody knows (the
// invitation's ticket sets the real one) and the client and role in
// app_metadata, which the post-login Action turns into claims.
func (c *Client) EnsurePerson(ctx context.Context, p tenancy.Person) (tenancy.Person, error) {
	if p.Subject != "" {
		var u user
		if err := c.call(ctx, http.MethodGet, "/api/v2/users/"+url.PathEscape(p.Subject), nil, &u); err != nil {
			return tenancy.Person{}, err
		}
		return u.person(), nil
	}
	if u, ok, err := c.byEmail(ctx, p.Email); err != nil || ok {
		return u.person(), err
	}
	body := map[string]any{
		"email": p.Email, "connection": c.cfg.Connection, "password": randomPassword(),
		"email_verified": false, "verify_email": false,
		"app_metadata": map[string]any{"client_id": p.ClientID, "role": string(p.Role)},
	}
	if p.Name != "" {
		body["name"] = p.Name
	}
	var u user
	err := c.call(ctx, http.MethodPost, "/api/v2/users", body, &u)
	if errs.Is(err, errs.Conflict) {
		// Created meanwhile (a concurrent invitation, or a retried create
		// whose answer was lost): find it.
		found, ok, ferr := c.byEmail(ctx, p.Email)
		if ferr != nil {
			return tenancy.Person{}, ferr
		}
		if !ok {
			return tenancy.Person{}, errs.Wrap(err, errs.Transient, "auth0: user %s exists but is not found yet", p.Email)
		}
		return found.person(), nil
	}
	if err != nil {
		return tenancy.Person{}, err
	}
	return u.person(), nil
}

// byEmail finds the connection's user with the e-mail (Auth0 stores e-mail
// addresses in lower case).
func (c *Client) byEmail(ctx context.Context, email string) (u user, found bool, err error) {
	var users []user
	q := url.Values{"email": {strings.ToLower(email)}}
	if err := c.call(ctx, http.MethodGet, "/api/v2/users-by-email?"+q.Encode(), nil, &users); err != nil {
		return user{}, false, err
	}
	for _, u := range users {
		// users-by-email spans connections; social or other logins with the
		// same address are other people as far as this platform is concerned.
		if strings.HasPrefix(u.UserID, "auth0|") || len(users) == 1 {
			return u, true, nil
		}
	}
	return user{}, false, nil
}

// SetClaims implements tenancy.IdentityProvider: app_metadata is merged, so
// only the two keys change.
func (c *Client) SetClaims(ctx context.Context, p tenancy.Person) error {
	body := map[string]any{"app_metadata": map[string]any{"client_id": p.ClientID, "role": string(p.Role)}}
	err := c.call(ctx, http.MethodPatch, "/api/v2/users/"+url.PathEscape(p.Subject), body, nil)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// Invite implements tenancy.IdentityProvider with a password-change ticket.
func (c *Client) Invite(ctx context.Context, p tenancy.Person) (tenancy.Invitation, error) {
	body := map[string]any{
		"user_id": p.Subject, "ttl_sec": int(c.cfg.InvitationTTL / time.Second),
		"mark_email_as_verified": true, "includeEmailInRedirect": false,
	}
	if c.cfg.ResultURL != "" {
		body["result_url"] = c.cfg.ResultURL
	}
	var out struct {
		Ticket string `json:"ticket"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v2/tickets/password-change", body, &out); err != nil {
		return tenancy.Invitation{}, err
	}
	if out.Ticket == "" {
		return tenancy.Invitation{}, errs.E(errs.Transient, "auth0: the ticket answer has no ticket")
	}
	return tenancy.Invitation{Email: p.Email, URL: out.Ticket, ExpiresAt: c.now().UTC().Add(c.cfg.InvitationTTL).Truncate(time.Second)}, nil
}

// SetBlocked implements tenancy.IdentityProvider.
func (c *Client) SetBlocked(ctx context.Context, sub string, blocked bool) error {
	err := c.call(ctx, http.MethodPatch, "/api/v2/users/"+url.PathEscape(sub), map[string]any{"blocked": blocked}, nil)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// ---- transport

// accessToken returns a cached Management API token, fetching one with the
// client credentials grant when there is none or it expires within a minute.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Add(time.Minute).Before(c.expires) {
		return c.token, nil
	}
	body := map[string]string{
		"grant_type": "client_credentials", "client_id": c.cfg.ClientID, "client_secret": c.cfg.ClientSecret,
		"audience": c.base + "/api/v2/",
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := c.send(ctx, http.MethodPost, "/oauth/token", body, "", &out); err != nil {
		return "", fmt.Errorf("auth0: management token: %w", err)
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", errs.E(errs.Transient, "auth0: the token answer has no token")
	}
	c.token, c.expires = out.AccessToken, c.now().Add(time.Duration(out.ExpiresIn)*time.Second)
	return c.token, nil
}

func (c *Client) forgetToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// call is an authenticated Management API call. A 401 (a token revoked or
// rotated early) drops the cached token and tries once more.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.send(ctx, method, path, body, tok, out)
		if errs.Is(err, errs.Unauthorized) && attempt == 0 {
			c.forgetToken(tok)
			continue
		}
		return err
	}
}

// apiError is the Management API's error body.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

// send makes one request, retrying 429 and transient failures with
// exponential backoff (or the server's Retry-After / X-RateLimit-Reset)
// until MaxAttempts or the context ends.
func (c *Client) send(ctx context.Context, method, path string, body any, token string, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return errs.Wrap(err, errs.Internal, "auth0: encode request")
		}
	}
	policy := retry.Policy{
		Attempts: c.cfg.MaxAttempts, Base: c.cfg.BaseDelay, Max: maxWait,
		OnRetry: func(attempt int, err error, wait time.Duration) {
			c.cfg.Log.WarnContext(ctx, "auth0 call failed; retrying", "method", method, "path", redactPath(path), "attempt", attempt, "wait", wait, "error", err.Error())
		},
	}
	return retry.Do(ctx, policy, func(ctx context.Context, _ int) error {
		wait, err := c.once(ctx, method, path, payload, token, out)
		return retry.After(err, wait)
	})
}

// maxWait bounds a wait between attempts, the server's Retry-After included.
const maxWait = 10 * time.Second

// once makes one request. It returns how long the server asked to wait
// before a retry, if it said.
func (c *Client) once(ctx context.Context, method, path string, payload []byte, token string, out any) (time.Duration, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, errs.Wrap(err, errs.Internal, "auth0: build request")
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, errs.Wrap(ctx.Err(), errs.Transient, "auth0: %s %s", method, redactPath(path))
		}
		return 0, errs.Wrap(err, errs.Transient, "auth0: %s %s", method, redactPath(path))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, errs.Wrap(err, errs.Transient, "auth0: read answer")
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || resp.StatusCode == http.StatusNoContent || len(b) == 0 {
			return 0, nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return 0, errs.Wrap(err, errs.Transient, "auth0: malformed answer to %s %s", method, redactPath(path))
		}
		return 0, nil
	}
	var ae apiError
	_ = json.Unmarshal(b, &ae)
	cause := fmt.Errorf("auth0 %d %s: %s", resp.StatusCode, ae.ErrorCode, ae.Message)
	where := method + " " + redactPath(path)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header, c.now()), errs.Wrap(cause, errs.Transient, "auth0: rate limited on %s", where)
	case resp.StatusCode >= 500:
		return 0, errs.Wrap(cause, errs.Transient, "auth0: %s failed", where)
	case resp.StatusCode == http.StatusNotFound:
		return 0, errs.Wrap(cause, errs.NotFound, "auth0: not found: %s", where)
	case resp.StatusCode == http.StatusConflict:
		return 0, errs.Wrap(cause, errs.Conflict, "auth0: already exists: %s", where)
	case resp.StatusCode == http.StatusUnauthorized && token != "":
		return 0, errs.Wrap(cause, errs.Unauthorized, "auth0: management token refused")
	case resp.StatusCode == http.StatusBadRequest:
		return 0, errs.Wrap(cause, errs.Invalid, "auth0 refused the request: %s", ae.Message)
	default:
		// 401 on the token endpoint, 403: the application is misconfigured
		// (wrong secret, missing scopes); retrying will not help.
		return 0, errs.Wrap(cause, errs.Internal, "auth0: %s refused (%d); check the Management API application's credentials and scopes", where, resp.StatusCode)
	}
}

// retryAfter reads how long Auth0 asks to wait: Retry-After in seconds, or
// X-RateLimit-Reset as a Unix time; capped.
func retryAfter(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if r, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		d = time.Unix(r, 0).Sub(now)
	}
	return max(0, min(d, maxWait))
}

// redactPath keeps query values (e-mail addresses) out of logs and errors.
func redactPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// randomPassword is a throwaway password for a new user, long and random
// enough for any password policy; nobody learns it.
func randomPassword() string { return "Rr1!" + randid.URLSafe(24) }
