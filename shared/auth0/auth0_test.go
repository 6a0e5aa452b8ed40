package auth0_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/auth0"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

const (
	clientID   = "mgmt-client"
	secret     = "s3cr3t-never-logged"
	connection = "Username-Password-Authentication"
)

// fake is an httptest Auth0 tenant serving the documented Management API
// endpoints the adapter uses. It checks every request: the path and method,
// the JSON body's fields, and the bearer token it issued; anything else
// fails the test.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	users    map[string]map[string]any // by user_id
	seq      int
	token    string
	tokens   int      // token requests
	calls    []string // "METHOD /path" of every request
	inject   []int    // statuses to answer next, before serving normally
	ttl      int      // expires_in of issued tokens
	revoke   bool     // refuse the current token once
	badCreds bool
	hideOnce bool // users-by-email answers nobody once
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, users: map[string]map[string]any{}, ttl: 86400}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) client(t *testing.T, log *bytes.Buffer) *auth0.Client {
	t.Helper()
	cfg := auth0.Config{Domain: f.srv.URL, Connection: connection, ClientID: clientID, ClientSecret: secret,
		BaseDelay: time.Millisecond, MaxAttempts: 4, ResultURL: "https://app.rentroll.ai/"}
	if log != nil {
		cfg.Log = slog.New(slog.NewJSONHandler(log, nil))
	}
	c, err := auth0.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fake) countCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fake) fail(format string, args ...any) {
	f.t.Helper()
	f.t.Errorf("fake auth0: "+format, args...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "error": http.StatusText(status), "message": msg, "errorCode": code})
}

// decode reads the JSON body and checks it has exactly the allowed keys
// (required ones included).
func (f *fake) decode(r *http.Request, required, optional []string) map[string]any {
	f.t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.fail("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
	}
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		f.fail("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
		return nil
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			f.fail("%s %s: body lacks %s: %v", r.Method, r.URL.Path, k, m)
		}
	}
	for k := range m {
		if !contains(required, k) && !contains(optional, k) {
			f.fail("%s %s: unexpected body field %s", r.Method, r.URL.Path, k)
		}
	}
	return m
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if len(f.inject) > 0 {
		status := f.inject[0]
		f.inject = f.inject[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		apiErr(w, status, "injected", "injected failure")
		return
	}
	if r.URL.Path == "/oauth/token" {
		if r.Method != http.MethodPost {
			f.fail("token: method %s", r.Method)
		}
		m := f.decode(r, []string{"grant_type", "client_id", "client_secret", "audience"}, nil)
		if m["grant_type"] != "client_credentials" || m["client_id"] != clientID || m["audience"] != f.srv.URL+"/api/v2/" {
			f.fail("token request %v", m)
		}
		if m["client_secret"] != secret || f.badCreds {
			apiErr(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
			return
		}
		f.tokens++
		f.token = fmt.Sprintf("mgmt-token-%d", f.tokens)
		writeJSON(w, 200, map[string]any{"access_token": f.token, "expires_in": f.ttl, "token_type": "Bearer", "scope": "read:users update:users create:users create:user_tickets"})
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		f.fail("unexpected path %s", r.URL.Path)
		apiErr(w, 404, "not_found", "no such endpoint")
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.token || f.token == "" || f.revoke {
		f.revoke = false
		apiErr(w, http.StatusUnauthorized, "invalid_token", "Invalid token")
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/users-by-email":
		email := r.URL.Query().Get("email")
		if email != strings.ToLower(email) {
			f.fail("users-by-email with a mixed-case e-mail %q", email)
		}
		out := []map[string]any{}
		if f.hideOnce {
			f.hideOnce = false
			writeJSON(w, 200, out)
			return
		}
		for _, u := range f.users {
			if u["email"] == email {
				out = append(out, u)
			}
		}
		writeJSON(w, 200, out)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/users":
		m := f.decode(r, []string{"email", "connection", "password", "email_verified", "verify_email", "app_metadata"}, []string{"name"})
		if m["connection"] != connection || len(fmt.Sprint(m["password"])) < 20 || m["verify_email"] != false {
			f.fail("create user %v", m)
		}
		md, _ := m["app_metadata"].(map[string]any)
		if md["client_id"] == nil || md["role"] == nil {
			f.fail("create user without client_id and role in app_metadata: %v", md)
		}
		email := strings.ToLower(fmt.Sprint(m["email"]))
		for _, u := range f.users {
			if u["email"] == email {
				apiErr(w, http.StatusConflict, "auth0_idp_error", "The user already exists.")
				return
			}
		}
		f.seq++
		u := map[string]any{"user_id": fmt.Sprintf("auth0|%024d", f.seq), "email": email, "name": m["name"], "app_metadata": md, "blocked": false, "logins_count": 0}
		f.users[u["user_id"].(string)] = u
		writeJSON(w, 201, u)
	case strings.HasPrefix(r.URL.Path, "/api/v2/users/"):
		id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v2/users/"))
		if err != nil || !strings.HasPrefix(r.URL.EscapedPath(), "/api/v2/users/") {
			f.fail("user path %s", r.URL.EscapedPath())
		}
		u, ok := f.users[id]
		if !ok {
			apiErr(w, 404, "inexistent_user", "The user does not exist.")
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, 200, u)
		case http.MethodPatch:
			m := f.decode(r, nil, []string{"app_metadata", "blocked"})
			if len(m) != 1 {
				f.fail("PATCH user should change one thing at a time: %v", m)
			}
			if md, ok := m["app_metadata"].(map[string]any); ok {
				cur, _ := u["app_metadata"].(map[string]any)
				if cur == nil {
					cur = map[string]any{}
				}
				for k, v := range md { // Auth0 merges app_metadata
					cur[k] = v
				}
				u["app_metadata"] = cur
			}
			if b, ok := m["blocked"]; ok {
				u["blocked"] = b
			}
			writeJSON(w, 200, u)
		default:
			f.fail("method %s on a user", r.Method)
		}
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/tickets/password-change":
		m := f.decode(r, []string{"user_id", "ttl_sec", "mark_email_as_verified"}, []string{"result_url", "includeEmailInRedirect"})
		if _, ok := f.users[fmt.Sprint(m["user_id"])]; !ok {
			apiErr(w, 404, "inexistent_user", "The user does not exist.")
			return
		}
		if m["ttl_sec"] != float64(7*24*3600) || m["result_url"] != "https://app.rentroll.ai/" {
			f.fail("ticket request %v", m)
		}
		writeJSON(w, 201, map[string]any{"ticket": "https://tenant.example/lo/reset?ticket=T" + fmt.Sprint(len(f.calls)) + "#"})
	default:
		f.fail("unexpected %s %s", r.Method, r.URL.Path)
		apiErr(w, 404, "not_found", "no such endpoint")
	}
}

func TestAuth0KeepsTheIdentityContract(t *testing.T) {
	f := newFake(t)
	tenancytest.IdentityContract(t, f.client(t, nil))
	if f.tokens != 1 {
		t.Errorf("token requests = %d, want 1 (cached)", f.tokens)
	}
}

func TestAuth0Calls(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	c := f.client(t, nil)
	p, err := c.EnsurePerson(ctx, tenancy.Person{Email: "Ann@Acme.example", Name: "Ann", ClientID: "acme", Role: tenancy.ClientAdmin})
	if err != nil {
		t.Fatal(err)
	}
	u := f.users[p.Subject]
	if md := u["app_metadata"].(map[string]any); md["client_id"] != "acme" || md["role"] != "client_admin" || u["name"] != "Ann" {
		t.Errorf("created %v", u)
	}
	// Found by e-mail: no second user.
	if _, err := c.EnsurePerson(ctx, tenancy.Person{Email: "ann@acme.example"}); err != nil || f.countCalls("POST /api/v2/users") != 1 {
		t.Errorf("second ensure: %v; creates = %d", err, f.countCalls("POST /api/v2/users"))
	}
	if err := c.SetClaims(ctx, tenancy.Person{Subject: p.Subject, ClientID: "acme", Role: tenancy.ClientUser}); err != nil {
		t.Fatal(err)
	}
	if md := f.users[p.Subject]["app_metadata"].(map[string]any); md["role"] != "client_user" {
		t.Errorf("claims not updated: %v", md)
	}
	if err := c.SetBlocked(ctx, p.Subject, true); err != nil || f.users[p.Subject]["blocked"] != true {
		t.Errorf("block: %v %v", err, f.users[p.Subject]["blocked"])
	}
	inv, err := c.Invite(ctx, p)
	if err != nil || !strings.HasPrefix(inv.URL, "https://tenant.example/lo/reset?ticket=") || inv.Email != p.Email {
		t.Errorf("invite %+v %v", inv, err)
	}
	// A person who has signed in is Activated.
	f.users[p.Subject]["logins_count"] = 3
	if again, _ := c.EnsurePerson(ctx, tenancy.Person{Email: "ann@acme.example"}); !again.Activated {
		t.Errorf("person with logins: %+v, want activated", again)
	}
	if f.tokens != 1 {
		t.Errorf("token requests = %d, want 1", f.tokens)
	}
}

func TestAuth0TokenCachedUntilExpiry(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	f.ttl = 90 // expires within the minute of slack after 30 s
	c := f.client(t, nil)
	clock := time.Now()
	auth0.SetNow(c, func() time.Time { return clock })
	for i := 0; i < 3; i++ {
		if err := c.SetBlocked(ctx, "auth0|x", false); err != nil {
			t.Fatal(err)
		}
	}
	if f.tokens != 1 {
		t.Fatalf("token requests = %d, want 1", f.tokens)
	}
	clock = clock.Add(31 * time.Second)
	if err := c.SetBlocked(ctx, "auth0|x", false); err != nil {
		t.Fatal(err)
	}
	if f.tokens != 2 {
		t.Errorf("token requests after expiry = %d, want 2", f.tokens)
	}
	// A token refused early is dropped and fetched again, once.
	f.revoke = true
	if err := c.SetBlocked(ctx, "auth0|x", false); err != nil || f.tokens != 3 {
		t.Errorf("after a revoked token: %v, tokens = %d, want 3", err, f.tokens)
	}
}

func TestAuth0RetriesRateLimitsAndOutages(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	f := newFake(t)
	c := f.client(t, &logs)
	f.inject = []int{429, 503, 502}
	p, err := c.EnsurePerson(ctx, tenancy.Person{Email: "bob@acme.example", ClientID: "acme", Role: tenancy.ClientUser})
	if err != nil || p.Subject == "" {
		t.Fatalf("after 429, 503, 502: %+v %v, want success on the 4th try", p, err)
	}
	// Past MaxAttempts the error is transient (the request can be repeated).
	f.inject = []int{429, 429, 429, 429}
	err = c.SetBlocked(ctx, p.Subject, true)
	if !errs.Is(err, errs.Transient) {
		t.Errorf("4 × 429: %v, want transient", err)
	}
	// Errors that retrying cannot fix are not retried.
	tests := []struct {
		status int
		want   errs.Code
	}{{400, errs.Invalid}, {403, errs.Internal}, {404, errs.NotFound}}
	for _, tt := range tests {
		before := len(f.calls)
		f.inject = []int{tt.status}
		_, err := c.EnsurePerson(ctx, tenancy.Person{Subject: p.Subject})
		if !errs.Is(err, tt.want) || len(f.calls)-before != 1 {
			t.Errorf("%d: %v after %d calls, want %s after 1", tt.status, err, len(f.calls)-before, tt.want)
		}
	}
	// A wrong secret is a configuration error, said once, and never logged.
	f2 := newFake(t)
	f2.badCreds = true
	bad := f2.client(t, &logs)
	err = bad.SetBlocked(ctx, "auth0|x", true)
	if !errs.Is(err, errs.Internal) || f2.countCalls("POST /oauth/token") != 1 {
		t.Errorf("bad credentials: %v after %d token calls", err, f2.countCalls("POST /oauth/token"))
	}
	for _, leak := range []string{secret, "mgmt-token-", "bob@acme.example"} {
		if strings.Contains(logs.String(), leak) || strings.Contains(err.Error(), leak) {
			t.Errorf("log or error carries %q: %s / %v", leak, logs.String(), err)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("retries not logged: %s", logs.String())
	}
}

func TestAuth0BackoffHonoursTheContext(t *testing.T) {
	f := newFake(t)
	c, err := auth0.New(auth0.Config{Domain: f.srv.URL, Connection: connection, ClientID: clientID, ClientSecret: secret,
		BaseDelay: time.Hour, MaxAttempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	f.inject = []int{503}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.SetBlocked(ctx, "auth0|x", true)
	if !errs.Is(err, errs.Transient) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled backoff: %v after %v", err, time.Since(start))
	}
}

func TestAuth0CreateRaceFindsTheUser(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	c := f.client(t, nil)
	// Another instance created the user after our lookup: the lookup sees
	// nobody, the create conflicts, and the adapter settles on that user.
	f.users["auth0|race"] = map[string]any{"user_id": "auth0|race", "email": "dan@acme.example", "logins_count": 0}
	f.hideOnce = true
	p, err := c.EnsurePerson(ctx, tenancy.Person{Email: "dan@acme.example", ClientID: "acme", Role: tenancy.ClientUser})
	if err != nil || p.Subject != "auth0|race" {
		t.Errorf("EnsurePerson during a race = %+v, %v, want auth0|race", p, err)
	}
	if n := f.countCalls("POST /api/v2/users"); n != 1 || f.countCalls("GET /api/v2/users-by-email") != 2 {
		t.Errorf("calls %v", f.calls)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	for _, cfg := range []auth0.Config{
		{Connection: connection, ClientID: clientID, ClientSecret: secret},
		{Domain: "x.auth0.com", ClientID: clientID, ClientSecret: secret},
		{Domain: "x.auth0.com", Connection: connection, ClientSecret: secret},
		{Domain: "x.auth0.com", Connection: connection, ClientID: clientID},
	} {
		if _, err := auth0.New(cfg); !errs.Is(err, errs.Invalid) {
			t.Errorf("New(%+v) = %v, want invalid", cfg, err)
		}
	}
}
