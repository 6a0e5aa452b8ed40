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

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

var guard = tenancytest.Guard{
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
		FinanceBucket: "finance", Concurrency: 1, Settings: billingtest.NewSettings(),
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
		{"run of the current month", "POST", "/v1/admin/billing/runs", "admin", `{"month":"2026-02"}`, 400},
		{"run of a future month", "POST", "/v1/admin/billing/runs", "admin", `{"month":"2027-06"}`, 400},
		{"sync without a meter", "POST", "/v1/admin/billing/sync", "admin", "", 400},
		{"sync as a client admin", "POST", "/v1/admin/billing/sync", "ca-acme", "", 403},
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
	var run billing.RunView
	if err := json.Unmarshal(w.Body.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	runID, exp := run.RunID, run.Export
	if run.Month != "2026-01" || run.Status != billing.Exported || run.Clients != 2 || run.UnitsTotal != 3 ||
		!reflect.DeepEqual(run.AmountTotals, map[string]billing.Money{"USD": 25000}) || run.StaleProperties != 0 ||
		runID == "" || run.Trigger != "admin:root" || exp.Bucket != "finance" ||
		exp.Object != "billing/2026-01/billing_units.csv" || len(exp.SHA256) != 64 {
		t.Errorf("run = %+v", run)
	}

	w = do("GET", "/v1/admin/billing/runs/2026-01", "admin", "")
	var got billing.RunView
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || !reflect.DeepEqual(got, run) {
		t.Errorf("get run = %d %+v, want %+v", w.Code, got, run)
	}

	w = do("GET", "/v1/admin/billing/runs/2026-01/export.csv", "admin", "")
	// acme: 3 units at Basic's 1.50 is below its 250.00 minimum; other-co
	// is suspended: no minimum.
	wantCSV := "client_id,client_name,status,month,units,properties,carried_forward_properties,run_id," +
		"plan_id,currency,unit_price,minimum_monthly,amount,stale_properties\r\n" +
		"acme,'=Acme,active,2026-01,3,1,0," + runID + ",basic,USD,1.50,250.00,250.00,\r\n" +
		"other-co,Other,suspended,2026-01,0,0,0," + runID + ",basic,USD,1.50,250.00,0.00,\r\n"
	if w.Code != 200 || w.Body.String() != wantCSV || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Errorf("export = %d %q %q, want %q", w.Code, w.Header().Get("Content-Type"), w.Body, wantCSV)
	}

	w = do("GET", "/v1/admin/usage?month=2026-01", "admin", "")
	var usage map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &usage)
	priced := func(m map[string]any, amount float64) map[string]any {
		m["plan_id"], m["unit_price"], m["minimum_monthly"], m["amount"], m["currency"] = "basic", 1.5, 250.0, amount, "USD"
		m["stale_properties"] = []any{}
		return m
	}
	wantUsage := map[string]any{"month": "2026-01", "total_units": 3.0, "amount_totals": map[string]any{"USD": 250.0},
		"stale_properties": 0.0, "clients": []any{
			priced(map[string]any{"client_id": "acme", "name": "=Acme", "status": "active", "units": 3.0, "properties": 1.0, "carried_forward_properties": 0.0, "run_id": runID}, 250),
			priced(map[string]any{"client_id": "other-co", "name": "Other", "status": "suspended", "units": 0.0, "properties": 0.0, "carried_forward_properties": 0.0, "run_id": runID}, 0),
		}}
	if w.Code != 200 || !reflect.DeepEqual(usage, wantUsage) {
		t.Errorf("usage = %d %v\nwant %v", w.Code, usage, wantUsage)
	}
	// The default month is the previous calendar month: January here.
	if w = do("GET", "/v1/admin/usage", "admin", ""); w.Code != 200 {
		t.Errorf("usage without month = %d %s", w.Code, w.Body)
	}

	wantMonths := map[string]any{"months": []any{priced(map[string]any{"month": "2026-01", "units": 3.0, "properties": 1.0, "carried_forward_properties": 0.0}, 250)}}
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

// TestBillingRouteTable pins the names, paths and access of the billing and
// usage routes (docs/architecture.md#http-api).
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
		"billing.plans.get":  {http.MethodGet, "/v1/admin/plans", web.SuperAdminOnly, ""},
		"billing.plans.put":  {http.MethodPut, "/v1/admin/plans", web.SuperAdminOnly, ""},
		"billing.sync":       {http.MethodPost, "/v1/admin/billing/sync", web.SuperAdminOnly, ""},
	}
	got := map[string]entry{}
	for _, r := range BillingRoutes(BillingDeps{}) {
		got[r.Name] = entry{r.Method, r.Path, r.Access, r.Role}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BillingRoutes = %v, want %v", got, want)
	}
}

// TestPlansAndPricing: the price list is read and replaced by the super
// admin only; a client's plan or custom price is set on PATCH
// /v1/admin/clients/{cid} with an effective month, and a billed month
// cannot be changed.
func TestPlansAndPricing(t *testing.T) {
	svc := newBilling(t)
	clients := svc.Clients.(*tenancytest.Memory) // billing reads the registry; Admin writes it
	ten := &tenancy.Service{Clients: clients, Warehouse: svc.Warehouse}
	h := (&web.Server{Guard: guard}).Handler(Routes(Deps{Clients: clients, Tenancy: ten, Billing: BillingDeps{Billing: svc}}))
	do := func(method, path, token, body string) (int, map[string]any) {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	code, got := do("GET", "/v1/admin/plans", "admin", "")
	wantSeed := map[string]any{"plans": []any{
		map[string]any{"plan_id": "basic", "name": "Basic", "unit_price": 1.5, "currency": "USD", "minimum_monthly": 250.0},
		map[string]any{"plan_id": "pro", "name": "Pro", "unit_price": 2.5, "currency": "USD", "minimum_monthly": 500.0},
		map[string]any{"plan_id": "enterprise", "name": "Enterprise", "unit_price": nil, "currency": "USD", "minimum_monthly": 2500.0},
	}}
	if code != 200 || !reflect.DeepEqual(got, wantSeed) {
		t.Errorf("GET plans = %d %v, want %v", code, got, wantSeed)
	}
	newList := `{"plans":[{"plan_id":"basic","name":"Basic","unit_price":1.75,"currency":"USD","minimum_monthly":250},
		{"plan_id":"pro","name":"Pro","unit_price":2.5,"currency":"USD","minimum_monthly":500},
		{"plan_id":"enterprise","name":"Enterprise","unit_price":null,"currency":"USD","minimum_monthly":2500.00}]}`
	tests := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"plans as a client admin", "GET", "/v1/admin/plans", "ca-acme", "", 403},
		{"put plans as a client admin", "PUT", "/v1/admin/plans", "ca-acme", newList, 403},
		{"a plan removed", "PUT", "/v1/admin/plans", "admin", `{"plans":[{"plan_id":"basic","name":"Basic","unit_price":1,"currency":"USD","minimum_monthly":0}]}`, 400},
		{"three decimals", "PUT", "/v1/admin/plans", "admin", strings.Replace(newList, "1.75", "1.755", 1), 400},
		{"a negative price", "PUT", "/v1/admin/plans", "admin", strings.Replace(newList, "1.75", "-1", 1), 400},
		{"a bad currency", "PUT", "/v1/admin/plans", "admin", strings.Replace(newList, `"USD"`, `"usd"`, 1), 400},
		{"put plans", "PUT", "/v1/admin/plans", "admin", newList, 200},
		{"pricing without a month", "PATCH", "/v1/admin/clients/acme", "admin", `{"plan_id":"pro"}`, 400},
		{"an unknown plan", "PATCH", "/v1/admin/clients/acme", "admin", `{"plan_id":"gold","effective_month":"2026-03"}`, 400},
		{"enterprise without a price", "PATCH", "/v1/admin/clients/acme", "admin", `{"plan_id":"enterprise","effective_month":"2026-03"}`, 400},
		{"pricing of an unknown client", "PATCH", "/v1/admin/clients/nobody", "admin", `{"plan_id":"pro","effective_month":"2026-03"}`, 404},
		{"pricing as a client admin", "PATCH", "/v1/admin/clients/acme", "ca-acme", `{"plan_id":"pro","effective_month":"2026-03"}`, 403},
		{"a bad Stripe customer", "PATCH", "/v1/admin/clients/acme", "admin", `{"stripe_customer_id":"acme"}`, 400},
		{"nothing", "PATCH", "/v1/admin/clients/acme", "admin", `{}`, 400},
	}
	for _, tt := range tests {
		if code, body := do(tt.method, tt.path, tt.token, tt.body); code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, code, body, tt.want)
		}
	}
	r := httptest.NewRequest("PATCH", "/v1/admin/clients/acme", strings.NewReader(
		`{"plan_id":"enterprise","unit_price":0.97,"effective_month":"2026-03","stripe_customer_id":"cus_Acme1","name":"Acme Homes"}`))
	r.Header.Set("Authorization", "Bearer admin")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var patched api.ClientWithPricing
	if err := json.Unmarshal(w.Body.Bytes(), &patched); err != nil {
		t.Fatalf("PATCH pricing = %d %s: %v", w.Code, w.Body, err)
	}
	pricing := patched.Pricing
	if w.Code != 200 || patched.Name != "Acme Homes" || patched.ID != "acme" || pricing == nil || pricing.StripeCustomerID != "cus_Acme1" || len(pricing.Changes) != 1 {
		t.Fatalf("PATCH pricing = %d %s", w.Code, w.Body)
	}
	ch := pricing.Changes[0]
	if ch.PlanID != "enterprise" || ch.UnitPrice == nil || *ch.UnitPrice != 97 || ch.EffectiveMonth != "2026-03" || ch.SetBy != "root" {
		t.Errorf("change = %+v", ch)
	}
	// Current (February) terms are still the default plan, at the new list price.
	if cur := pricing.Current; cur.PlanID != "basic" || cur.UnitPrice != 175 {
		t.Errorf("current terms = %+v", cur)
	}
	// January is billed: a change effective then is refused.
	if code, _ := do("POST", "/v1/admin/billing/runs", "admin", `{"month":"2026-01"}`); code != 200 {
		t.Fatalf("run: %d", code)
	}
	if code, body := do("PATCH", "/v1/admin/clients/acme", "admin", `{"unit_price":1.00,"effective_month":"2026-01"}`); code != 409 {
		t.Errorf("price change in a billed month: %d %v, want 409", code, body)
	}
}
