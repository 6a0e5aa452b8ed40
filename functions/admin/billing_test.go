package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

// tokenGuard resolves fixed bearer tokens to principals and applies the
// tenant rule.
type tokenGuard map[string]tenancy.Principal

func (g tokenGuard) Authenticate(_ context.Context, bearer string) (tenancy.Principal, error) {
	p, ok := g[bearer]
	if !ok {
		return p, errs.E(errs.Unauthorized, "invalid token")
	}
	return p, nil
}

func (g tokenGuard) AuthorizeClient(_ context.Context, p tenancy.Principal, cid string, min tenancy.Role, _ bool) error {
	return tenancy.Authorize(p, cid, min)
}

var guard = tokenGuard{
	"admin":    {Subject: "root", Role: tenancy.SuperAdmin},
	"ca-acme":  {Subject: "a1", Role: tenancy.ClientAdmin, ClientID: "acme"},
	"cu-acme":  {Subject: "a2", Role: tenancy.ClientUser, ClientID: "acme"},
	"ca-other": {Subject: "o1", Role: tenancy.ClientAdmin, ClientID: "other-co"},
}

// newBilling seeds two clients: acme with one property of 3 units (2 on a
// January roll, superseded by a re-upload of 3), other-co with none.
func newBilling(t *testing.T) *billing.Service {
	t.Helper()
	ctx := context.Background()
	wh, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	clients := tenancytest.NewMemory()
	for _, c := range []tenancy.Client{{ID: "acme", Name: "=Acme", Status: tenancy.Active}, {ID: "other-co", Name: "Other", Status: tenancy.Suspended}} {
		if err := clients.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := wh.EnsureDataset(ctx, warehouse.Client(tenancy.DatasetName(c.ID))); err != nil {
			t.Fatal(err)
		}
	}
	if err := wh.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	asOf := warehouse.DateOf(2026, 1, 31)
	var rows, meta []warehouse.Row
	for i, up := range []string{"u1", "u2"} {
		at := time.Date(2026, 2, 1, i, 0, 0, 0, time.UTC)
		for _, unit := range []string{"101", "102", "103"}[:2+i] {
			rows = append(rows, warehouse.Row{"client_id": "acme", "upload_id": up, "property_id": "P1", "as_of_date": asOf,
				"month_start": warehouse.DateOf(2026, 1, 1), "unit_id": unit, "status": "occupied", "loaded_at": at})
		}
		meta = append(meta, warehouse.Row{"client_id": "acme", "upload_id": up, "status": "loaded"})
	}
	if err := wh.Load(ctx, warehouse.Load{ID: "seed", Dataset: "client_acme", Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}, {Table: warehouse.TableUploadMetadata, Rows: meta},
	}}); err != nil {
		t.Fatal(err)
	}
	emu, err := gcsemu.Start(ctx, gcsemu.Config{Buckets: []string{"finance"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	sc, err := emu.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	return &billing.Service{
		Warehouse: wh, Clients: clients, Runs: billingtest.NewMemory(), Objects: gcs.New(sc, gcs.SigningConfig{}),
		FinanceBucket: "finance", Concurrency: 1,
		Now: func() time.Time { return time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC) },
	}
}

func TestBillingRoutes(t *testing.T) {
	svc := newBilling(t)
	h := (&web.Server{Guard: guard}).Handler(BillingRoutes(BillingDeps{Billing: svc}))
	do := func(method, path, token, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	// Before any run.
	statusTests := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"usage before a run", "GET", "/v1/admin/usage?month=2026-01", "admin", "", 404},
		{"run as a client admin", "POST", "/v1/admin/billing/runs", "ca-acme", `{"month":"2026-01"}`, 403},
		{"run without a token", "POST", "/v1/admin/billing/runs", "", `{"month":"2026-01"}`, 401},
		{"run without a month", "POST", "/v1/admin/billing/runs", "admin", `{}`, 400},
		{"run with a bad month", "POST", "/v1/admin/billing/runs", "admin", `{"month":"Jan"}`, 400},
		{"get an unknown run", "GET", "/v1/admin/billing/runs/2026-01", "admin", "", 404},
		{"get a malformed month", "GET", "/v1/admin/billing/runs/2026-1", "admin", "", 400},
		{"export of an unknown run", "GET", "/v1/admin/billing/runs/2026-01/export.csv", "admin", "", 404},
	}
	for _, tt := range statusTests {
		if w := do(tt.method, tt.path, tt.token, tt.body); w.Code != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.want, w.Body)
		}
	}

	w := do("POST", "/v1/admin/billing/runs", "admin", `{"month":"2026-01"}`)
	if w.Code != 200 {
		t.Fatalf("run: %d %s", w.Code, w.Body)
	}
	var run map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	runID, _ := run["run_id"].(string)
	exp, _ := run["export"].(map[string]any)
	if run["month"] != "2026-01" || run["status"] != "exported" || run["clients"] != 2.0 || run["units_total"] != 3.0 ||
		runID == "" || run["trigger"] != "admin:root" || exp["bucket"] != "finance" ||
		exp["object"] != "billing/2026-01/billing_units.csv" || len(exp["sha256"].(string)) != 64 {
		t.Errorf("run = %v", run)
	}

	w = do("GET", "/v1/admin/billing/runs/2026-01", "admin", "")
	var got map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != 200 || !reflect.DeepEqual(got, run) {
		t.Errorf("get run = %d %v, want %v", w.Code, got, run)
	}

	w = do("GET", "/v1/admin/billing/runs/2026-01/export.csv", "admin", "")
	wantCSV := "client_id,client_name,status,month,units,properties,carried_forward_properties,run_id\r\n" +
		"acme,'=Acme,active,2026-01,3,1,0," + runID + "\r\n" +
		"other-co,Other,suspended,2026-01,0,0,0," + runID + "\r\n"
	if w.Code != 200 || w.Body.String() != wantCSV || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Errorf("export = %d %q %q, want %q", w.Code, w.Header().Get("Content-Type"), w.Body, wantCSV)
	}

	w = do("GET", "/v1/admin/usage?month=2026-01", "admin", "")
	var usage map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &usage)
	wantUsage := map[string]any{"month": "2026-01", "total_units": 3.0, "clients": []any{
		map[string]any{"client_id": "acme", "name": "=Acme", "status": "active", "units": 3.0, "properties": 1.0, "carried_forward_properties": 0.0, "run_id": runID},
		map[string]any{"client_id": "other-co", "name": "Other", "status": "suspended", "units": 0.0, "properties": 0.0, "carried_forward_properties": 0.0, "run_id": runID},
	}}
	if w.Code != 200 || !reflect.DeepEqual(usage, wantUsage) {
		t.Errorf("usage = %d %v\nwant %v", w.Code, usage, wantUsage)
	}
	// The default month is the previous calendar month: January here.
	if w = do("GET", "/v1/admin/usage", "admin", ""); w.Code != 200 {
		t.Errorf("usage without month = %d %s", w.Code, w.Body)
	}

	wantMonths := map[string]any{"months": []any{map[string]any{"month": "2026-01", "units": 3.0, "properties": 1.0, "carried_forward_properties": 0.0}}}
	unitTests := []struct {
		name, path, token string
		want              int
		body              map[string]any
	}{
		{"client admin", "/v1/clients/acme/billing/units?from=2025-12&to=2026-02", "ca-acme", 200, wantMonths},
		{"defaults", "/v1/clients/acme/billing/units", "ca-acme", 200, wantMonths},
		{"super admin", "/v1/clients/acme/billing/units?from=2026-01&to=2026-01", "admin", 200, wantMonths},
		{"client user", "/v1/clients/acme/billing/units", "cu-acme", 403, nil},
		{"another client's admin", "/v1/clients/acme/billing/units", "ca-other", 404, nil},
		{"no months", "/v1/clients/acme/billing/units?from=2025-01&to=2025-06", "ca-acme", 200, map[string]any{"months": []any{}}},
		{"bad range", "/v1/clients/acme/billing/units?from=2026-02&to=2026-01", "ca-acme", 400, nil},
	}
	for _, tt := range unitTests {
		w := do("GET", tt.path, tt.token, "")
		if w.Code != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.want, w.Body)
			continue
		}
		if tt.body != nil {
			var got map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			if !reflect.DeepEqual(got, tt.body) {
				t.Errorf("%s: body %v, want %v", tt.name, got, tt.body)
			}
		}
	}
}

// TestBillingRouteTable pins the names, paths and access of the stubs in
// Routes that BillingRoutes replaces (DESIGN A3).
func TestBillingRouteTable(t *testing.T) {
	type entry struct {
		method, path string
		access       web.Access
		role         tenancy.Role
	}
	want := map[string]entry{
		"admin.usage":        {http.MethodGet, "/v1/admin/usage", web.SuperAdminOnly, ""},
		"billing.run":        {http.MethodPost, "/v1/admin/billing/runs", web.SuperAdminOnly, ""},
		"billing.run.get":    {http.MethodGet, "/v1/admin/billing/runs/{month}", web.SuperAdminOnly, ""},
		"billing.run.export": {http.MethodGet, "/v1/admin/billing/runs/{month}/export.csv", web.SuperAdminOnly, ""},
		"billing.units":      {http.MethodGet, "/v1/clients/{cid}/billing/units", web.Tenant, tenancy.ClientAdmin},
	}
	got := map[string]entry{}
	for _, r := range BillingRoutes(BillingDeps{}) {
		got[r.Name] = entry{r.Method, r.Path, r.Access, r.Role}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BillingRoutes = %v, want %v", got, want)
	}
}
