package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/web"
)

// loadOpenAPI parses and validates a document with kin-openapi, a real
// OpenAPI 3 validator (structure, $refs, path parameters, schemas).
func loadOpenAPI(t *testing.T, b []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// servedRoutes is every route the platform serves: each HTTP function's
// table, the health check, and the OpenAPI document itself. The stores are
// in-memory fakes; no route is called, so no warehouse or object store is
// needed.
func servedRoutes(t *testing.T) []web.Route {
	t.Helper()
	mem := tenancytest.NewMemory()
	f := Assemble(Services{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clients: mem, Users: mem})
	t.Cleanup(func() {
		if err := f.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	routes := []web.Route{healthRoute(), OpenAPIRoute()}
	for _, name := range HTTPFunctions() {
		if len(f.Routes[name]) == 0 {
			t.Errorf("function %s has no routes", name)
		}
		routes = append(routes, f.Routes[name]...)
	}
	return routes
}

// openAPIPath turns a net/http pattern path into an OpenAPI path template:
// "{name}" is the same in both; a wildcard "{name...}" becomes "{name}" and
// the end anchor "{$}" is dropped.
func openAPIPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "...}", "}")
	return strings.TrimSuffix(p, "{$}")
}

// localOnly reports whether the document marks a path or an operation as
// served only by the local platform (x-local-only: true), such as the local
// issuer's JWKS, which the Cloud Functions never serve.
func localOnly(item *openapi3.PathItem, op *openapi3.Operation) bool {
	return item.Extensions["x-local-only"] == true || op.Extensions["x-local-only"] == true
}

// routeMismatches compares the described operations with the served routes:
// every route must be described with the same method and path and an
// operationId equal to its Name, and every described operation must be
// served unless it is marked local-only. It returns the differences, sorted.
func routeMismatches(doc *openapi3.T, routes []web.Route) []string {
	var out []string
	served := map[string]string{} // "METHOD /path" → route name
	for _, rt := range routes {
		if rt.Method == "" {
			out = append(out, fmt.Sprintf("route %s (%s) has no method", rt.Path, rt.Name))
			continue
		}
		key := rt.Method + " " + openAPIPath(rt.Path)
		if prev, ok := served[key]; ok && prev != rt.Name {
			out = append(out, fmt.Sprintf("%s is served twice, as %s and %s", key, prev, rt.Name))
			continue
		}
		served[key] = rt.Name
	}
	described := map[string]bool{}
	if doc.Paths != nil {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				key := method + " " + path
				described[key] = true
				name, ok := served[key]
				switch {
				case !ok && !localOnly(item, op):
					out = append(out, fmt.Sprintf("%s (operationId %q) is described but not served", key, op.OperationID))
				case ok && op.OperationID != name:
					out = append(out, fmt.Sprintf("%s has operationId %q, want the route name %q", key, op.OperationID, name))
				}
			}
		}
	}
	for key, name := range served {
		if !described[key] {
			out = append(out, fmt.Sprintf("%s (route %s) is served but not described", key, name))
		}
	}
	sort.Strings(out)
	return out
}

// rolesText is how an operation's summary states who may call it (docs/architecture.md#http-api
// roles column), derived from the route's access rule.
func rolesText(rt web.Route) string {
	switch rt.Access {
	case web.Public:
		return "none (public)"
	case web.Authenticated:
		return "any valid token"
	case web.SelfAuthenticated:
		return "Cloud Scheduler (Google OIDC token)"
	case web.SuperAdminOnly:
		return "super_admin"
	case web.Tenant:
		switch rt.Role {
		case tenancy.ClientUser:
			return "client_user or client_admin of the client, super_admin"
		case tenancy.ClientAdmin:
			return "client_admin of the client, super_admin"
		case tenancy.SuperAdmin:
			return "super_admin"
		}
	}
	return fmt.Sprintf("unknown access %d role %q", rt.Access, rt.Role)
}

// securityScheme is the scheme a route's operation must require: none for a
// public route, the scheduler's Google OIDC token for the self-authenticated
// trigger, the user bearer JWT for everything else.
func securityScheme(a web.Access) string {
	switch a {
	case web.Public:
		return ""
	case web.SelfAuthenticated:
		return "googleOIDC"
	}
	return "bearerAuth"
}

// accessMismatches checks that each served route's operation declares its
// own security (no reliance on a global default) matching the route's access
// rule, and that its summary states the roles allowed.
func accessMismatches(doc *openapi3.T, routes []web.Route) []string {
	var out []string
	for _, rt := range routes {
		path := openAPIPath(rt.Path)
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			continue // routeMismatches reports it
		}
		op := item.GetOperation(rt.Method)
		key := rt.Method + " " + path
		if want := "Roles: " + rolesText(rt) + "."; !strings.Contains(op.Summary, want) {
			out = append(out, fmt.Sprintf("%s summary %q does not state %q", key, op.Summary, want))
		}
		if op.Security == nil {
			out = append(out, fmt.Sprintf("%s declares no security of its own", key))
			continue
		}
		var got []string
		for _, req := range *op.Security {
			for name := range req {
				got = append(got, name)
			}
		}
		want := []string{}
		if s := securityScheme(rt.Access); s != "" {
			want = []string{s}
		}
		if !slices.Equal(got, want) {
			out = append(out, fmt.Sprintf("%s security %v, want %v", key, got, want))
		}
	}
	sort.Strings(out)
	return out
}

// errorBodyMismatches checks that every 4xx, 5xx and default response of
// every operation is JSON with the one shared error schema (docs/architecture.md#http-api).
func errorBodyMismatches(doc *openapi3.T) []string {
	const errorRef = "#/components/schemas/Error"
	var out []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses == nil {
				out = append(out, fmt.Sprintf("%s %s has no responses", method, path))
				continue
			}
			for code, ref := range op.Responses.Map() {
				if code != "default" && !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") {
					continue
				}
				var schemaRef string
				var types int
				if ref.Value != nil {
					types = len(ref.Value.Content)
					if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
						schemaRef = mt.Schema.Ref
					}
				}
				if schemaRef != errorRef || types != 1 {
					out = append(out, fmt.Sprintf("%s %s response %s is not application/json %s", method, path, code, errorRef))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t, OpenAPIDocument())
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if got := errorBodyMismatches(doc); len(got) > 0 {
		t.Errorf("error responses:\n%s", strings.Join(got, "\n"))
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t, OpenAPIDocument())
	routes := servedRoutes(t)
	if got := routeMismatches(doc, routes); len(got) > 0 {
		t.Errorf("the document and the route table disagree:\n%s", strings.Join(got, "\n"))
	}
	if got := accessMismatches(doc, routes); len(got) > 0 {
		t.Errorf("security or roles disagree with the route table:\n%s", strings.Join(got, "\n"))
	}
}

// TestOpenAPIComparisonFails feeds modified copies of the document (and of
// the route table) to the same comparisons and checks each reports the
// difference, so the tests above cannot pass vacuously.
func TestOpenAPIComparisonFails(t *testing.T) {
	routes := servedRoutes(t)
	pathsOf := func(m map[string]any) map[string]any { return m["paths"].(map[string]any) }
	opOf := func(m map[string]any, path, method string) map[string]any {
		return pathsOf(m)[path].(map[string]any)[method].(map[string]any)
	}
	cases := []struct {
		name   string
		edit   func(m map[string]any)
		routes func([]web.Route) []web.Route
		check  func(*openapi3.T, []web.Route) []string
		want   []string
	}{
		{
			name:  "unchanged",
			check: routeMismatches,
			want:  nil,
		},
		{
			name:  "removed path",
			edit:  func(m map[string]any) { delete(pathsOf(m), "/v1/admin/usage") },
			check: routeMismatches,
			want:  []string{"GET /v1/admin/usage (route admin.usage) is served but not described"},
		},
		{
			name: "wrong method",
			edit: func(m map[string]any) {
				item := pathsOf(m)["/v1/clients/{cid}/users/{sub}"].(map[string]any)
				item["put"] = item["delete"]
				delete(item, "delete")
			},
			check: routeMismatches,
			want: []string{
				"DELETE /v1/clients/{cid}/users/{sub} (route users.delete) is served but not described",
				`PUT /v1/clients/{cid}/users/{sub} (operationId "users.delete") is described but not served`,
			},
		},
		{
			name:  "wrong operationId",
			edit:  func(m map[string]any) { opOf(m, "/v1/clients/{cid}/uploads", "post")["operationId"] = "uploads.new" },
			check: routeMismatches,
			want:  []string{`POST /v1/clients/{cid}/uploads has operationId "uploads.new", want the route name "uploads.create"`},
		},
		{
			name: "described but not served",
			edit: func(m map[string]any) {
				pathsOf(m)["/v1/extra"] = map[string]any{"get": map[string]any{
					"operationId": "extra", "responses": map[string]any{"200": map[string]any{"description": "OK"}},
				}}
			},
			check: routeMismatches,
			want:  []string{`GET /v1/extra (operationId "extra") is described but not served`},
		},
		{
			name: "local-only mark removed from JWKS",
			edit: func(m map[string]any) {
				delete(pathsOf(m)["/.well-known/jwks.json"].(map[string]any), "x-local-only")
			},
			check: routeMismatches,
			want:  []string{`GET /.well-known/jwks.json (operationId "jwks") is described but not served`},
		},
		{
			name: "new route not described",
			routes: func(rs []web.Route) []web.Route {
				return append(rs, web.Route{Name: "uploads.retry", Method: http.MethodPost, Path: "/v1/clients/{cid}/uploads/{upload_id}/retry"})
			},
			check: routeMismatches,
			want:  []string{"POST /v1/clients/{cid}/uploads/{upload_id}/retry (route uploads.retry) is served but not described"},
		},
		{
			name:  "public security on a tenant route",
			edit:  func(m map[string]any) { opOf(m, "/v1/clients/{cid}/uploads", "get")["security"] = []any{} },
			check: accessMismatches,
			want:  []string{"GET /v1/clients/{cid}/uploads security [], want [bearerAuth]"},
		},
		{
			name:  "no per-operation security",
			edit:  func(m map[string]any) { delete(opOf(m, "/v1/billing/runs", "post"), "security") },
			check: accessMismatches,
			want:  []string{"POST /v1/billing/runs declares no security of its own"},
		},
		{
			name: "roles too wide",
			edit: func(m map[string]any) {
				opOf(m, "/v1/clients/{cid}/users", "get")["summary"] = "The client's users. Roles: client_user or client_admin of the client, super_admin."
			},
			check: accessMismatches,
			want: []string{`GET /v1/clients/{cid}/users summary "The client's users. Roles: client_user or client_admin of the client, super_admin." ` +
				`does not state "Roles: client_admin of the client, super_admin."`},
		},
		{
			name: "error response without the shared error body",
			edit: func(m map[string]any) {
				opOf(m, "/v1/me", "get")["responses"].(map[string]any)["418"] = map[string]any{
					"description": "teapot", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
				}
			},
			check: func(doc *openapi3.T, _ []web.Route) []string { return errorBodyMismatches(doc) },
			want:  []string{"GET /v1/me response 418 is not application/json #/components/schemas/Error"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := editedDocument(t, tc.edit)
			doc := loadOpenAPI(t, b)
			rs := slices.Clone(routes)
			if tc.routes != nil {
				rs = tc.routes(rs)
			}
			got := tc.check(doc, rs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d mismatches:\n%s\nwant:\n%s", len(got), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestOpenAPIRoute(t *testing.T) {
	rt := OpenAPIRoute()
	if rt.Name != "openapi" || rt.Method != http.MethodGet || rt.Path != "/v1/openapi.json" || rt.Access != web.Public {
		t.Fatalf("route = %+v, want public GET /v1/openapi.json named openapi", rt)
	}
	srv := httptest.NewServer((&web.Server{Log: slog.New(slog.DiscardHandler)}).Handler([]web.Route{rt}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/openapi.json") // no token: the document is public
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if string(body) != string(OpenAPIDocument()) {
		t.Errorf("served %d bytes, want the embedded document (%d bytes)", len(body), len(OpenAPIDocument()))
	}
	// The accessor hands out a copy: a caller cannot change what is served.
	c := OpenAPIDocument()
	c[0] = 'X'
	if OpenAPIDocument()[0] == 'X' {
		t.Error("OpenAPIDocument returned the served bytes, not a copy")
	}
}

func ptr[T any](v T) *T { return &v }

// schemaProperties is the set of properties a schema declares, through allOf.
func schemaProperties(s *openapi3.Schema) map[string]bool {
	out := map[string]bool{}
	if s == nil {
		return out
	}
	for name := range s.Properties {
		out[name] = true
	}
	for _, sub := range s.AllOf {
		for name := range schemaProperties(sub.Value) {
			out[name] = true
		}
	}
	return out
}

// TestOpenAPISchemasMatchTypes encodes the Go values the handlers answer
// (and decode), with every field set, and checks each against its component
// schema: the value validates (types, required fields, enums, patterns), and
// the JSON field names are exactly the schema's properties, so a field added,
// renamed or removed in code fails here until the document follows.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t, OpenAPIDocument())
	at := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	money, ratio := analytics.Money(123456), analytics.Ratio(9231)
	metrics := analytics.Metrics{
		Units: 10, Occupied: 9, Notice: 1, Vacant: 1, PhysicalOccupancy: &ratio, EconomicOccupancy: &ratio,
		GPR: money, InPlaceRent: money, LossToLease: money, LossToLeasePct: &ratio, GainToLease: money, GainToLeasePct: &ratio,
		AvgMarketRent: &money, AvgLeaseRent: &money, AvgMarketRentPSF: &money, AvgLeaseRentPSF: &money,
		Preleased: 1, Leased: 10, LeasedPct: &ratio, Exposure: 0, ExposurePct: &ratio, NonRevenueUnits: 0, Employee: 1,
		VacancyLoss: money, Concessions: money, EffectiveRent: money,
	}
	beds := 2.0
	two := int64(2)
	month := analytics.Month{Year: 2026, Month: time.March}
	issue := uploads.Issue{Row: 12, Column: "market_rent", Code: "not_a_number", Message: "market_rent is not a number"}
	cases := []struct {
		schema string
		value  any
	}{
		{"Principal", tenancy.Principal{Subject: "auth0|1", Role: tenancy.ClientAdmin, ClientID: "acme", Email: "a@example.com"}},
		{"UploadRequest", uploads.Request{Kind: uploads.RentRoll, Filename: "roll.csv", ContentType: uploads.ContentTypeCSV, SizeBytes: 10, PropertyID: "p-1", AsOf: "2026-02-28"}},
		{"UploadTicket", api.UploadTicket{UploadID: "20260301t060000abcdef01234", Object: "clients/acme/rent_roll/20260301t060000abcdef01234/roll.csv",
			SignedPut: objects.SignedPut{URL: "https://storage.example/x", Method: http.MethodPut, Headers: map[string]string{"Content-Type": "text/csv"}, ExpiresAt: at}}},
		{"UploadIssue", issue},
		{"Upload", uploads.Upload{
			ID: "20260301t060000abcdef01234", ClientID: "acme", Kind: uploads.RentRoll, Filename: "roll.csv", ContentType: uploads.ContentTypeCSV,
			SizeBytes: 10, PropertyID: "p-1", Object: "clients/acme/rent_roll/20260301t060000abcdef01234/roll.csv", Status: uploads.Rejected,
			Message: "bad rows", Format: "yardi", Properties: []string{"p-1"}, AsOf: "2026-02-28", RowsTotal: 3, RowsLoaded: 0,
			Errors: []uploads.Issue{issue}, Warnings: []uploads.Issue{issue}, ErrorCount: 1, WarningCount: 1, Report: "clients/acme/reports/x.json",
			Generation: 7, CreatedBy: "auth0|1", CreatedAt: at, UpdatedAt: at, ReceivedAt: at, FinishedAt: at, DurationMS: 12,
			Excluded: map[string]int{"non_residential": 2}, WithdrawnBy: "auth0|1", WithdrawnAt: at,
		}},
		{"UploadReport", uploads.Report{UploadID: "20260301t060000abcdef01234", Status: uploads.Withdrawn, Filename: "roll.csv", Format: "yardi",
			Properties: []string{"p-1"}, AsOf: "2026-02-28", RowsTotal: 3, RowsLoaded: 1, ErrorCount: 1, WarningCount: 1,
			Excluded: map[string]int{"non_residential": 1}, Errors: []uploads.Issue{issue}, Warnings: []uploads.Issue{issue}}},
		{"Property", analytics.Property{PropertyID: "p-1", PropertyName: "Elm Court", AsOf: "2026-02-28", Units: 10}},
		{"Metrics", metrics},
		{"UnitTypeMetrics", analytics.UnitTypeMetrics{UnitType: "2x1", Metrics: metrics}},
		{"Summary", analytics.Summary{AsOf: ptr("2026-02-28"), PropertyID: ptr("p-1"), Data: true,
			Properties: []analytics.SummaryProperty{{PropertyID: "p-1", AsOf: "2026-02-28", Stale: false, Units: 10}}, Totals: metrics,
			ByUnitType:         []analytics.UnitTypeMetrics{{UnitType: "2x1", Metrics: metrics}},
			ByBedrooms:         []analytics.BedroomMetrics{{Bedrooms: &two, Metrics: metrics}, {Metrics: metrics}},
			ByPropertyUnitType: []analytics.PropertyUnitTypeMetrics{{PropertyID: "p-1", UnitType: "2x1", Metrics: metrics}}}},
		{"Changes", analytics.Changes{PropertyID: "p-1", FromAsOf: ptr("2026-02-28"), ToAsOf: ptr("2026-03-31"), Data: true, UnitsAdded: 1,
			MoveIns: 2, MoveOuts: 2, NoticesGiven: 1, NewLeases: analytics.TradeOut{Count: 2, Priced: 2, AvgPriorRent: &money, AvgRent: &money, TradeOutPct: &ratio},
			Units: []analytics.UnitChange{{UnitID: "101", Change: "move_in", PriorRent: &money, Rent: &money}, {UnitID: "102", Change: "added"}}}},
		{"Floorplans", analytics.Floorplans{PropertyID: "p-1", Floorplans: []analytics.Floorplan{{Code: "mc2b2", Beds: &beds, Baths: &beds, Sqft: &two, Source: "code"}, {Code: "x"}}}},
		{"ExpirationMonth", analytics.ExpirationMonth{Month: month, Units: 2, LeaseRent: money, MarketRent: money, PctOfOccupied: &ratio}},
		{"Expirations", analytics.Expirations{AsOf: ptr("2026-02-28"), PropertyID: nil, Data: true, From: month, Months: 12, Occupied: 9,
			MonthToMonth: 1, Notice: 1, Renewed: 1, BeforeFrom: 1, After: 2, NoLeaseEnd: 0, Expirations: []analytics.ExpirationMonth{{Month: month, Units: 2, LeaseRent: money, MarketRent: money}}}},
		{"TrendMonth", analytics.TrendMonth{Month: month, AsOf: ptr("2026-02-28"), Data: true, Properties: 1, Metrics: metrics}},
		{"Trend", analytics.Trend{PropertyID: ptr("p-1"), From: month, To: month, Data: true,
			Months: []analytics.TrendMonth{{Month: month, AsOf: nil, Metrics: metrics}}}},
		{"CompetitionUnitType", analytics.CompetitionUnitType{PropertyID: "p-1", UnitType: "2x1", Beds: &beds, Comps: 4, CompUnits: 120,
			CompAvgAskingRent: &money, CompAvgEffectiveRent: &money, CompAvgEffectiveRentPSF: &money, SubjectAvgMarketRent: &money,
			SubjectAvgLeaseRent: &money, SubjectAvgLeaseRentPSF: &money, PremiumPct: &ratio, AskingPremiumPct: &ratio}},
		{"Competition", analytics.Competition{AsOf: ptr("2026-02-15"), PropertyID: nil, Data: true, ByUnitType: []analytics.CompetitionUnitType{{UnitType: "1x1"}}}},
		{"Client", tenancy.Client{ID: "acme", Name: "Acme", Status: tenancy.Active, Dataset: "client_acme", BillingEmail: "ap@example.com", CreatedAt: at, UpdatedAt: at}},
		{"NewClient", tenancy.NewClient{ID: "acme", Name: "Acme", BillingEmail: "ap@example.com", AdminEmail: "ann@example.com", AdminName: "Ann", PlanID: "standard"}},
		{"Invitation", tenancy.Invitation{Email: "ann@example.com", URL: "https://id.example/i", ExpiresAt: at}},
		{"OnboardedClient", tenancy.Onboarded{Client: tenancy.Client{ID: "acme", Name: "Acme", Status: tenancy.Active, Dataset: "client_acme", BillingEmail: "ap@example.com", CreatedAt: at, UpdatedAt: at},
			Invitation: &tenancy.Invitation{Email: "ann@example.com", URL: "https://id.example/i", ExpiresAt: at}}},
		{"InvitedUser", tenancy.InvitedUser{User: tenancy.User{Subject: "auth0|1", Email: "a@example.com", Name: "Ann", Role: tenancy.ClientUser, ClientID: "acme", CreatedAt: at, UpdatedAt: at},
			Invitation: &tenancy.Invitation{Email: "a@example.com", URL: "https://id.example/i", ExpiresAt: at}}},
		{"ClientPatch", tenancy.ClientPatch{Name: ptr("Acme Inc"), Status: ptr(tenancy.Suspended), BillingEmail: ptr("ap@example.com")}},
		{"User", tenancy.User{Subject: "auth0|1", Email: "a@example.com", Name: "Ann", Role: tenancy.ClientUser, ClientID: "acme", CreatedAt: at, UpdatedAt: at}},
		{"NewUser", tenancy.NewUser{Subject: "auth0|1", Email: "a@example.com", Role: tenancy.ClientAdmin, Name: "Ann"}},
		{"ClientSummary", analytics.ClientSummary{ClientID: "acme", Name: "Acme", Status: "active", Available: true, Units: 10, Occupied: 9,
			PhysicalOccupancy: &ratio, GPR: money, LastUploadAt: ptr("2026-03-01T06:00:00Z"), UploadsThisMonth: 2}},
		{"AllClientsTotals", analytics.AllClientsTotals{Clients: 1, Units: 10, Occupied: 9, PhysicalOccupancy: &ratio, GPR: money, UploadsThisMonth: 2}},
		{"AllClients", analytics.AllClients{GeneratedAt: "2026-03-01T06:00:00Z", Month: month, Clients: []analytics.ClientSummary{{ClientID: "acme"}}}},
		{"UsageClient", billing.UnitsRow{ClientID: "acme", ClientName: "Acme", Status: "active", Units: 10, Properties: 1, CarriedForwardProperties: 0, RunID: "r1",
			StaleProperties: []string{"p-9"}, PlanID: "basic", UnitPrice: 150, MinimumMonthly: 25000, Amount: 25000, Currency: "USD"}},
		{"Usage", billing.Usage{Month: "2026-02", TotalUnits: 10, AmountTotals: map[string]billing.Money{"USD": 25000}, StaleProperties: 1,
			Clients: []billing.UnitsRow{{ClientID: "acme", StaleProperties: []string{}}}}},
		{"MonthUnits", billing.MonthUnits{Month: "2026-02", Units: 10, Properties: 1, StaleProperties: []string{}, PlanID: "pro",
			UnitPrice: 250, MinimumMonthly: 50000, Amount: 50000, Currency: "USD"}},
		{"BillingRun", billing.RunRecord{Month: "2026-02", RunID: "r1", Status: billing.Exported, Trigger: "scheduler", CompletedRunID: "r1",
			Clients: 1, UnitsTotal: 10, Export: billing.Export{Bucket: "finance", Object: "billing/2026-02/billing_units.csv", SHA256: "ab"},
			AmountTotals: map[string]billing.Money{"USD": 25000}, StaleProperties: 2,
			Report:    billing.Report{Status: billing.ReportPending, RunID: "r1", Reported: 3, Unmapped: 1, Attempts: 1, Error: "Stripe is down", UpdatedAt: at},
			StartedAt: at, FinishedAt: at, Error: "none", Attempts: 1}.View()},
		{"Plan", billing.DefaultPlans()[0]},
		{"PlanList", api.PlanList{Plans: billing.DefaultPlans()}},
		{"ClientUpdate", api.ClientUpdate{ClientPatch: tenancy.ClientPatch{Name: ptr("Acme Inc"), Status: ptr(tenancy.Suspended), BillingEmail: ptr("ap@example.com")},
			PricingPatch: billing.PricingPatch{PlanID: ptr("pro"), UnitPrice: ptr(billing.Money(199)), EffectiveMonth: ptr("2026-04"), StripeCustomerID: ptr("cus_A1")}}},
		{"ClientWithPricing", api.ClientWithPricing{Client: tenancy.Client{ID: "acme", Name: "Acme", Status: tenancy.Active, Dataset: "client_acme", BillingEmail: "ap@example.com", CreatedAt: at, UpdatedAt: at},
			Pricing: &billing.PricingView{Current: billing.Terms{PlanID: "pro", UnitPrice: 250, Currency: "USD", MinimumMonthly: 50000}, StripeCustomerID: "cus_A1",
				Changes: []billing.PriceChange{{EffectiveMonth: "2026-04", PlanID: "pro", UnitPrice: ptr(billing.Money(199)), SetBy: "root", SetAt: at}}}}},
		{"BillingSync", api.BillingSync{Months: []billing.Synced{{Month: "2026-02", RunID: "r1", Report: billing.Report{Status: billing.ReportDone, RunID: "r1", Reported: 2, Attempts: 1, UpdatedAt: at}}}}},
		{"BillingSyncRequest", api.BillingSyncRequest{Month: "2026-02"}},
		{"PropertyWithStatus", api.PropertyWithStatus{Property: analytics.Property{PropertyID: "p-1", PropertyName: "Elm Court", AsOf: "2026-02-28", Units: 10},
			Status: "stale", LastRoll: "2026-02-28"}},
		{"PropertyStatusPatch", api.PropertyStatusPatch{Status: "inactive", EffectiveMonth: "2026-04"}},
		{"PropertyLifecycle", api.PropertyLifecycle{PropertyID: "p-1", Status: "inactive",
			Changes: []billing.StatusChange{{EffectiveMonth: "2026-04", Status: "inactive", SetBy: "a1", SetAt: at}}}},
		{"AuditEntry", audit.Entry{Time: at, RequestID: "r", ActorSub: "auth0|1", ActorRole: "super_admin", ClientID: "acme", Action: "clients.create",
			Resource: "/v1/admin/clients", Outcome: audit.Allowed, Status: 201, RemoteAddr: "192.0.2.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[tc.schema]
			if ref == nil || ref.Value == nil {
				t.Fatalf("no component schema %s", tc.schema)
			}
			b, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			if err := ref.Value.VisitJSON(v); err != nil {
				t.Errorf("%s does not validate against the schema: %v", b, err)
			}
			var got []string
			for k := range v.(map[string]any) {
				got = append(got, k)
			}
			want := slices.Collect(maps.Keys(schemaProperties(ref.Value)))
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("JSON fields %v, schema properties %v", got, want)
			}
		})
	}
}

// editedDocument is the served OpenAPI document with edit (if any) applied to
// its JSON: the checks' own tests break a copy to see each check fail.
func editedDocument(t *testing.T, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(OpenAPIDocument(), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
