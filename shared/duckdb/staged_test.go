package duckdb

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/warehouse/warehousetest"
)

// awkwardRows are analytics_rent_roll rows with every value a CSV file
// could get wrong: separators, quotes and line breaks in strings, the empty
// string beside NULL, \N, negative and large amounts, nanosecond timestamps.
func awkwardRows(upload string) []warehouse.Row {
	strs := []string{"", `\N`, "a,b", `say "hi"`, "line\nbreak", "crlf\r\nend", " padded ", "naïve ∑", `"`, `""`, "NULL", ","}
	loaded := time.Date(2026, 3, 31, 23, 59, 59, 123456789, time.UTC)
	var rows []warehouse.Row
	for i, s := range strs {
		var null any
		if i%2 == 0 {
			null = s
		}
		rows = append(rows, warehouse.Row{
			"client_id": "acme", "upload_id": upload, "property_id": "p1", "property_name": s,
			"as_of_date": warehouse.DateOf(2026, 3, 31), "month_start": warehouse.DateOf(2026, 3, 1),
			"unit_id": fmt.Sprintf("u%02d", i), "building": null, "unit_type": s, "status": "occupied",
			"beds": []any{nil, 0.1, 2.0, 1e21, -0.0, 1.0 / 3}[i%6], "baths": 1.5, "sqft": []any{nil, int64(0), int64(math.MaxInt64), int64(-1)}[i%4],
			"market_rent": []any{nil, warehouse.Cents(0), warehouse.Cents(-1), warehouse.Cents(-123456), warehouse.Cents(99999999999999999), warehouse.Cents(5)}[i%6],
			"lease_rent":  warehouse.Cents(125050), "concessions": nil, "other_charges": warehouse.Cents(-99),
			"lease_start": warehouse.DateOf(1, 1, 1), "lease_end": warehouse.DateOf(9999, 12, 31), "move_in": nil, "move_out": warehouse.DateOf(1969, 12, 31),
			"designation": s, "preleased": i%3 == 0, "renewed": nil, "balance": warehouse.Cents(-1), "bed_spaces": nil,
			"loaded_at": loaded.Add(time.Duration(i) * 333 * time.Nanosecond),
		})
	}
	return rows
}

func stage(t *testing.T, table string, rows []warehouse.Row, fixed warehouse.Row) *warehouse.Staged {
	t.Helper()
	decl, _ := warehouse.Client(warehousetest.ClientDataset).Table(table)
	s, err := warehouse.NewStaged(t.TempDir(), decl, fixed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, r := range rows {
		if err := s.Add(r); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	return s
}

// TestStagedLoadMatchesAppender loads the same rows through the Appender and
// through a staging file and finds the two sets of rows identical, value for
// value.
func TestStagedLoadMatchesAppender(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	rows := awkwardRows("x")
	for _, l := range []warehouse.Load{
		{ID: "appended", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}}},
		// Fixed columns too: bound once rather than read from the file.
		{ID: "staged", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{{Table: warehouse.TableAnalyticsRentRoll,
			Staged: stage(t, warehouse.TableAnalyticsRentRoll, awkwardRows("y"), warehouse.Row{
				"client_id": "acme", "upload_id": "y", "status": "occupied", "baths": 1.5, "lease_rent": warehouse.Cents(125050),
				"concessions": nil, "as_of_date": warehouse.DateOf(2026, 3, 31), "renewed": nil,
			})}}},
	} {
		if err := w.Load(ctx, l); err != nil {
			t.Fatalf("Load %s: %v", l.ID, err)
		}
	}
	count := func(q string) int64 {
		t.Helper()
		got, err := w.Query(ctx, q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return got[0]["n"].(int64)
	}
	const cols = `* EXCLUDE (upload_id)`
	for name, q := range map[string]string{
		"appended": `SELECT count(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = 'x'`,
		"staged":   `SELECT count(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = 'y'`,
		"appended but not staged": `SELECT count(*) AS n FROM (SELECT ` + cols + ` FROM client_acme.analytics_rent_roll WHERE upload_id = 'x'
			EXCEPT ALL SELECT ` + cols + ` FROM client_acme.analytics_rent_roll WHERE upload_id = 'y')`,
		"staged but not appended": `SELECT count(*) AS n FROM (SELECT ` + cols + ` FROM client_acme.analytics_rent_roll WHERE upload_id = 'y'
			EXCEPT ALL SELECT ` + cols + ` FROM client_acme.analytics_rent_roll WHERE upload_id = 'x')`,
	} {
		want := int64(0)
		if name == "appended" || name == "staged" {
			want = int64(len(rows))
		}
		if got := count(q); got != want {
			t.Errorf("%s: %d rows, want %d", name, got, want)
		}
	}
	// NULL and the empty string stay apart.
	if got := count(`SELECT count(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = 'y' AND building IS NULL`); got != 6 {
		t.Errorf("staged NULL buildings = %d, want 6", got)
	}
	if got := count(`SELECT count(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = 'y' AND property_name = ''`); got != 1 {
		t.Errorf("staged empty property names = %d, want 1", got)
	}
}

// TestStagedLoadIsAtomic: a staged part loads nothing when a later part of
// the same load fails, and a load ID already applied adds nothing.
func TestStagedLoadIsAtomic(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	bad := warehouse.Row{"client_id": "acme", "upload_id": "z", "no_such_column": "x"}
	err := w.Load(ctx, warehouse.Load{ID: "l1", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Staged: stage(t, warehouse.TableAnalyticsRentRoll, awkwardRows("z"), nil)},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{bad}},
	}})
	if err == nil {
		t.Fatal("Load succeeded with an invalid metadata row")
	}
	got, err := w.Query(ctx, `SELECT count(*) AS n FROM client_acme.analytics_rent_roll`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[0]["n"] != int64(0) {
		t.Fatalf("%v rows left after a failed load, want 0", got[0]["n"])
	}
	good := warehouse.Load{ID: "l2", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Staged: stage(t, warehouse.TableAnalyticsRentRoll, awkwardRows("z"), nil)},
	}}
	for range 2 {
		if err := w.Load(ctx, good); err != nil {
			t.Fatal(err)
		}
	}
	got, err = w.Query(ctx, `SELECT count(*) AS n FROM client_acme.analytics_rent_roll`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(awkwardRows("z"))); got[0]["n"] != want {
		t.Fatalf("%v rows after loading l2 twice, want %d", got[0]["n"], want)
	}
}

// TestStagedLoadErrors: a staged table the database lacks, or a staging
// file whose columns the table does not have, loads nothing.
func TestStagedLoadErrors(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	s := stage(t, warehouse.TableAnalyticsRentRoll, awkwardRows("e"), warehouse.Row{"client_id": "acme"})
	tests := []struct {
		name  string
		table string
		want  errs.Code
	}{
		{"no such table", "analytics_nothing", errs.NotFound},
		{"columns of another table", warehouse.TableAnalyticsCompetition, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.Load(ctx, warehouse.Load{ID: tt.name, Dataset: warehousetest.ClientDataset,
				Parts: []warehouse.Part{{Table: tt.table, Staged: s}}})
			if !errs.Is(err, tt.want) {
				t.Fatalf("Load = %v, want code %s", err, tt.want)
			}
		})
	}
}
