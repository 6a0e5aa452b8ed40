package localplatform

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/web"
)

// access is what docs/architecture.md#http-api says of a route: who may call it.
type access struct {
	class string // "public", "any", "super", "tenant", "self"
	admin bool   // tenant routes: client_admin or more
}

// contract is the roles column of the API table (docs/architecture.md#http-api), written out by hand so that a route
// declared with the wrong access in code fails the matrix.
var contract = map[string]access{
	"healthz": {class: "public"}, "jwks": {class: "public"}, "openapi": {class: "public"},
	"me":             {class: "any"},
	"uploads.create": {class: "tenant"}, "uploads.list": {class: "tenant"}, "uploads.get": {class: "tenant"},
	"uploads.withdraw": {class: "tenant", admin: true}, "uploads.report": {class: "tenant"},
	"properties.list": {class: "tenant"}, "analytics.summary": {class: "tenant"}, "analytics.expirations": {class: "tenant"},
	"analytics.trend": {class: "tenant"}, "analytics.competition": {class: "tenant"},
	"analytics.changes": {class: "tenant"}, "floorplans.get": {class: "tenant"}, "floorplans.put": {class: "tenant", admin: true},
	"users.list": {class: "tenant", admin: true}, "users.put": {class: "tenant", admin: true}, "users.delete": {class: "tenant", admin: true},
	"users.update":   {class: "tenant", admin: true},
	"billing.units":  {class: "tenant", admin: true},
	"clients.create": {class: "super"}, "clients.list": {class: "super"}, "clients.get": {class: "super"}, "clients.update": {class: "super"},
	"admin.summary": {class: "super"}, "admin.usage": {class: "super"}, "admin.audit": {class: "super"},
	"charge_codes.get": {class: "tenant", admin: true}, "charge_codes.put": {class: "tenant", admin: true},
	"billing.run": {class: "super"}, "billing.run.get": {class: "super"}, "billing.run.export": {class: "super"},
	"billing.scheduled_run": {class: "self"},
	"billing.plans.get":     {class: "super"}, "billing.plans.put": {class: "super"}, "billing.sync": {class: "super"},
	"properties.update": {class: "tenant", admin: true},
}

type principal struct {
	name         string
	sub, role    string
	claimsClient string
	kind         string // super, adminA, userA, adminB, userB, removed, mismatch, none
}

// TestIsolationMatrix sends every route the platform serves, as every kind of
// principal, and checks each answer against docs/architecture.md#tenancy-and-roles: the right status,
// a denial recorded in the audit trail for every refusal and for nothing
// else, and no body that shows one client's id to another client's principal.
func TestIsolationMatrix(t *testing.T) {
	p := startForTest(t)
	super := p.as(t, p.Config.BootstrapAdmin, "super_admin", "")
	super.must(201, "POST", "/v1/admin/clients", map[string]string{"client_id": "client-a", "name": "Client A"})
	super.must(201, "POST", "/v1/admin/clients", map[string]string{"client_id": "client-b", "name": "Client B"})
	super.must(201, "POST", "/v1/clients/client-a/users", map[string]string{"sub": "admin-a", "role": "client_admin", "email": "a@a.example"})
	adminA := p.as(t, "admin-a", "client_admin", "client-a")
	// New subjects come from invitations or the super admin only.
	adminA.must(404, "POST", "/v1/clients/client-a/users", map[string]string{"sub": "user-a", "role": "client_user"})
	super.must(201, "POST", "/v1/clients/client-a/users", map[string]string{"sub": "user-a", "role": "client_user"})
	super.must(201, "POST", "/v1/clients/client-a/users", map[string]string{"sub": "gone-a", "role": "client_user"})
	adminA.must(204, "DELETE", "/v1/clients/client-a/users/gone-a", nil)
	super.must(201, "POST", "/v1/clients/client-b/users", map[string]string{"sub": "admin-b", "role": "client_admin"})
	super.must(201, "POST", "/v1/clients/client-b/users", map[string]string{"sub": "user-b", "role": "client_user"})
	super.must(201, "POST", "/v1/clients/client-b/users", map[string]string{"sub": "mixed", "role": "client_user"})
	up := p.as(t, "user-a", "client_user", "client-a").must(201, "POST", "/v1/clients/client-a/uploads",
		map[string]any{"kind": "rent_roll", "filename": "a.csv", "content_type": "text/csv", "size_bytes": 100}).json(t)
	uploadID := fmt.Sprint(up["upload_id"])

	principals := []principal{
		{name: "super_admin", sub: p.Config.BootstrapAdmin, role: "super_admin", kind: "super"},
		{name: "client_admin A", sub: "admin-a", role: "client_admin", claimsClient: "client-a", kind: "adminA"},
		{name: "client_user A", sub: "user-a", role: "client_user", claimsClient: "client-a", kind: "userA"},
		{name: "client_admin B", sub: "admin-b", role: "client_admin", claimsClient: "client-b", kind: "adminB"},
		{name: "client_user B", sub: "user-b", role: "client_user", claimsClient: "client-b", kind: "userB"},
		{name: "removed user of A", sub: "gone-a", role: "client_user", claimsClient: "client-a", kind: "removed"},
		{name: "claims A, record B", sub: "mixed", role: "client_user", claimsClient: "client-a", kind: "mismatch"},
		{name: "no token", kind: "none"},
	}
	var routes []web.Route
	for _, name := range platform.HTTPFunctions() {
		routes = append(routes, p.Functions.Routes[name]...)
	}
	routes = append(routes, web.Route{Name: "healthz", Method: "GET", Path: "/healthz"}, web.Route{Name: "jwks", Method: "GET", Path: "/.well-known/jwks.json"})

	type cell struct {
		route, who string
		want       int // the status, or 0 for "allowed": the handler ran
		requestID  string
	}
	var cells []cell
	for _, rt := range routes {
		acc, ok := contract[rt.Name]
		if !ok {
			t.Errorf("route %s %s (%s) is not in the contract table", rt.Method, rt.Path, rt.Name)
			continue
		}
		path := strings.NewReplacer("{cid}", "client-a", "{upload_id}", uploadID, "{sub}", "nobody-here", "{month}", "2026-02", "{pid}", "p-1").Replace(rt.Path)
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" {
			body = map[string]any{} // fails validation after authorization: no side effects
		}
		for _, pr := range principals {
			want := expected(acc, pr.kind)
			c := p.as(t, pr.sub, pr.role, pr.claimsClient)
			r := c.do(rt.Method, path, body)
			id := r.header.Get("X-Request-Id")
			cells = append(cells, cell{route: rt.Name, who: pr.name, want: want, requestID: id})
			switch {
			case want != 0 && r.status != want:
				t.Errorf("%s %s as %s: status %d, want %d: %s", rt.Method, path, pr.name, r.status, want, r.body)
			case want == 0 && (r.status == 401 || r.status == 403):
				t.Errorf("%s %s as %s: refused with %d, want allowed: %s", rt.Method, path, pr.name, r.status, r.body)
			}
			if (pr.kind == "adminB" || pr.kind == "userB" || pr.kind == "mismatch") && strings.Contains(string(r.body), "client-a") {
				t.Errorf("%s %s as %s: body shows client A: %s", rt.Method, path, pr.name, r.body)
			}
			if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s as %s: 401 without WWW-Authenticate: Bearer", rt.Method, path, pr.name)
			}
		}
	}
	t.Logf("isolation matrix: %d routes × %d principals = %d cells", len(routes), len(principals), len(cells))

	// Every refusal of an identified caller, and nothing else, is a denial in
	// the audit trail; a 401 (no valid, current token) is only logged, so
	// that anyone on the internet cannot fill the audit table.
	denied := map[string]int{}
	tok := ""
	for {
		r := super.must(200, "GET", "/v1/admin/audit?limit=500&page_token="+tok, nil).json(t)
		for _, e := range r["entries"].([]any) {
			m := e.(map[string]any)
			if m["outcome"] == "denied" {
				denied[fmt.Sprint(m["request_id"])] = int(m["status"].(float64))
			}
		}
		if tok, _ = r["next_page_token"].(string); tok == "" {
			break
		}
	}
	for _, c := range cells {
		st, isDenied := denied[c.requestID]
		switch {
		case contract[c.route].class == "public":
		case c.want == http.StatusUnauthorized && isDenied:
			t.Errorf("%s as %s: a 401 was written to the audit trail", c.route, c.who)
		case c.want == http.StatusUnauthorized:
		case c.want != 0 && !isDenied:
			t.Errorf("%s as %s: refused with %d but no denial in the audit trail", c.route, c.who, c.want)
		case c.want != 0 && st != c.want:
			t.Errorf("%s as %s: audit says %d, want %d", c.route, c.who, st, c.want)
		case c.want == 0 && isDenied:
			t.Errorf("%s as %s: allowed, but the audit trail records a denial", c.route, c.who)
		}
	}
}

// expected is the status docs/architecture.md#tenancy-and-roles gives a principal kind on a route of a
// class (always on client A's resources), or 0 when it is allowed.
func expected(acc access, kind string) int {
	if acc.class == "public" {
		return http.StatusOK
	}
	switch kind {
	case "none", "mismatch":
		return http.StatusUnauthorized
	case "removed":
		return http.StatusForbidden
	}
	switch acc.class {
	case "any":
		return 0
	case "self":
		// Locally the scheduler's trigger admits a super admin's token in
		// place of Cloud Scheduler's OIDC token.
		if kind == "super" {
			return 0
		}
		return http.StatusForbidden
	case "super":
		if kind == "super" {
			return 0
		}
		return http.StatusForbidden
	case "tenant":
		switch kind {
		case "super", "adminA":
			return 0
		case "userA":
			if acc.admin {
				return http.StatusForbidden
			}
			return 0
		default: // B's principals on A's resources
			return http.StatusNotFound
		}
	}
	return -1
}
