package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/warehouse/warehousetest"
)

func openMemory(t testing.TB) *Warehouse {
	t.Helper()
	w, err := Open("")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

func TestContract(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse { return openMemory(t) })
}

// TestContractInsertPath runs the load-related contract on the INSERT path,
// the baseline of BenchmarkLoad, so that the comparison is between two correct
// implementations.
func TestContractInsertPath(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse {
		w := openMemory(t)
		w.useInsert = true
		return w
	})
}

func TestReopenSeesData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	w, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	warehousetest.Provision(t, w)
	err = w.Load(ctx, warehouse.Load{ID: "l1", Dataset: warehouse.SuperAdminDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAllClientsSummary, Rows: []warehouse.Row{
			{"client_id": "acme", "gpr": warehouse.Cents(9999999999), "units": int64(12)},
		}},
	}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	w, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer w.Close()
	got, err := w.Query(ctx, `SELECT client_id, gpr, units FROM super_admin.all_clients_summary`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d rows after reopen, want 1", len(got))
	}
	warehousetest.CompareResult(t, "reopened", got[0], warehouse.Result{
		"client_id": "acme", "gpr": warehousetest.Amount(9999999999), "units": int64(12),
	})
	// The load's ID survived too: loading it again is still a no-op.
	err = w.Load(ctx, warehouse.Load{ID: "l1", Dataset: warehouse.SuperAdminDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAllClientsSummary, Rows: []warehouse.Row{{"client_id": "acme"}}},
	}})
	if err != nil {
		t.Fatalf("Load again: %v", err)
	}
	got, err = w.Query(ctx, `SELECT COUNT(*) AS n FROM super_admin.all_clients_summary`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if got[0]["n"] != int64(1) {
		t.Errorf("after repeated load: n = %v, want 1", got[0]["n"])
	}
}

func TestEnsureDatasetAddsColumns(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	v1 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.String, Required: true},
	}}}}
	v2 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.String, Required: true},
		{Name: "amount", Type: warehouse.Money, Required: true}, // added nullable: old rows lack it
		{Name: "at", Type: warehouse.Timestamp},
	}}}}
	if err := w.EnsureDataset(ctx, v1); err != nil {
		t.Fatalf("EnsureDataset v1: %v", err)
	}
	if err := w.Load(ctx, warehouse.Load{ID: "a", Dataset: "evolve", Parts: []warehouse.Part{
		{Table: "t", Rows: []warehouse.Row{{"id": "old"}}}}}); err != nil {
		t.Fatalf("Load v1: %v", err)
	}
	if err := w.EnsureDataset(ctx, v2); err != nil {
		t.Fatalf("EnsureDataset v2: %v", err)
	}
	if err := w.Load(ctx, warehouse.Load{ID: "b", Dataset: "evolve", Parts: []warehouse.Part{
		{Table: "t", Rows: []warehouse.Row{{"id": "new", "amount": warehouse.Cents(5)}}}}}); err != nil {
		t.Fatalf("Load v2: %v", err)
	}
	got, err := w.Query(ctx, `SELECT id, amount, "at" FROM evolve.t ORDER BY id`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	want := []warehouse.Result{
		{"id": "new", "amount": warehousetest.Amount(5), "at": nil},
		{"id": "old", "amount": nil, "at": nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		warehousetest.CompareResult(t, "row", got[i], want[i])
	}

	// A column whose declared type changed is reported, not silently kept.
	v3 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.Int64},
	}}}}
	if err := w.EnsureDataset(ctx, v3); err == nil {
		t.Error("EnsureDataset with a changed column type = nil, want error")
	}
}

func TestRewrite(t *testing.T) {
	tests := []struct {
		name     string
		sql      string
		params   map[string]any
		wantSQL  string
		wantArgs []sql.NamedArg
		wantErr  bool
	}{
		{name: "plain", sql: "SELECT * FROM d.t WHERE a = @a AND b = @b_2",
			params:   map[string]any{"a": "x", "b_2": 3},
			wantSQL:  "SELECT * FROM d.t WHERE a = $a AND b = $b_2",
			wantArgs: []sql.NamedArg{sql.Named("a", "x"), sql.Named("b_2", int64(3))}},
		{name: "repeated", sql: "SELECT @a, @a", params: map[string]any{"a": true},
			wantSQL: "SELECT $a, $a", wantArgs: []sql.NamedArg{sql.Named("a", true)}},
		{name: "literals and comments", sql: "SELECT '@a', 'it''s @a', \"@a\", `@a` -- @a\n, @a /* @a */",
			params:   map[string]any{"a": "v"},
			wantSQL:  "SELECT '@a', 'it''s @a', \"@a\", `@a` -- @a\n, $a /* @a */",
			wantArgs: []sql.NamedArg{sql.Named("a", "v")}},
		{name: "backslash escape", sql: `SELECT 'a\'@b' , @c`, params: map[string]any{"c": "v"},
			wantSQL: `SELECT 'a\'@b' , $c`, wantArgs: []sql.NamedArg{sql.Named("c", "v")}},
		{name: "money", sql: "WHERE m = @m", params: map[string]any{"m": warehouse.Cents(-5)},
			wantSQL: "WHERE m = CAST($m AS DECIMAL(18,2))", wantArgs: []sql.NamedArg{sql.Named("m", "-0.05")}},
		{name: "date", sql: "WHERE d = @d", params: map[string]any{"d": civil.Date{Year: 2026, Month: 1, Day: 2}},
			wantSQL: "WHERE d = CAST($d AS DATE)", wantArgs: []sql.NamedArg{sql.Named("d", "2026-01-02")}},
		{name: "time in UTC", sql: "WHERE t = @t",
			params:   map[string]any{"t": time.Date(2026, 1, 2, 3, 0, 0, 0, time.FixedZone("X", 3600))},
			wantSQL:  "WHERE t = $t",
			wantArgs: []sql.NamedArg{sql.Named("t", time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC))}},
		{name: "email is not a parameter name start", sql: "SELECT 'a@b.c', @x", params: map[string]any{"x": nil},
			wantSQL: "SELECT 'a@b.c', $x", wantArgs: []sql.NamedArg{sql.Named("x", nil)}},
		{name: "system catalog", sql: "SELECT u.sub FROM system.users u JOIN client_a.t ON x.system = 1 WHERE 'system.users' = @a",
			params:   map[string]any{"a": "v"},
			wantSQL:  `SELECT u.sub FROM "memory".system.users u JOIN client_a.t ON x.system = 1 WHERE 'system.users' = $a`,
			wantArgs: []sql.NamedArg{sql.Named("a", "v")}},
		{name: "system variable", sql: "SELECT @@x, @y", params: map[string]any{"y": "v"},
			wantSQL: "SELECT @@x, $y", wantArgs: []sql.NamedArg{sql.Named("y", "v")}},
		{name: "missing", sql: "WHERE a = @a", params: map[string]any{"b": 1}, wantErr: true},
		{name: "unsupported type", sql: "WHERE a = @a", params: map[string]any{"a": []int{1}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotSQL, gotArgs, err := rewrite(tc.sql, tc.params, "memory")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("rewrite = %q, nil error; want error", gotSQL)
				}
				if !errs.Is(err, errs.Internal) {
					t.Errorf("code = %s, want %s", errs.CodeOf(err), errs.Internal)
				}
				return
			}
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			if gotSQL != tc.wantSQL {
				t.Errorf("sql = %q, want %q", gotSQL, tc.wantSQL)
			}
			if fmt.Sprint(gotArgs) != fmt.Sprint(namedAny(tc.wantArgs)) {
				t.Errorf("args = %v, want %v", gotArgs, tc.wantArgs)
			}
		})
	}
}

func namedAny(a []sql.NamedArg) []any {
	out := make([]any, len(a))
	for i, v := range a {
		out[i] = v
	}
	return out
}

func TestCentsString(t *testing.T) {
	tests := []struct {
		in   warehouse.Cents
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {10, "0.10"}, {123456, "1234.56"},
		{-123450, "-1234.50"}, {9999999999, "99999999.99"},
		{-9223372036854775808, "-92233720368547758.08"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%d.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLoadRollsBackAppendedRows pins the fact the Load design rests on: rows
// an Appender flushed inside the connection's open transaction vanish with
// its ROLLBACK. The second part fails only at the Appender's final flush
// (the NOT NULL check), after the first part's Appender was closed and
// flushed.
func TestLoadRollsBackAppendedRows(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	rows := analyticsRows(5000, "big")
	err := w.Load(ctx, warehouse.Load{ID: "rb", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"upload_id": "big"}}}, // client_id is required
	}})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("Load err = %v, want code %s", err, errs.Invalid)
	}
	got, err := w.Query(ctx, `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if got[0]["n"] != int64(0) {
		t.Errorf("after failed load: n = %v, want 0", got[0]["n"])
	}
	got, err = w.Query(ctx, `SELECT COUNT(*) AS n FROM client_acme._loads`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if got[0]["n"] != int64(0) {
		t.Errorf("after failed load: %v load ids recorded, want 0", got[0]["n"])
	}
}

// TestConcurrentLoadsDistinctIDs loads different IDs into the same table at
// once: all must land (no lost update, no spurious conflict).
func TestConcurrentLoadsDistinctIDs(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	const n = 4
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("u%d", i)
			err := w.Load(ctx, warehouse.Load{ID: id, Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{
				{Table: warehouse.TableAnalyticsRentRoll, Rows: analyticsRows(1000, id)}}})
			if err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("Load: %v", err)
	}
	got, err := w.Query(ctx, `SELECT COUNT(*) AS n, COUNT(DISTINCT upload_id) AS u FROM client_acme.analytics_rent_roll`, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	warehousetest.CompareResult(t, "counts", got[0], warehouse.Result{"n": int64(n * 1000), "u": int64(n)})
}

func TestLoadUnprovisioned(t *testing.T) {
	w := openMemory(t)
	defer w.Close()
	err := w.Load(context.Background(), warehouse.Load{ID: "x", Dataset: "client_nobody", Parts: []warehouse.Part{
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"client_id": "x", "upload_id": "y"}}}}})
	if !errs.Is(err, errs.NotFound) {
		t.Errorf("Load into a missing dataset: err = %v, want code %s", err, errs.NotFound)
	}
	for _, bad := range []warehouse.Load{
		{ID: "", Dataset: "client_x"},
		{ID: "x", Dataset: "Client-X"},
		{ID: "x", Dataset: "client_x", Parts: []warehouse.Part{{Table: "t; DROP TABLE x"}}},
	} {
		if err := w.Load(context.Background(), bad); err == nil {
			t.Errorf("Load(%+v) = nil, want error", bad)
		}
	}
}

// analyticsRows makes n realistic analytics_rent_roll rows for one upload.
func analyticsRows(n int, upload string) []warehouse.Row {
	statuses := []string{"occupied", "occupied_notice", "vacant", "vacant_leased", "model"}
	types := []string{"1x1", "2x1", "2x2", "3x2"}
	asOf := warehouse.DateOf(2026, time.January, 31)
	month := warehouse.DateOf(2026, time.January, 1)
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	rows := make([]warehouse.Row, n)
	for i := range rows {
		rows[i] = warehouse.Row{
			"client_id": "acme", "upload_id": upload,
			"property_id": fmt.Sprintf("p%d", i%20), "property_name": "Property " + strings.Repeat("x", i%7),
			"as_of_date": asOf, "month_start": month,
			"unit_id": fmt.Sprintf("%05d", i), "building": fmt.Sprintf("B%d", i%5), "unit_type": types[i%4],
			"beds": float64(1 + i%3), "baths": 1.5, "sqft": int64(600 + i%700), "status": statuses[i%5],
			"market_rent": warehouse.Cents(150000 + i%1000), "lease_rent": warehouse.Cents(145000 + i%999),
			"concessions": warehouse.Cents(i % 5000), "other_charges": nil,
			"lease_start": warehouse.DateOf(2025, time.Month(1+i%12), 1),
			"lease_end":   warehouse.DateOf(2026, time.Month(1+i%12), 28),
			"move_in":     warehouse.DateOf(2024, time.Month(1+i%12), 15), "move_out": nil,
			"loaded_at": now,
		}
	}
	return rows
}

// BenchmarkLoad loads 100k analytics_rent_roll rows per operation, through
// the Appender (what Load uses for rows), from a staging file (what it uses
// for a staged part; staging happens earlier, outside the timer) and through
// batched INSERTs (the baseline), and reports rows/s.
func BenchmarkLoad(b *testing.B) {
	const n = 100_000
	rows := analyticsRows(n, "bench")
	decl, _ := warehouse.Client(warehousetest.ClientDataset).Table(warehouse.TableAnalyticsRentRoll)
	staged, err := warehouse.NewStaged(b.TempDir(), decl, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer staged.Close()
	for _, r := range rows {
		if err := staged.Add(r); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name      string
		useInsert bool
		part      warehouse.Part
	}{
		{"appender", false, warehouse.Part{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}},
		{"staged", false, warehouse.Part{Table: warehouse.TableAnalyticsRentRoll, Staged: staged}},
		{"insert", true, warehouse.Part{Table: warehouse.TableAnalyticsRentRoll, Rows: rows}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			w := openMemory(b)
			defer w.Close()
			w.useInsert = bc.useInsert
			if err := w.EnsureDataset(ctx, warehouse.Client(warehousetest.ClientDataset)); err != nil {
				b.Fatalf("EnsureDataset: %v", err)
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				i++
				err := w.Load(ctx, warehouse.Load{ID: fmt.Sprintf("bench-%d", i), Dataset: warehousetest.ClientDataset,
					Parts: []warehouse.Part{bc.part}})
				if err != nil {
					b.Fatalf("Load: %v", err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func TestQueryErrors(t *testing.T) {
	ctx := context.Background()
	w := openMemory(t)
	defer w.Close()
	warehousetest.Provision(t, w)
	tests := []struct {
		name   string
		sql    string
		params map[string]any
		want   errs.Code
	}{
		{"syntax error is our bug", `SELEC 1`, nil, errs.Internal},
		{"missing table", `SELECT * FROM client_acme.nope`, nil, errs.NotFound},
		{"missing parameter", `SELECT @x AS x`, nil, errs.Internal},
		{"not null on update", `UPDATE client_acme.upload_metadata SET client_id = NULL WHERE upload_id = @u`,
			map[string]any{"u": "u1"}, errs.Invalid},
	}
	err := w.Load(ctx, warehouse.Load{ID: "q", Dataset: warehousetest.ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"client_id": "acme", "upload_id": "u1"}}}}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Query(ctx, tc.sql, tc.params)
			if got := errs.CodeOf(err); got != tc.want {
				t.Errorf("Query code = %s (%v), want %s", got, err, tc.want)
			}
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Query(cancelled, `SELECT 1 AS n`, nil); !errs.Is(err, errs.Transient) {
		t.Errorf("Query with a cancelled context: err = %v, want code %s", err, errs.Transient)
	}
}
