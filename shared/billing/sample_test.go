package billing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestFinanceCSVSample pins the finance CSV of a small month byte for
// byte: three clients on two plans (one with its own price), a property
// carried forward, a stale one, an inactive one, a minimum charge and a
// name that needs formula escaping.
func TestFinanceCSVSample(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	type prop struct {
		id    string
		asOf  time.Time
		units int
	}
	clients := []struct {
		c     tenancy.Client
		props []prop
	}{
		{tenancy.Client{ID: "acme-homes", Name: "Acme Homes", Status: tenancy.Active},
			[]prop{{"P1", warehouse.DateOf(2025, 3, 31), 180}, {"P2", warehouse.DateOf(2025, 1, 31), 40}}},
		{tenancy.Client{ID: "birch-living", Name: "Birch Living", Status: tenancy.Active},
			[]prop{{"B1", warehouse.DateOf(2025, 3, 15), 120}, {"B2", warehouse.DateOf(2024, 10, 31), 60}}},
		{tenancy.Client{ID: "cedar-group", Name: "=Cedar Group", Status: tenancy.Active},
			[]prop{{"C1", warehouse.DateOf(2025, 3, 31), 400}, {"C2", warehouse.DateOf(2025, 3, 31), 50}}},
	}
	for _, c := range clients {
		if err := e.clients.CreateClient(ctx, c.c); err != nil {
			t.Fatal(err)
		}
		ds := tenancy.DatasetName(c.c.ID)
		if err := e.wh.EnsureDataset(ctx, warehouse.Client(ds)); err != nil {
			t.Fatal(err)
		}
		var rows, meta []warehouse.Row
		for _, p := range c.props {
			up := "u-" + p.id
			for u := range p.units {
				rows = append(rows, warehouse.Row{"client_id": c.c.ID, "upload_id": up, "property_id": p.id,
					"as_of_date": p.asOf, "month_start": time.Date(p.asOf.Year(), p.asOf.Month(), 1, 0, 0, 0, 0, time.UTC),
					"unit_id": fmt.Sprintf("%04d", u), "status": "occupied", "loaded_at": p.asOf.Add(24 * time.Hour)})
			}
			meta = append(meta, warehouse.Row{"client_id": c.c.ID, "upload_id": up, "status": "loaded"})
		}
		if err := e.wh.Load(ctx, warehouse.Load{ID: "seed", Dataset: ds, Parts: []warehouse.Part{
			{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}, {Table: warehouse.TableUploadMetadata, Rows: meta},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	for _, p := range []struct {
		client string
		patch  billing.PricingPatch
	}{
		{"birch-living", billing.PricingPatch{PlanID: str("pro"), EffectiveMonth: str("2025-01")}},
		{"cedar-group", billing.PricingPatch{PlanID: str("pro"), UnitPrice: cents(210), EffectiveMonth: str("2025-03")}},
	} {
		if _, err := e.svc.SetPricing(ctx, p.client, "finance", p.patch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.SetPropertyStatus(ctx, "cedar-group", "C2", "finance", billing.PropertyInactive, "2025-03"); err != nil {
		t.Fatal(err)
	}
	rec, err := e.svc.Run(ctx, "2025-03", "test")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := e.svc.ExportCSV(ctx, "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("finance CSV:\n%s", b)
	want := strings.ReplaceAll(`client_id,client_name,status,month,units,properties,carried_forward_properties,run_id,plan_id,currency,unit_price,minimum_monthly,amount,stale_properties
acme-homes,Acme Homes,active,2025-03,220,2,1,RUN,basic,USD,1.50,250.00,330.00,
birch-living,Birch Living,active,2025-03,120,1,0,RUN,pro,USD,2.50,500.00,500.00,B2
cedar-group,'=Cedar Group,active,2025-03,400,1,0,RUN,pro,USD,2.10,500.00,840.00,
`, "\n", "\r\n")
	want = strings.ReplaceAll(want, "RUN", rec.CompletedRunID)
	if string(b) != want {
		t.Errorf("CSV =\n%q\nwant\n%q", b, want)
	}
	if want := map[string]billing.Money{"USD": 167000}; rec.AmountTotals["USD"] != want["USD"] || len(rec.AmountTotals) != 1 || rec.StaleProperties != 1 {
		t.Errorf("totals %v stale %d, want %v and 1", rec.AmountTotals, rec.StaleProperties, want)
	}
}
