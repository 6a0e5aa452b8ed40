package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// guard resolves tokens from a map and applies tenancy.Authorize; clients in
// suspended are suspended.
type guard struct {
	principals map[string]tenancy.Principal
	down       bool
}

func (g guard) Authenticate(_ context.Context, tok string) (tenancy.Principal, error) {
	if g.down {
		return tenancy.Principal{}, errs.E(errs.Transient, "keys unavailable")
	}
	p, ok := g.principals[tok]
	if !ok {
		return p, errs.E(errs.Unauthorized, "invalid token")
	}
	return p, nil
}

func (g guard) AuthorizeClient(_ context.Context, p tenancy.Principal, cid string, min tenancy.Role, _ bool) error {
	return tenancy.Authorize(p, cid, min)
}

type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(_ context.Context, e audit.Entry) {
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
}

func newServer(g guard, rec *recorder) http.Handler {
	s := &web.Server{Guard: g, Audit: rec}
	ok := func(w http.ResponseWriter, r *http.Request) error {
		p, _ := web.PrincipalFrom(r.Context())
		web.WriteJSON(w, http.StatusOK, map[string]string{"sub": p.Subject, "cid": r.PathValue("cid")})
		return nil
	}
	return s.Handler([]web.Route{
		{Name: "health", Method: "GET", Path: "/healthz", Access: web.Public, Handler: ok},
		{Name: "me", Method: "GET", Path: "/v1/me", Access: web.Authenticated, Handler: ok},
		{Name: "uploads.list", Method: "GET", Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, Handler: ok},
		{Name: "users.create", Method: "POST", Path: "/v1/clients/{cid}/users", Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: 64,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var v struct{ Sub string }
				if err := web.Decode(r, &v); err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusCreated, v)
				return nil
			}},
		{Name: "admin.clients", Method: "GET", Path: "/v1/admin/clients", Access: web.SuperAdminOnly, Handler: ok},
		{Name: "boom", Method: "GET", Path: "/boom", Access: web.Public, Handler: func(http.ResponseWriter, *http.Request) error { panic("secret detail") }},
	})
}

func TestAccessRules(t *testing.T) {
	g := guard{principals: map[string]tenancy.Principal{
		"super":  {Subject: "s", Role: tenancy.SuperAdmin},
		"adminA": {Subject: "a", Role: tenancy.ClientAdmin, ClientID: "acme"},
		"userA":  {Subject: "u", Role: tenancy.ClientUser, ClientID: "acme"},
	}}
	rec := &recorder{}
	h := newServer(g, rec)
	tests := []struct {
		method, path, token, body string
		want                      int
		wantCode                  string
	}{
		{"GET", "/healthz", "", "", 200, ""},
		{"GET", "/v1/me", "", "", 401, "unauthorized"},
		{"GET", "/v1/me", "forged", "", 401, "unauthorized"},
		{"GET", "/v1/me", "userA", "", 200, ""},
		{"GET", "/v1/clients/acme/uploads", "userA", "", 200, ""},
		{"GET", "/v1/clients/globex/uploads", "userA", "", 404, "not_found"},
		{"GET", "/v1/clients/globex/uploads", "super", "", 200, ""},
		{"POST", "/v1/clients/acme/users", "userA", `{"sub":"x"}`, 403, "forbidden"},
		{"POST", "/v1/clients/acme/users", "adminA", `{"sub":"x"}`, 201, ""},
		{"POST", "/v1/clients/acme/users", "adminA", `{"sub":"x","extra":1}`, 400, "invalid"},
		{"POST", "/v1/clients/acme/users", "adminA", `{"sub":"` + strings.Repeat("x", 100) + `"}`, 413, "too_large"},
		{"POST", "/v1/clients/acme/users", "adminA", `{"sub":`, 400, "invalid"},
		{"GET", "/v1/admin/clients", "adminA", "", 403, "forbidden"},
		{"GET", "/v1/admin/clients", "super", "", 200, ""},
		{"DELETE", "/v1/admin/clients", "super", "", 405, "method_not_allowed"},
		{"GET", "/nope", "", "", 404, "not_found"},
		{"GET", "/boom", "", "", 500, "internal"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tt.want {
			t.Errorf("%s %s as %q: status %d, want %d (%s)", tt.method, tt.path, tt.token, w.Code, tt.want, w.Body)
			continue
		}
		if w.Header().Get("X-Request-Id") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: missing request id or security headers", tt.method, tt.path)
		}
		if tt.wantCode == "" {
			continue
		}
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tt.wantCode {
			t.Errorf("%s %s: body %s, want error code %q", tt.method, tt.path, w.Body, tt.wantCode)
		}
		if strings.Contains(w.Body.String(), "secret detail") {
			t.Errorf("%s %s: internal detail leaked: %s", tt.method, tt.path, w.Body)
		}
		if w.Code == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s: 401 without WWW-Authenticate: Bearer", tt.method, tt.path)
		}
		if w.Code == 405 && w.Header().Get("Allow") == "" {
			t.Errorf("405 without Allow")
		}
	}
	// Audit: the denied requests and the mutations, nothing for allowed reads.
	var denied, allowed, failed int
	for _, e := range rec.entries {
		switch e.Outcome {
		case audit.Denied:
			denied++
		case audit.Allowed:
			allowed++
		case audit.Failed:
			failed++
		}
	}
	// The two 401s (no token, a forged one) are logged, not audited.
	if denied != 3 || allowed != 1 || failed != 2 {
		t.Errorf("audit: denied %d allowed %d failed %d, want 3, 1, 2: %+v", denied, allowed, failed, rec.entries)
	}
}

func TestGuardUnavailableIs503(t *testing.T) {
	h := newServer(guard{down: true}, &recorder{})
	req := httptest.NewRequest("GET", "/v1/me", nil)
	req.Header.Set("Authorization", "Bearer anything")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestPageOf(t *testing.T) {
	tests := []struct {
		query string
		limit int
		ok    bool
	}{{"", 50, true}, {"limit=500", 500, true}, {"limit=501", 0, false}, {"limit=0", 0, false}, {"limit=x", 0, false}}
	for _, tt := range tests {
		p, err := web.PageOf(httptest.NewRequest("GET", "/?"+tt.query, nil))
		if (err == nil) != tt.ok || (tt.ok && p.Limit != tt.limit) {
			t.Errorf("PageOf(%q) = %+v, %v", tt.query, p, err)
		}
	}
}

func TestRateLimit(t *testing.T) {
	g := guard{principals: map[string]tenancy.Principal{"u": {Subject: "u", Role: tenancy.ClientUser, ClientID: "acme"}, "v": {Subject: "v", Role: tenancy.ClientUser, ClientID: "acme"}}}
	s := &web.Server{Guard: g, Limiter: web.NewRateLimiter(1, 3)}
	h := s.Handler([]web.Route{{Name: "me", Method: "GET", Path: "/v1/me", Access: web.Authenticated,
		Handler: func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(204); return nil }}})
	get := func(tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	var codes []int
	for i := 0; i < 5; i++ {
		codes = append(codes, get("u").Code)
	}
	if codes[0] != 204 || codes[2] != 204 || codes[3] != 429 || codes[4] != 429 {
		t.Errorf("statuses %v, want three 204 then 429s", codes)
	}
	if w := get("u"); w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "rate_limited") {
		t.Errorf("429 without Retry-After or code: %v %s", w.Header(), w.Body)
	}
	if w := get("v"); w.Code != 204 {
		t.Errorf("another principal is limited too: %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	s := &web.Server{AllowedOrigins: []string{"https://app.rentroll.ai"}}
	h := s.Handler([]web.Route{{Name: "health", Method: "GET", Path: "/healthz", Access: web.Public,
		Handler: func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(200); return nil }}})
	tests := []struct {
		method, origin string
		want           int
		allowed        bool
	}{
		{"GET", "https://app.rentroll.ai", 200, true},
		{"GET", "https://evil.example", 200, false},
		{"OPTIONS", "https://app.rentroll.ai", 204, true},
		{"OPTIONS", "https://evil.example", 403, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, "/healthz", nil)
		req.Header.Set("Origin", tt.origin)
		if tt.method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "GET")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		got := w.Header().Get("Access-Control-Allow-Origin") == tt.origin
		if w.Code != tt.want || got != tt.allowed {
			t.Errorf("%s from %s: %d, allow-origin %q", tt.method, tt.origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
		if tt.method == "OPTIONS" && tt.allowed && !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("preflight without allowed methods: %v", w.Header())
		}
	}
}

func TestRemoteAddrTrustsConfiguredHops(t *testing.T) {
	tests := []struct {
		hops      int
		xff, want string
	}{
		{2, "6.6.6.6, 203.0.113.7, 130.211.0.1", "203.0.113.7"}, // spoofed first hop, client, load balancer
		{2, "203.0.113.7, 130.211.0.1", "203.0.113.7"},
		{2, "6.6.6.6, 5.5.5.5, 203.0.113.7, 130.211.0.1", "203.0.113.7"}, // more spoofed hops change nothing
		{2, "203.0.113.7", "192.0.2.1"},                                  // shorter than the trusted chain: not through our proxies
		{2, "", "192.0.2.1"},                                             // no header: the connection's address
		{1, "6.6.6.6, 203.0.113.7", "203.0.113.7"},                       // one trusted proxy appends only the client
		{0, "6.6.6.6, 203.0.113.7, 130.211.0.1", "192.0.2.1"},            // no trusted proxy: the header is the client's claim
		{2, "6.6.6.6, not-an-ip, 130.211.0.1", "192.0.2.1"},
	}
	for _, tt := range tests {
		rec := &recorder{}
		g := guard{principals: map[string]tenancy.Principal{"tok": {Subject: "s", Role: tenancy.SuperAdmin}}}
		s := &web.Server{Guard: g, Audit: rec, TrustedProxyHops: tt.hops}
		h := s.Handler([]web.Route{{Name: "me", Method: "POST", Path: "/v1/me", Access: web.Authenticated,
			Handler: func(w http.ResponseWriter, r *http.Request) error { return nil }}})
		req := httptest.NewRequest("POST", "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer tok")
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if len(rec.entries) != 1 {
			t.Fatalf("hops %d, X-Forwarded-For %q: %d audit entries, want 1", tt.hops, tt.xff, len(rec.entries))
		}
		if got := rec.entries[0].RemoteAddr; got != tt.want {
			t.Errorf("hops %d, X-Forwarded-For %q: audited address %q, want %q", tt.hops, tt.xff, got, tt.want)
		}
	}
}

// TestUnauthenticatedNotAudited: a request without a valid token is logged
// (the access log) but writes no audit row, so anyone on the internet cannot
// fill the audit table; an identified caller's refusal still does.
func TestUnauthenticatedNotAudited(t *testing.T) {
	g := guard{principals: map[string]tenancy.Principal{"userA": {Subject: "u", Role: tenancy.ClientUser, ClientID: "acme"}}}
	var logs strings.Builder
	rec := &recorder{}
	s := &web.Server{Guard: g, Audit: rec, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := s.Handler([]web.Route{{Name: "admin.clients.create", Method: "POST", Path: "/v1/admin/clients", Access: web.SuperAdminOnly,
		Handler: func(w http.ResponseWriter, r *http.Request) error { return nil }}})
	for _, tok := range []string{"", "forged", "userA"} {
		req := httptest.NewRequest("POST", "/v1/admin/clients", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if len(rec.entries) != 1 || rec.entries[0].ActorSub != "u" || rec.entries[0].Status != 403 {
		t.Errorf("audit entries = %+v, want only the identified caller's 403", rec.entries)
	}
	if got := strings.Count(logs.String(), `"status":401`); got != 2 {
		t.Errorf("access log has %d 401 lines, want 2:\n%s", got, logs.String())
	}
}

// TestClientLimiter: a client's analytics requests beyond its concurrency or
// rate answer 429 with Retry-After, and another client is not affected.
func TestClientLimiter(t *testing.T) {
	g := guard{principals: map[string]tenancy.Principal{
		"userA": {Subject: "a", Role: tenancy.ClientUser, ClientID: "acme"},
		"userB": {Subject: "b", Role: tenancy.ClientUser, ClientID: "globex"},
	}}
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	handler := func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Get("block") != "" {
			started <- struct{}{}
			<-release
		}
		web.WriteJSON(w, http.StatusOK, map[string]string{})
		return nil
	}
	serve := func(l *web.ClientLimiter) http.Handler {
		s := &web.Server{Guard: g}
		return s.Handler(l.Wrap([]web.Route{{Name: "analytics.summary", Method: "GET", Path: "/v1/clients/{cid}/analytics/summary",
			Access: web.Tenant, Role: tenancy.ClientUser, Handler: handler}}))
	}
	call := func(h http.Handler, tok, cid, query string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/v1/clients/"+cid+"/analytics/summary"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	// Concurrency: two in flight for acme, the third is refused.
	h := serve(web.NewClientLimiter(2, 1000, 1000))
	done := make(chan int, 2)
	for range 2 {
		go func() { done <- call(h, "userA", "acme", "?block=1").Code }()
	}
	<-started
	<-started
	if w := call(h, "userA", "acme", ""); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("third concurrent request: %d, Retry-After %q; want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := call(h, "userB", "globex", ""); w.Code != 200 {
		t.Errorf("another client while acme is at its bound: %d, want 200", w.Code)
	}
	close(release)
	for range 2 {
		if code := <-done; code != 200 {
			t.Errorf("request in flight: %d, want 200", code)
		}
	}
	if w := call(h, "userA", "acme", ""); w.Code != 200 {
		t.Errorf("after the slots are free: %d, want 200", w.Code)
	}

	// Rate: one a second with no burst beyond one.
	h = serve(web.NewClientLimiter(100, 1, 1))
	if w := call(h, "userA", "acme", ""); w.Code != 200 {
		t.Fatalf("first request: %d", w.Code)
	}
	if w := call(h, "userA", "acme", ""); w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Errorf("second request at once: %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := call(h, "userB", "globex", ""); w.Code != 200 {
		t.Errorf("another client: %d, want 200", w.Code)
	}
}

// TestErrorBodies checks the error bodies written outside a route's
// handler: WriteError (for handlers outside the route table) answers the
// same body, status and headers as a route's error, and the CORS refusal
// is the same shape.
func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter, r *http.Request)
		wantStatus int
		wantBody   web.ErrorBody
		wantHeader map[string]string
	}{
		{"transient with a reason", func(w http.ResponseWriter, r *http.Request) {
			web.WriteError(w, r, errs.E(errs.Transient, "starting").WithReason("unavailable"))
		}, 503, web.ErrorBody{Error: web.ErrorDetail{Code: "unavailable", Message: "starting"}}, map[string]string{"Retry-After": "5"}},
		{"invalid", func(w http.ResponseWriter, r *http.Request) {
			web.WriteError(w, r, errs.E(errs.Invalid, "not a CloudEvent"))
		}, 400, web.ErrorBody{Error: web.ErrorDetail{Code: "invalid", Message: "not a CloudEvent"}}, nil},
		{"internal details stay in the log", func(w http.ResponseWriter, r *http.Request) {
			web.WriteError(w, r, errs.Wrap(errors.New("dial tcp 10.0.0.1: refused"), errs.Internal, ""))
		}, 500, web.ErrorBody{Error: web.ErrorDetail{Code: "internal", Message: "internal error"}}, nil},
		{"unauthorized", func(w http.ResponseWriter, r *http.Request) {
			web.WriteError(w, r, errs.E(errs.Unauthorized, "no token"))
		}, 401, web.ErrorBody{Error: web.ErrorDetail{Code: "unauthorized", Message: "no token"}}, map[string]string{"WWW-Authenticate": `Bearer realm="rentroll"`}},
		{"CORS refusal", func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("Origin", "https://evil.example")
			r.Header.Set("Access-Control-Request-Method", "GET")
			h := (&web.Server{}).Handler([]web.Route{{Name: "h", Method: "GET", Path: "/x", Access: web.Public,
				Handler: func(http.ResponseWriter, *http.Request) error { return nil }}})
			r.Method, r.URL.Path = http.MethodOptions, "/x"
			h.ServeHTTP(w, r)
		}, 403, web.ErrorBody{Error: web.ErrorDetail{Code: "cors_origin_not_allowed", Message: "this origin may not call the API"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.write(w, httptest.NewRequest(http.MethodGet, "/x", nil))
			var got web.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if w.Code != tt.wantStatus || got != tt.wantBody {
				t.Errorf("got %d %+v, want %d %+v", w.Code, got, tt.wantStatus, tt.wantBody)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			for k, v := range tt.wantHeader {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
