package localissuer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/tenancy"
)

// ConsoleClientID is the one public OAuth client the local provider knows:
// the web console, a single-page app with no secret.
const ConsoleClientID = "rentroll-console"

// Lifetimes of what the provider hands out.
const (
	DefaultInvitationTTL = 7 * 24 * time.Hour
	codeTTL              = time.Minute      // an authorization code is redeemed at once by the app
	transactionTTL       = 15 * time.Minute // time to fill in the sign-in form
	sessionTTL           = 8 * time.Hour    // a browser session, for silent sign-in
	refreshTTL           = 24 * time.Hour   // a refresh token unused this long expires
	maxPending           = 10000            // bound on open codes, transactions, sessions and refresh tokens each
)

// Brute-force limits on the sign-in form: failures per account (e-mail) and
// per client address in a window; past them the form refuses even a right
// password until the window ends.
const (
	AccountFailureLimit = 5
	AddressFailureLimit = 20
	FailureWindow       = 15 * time.Minute
)

// sessionCookie names the provider's browser session.
const sessionCookie = "rentroll_local_session"

// Directory is the platform's user registry as the provider reads it: who
// may sign in, and the client and role their tokens carry.
type Directory interface {
	GetUser(ctx context.Context, sub string) (tenancy.User, error)
}

// ProviderConfig configures NewProvider.
type ProviderConfig struct {
	// DataDir keeps the accounts (bcrypt hashes, hashed invitation tickets).
	DataDir string
	// Users is the registry; a subject absent from it or disabled cannot sign in.
	Users Directory
	// RedirectURIs are registered for the console besides the provider's own
	// <base>/ and <base>/callback (a development server on another origin).
	RedirectURIs []string
	// InvitationTTL is how long a set-password link works; default 7 days.
	InvitationTTL time.Duration
	// PasswordCost is the bcrypt cost; default bcrypt.DefaultCost.
	PasswordCost int
	Log          *slog.Logger
}

// Provider is the local platform's OpenID provider: it has Auth0's endpoint
// shapes (discovery, /authorize, /oauth/token, /v2/logout), so the Auth0 SPA
// SDK signs in against it unchanged, and it issues the Issuer's RS256 tokens.
// People get an account through an invitation, whose link sets a password.
// Codes, sessions and refresh tokens live in memory: a restart signs
// everyone out, which is fine for a development platform.
type Provider struct {
	iss       *Issuer
	base      string // the issuer without its trailing slash: the SDK's "domain"
	users     Directory
	accounts  *accounts
	redirects []string
	origins   []string
	inviteTTL time.Duration
	log       *slog.Logger

	byAccount *throttle
	byAddress *throttle

	mu       sync.Mutex
	txns     map[string]authRequest
	codes    map[string]*codeGrant
	sessions map[string]session
	refresh  map[string]*refreshGrant // by token hash
}

// authRequest is a validated authorization request.
type authRequest struct {
	RedirectURI  string
	Scope        string
	State        string
	Nonce        string
	Challenge    string
	Audience     string
	ResponseMode string
	expires      time.Time
}

type codeGrant struct {
	req      authRequest
	sub      string
	authTime time.Time
	expires  time.Time
	used     bool
	family   string // refresh tokens issued from this code share it
}

type session struct {
	sub      string
	authTime time.Time
	expires  time.Time
}

type refreshGrant struct {
	sub      string
	scope    string
	audience string
	authTime time.Time
	expires  time.Time
	used     bool
	family   string
}

// NewProvider returns the provider of iss's tokens.
func NewProvider(iss *Issuer, cfg ProviderConfig) (*Provider, error) {
	if cfg.Users == nil {
		return nil, errs.E(errs.Invalid, "auth: the local provider needs the user registry")
	}
	cost := cfg.PasswordCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	acc, err := openAccounts(cfg.DataDir, cost)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(iss.issuer, "/")
	p := &Provider{
		iss: iss, base: base, users: cfg.Users, accounts: acc, inviteTTL: cfg.InvitationTTL, log: cfg.Log,
		byAccount: newThrottle(AccountFailureLimit, FailureWindow),
		byAddress: newThrottle(AddressFailureLimit, FailureWindow),
		txns:      map[string]authRequest{}, codes: map[string]*codeGrant{},
		sessions: map[string]session{}, refresh: map[string]*refreshGrant{},
	}
	if p.inviteTTL <= 0 {
		p.inviteTTL = DefaultInvitationTTL
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for _, u := range append([]string{base + "/", base + "/callback"}, cfg.RedirectURIs...) {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.Fragment != "" {
			return nil, errs.E(errs.Invalid, "auth: redirect URI %q must be an absolute http(s) URL without a fragment", u)
		}
		if !slices.Contains(p.redirects, u) {
			p.redirects = append(p.redirects, u)
		}
		if o := pu.Scheme + "://" + pu.Host; !slices.Contains(p.origins, o) {
			p.origins = append(p.origins, o)
		}
	}
	return p, nil
}

// Domain is what the Auth0 SDK calls the provider: its base URL, with scheme.
func (p *Provider) Domain() string { return p.base }

// RedirectURIs lists the console's registered redirect URIs.
func (p *Provider) RedirectURIs() []string { return slices.Clone(p.redirects) }

// Register mounts the provider's endpoints on mux.
func (p *Provider) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /config.json", p.consoleConfig)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /oauth/token", p.token)
	mux.HandleFunc("OPTIONS /oauth/token", p.tokenPreflight)
	mux.HandleFunc("GET /v2/logout", p.logout)
	mux.HandleFunc("GET /invitation", p.invitationForm)
	mux.HandleFunc("POST /invitation", p.acceptInvitation)
}

// ConsoleConfig is /config.json: what the web console needs to sign in and
// call the API.
type ConsoleConfig struct {
	Domain      string `json:"domain"`
	ClientID    string `json:"client_id"`
	Audience    string `json:"audience"`
	RedirectURI string `json:"redirect_uri"`
	API         string `json:"api"`
}

// Config returns the console's configuration.
func (p *Provider) Config() ConsoleConfig {
	return ConsoleConfig{Domain: p.base, ClientID: ConsoleClientID, Audience: p.iss.audience,
		RedirectURI: p.base + "/callback", API: p.base}
}

func (p *Provider) consoleConfig(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, p.Config())
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.iss.issuer,
		"authorization_endpoint":                p.base + "/authorize",
		"token_endpoint":                        p.base + "/oauth/token",
		"jwks_uri":                              p.iss.JWKSURL(),
		"end_session_endpoint":                  p.base + "/v2/logout",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "web_message"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "name"},
	})
}

// ---- /authorize

// pkceChallenge is an S256 challenge: base64url of 32 bytes.
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// pkceVerifier is RFC 7636's code_verifier.
var pkceVerifier = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

const maxParamLen = 2048

// authorize validates the request (RFC 6749 4.1.1, RFC 7636, OpenID Connect
// 3.1.2) and, with a live session, answers at once; otherwise it shows the
// sign-in form. An unknown client or redirect URI is shown as an error page
// and never redirected to (RFC 6749 4.1.2.1): the provider must not send
// anyone to an address it does not know.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != ConsoleClientID {
		p.errorPage(w, http.StatusBadRequest, "Unknown application", "The application that sent you here is not registered (invalid client_id).")
		return
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(p.redirects, redirect) {
		p.errorPage(w, http.StatusBadRequest, "Unregistered redirect address", "The application asked to return to an address that is not registered (invalid redirect_uri).")
		return
	}
	req := authRequest{
		RedirectURI: redirect, Scope: q.Get("scope"), State: q.Get("state"), Nonce: q.Get("nonce"),
		Challenge: q.Get("code_challenge"), Audience: q.Get("audience"), ResponseMode: q.Get("response_mode"),
	}
	if req.ResponseMode != "" && req.ResponseMode != "query" && req.ResponseMode != "web_message" {
		req.ResponseMode = ""
		p.redirectError(w, r, req, "invalid_request", "response_mode must be query or web_message")
		return
	}
	for _, v := range []string{req.Scope, req.State, req.Nonce, req.Audience} {
		if len(v) > maxParamLen {
			p.redirectError(w, r, req, "invalid_request", "a parameter is too long")
			return
		}
	}
	switch {
	case q.Get("response_type") != "code":
		p.redirectError(w, r, req, "unsupported_response_type", "only response_type=code is supported")
		return
	case req.Challenge == "":
		p.redirectError(w, r, req, "invalid_request", "code_challenge is required (PKCE)")
		return
	case q.Get("code_challenge_method") != "S256":
		p.redirectError(w, r, req, "invalid_request", "code_challenge_method must be S256")
		return
	case !pkceChallenge.MatchString(req.Challenge):
		p.redirectError(w, r, req, "invalid_request", "code_challenge is not a base64url SHA-256 digest")
		return
	case !slices.Contains(strings.Fields(req.Scope), "openid"):
		p.redirectError(w, r, req, "invalid_scope", "scope must include openid")
		return
	case req.Audience != "" && req.Audience != p.iss.audience:
		p.redirectError(w, r, req, "invalid_request", "unknown audience")
		return
	}
	if req.Audience == "" {
		req.Audience = p.iss.audience
	}
	prompt := q.Get("prompt")
	if s, ok := p.session(r); ok && prompt != "login" {
		if err := p.allowed(r.Context(), s.sub); err != nil {
			p.redirectError(w, r, req, "access_denied", publicMessage(err))
			return
		}
		p.issueCode(w, r, req, s.sub, s.authTime)
		return
	}
	if prompt == "none" {
		p.redirectError(w, r, req, "login_required", "sign-in required")
		return
	}
	txn := randomToken()
	req.expires = p.now().Add(transactionTTL)
	p.mu.Lock()
	p.gc(p.now())
	if len(p.txns) >= maxPending {
		p.mu.Unlock()
		p.errorPage(w, http.StatusServiceUnavailable, "Too many sign-ins in progress", "Try again in a few minutes.")
		return
	}
	p.txns[txn] = req
	p.mu.Unlock()
	p.page(w, http.StatusOK, signInPage, pageData{Title: "Sign in to RentRoll", Txn: txn, Email: q.Get("login_hint")})
}

// login checks the sign-in form. Failures are counted per account and per
// client address; past either limit even a right password is refused until
// the window ends, and every failure reads the same, so the form does not
// tell which e-mail addresses have accounts.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Sign-in failed", "The form could not be read.")
		return
	}
	txn, email, password := r.PostForm.Get("txn"), strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	now := p.now()
	p.mu.Lock()
	req, ok := p.txns[txn]
	p.mu.Unlock()
	if !ok || !now.Before(req.expires) {
		p.errorPage(w, http.StatusBadRequest, "This sign-in page has expired", "Go back to the application and sign in again.")
		return
	}
	form := pageData{Title: "Sign in to RentRoll", Txn: txn, Email: email}
	acctKey, addrKey := "acct:"+normEmail(email), "addr:"+clientAddr(r)
	if len(email) > tenancy.MaxEmailLen || len(password) > 1024 {
		form.Error = "Wrong e-mail or password."
		p.page(w, http.StatusUnauthorized, signInPage, form)
		return
	}
	if b1, until1 := p.byAccount.blocked(acctKey, now); b1 {
		p.tooMany(w, form, until1)
		return
	}
	if b2, until2 := p.byAddress.blocked(addrKey, now); b2 {
		p.tooMany(w, form, until2)
		return
	}
	acc, ok := p.accounts.check(email, password)
	if !ok {
		p.byAccount.fail(acctKey, now)
		p.byAddress.fail(addrKey, now)
		p.log.WarnContext(r.Context(), "local sign-in failed", "addr", clientAddr(r))
		form.Error = "Wrong e-mail or password."
		p.page(w, http.StatusUnauthorized, signInPage, form)
		return
	}
	p.byAccount.reset(acctKey)
	p.mu.Lock()
	delete(p.txns, txn)
	p.mu.Unlock()
	if err := p.allowed(r.Context(), acc.Subject); err != nil {
		p.redirectError(w, r, req, "access_denied", publicMessage(err))
		return
	}
	sid := randomToken()
	p.mu.Lock()
	p.gc(now)
	p.sessions[hashToken(sid)] = session{sub: acc.Subject, authTime: now, expires: now.Add(sessionTTL)}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(p.base, "https://"), MaxAge: int(sessionTTL / time.Second),
	})
	p.issueCode(w, r, req, acc.Subject, now)
}

func (p *Provider) tooMany(w http.ResponseWriter, form pageData, until time.Time) {
	left := until.Sub(p.now())
	mins := int(left.Minutes()) + 1
	w.Header().Set("Retry-After", itoa(int(left.Seconds())+1))
	form.Error = "Too many failed attempts. Try again in " + itoa(mins) + " minutes."
	p.page(w, http.StatusTooManyRequests, signInPage, form)
}

// allowed refuses a person who may not sign in: blocked at the provider, or
// absent from or disabled in the user registry (the source of truth).
func (p *Provider) allowed(ctx context.Context, sub string) error {
	if acc, ok := p.accounts.get(sub); ok && acc.Blocked {
		return errs.E(errs.Forbidden, "this account is blocked")
	}
	u, err := p.users.GetUser(ctx, sub)
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.Forbidden, "this account is not registered with RentRoll")
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return errs.E(errs.Forbidden, "this account is disabled")
	}
	return nil
}

func publicMessage(err error) string {
	_, msg := errs.Public(err)
	return msg
}

func (p *Provider) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return session{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[hashToken(c.Value)]
	if !ok || !p.now().Before(s.expires) {
		return session{}, false
	}
	return s, true
}

func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, req authRequest, sub string, authTime time.Time) {
	code := randomToken()
	now := p.now()
	p.mu.Lock()
	p.gc(now)
	if len(p.codes) >= maxPending {
		p.mu.Unlock()
		p.redirectError(w, r, req, "temporarily_unavailable", "too many sign-ins in progress")
		return
	}
	p.codes[hashToken(code)] = &codeGrant{req: req, sub: sub, authTime: authTime, expires: now.Add(codeTTL), family: randid.Hex(8)}
	p.mu.Unlock()
	p.respond(w, r, req, url.Values{"code": {code}})
}

// redirectError sends an authorization error back to the application
// (RFC 6749 4.1.2.1), with the state echoed exactly.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, req authRequest, code, desc string) {
	p.respond(w, r, req, url.Values{"error": {code}, "error_description": {desc}})
}

// respond delivers an authorization response: a redirect with the query
// (response_mode=query), or a page that posts it to the opener's frame
// (response_mode=web_message, the SDK's silent sign-in).
func (p *Provider) respond(w http.ResponseWriter, r *http.Request, req authRequest, v url.Values) {
	if req.State != "" {
		v.Set("state", req.State)
	}
	if req.ResponseMode == "web_message" {
		resp := map[string]string{}
		for k := range v {
			resp[k] = v.Get(k)
		}
		msg, _ := json.Marshal(map[string]any{"type": "authorization_response", "response": resp})
		u, _ := url.Parse(req.RedirectURI)
		p.webMessage(w, u.Scheme+"://"+u.Host, string(msg))
		return
	}
	u, _ := url.Parse(req.RedirectURI) // registered, so parseable
	q := u.Query()
	for k := range v {
		q.Set(k, v.Get(k))
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// gc drops what has expired; the caller holds mu.
func (p *Provider) gc(now time.Time) {
	for k, t := range p.txns {
		if !now.Before(t.expires) {
			delete(p.txns, k)
		}
	}
	for k, c := range p.codes {
		// Used codes are kept until they expire, so a replay is recognised.
		if !now.Before(c.expires) {
			delete(p.codes, k)
		}
	}
	for k, s := range p.sessions {
		if !now.Before(s.expires) {
			delete(p.sessions, k)
		}
	}
	for k, g := range p.refresh {
		if !now.Before(g.expires) {
			delete(p.refresh, k)
		}
	}
}

// ---- /oauth/token

// oauthError is a token endpoint error (RFC 6749 5.2).
type oauthError struct {
	status int
	code   string
	desc   string
}

func tokenErr(code, desc string) *oauthError {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	return &oauthError{status, code, desc}
}

func (p *Provider) cors(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && slices.Contains(p.origins, o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
	}
}

func (p *Provider) tokenPreflight(w http.ResponseWriter, r *http.Request) {
	p.cors(w, r)
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Auth0-Client")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.cors(w, r)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	resp, oerr := p.exchange(r, w)
	if oerr != nil {
		if oerr.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="rentroll"`)
		}
		writeJSON(w, oerr.status, map[string]string{"error": oerr.code, "error_description": oerr.desc})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (p *Provider) exchange(r *http.Request, w http.ResponseWriter) (tokenResponse, *oauthError) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return tokenResponse{}, tokenErr("invalid_request", "the request must be form-encoded (application/x-www-form-urlencoded)")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return tokenResponse{}, tokenErr("invalid_request", "the form could not be read")
	}
	f := r.PostForm
	if f.Get("client_id") != ConsoleClientID || f.Get("client_secret") != "" || r.Header.Get("Authorization") != "" {
		return tokenResponse{}, tokenErr("invalid_client", "unknown client; the console is a public client without a secret")
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		return p.redeemCode(r.Context(), f)
	case "refresh_token":
		return p.redeemRefresh(r.Context(), f)
	case "":
		return tokenResponse{}, tokenErr("invalid_request", "grant_type is required")
	default:
		return tokenResponse{}, tokenErr("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

func (p *Provider) redeemCode(ctx context.Context, f url.Values) (tokenResponse, *oauthError) {
	code, verifier := f.Get("code"), f.Get("code_verifier")
	if code == "" || len(code) > 128 {
		return tokenResponse{}, tokenErr("invalid_request", "code is required")
	}
	now := p.now()
	p.mu.Lock()
	g := p.codes[hashToken(code)]
	var replay bool
	var grant codeGrant
	if g != nil {
		replay = g.used
		g.used = true // single use, whatever follows: a wrong verifier burns the code too
		grant = *g
	}
	if replay {
		// A code presented twice may have been stolen: revoke what the first
		// redemption issued (RFC 6749 4.1.2).
		for k, rg := range p.refresh {
			if rg.family == grant.family {
				delete(p.refresh, k)
			}
		}
	}
	p.mu.Unlock()
	switch {
	case g == nil || !now.Before(grant.expires):
		return tokenResponse{}, tokenErr("invalid_grant", "the authorization code is invalid or expired")
	case replay:
		return tokenResponse{}, tokenErr("invalid_grant", "the authorization code was already used")
	case f.Get("redirect_uri") != grant.req.RedirectURI:
		return tokenResponse{}, tokenErr("invalid_grant", "redirect_uri does not match the authorization request")
	case verifier == "":
		return tokenResponse{}, tokenErr("invalid_request", "code_verifier is required (PKCE)")
	case !pkceVerifier.MatchString(verifier):
		return tokenResponse{}, tokenErr("invalid_grant", "code_verifier is malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(grant.req.Challenge)) != 1 {
		return tokenResponse{}, tokenErr("invalid_grant", "code_verifier does not match the code_challenge (PKCE)")
	}
	return p.issueTokens(ctx, grant.sub, grant.req.Scope, grant.req.Audience, grant.req.Nonce, grant.authTime, grant.family)
}

func (p *Provider) redeemRefresh(ctx context.Context, f url.Values) (tokenResponse, *oauthError) {
	rt := f.Get("refresh_token")
	if rt == "" || len(rt) > 128 {
		return tokenResponse{}, tokenErr("invalid_request", "refresh_token is required")
	}
	now := p.now()
	p.mu.Lock()
	g := p.refresh[hashToken(rt)]
	var grant refreshGrant
	if g != nil {
		grant = *g
		if g.used {
			// Rotation: a refresh token used twice was copied; end the family.
			for k, rg := range p.refresh {
				if rg.family == g.family {
					delete(p.refresh, k)
				}
			}
		}
		g.used = true
	}
	p.mu.Unlock()
	if g == nil || grant.used || !now.Before(grant.expires) {
		return tokenResponse{}, tokenErr("invalid_grant", "the refresh token is invalid, expired or already used")
	}
	return p.issueTokens(ctx, grant.sub, grant.scope, grant.audience, "", grant.authTime, grant.family)
}

// issueTokens mints the access token (the platform's usual RS256 token with
// the namespaced claims, from the registry), the ID token for the console,
// and, when offline_access was asked for, a rotating refresh token.
func (p *Provider) issueTokens(ctx context.Context, sub, scope, audience, nonce string, authTime time.Time, family string) (tokenResponse, *oauthError) {
	if err := p.allowed(ctx, sub); err != nil {
		return tokenResponse{}, tokenErr("invalid_grant", publicMessage(err))
	}
	u, err := p.users.GetUser(ctx, sub)
	if err != nil {
		return tokenResponse{}, &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable", "the user registry did not answer"}
	}
	acc, _ := p.accounts.get(sub)
	email := u.Email
	if email == "" {
		email = acc.Email
	}
	access, err := p.iss.Mint(MintRequest{Subject: sub, Role: string(u.Role), ClientID: u.ClientID, Email: email, TTL: DefaultTokenTTL, Audience: audience})
	if err != nil {
		return tokenResponse{}, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the token"}
	}
	now := p.iss.now()
	idClaims := jwt.MapClaims{
		"iss": p.iss.issuer, "aud": ConsoleClientID, "sub": sub,
		"iat": jwt.NewNumericDate(now), "exp": jwt.NewNumericDate(now.Add(DefaultTokenTTL)),
		"auth_time": authTime.Unix(), "email": email, "email_verified": true,
	}
	if acc.Name != "" {
		idClaims["name"] = acc.Name
	}
	if nonce != "" {
		idClaims["nonce"] = nonce
	}
	id, err := p.iss.sign(idClaims)
	if err != nil {
		return tokenResponse{}, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the token"}
	}
	resp := tokenResponse{AccessToken: access, IDToken: id, TokenType: "Bearer", ExpiresIn: int(DefaultTokenTTL / time.Second), Scope: scope}
	if slices.Contains(strings.Fields(scope), "offline_access") {
		rt := randomToken()
		p.mu.Lock()
		p.gc(p.now())
		if len(p.refresh) < maxPending {
			p.refresh[hashToken(rt)] = &refreshGrant{sub: sub, scope: scope, audience: audience, authTime: authTime, expires: p.now().Add(refreshTTL), family: family}
			resp.RefreshToken = rt
		}
		p.mu.Unlock()
	}
	return resp, nil
}

// ---- /v2/logout

// logout ends the browser session and returns to returnTo when it is one of
// the console's registered addresses (or their origin), as Auth0's allowed
// logout URLs do; any other address is refused rather than followed.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) <= 128 {
		p.mu.Lock()
		delete(p.sessions, hashToken(c.Value))
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if cid := q.Get("client_id"); cid != "" && cid != ConsoleClientID {
		p.errorPage(w, http.StatusBadRequest, "Unknown application", "You are signed out, but the application that sent you here is not registered.")
		return
	}
	ret := q.Get("returnTo")
	if ret == "" {
		p.page(w, http.StatusOK, messagePage, pageData{Title: "Signed out", Message: "You are signed out of RentRoll.", Link: p.base + "/"})
		return
	}
	if !p.allowedReturn(ret) {
		p.errorPage(w, http.StatusBadRequest, "Unregistered return address", "You are signed out, but the address to return to is not registered (returnTo).")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, ret, http.StatusFound)
}

func (p *Provider) allowedReturn(ret string) bool {
	if slices.Contains(p.redirects, ret) {
		return true
	}
	for _, o := range p.origins {
		if ret == o || ret == o+"/" {
			return true
		}
	}
	return false
}

// ---- invitations

// EnsurePerson implements tenancy.IdentityProvider: it finds the local
// account with the e-mail, or creates one without a password. A subject the
// super admin registered by hand gets an account under that subject. Client
// and role are not copied: tokens read them from the registry at sign-in.
func (p *Provider) EnsurePerson(_ context.Context, person tenancy.Person) (tenancy.Person, error) {
	if person.Subject == "" && person.Email == "" {
		return tenancy.Person{}, errs.E(errs.Invalid, "an e-mail address is required")
	}
	acc, err := p.accounts.ensure(person.Subject, person.Email, person.Name, p.now().UTC())
	if err != nil {
		return tenancy.Person{}, err
	}
	person.Subject, person.Email, person.Activated = acc.Subject, acc.Email, acc.PasswordHash != ""
	if person.Name == "" {
		person.Name = acc.Name
	}
	return person, nil
}

// SetClaims implements tenancy.IdentityProvider. The local provider reads
// client and role from the registry when it issues a token, so there is
// nothing to copy.
func (p *Provider) SetClaims(context.Context, tenancy.Person) error { return nil }

// Invite implements tenancy.IdentityProvider: a fresh single-use link to
// set the password, replacing any earlier one. The local provider sends no
// e-mail; the link is the answer.
func (p *Provider) Invite(ctx context.Context, person tenancy.Person) (tenancy.Invitation, error) {
	if person.Subject == "" {
		var err error
		if person, err = p.EnsurePerson(ctx, person); err != nil {
			return tenancy.Invitation{}, err
		}
	}
	now := p.now().UTC()
	ticket, acc, err := p.accounts.issueTicket(person.Subject, now.Add(p.inviteTTL), now)
	if err != nil {
		return tenancy.Invitation{}, err
	}
	return tenancy.Invitation{Email: acc.Email, URL: p.base + "/invitation?ticket=" + ticket, ExpiresAt: acc.TicketExpiry}, nil
}

// SetBlocked implements tenancy.IdentityProvider. Blocking also ends the
// person's sessions and refresh tokens at once.
func (p *Provider) SetBlocked(_ context.Context, sub string, blocked bool) error {
	if err := p.accounts.setBlocked(sub, blocked, p.now().UTC()); err != nil {
		return err
	}
	if blocked {
		p.mu.Lock()
		for k, s := range p.sessions {
			if s.sub == sub {
				delete(p.sessions, k)
			}
		}
		for k, g := range p.refresh {
			if g.sub == sub {
				delete(p.refresh, k)
			}
		}
		p.mu.Unlock()
	}
	return nil
}

var _ tenancy.IdentityProvider = (*Provider)(nil)

func (p *Provider) invitationForm(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	acc, err := p.accounts.byTicket(ticket, p.now())
	if err != nil {
		p.errorPage(w, http.StatusGone, "Invitation expired", publicMessage(err))
		return
	}
	p.page(w, http.StatusOK, setPasswordPage, pageData{Title: "Set your RentRoll password", Ticket: ticket, Email: acc.Email})
}

func (p *Provider) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Invitation", "The form could not be read.")
		return
	}
	ticket, pw, confirm := r.PostForm.Get("ticket"), r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	acc, err := p.accounts.byTicket(ticket, p.now())
	if err != nil {
		p.errorPage(w, http.StatusGone, "Invitation expired", publicMessage(err))
		return
	}
	form := pageData{Title: "Set your RentRoll password", Ticket: ticket, Email: acc.Email}
	if pw != confirm {
		form.Error = "The two passwords differ."
		p.page(w, http.StatusBadRequest, setPasswordPage, form)
		return
	}
	if _, err := p.accounts.setPassword(ticket, pw, p.now()); err != nil {
		if errs.Is(err, errs.NotFound) {
			p.errorPage(w, http.StatusGone, "Invitation expired", publicMessage(err))
			return
		}
		if errs.Is(err, errs.Invalid) {
			form.Error = publicMessage(err) + "."
			p.page(w, http.StatusBadRequest, setPasswordPage, form)
			return
		}
		p.log.ErrorContext(r.Context(), "set password failed", "error", err.Error())
		p.errorPage(w, http.StatusInternalServerError, "Invitation", "The password could not be saved; try again.")
		return
	}
	p.page(w, http.StatusOK, messagePage, pageData{Title: "Password set", Message: "Your password is set. You can now sign in.", Link: p.base + "/"})
}

// ---- helpers

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// clientAddr is the connection's peer: the local platform is reached
// directly, never through a proxy, so forwarded headers are not trusted.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// now is the issuer's clock, so tests move both together.
func (p *Provider) now() time.Time { return p.iss.now() }

// HasPassword reports whether the person has set a password.
func (p *Provider) HasPassword(sub string) bool {
	acc, ok := p.accounts.get(sub)
	return ok && acc.PasswordHash != ""
}
