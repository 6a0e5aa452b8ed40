package analytics

import (
	"context"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestStoredSummary refreshes a client's stored row (repeatedly and
// concurrently: one row results) and reads the summary page from it; a client
// with no loads shows zeros.
func TestStoredSummary(t *testing.T) {
	ctx := context.Background()
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, ds := range []warehouse.Dataset{warehouse.SuperAdmin(), warehouse.Client("client_acme"), warehouse.Client("client_globex")} {
		if err := w.EnsureDataset(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	asOf := warehouse.DateOf(2026, 3, 31)
	var rows []warehouse.Row
	for i, st := range []string{"occupied", "occupied", "vacant", "model"} {
		rows = append(rows, warehouse.Row{"client_id": "acme", "upload_id": "u1", "property_id": "p1", "as_of_date": asOf,
			"month_start": warehouse.DateOf(2026, 3, 1), "unit_id": string(rune('a' + i)), "status": st,
			"market_rent": warehouse.Cents(100000), "lease_rent": warehouse.Cents(95000), "loaded_at": now.Add(-time.Hour)})
	}
	err = w.Load(ctx, warehouse.Load{ID: "l1", Dataset: "client_acme", Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"client_id": "acme", "upload_id": "u1", "status": "loaded", "loaded_at": now.Add(-time.Hour)}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{W: w, Now: func() time.Time { return now }}
	acme := tenancy.Client{ID: "acme", Name: "Acme", Status: tenancy.Active}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.RefreshClientSummary(ctx, acme); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, err := w.Query(ctx, "SELECT count(*) AS n FROM super_admin.all_clients_summary", nil)
	if err != nil || n[0]["n"].(int64) != 1 {
		t.Fatalf("stored rows = %v, %v; want 1", n, err)
	}
	out, err := s.StoredSummary(ctx, []tenancy.Client{acme, {ID: "globex", Name: "Globex", Status: tenancy.Suspended}})
	if err != nil {
		t.Fatal(err)
	}
	a, g := out.Clients[0], out.Clients[1]
	if a.Units != 4 || a.Occupied != 2 || a.GPR != 400000 || a.PhysicalOccupancy == nil || *a.PhysicalOccupancy != 5000 ||
		a.UploadsThisMonth != 1 || a.LastUploadAt == nil {
		t.Errorf("acme = %+v", a)
	}
	if g.Units != 0 || g.Status != "suspended" || g.PhysicalOccupancy != nil {
		t.Errorf("globex = %+v", g)
	}
	if out.Totals.Units != 4 || out.Totals.Clients != 2 {
		t.Errorf("totals = %+v", out.Totals)
	}
	// Next month the stored upload count no longer counts as this month's.
	s.Now = func() time.Time { return now.AddDate(0, 1, 0) }
	if out, _ := s.StoredSummary(ctx, []tenancy.Client{acme}); out.Clients[0].UploadsThisMonth != 0 {
		t.Errorf("a row from last month counts %d uploads this month", out.Clients[0].UploadsThisMonth)
	}
}
