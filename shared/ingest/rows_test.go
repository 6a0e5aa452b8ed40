package ingest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/parse"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestUnitRowsKeepAbsenceAndCharges: a value the file did not have is NULL
// in the warehouse (never 0), the new columns are written, and each charge
// becomes an analytics_charges row; a dataset made by an earlier release
// gains the new table and columns first.
func TestUnitRowsKeepAbsenceAndCharges(t *testing.T) {
	ctx := context.Background()
	wh, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	const ds = "client_t1"
	// The dataset as an earlier release made it: no analytics_charges, no
	// designation/balance columns.
	old := warehouse.Client(ds)
	var tables []warehouse.Table
	for _, tb := range old.Tables {
		if tb.Name == warehouse.TableAnalyticsCharges {
			continue
		}
		if tb.Name == warehouse.TableAnalyticsRentRoll {
			var cols []warehouse.Column
			for _, c := range tb.Columns {
				switch c.Name {
				case "designation", "preleased", "renewed", "balance", "bed_spaces":
					continue
				}
				cols = append(cols, c)
			}
			tb.Columns = cols
		}
		tables = append(tables, tb)
	}
	old.Tables = tables
	if err := wh.EnsureDataset(ctx, old); err != nil {
		t.Fatal(err)
	}
	s := &Service{Warehouse: wh}
	if err := s.ensureSchema(ctx, ds); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	units := []parse.Unit{
		{PropertyID: "p1", AsOf: asOf, UnitID: "101", Status: parse.StatusOccupied, MarketRent: 130000, HasMarketRent: true,
			LeaseRent: 125000, HasLeaseRent: true, Concessions: 5000, HasConcessions: true, Designation: parse.DesignationCorporate,
			Renewed: true, Balance: -2500, HasBalance: true,
			Charges: []parse.Charge{{Code: "rent", Category: parse.CategoryRent, Amount: 125000}, {Code: "conc", Category: parse.CategoryConcession, Amount: -5000}}},
		{PropertyID: "p1", AsOf: asOf, UnitID: "102", Status: parse.StatusVacant, Designation: parse.DesignationStandard,
			BedSpaces: 0, HasBedSpaces: true, Preleased: true},
	}
	rows := func(yield func(warehouse.Row, error) bool) {
		f := unitRow("t1", "u1", asOf)
		for _, u := range units {
			if !yield(f(u), nil) {
				return
			}
		}
	}
	charges := func(yield func(warehouse.Row, error) bool) {
		f := chargeRows("t1", "u1")
		for _, u := range units {
			for _, r := range f(u) {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
	if err := wh.Load(ctx, warehouse.Load{ID: "l1", Dataset: ds, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Stream: rows},
		{Table: warehouse.TableAnalyticsCharges, Stream: charges},
	}}); err != nil {
		t.Fatal(err)
	}
	got, err := wh.Query(ctx, `SELECT unit_id, market_rent, lease_rent, concessions, other_charges, designation, preleased, renewed, balance, bed_spaces
		FROM client_t1.analytics_rent_roll ORDER BY unit_id`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []warehouse.Result{
		{"unit_id": "101", "market_rent": 1300.0, "lease_rent": 1250.0, "concessions": 50.0, "other_charges": nil,
			"designation": "corporate", "preleased": false, "renewed": true, "balance": -25.0, "bed_spaces": nil},
		{"unit_id": "102", "market_rent": nil, "lease_rent": nil, "concessions": nil, "other_charges": nil,
			"designation": "standard", "preleased": true, "renewed": false, "balance": nil, "bed_spaces": int64(0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rent roll rows\n got %v\nwant %v", got, want)
	}
	got, err = wh.Query(ctx, `SELECT unit_id, code, category, amount FROM client_t1.analytics_charges ORDER BY code`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want = []warehouse.Result{
		{"unit_id": "101", "code": "conc", "category": "concession", "amount": -50.0},
		{"unit_id": "101", "code": "rent", "category": "rent", "amount": 1250.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("charges\n got %v\nwant %v", got, want)
	}
}
