package bigquery

import (
	"encoding/json"
	"reflect"
	"testing"

	"rentroll.ai/rentroll/shared/warehouse"
)

// TestAbsentValuesLoadAsNull: a unit row whose rents the file did not state
// loads NULL (the field is left out of the NDJSON), never 0; the new
// designation, flag and balance columns and the charges table load as typed.
func TestAbsentValuesLoadAsNull(t *testing.T) {
	tables := map[string]warehouse.Table{}
	for _, tb := range warehouse.Client("client_x").Tables {
		tables[tb.Name] = tb
	}
	cases := []struct {
		table string
		row   warehouse.Row
		want  map[string]any
	}{
		{warehouse.TableAnalyticsRentRoll, warehouse.Row{
			"client_id": "x", "upload_id": "u", "property_id": "p", "as_of_date": warehouse.DateOf(2026, 3, 31),
			"month_start": warehouse.DateOf(2026, 3, 1), "unit_id": "101", "status": "occupied",
			"market_rent": nil, "lease_rent": nil, "concessions": warehouse.Cents(0), "balance": warehouse.Cents(-2550),
			"designation": "employee", "preleased": false, "renewed": true, "bed_spaces": nil,
		}, map[string]any{
			"client_id": "x", "upload_id": "u", "property_id": "p", "as_of_date": "2026-03-31", "month_start": "2026-03-01",
			"unit_id": "101", "status": "occupied", "concessions": "0.00", "balance": "-25.50", "designation": "employee",
			"preleased": false, "renewed": true,
		}},
		{warehouse.TableAnalyticsCharges, warehouse.Row{
			"client_id": "x", "upload_id": "u", "property_id": "p", "as_of_date": warehouse.DateOf(2026, 3, 31),
			"month_start": warehouse.DateOf(2026, 3, 1), "unit_id": "101", "code": "HAP", "category": "subsidy",
			"amount": warehouse.Cents(70000),
		}, map[string]any{
			"client_id": "x", "upload_id": "u", "property_id": "p", "as_of_date": "2026-03-31", "month_start": "2026-03-01",
			"unit_id": "101", "code": "HAP", "category": "subsidy", "amount": "700.00",
		}},
	}
	for _, c := range cases {
		schema, err := schemaOf(tables[c.table])
		if err != nil {
			t.Fatal(err)
		}
		b, err := appendRow(nil, schema, c.row)
		if err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %s: %v", c.table, b, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.table, got, c.want)
		}
	}
}
