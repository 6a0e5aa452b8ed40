package analytics_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fn "rentroll.ai/rentroll/functions/analytics"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

// TestPropertyLifecycle: the property list shows each property's status
// this month and its last roll; a client admin sets a property inactive
// from a month; roles, tenancy, unknown properties, bad bodies and billed
// months are refused.
func TestPropertyLifecycle(t *testing.T) {
	ctx := context.Background()
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	const cid = "life-co"
	ds := tenancy.DatasetName(cid)
	if err := w.EnsureDataset(ctx, warehouse.Client(ds)); err != nil {
		t.Fatal(err)
	}
	// P1 rolled in February, P2 last in September (stale in March with a
	// 3-month carry-forward), P3 in January.
	rolls := []struct {
		pid  string
		asOf time.Time
	}{{"P1", warehouse.DateOf(2026, 2, 10)}, {"P2", warehouse.DateOf(2025, 9, 30)}, {"P3", warehouse.DateOf(2026, 1, 31)}}
	var rows, meta []warehouse.Row
	for i, r := range rolls {
		up := "u" + r.pid
		for _, unit := range []string{"101", "102"} {
			rows = append(rows, warehouse.Row{"client_id": cid, "upload_id": up, "property_id": r.pid, "property_name": "Property " + r.pid,
				"as_of_date": r.asOf, "month_start": time.Date(r.asOf.Year(), r.asOf.Month(), 1, 0, 0, 0, 0, time.UTC),
				"unit_id": unit, "status": "occupied", "loaded_at": r.asOf.Add(time.Duration(i+1) * time.Hour)})
		}
		meta = append(meta, warehouse.Row{"client_id": cid, "upload_id": up, "kind": "rent_roll", "status": "loaded",
			"property_id": r.pid, "as_of_date": r.asOf, "loaded_at": r.asOf.Add(time.Hour)})
	}
	if err := w.Load(ctx, warehouse.Load{ID: "seed", Dataset: ds, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}, {Table: warehouse.TableUploadMetadata, Rows: meta},
	}}); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }
	runs := billingtest.NewMemory()
	// February is billed: changes may start in March at the earliest.
	if _, err := runs.Acquire(ctx, billing.Attempt{Month: "2026-02", RunID: "r1", Now: clock(), Expires: clock().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Finish(ctx, "2026-02", "r1", func(r *billing.RunRecord) { r.CompletedRunID = "r1" }); err != nil {
		t.Fatal(err)
	}
	bill := &billing.Service{Warehouse: w, Clients: tenancytest.NewMemory(), Runs: runs, Settings: billingtest.NewSettings(),
		CarryForwardMonths: 3, Now: clock}
	h := (&web.Server{Guard: tenancytest.PipeGuard{}}).Handler(fn.Routes(fn.Deps{Analytics: &analytics.Service{W: w}, Billing: bill, Now: clock}))
	do := func(method, target, token, body string) (int, []byte) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	const (
		admin = "a1|client_admin|life-co"
		usr   = "u1|client_user|life-co"
		other = "o1|client_admin|other-co"
		base  = "/v1/clients/life-co/properties"
	)
	list := func() map[string][2]string {
		t.Helper()
		code, body := do("GET", base, usr, "")
		if code != 200 {
			t.Fatalf("list: %d %s", code, body)
		}
		var page api.PropertyList
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("list: %s: %v", body, err)
		}
		out := map[string][2]string{}
		for _, p := range page.Items {
			if p.LastRoll != p.AsOf {
				t.Errorf("last_roll %v, as_of_date %v", p.LastRoll, p.AsOf)
			}
			out[p.PropertyID] = [2]string{p.Status, p.LastRoll}
		}
		return out
	}
	want := map[string][2]string{"P1": {"active", "2026-02-10"}, "P2": {"stale", "2025-09-30"}, "P3": {"active", "2026-01-31"}}
	if got := list(); !equal(got, want) {
		t.Errorf("list = %v, want %v", got, want)
	}

	tests := []struct {
		name, target, token, body string
		want                      int
	}{
		{"client user", base + "/P3", usr, `{"status":"inactive","effective_month":"2026-03"}`, 403},
		{"another client's admin", base + "/P3", other, `{"status":"inactive","effective_month":"2026-03"}`, 404},
		{"unknown property", base + "/P9", admin, `{"status":"inactive","effective_month":"2026-03"}`, 404},
		{"bad status", base + "/P3", admin, `{"status":"sold","effective_month":"2026-03"}`, 400},
		{"no month", base + "/P3", admin, `{"status":"inactive"}`, 400},
		{"unknown field", base + "/P3", admin, `{"status":"inactive","effective_month":"2026-03","client_id":"x"}`, 400},
		{"billed month", base + "/P3", admin, `{"status":"inactive","effective_month":"2026-02"}`, 409},
	}
	for _, tt := range tests {
		if code, body := do("PATCH", tt.target, tt.token, tt.body); code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	lifecycle := func(body []byte) api.PropertyLifecycle {
		t.Helper()
		var l api.PropertyLifecycle
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatalf("PATCH answer %s: %v", body, err)
		}
		return l
	}
	code, body := do("PATCH", base+"/P3", admin, `{"status":"inactive","effective_month":"2026-03"}`)
	if l := lifecycle(body); code != 200 || l.Status != "inactive" || l.PropertyID != "P3" || len(l.Changes) != 1 {
		t.Fatalf("PATCH = %d %s", code, body)
	}
	want["P3"] = [2]string{"inactive", "2026-01-31"}
	if got := list(); !equal(got, want) {
		t.Errorf("list after PATCH = %v, want %v", got, want)
	}
	// Inactive from next month only: still active now.
	if code, body := do("PATCH", base+"/P1", admin, `{"status":"inactive","effective_month":"2026-04"}`); code != 200 || lifecycle(body).Status != "active" {
		t.Errorf("PATCH from April = %d %s, want 200 and still active", code, body)
	}
}

func equal(a, b map[string][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
