// Package warehousetest is the contract suite every warehouse.Warehouse
// adapter must pass: provisioning of the A5 datasets (idempotent and
// concurrent), exact round-trips of every column type, loads that land
// exactly once and all-or-nothing, and parameterized queries that bind their
// values instead of splicing them into SQL.
//
// Adapters call Run from their own tests with a function that opens a fresh,
// empty warehouse. SQL in this suite is written once, in the subset both
// dialects accept (docs/architecture.md#local-platform).
package warehousetest

import (
	"context"
	"fmt"
	"iter"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// ClientDataset is the client dataset the suite provisions and loads.
const ClientDataset = "client_acme"

// Datasets are the datasets the suite provisions: the A5 declarations.
func Datasets() []warehouse.Dataset {
	return []warehouse.Dataset{warehouse.System(), warehouse.SuperAdmin(), warehouse.Client(ClientDataset)}
}

// Run runs the contract suite. open returns a fresh, empty warehouse; Run
// closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) warehouse.Warehouse) {
	fresh := func(t *testing.T) warehouse.Warehouse {
		t.Helper()
		w := open(t)
		t.Cleanup(func() {
			if err := w.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return w
	}
	t.Run("EnsureDataset", func(t *testing.T) { testEnsureDataset(t, fresh(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, fresh(t)) })
	t.Run("LoadIdempotent", func(t *testing.T) { testLoadIdempotent(t, fresh(t)) })
	t.Run("LoadAtomic", func(t *testing.T) { testLoadAtomic(t, fresh(t)) })
	t.Run("LoadStream", func(t *testing.T) { testLoadStream(t, fresh(t)) })
	t.Run("Params", func(t *testing.T) { testParams(t, fresh(t)) })
	t.Run("Exec", func(t *testing.T) { testExec(t, fresh(t)) })
}

// Provision ensures every dataset of Datasets, failing the test on error.
func Provision(t *testing.T, w warehouse.Warehouse) {
	t.Helper()
	for _, ds := range Datasets() {
		if err := w.EnsureDataset(context.Background(), ds); err != nil {
			t.Fatalf("EnsureDataset(%s): %v", ds.Name, err)
		}
	}
}

func testEnsureDataset(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)
	Provision(t, w) // idempotent

	// Concurrently, twice per dataset, as two instances starting together would.
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(Datasets()))
	for range 2 {
		for _, ds := range Datasets() {
			wg.Go(func() {
				if err := w.EnsureDataset(ctx, ds); err != nil {
					errc <- fmt.Errorf("EnsureDataset(%s): %w", ds.Name, err)
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}

	// Every declared table exists, with every declared column, and is empty.
	for _, ds := range Datasets() {
		for _, tb := range ds.Tables {
			names := make([]string, len(tb.Columns))
			for i, c := range tb.Columns {
				names[i] = c.Name
			}
			q := fmt.Sprintf("SELECT COUNT(*) AS n FROM (SELECT %s FROM %s.%s) AS t",
				strings.Join(names, ", "), ds.Name, tb.Name)
			if got := count(t, w, q, nil); got != 0 {
				t.Errorf("%s.%s has %d rows, want 0", ds.Name, tb.Name, got)
			}
		}
	}

	// A name that is not a safe identifier never reaches SQL.
	bad := warehouse.Dataset{Name: "acme; DROP SCHEMA system"}
	if err := w.EnsureDataset(ctx, bad); err == nil {
		t.Errorf("EnsureDataset(%q) = nil, want error", bad.Name)
	}
}

// Money amounts that a float would get wrong somewhere: tenths, the largest
// DECIMAL(18,2)/NUMERIC amount we expect, and negative cents.
var moneyCases = []struct {
	unit  string
	cents warehouse.Cents
}{
	{"u01", 10},           // 0.10
	{"u02", 123456},       // 1234.56
	{"u03", 9999999999},   // 99999999.99
	{"u04", -1},           // -0.01
	{"u05", -123450},      // -1234.50
	{"u06", 0},            // 0.00
	{"u07", 1999},         // 19.99
	{"u08", 33},           // 0.33
	{"u09", 100000000000}, // 1000000000.00
}

var (
	asOf     = warehouse.DateOf(2026, time.January, 31)
	monthOf  = warehouse.DateOf(2026, time.January, 1)
	loadedAt = time.Date(2026, time.February, 3, 4, 5, 6, 123456000, time.UTC)
)

// rentRollRow is a full analytics_rent_roll row for unit, with nil for the
// optional columns a test does not care about.
func rentRollRow(upload, property, unit string, market warehouse.Cents) warehouse.Row {
	return warehouse.Row{
		"client_id": ClientDataset, "upload_id": upload,
		"property_id": property, "property_name": "Maple Court",
		"as_of_date": asOf, "month_start": monthOf,
		"unit_id": unit, "building": nil, "unit_type": "2x2",
		"beds": 2.0, "baths": 1.5, "sqft": int64(850), "status": "occupied",
		"market_rent": market, "lease_rent": warehouse.Cents(150000), "concessions": nil,
		"other_charges": warehouse.Cents(-2500),
		"lease_start":   warehouse.DateOf(2025, time.March, 1), "lease_end": warehouse.DateOf(2026, time.February, 28),
		"move_in": nil, "move_out": nil,
		"loaded_at": loadedAt,
	}
}

func testRoundTrip(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)

	var rows []warehouse.Row
	for _, m := range moneyCases {
		rows = append(rows, rentRollRow("up-1", "p1", m.unit, m.cents))
	}
	// A timestamp given in another zone is the same instant and reads back in UTC.
	rows[0]["loaded_at"] = loadedAt.In(time.FixedZone("EST", -5*3600))
	users := []warehouse.Row{
		{"sub": "auth0|1", "email": "a@example.com", "role": "client_admin", "client_id": "acme",
			"disabled": true, "created_at": loadedAt, "updated_at": nil},
		{"sub": "auth0|2", "email": "b@example.com", "role": "client_user", "client_id": "acme",
			"disabled": false, "created_at": loadedAt, "updated_at": loadedAt},
	}
	mustLoad(t, w, warehouse.Load{ID: "rt-1", Dataset: ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows},
	}})
	mustLoad(t, w, warehouse.Load{ID: "rt-users", Dataset: warehouse.SystemDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableUsers, Rows: users},
	}})

	got := query(t, w, `SELECT unit_id, property_id, as_of_date, month_start, building, beds, baths, sqft,
		market_rent, lease_rent, concessions, other_charges, lease_end, move_in, loaded_at
		FROM client_acme.analytics_rent_roll WHERE upload_id = @upload ORDER BY unit_id`,
		map[string]any{"upload": "up-1"})
	if len(got) != len(moneyCases) {
		t.Fatalf("got %d rows, want %d", len(got), len(moneyCases))
	}
	for i, m := range moneyCases {
		want := warehouse.Result{
			"unit_id": m.unit, "property_id": "p1", "as_of_date": asOf, "month_start": monthOf,
			"building": nil, "beds": 2.0, "baths": 1.5, "sqft": int64(850),
			"market_rent": Amount(m.cents), "lease_rent": 1500.0, "concessions": nil, "other_charges": -25.0,
			"lease_end": warehouse.DateOf(2026, time.February, 28), "move_in": nil, "loaded_at": loadedAt,
		}
		CompareResult(t, fmt.Sprintf("row %d", i), got[i], want)
	}

	// The sum is exact: a float sum of these would be off in the last cents.
	var sum warehouse.Cents
	for _, m := range moneyCases {
		sum += m.cents
	}
	total := query(t, w, `SELECT SUM(market_rent) AS total FROM client_acme.analytics_rent_roll`, nil)
	CompareResult(t, "sum", total[0], warehouse.Result{"total": Amount(sum)})

	// Equality against a money parameter finds exactly the stored amount.
	for _, m := range moneyCases {
		got := query(t, w, `SELECT unit_id FROM client_acme.analytics_rent_roll WHERE market_rent = @m`,
			map[string]any{"m": m.cents})
		if len(got) != 1 || got[0]["unit_id"] != m.unit {
			t.Errorf("market_rent = %s: got %v, want [%s]", Amount(m.cents).String(), got, m.unit)
		}
	}

	gotUsers := query(t, w, `SELECT sub, disabled, created_at, updated_at FROM system.users ORDER BY sub`, nil)
	wantUsers := []warehouse.Result{
		{"sub": "auth0|1", "disabled": true, "created_at": loadedAt, "updated_at": nil},
		{"sub": "auth0|2", "disabled": false, "created_at": loadedAt, "updated_at": loadedAt},
	}
	if len(gotUsers) != len(wantUsers) {
		t.Fatalf("got %d users, want %d", len(gotUsers), len(wantUsers))
	}
	for i := range wantUsers {
		CompareResult(t, "user", gotUsers[i], wantUsers[i])
	}

	// Money must come as Cents: a float or a bare integer is refused, not guessed.
	for _, v := range []any{12.34, int64(1234)} {
		r := rentRollRow("up-bad", "p1", "x", 0)
		r["market_rent"] = v
		err := w.Load(ctx, warehouse.Load{ID: fmt.Sprintf("rt-bad-%T", v), Dataset: ClientDataset,
			Parts: []warehouse.Part{{Table: warehouse.TableAnalyticsRentRoll, Rows: []warehouse.Row{r}}}})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("Load with market_rent %T: err = %v, want code %s", v, err, errs.Invalid)
		}
	}
}

func testLoadIdempotent(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)
	load := func(id, upload string) warehouse.Load {
		return warehouse.Load{ID: id, Dataset: ClientDataset, Parts: []warehouse.Part{
			{Table: warehouse.TableAnalyticsRentRoll, Rows: []warehouse.Row{
				rentRollRow(upload, "p1", "101", 100000), rentRollRow(upload, "p1", "102", 110000),
			}},
			{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{
				{"client_id": ClientDataset, "upload_id": upload, "status": "loaded", "rows_loaded": int64(2)},
			}},
		}}
	}
	counts := func(upload string) [2]int64 {
		p := map[string]any{"u": upload}
		return [2]int64{
			count(t, w, `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = @u`, p),
			count(t, w, `SELECT COUNT(*) AS n FROM client_acme.upload_metadata WHERE upload_id = @u`, p),
		}
	}

	mustLoad(t, w, load("idem-1", "up-a"))
	mustLoad(t, w, load("idem-1", "up-a"))
	if got, want := counts("up-a"), [2]int64{2, 1}; got != want {
		t.Errorf("after repeated load: counts = %v, want %v", got, want)
	}

	// Same ID, different content: still a no-op, the ID decides.
	mustLoad(t, w, load("idem-1", "up-other"))
	if got, want := counts("up-other"), [2]int64{0, 0}; got != want {
		t.Errorf("repeated ID with other rows: counts = %v, want %v", got, want)
	}

	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			if err := w.Load(ctx, load("idem-2", "up-b")); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent Load: %v", err)
	}
	if got, want := counts("up-b"), [2]int64{2, 1}; got != want {
		t.Errorf("after concurrent loads: counts = %v, want %v", got, want)
	}
}

func testLoadAtomic(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)
	good := func(upload string) warehouse.Part {
		return warehouse.Part{Table: warehouse.TableAnalyticsRentRoll, Rows: []warehouse.Row{
			rentRollRow(upload, "p1", "101", 100000), rentRollRow(upload, "p1", "102", 110000),
		}}
	}
	meta := func(upload string) warehouse.Row {
		return warehouse.Row{"client_id": ClientDataset, "upload_id": upload, "status": "loaded"}
	}
	tests := []struct {
		name string
		bad  func(upload string) warehouse.Part
		code errs.Code
	}{
		{"not null violation", func(upload string) warehouse.Part {
			r := meta(upload)
			r["client_id"] = nil // required
			return warehouse.Part{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{meta(upload), r}}
		}, errs.Invalid},
		{"unknown column", func(upload string) warehouse.Part {
			r := meta(upload)
			r["no_such_column"] = "x"
			return warehouse.Part{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{r}}
		}, errs.Invalid},
		{"wrong value type", func(upload string) warehouse.Part {
			r := meta(upload)
			r["rows_total"] = "12"
			return warehouse.Part{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{r}}
		}, errs.Invalid},
		{"unknown table", func(upload string) warehouse.Part {
			return warehouse.Part{Table: "no_such_table", Rows: []warehouse.Row{meta(upload)}}
		}, errs.NotFound},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			upload := fmt.Sprintf("atomic-%d", i)
			id := "load-" + upload
			err := w.Load(ctx, warehouse.Load{ID: id, Dataset: ClientDataset,
				Parts: []warehouse.Part{good(upload), tc.bad(upload)}})
			if err == nil {
				t.Fatal("Load = nil, want error")
			}
			if got := errs.CodeOf(err); got != tc.code {
				t.Errorf("Load error code = %s (%v), want %s", got, err, tc.code)
			}
			p := map[string]any{"u": upload}
			if n := count(t, w, `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = @u`, p); n != 0 {
				t.Errorf("first part left %d rows, want 0", n)
			}
			if n := count(t, w, `SELECT COUNT(*) AS n FROM client_acme.upload_metadata WHERE upload_id = @u`, p); n != 0 {
				t.Errorf("failing part left %d rows, want 0", n)
			}
			// The failed load did not consume its ID: a corrected retry lands.
			mustLoad(t, w, warehouse.Load{ID: id, Dataset: ClientDataset, Parts: []warehouse.Part{
				good(upload), {Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{meta(upload)}},
			}})
			if n := count(t, w, `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = @u`, p); n != 2 {
				t.Errorf("after corrected retry: %d rows, want 2", n)
			}
		})
	}
}

// Stream yields rows as a Part.Stream, then, if err is not nil, fails with
// err instead of ending. Each range starts over, as a spool file would.
func Stream(rows []warehouse.Row, err error) iter.Seq2[warehouse.Row, error] {
	return func(yield func(warehouse.Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

func testLoadStream(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)
	rows := func(upload string, n int) []warehouse.Row {
		out := make([]warehouse.Row, n)
		for i := range out {
			out[i] = rentRollRow(upload, "p1", fmt.Sprintf("%04d", i), warehouse.Cents(100000+i))
		}
		return out
	}
	p := func(upload string) map[string]any { return map[string]any{"u": upload} }
	const countSQL = `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll WHERE upload_id = @u`

	mustLoad(t, w, warehouse.Load{ID: "stream-ok", Dataset: ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Stream: Stream(rows("s-ok", 300), nil)},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{
			{"client_id": ClientDataset, "upload_id": "s-ok", "status": "loaded"}}},
	}})
	if n := count(t, w, countSQL, p("s-ok")); n != 300 {
		t.Errorf("streamed load: %d rows, want 300", n)
	}

	// A stream that fails part-way (a truncated spool file) loads nothing,
	// and its error keeps its code.
	streamErr := errs.E(errs.Transient, "spool file read failed")
	err := w.Load(ctx, warehouse.Load{ID: "stream-bad", Dataset: ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{
			{"client_id": ClientDataset, "upload_id": "s-bad", "status": "loaded"}}},
		{Table: warehouse.TableAnalyticsRentRoll, Stream: Stream(rows("s-bad", 300), streamErr)},
	}})
	if !errs.Is(err, errs.Transient) {
		t.Errorf("Load with a failing stream: err = %v, want code %s", err, errs.Transient)
	}
	if n := count(t, w, countSQL, p("s-bad")); n != 0 {
		t.Errorf("failed streamed load left %d rows, want 0", n)
	}
	if n := count(t, w, `SELECT COUNT(*) AS n FROM client_acme.upload_metadata WHERE upload_id = @u`, p("s-bad")); n != 0 {
		t.Errorf("failed streamed load left %d metadata rows, want 0", n)
	}
}

// Injection is a parameter value that would drop a table if it were spliced
// into the SQL text.
const Injection = "x'; DROP TABLE client_acme.analytics_rent_roll; --"

func testParams(t *testing.T, w warehouse.Warehouse) {
	Provision(t, w)
	r1 := rentRollRow("up-p", "p1", "101", 100000)
	r2 := rentRollRow("up-p", "p1", "102", 250050)
	r2["sqft"] = int64(1200)
	r3 := rentRollRow("up-p", "p2", "201", 90000)
	r3["as_of_date"] = warehouse.DateOf(2025, time.December, 31)
	mustLoad(t, w, warehouse.Load{ID: "params", Dataset: ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: []warehouse.Row{r1, r2, r3}},
	}})

	const sel = `SELECT unit_id FROM client_acme.analytics_rent_roll WHERE `
	tests := []struct {
		name   string
		where  string
		params map[string]any
		want   []string
	}{
		{"string", `property_id = @p`, map[string]any{"p": "p1"}, []string{"101", "102"}},
		{"int", `sqft >= @min`, map[string]any{"min": int64(1000)}, []string{"102"}},
		{"int as int", `sqft < @max`, map[string]any{"max": 1000}, []string{"101", "201"}},
		{"date", `as_of_date <= @d`, map[string]any{"d": civil.Date{Year: 2025, Month: 12, Day: 31}}, []string{"201"}},
		{"money", `market_rent > @m`, map[string]any{"m": warehouse.Cents(100000)}, []string{"102"}},
		{"money exact", `market_rent = @m`, map[string]any{"m": warehouse.Cents(250050)}, []string{"102"}},
		{"timestamp", `loaded_at = @t`, map[string]any{"t": loadedAt}, []string{"101", "102", "201"}},
		{"several and unused", `property_id = @p AND sqft < @max`,
			map[string]any{"p": "p1", "max": int64(1000), "unused": "x"}, []string{"101"}},
		{"injection", `property_id = @p`, map[string]any{"p": Injection}, nil},
		{"tautology as a value", `unit_id = @p OR property_id = @p`, map[string]any{"p": "1 OR 1=1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := query(t, w, sel+tc.where+" ORDER BY unit_id", tc.params)
			var got []string
			for _, r := range res {
				got = append(got, fmt.Sprint(r["unit_id"]))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// The injection harmed nothing.
	if n := count(t, w, `SELECT COUNT(*) AS n FROM client_acme.analytics_rent_roll`, nil); n != 3 {
		t.Errorf("after injection attempts: %d rows, want 3", n)
	}

	// A literal that looks like a parameter is left alone.
	// (Quote escapes differ: BigQuery has \' and DuckDB '', so none here.)
	got := query(t, w, `SELECT '@p' AS s, 'a @p, b' AS q -- @p in a comment
		, @p AS v /* and @p here */`, map[string]any{"p": "value"})
	CompareResult(t, "literals", got[0], warehouse.Result{"s": "@p", "q": "a @p, b", "v": "value"})

	// A parameter the SQL names but the caller did not give is an error, never
	// a silently bound neighbour.
	if _, err := w.Query(context.Background(), sel+`property_id = @p AND sqft < @max`,
		map[string]any{"max": int64(1)}); err == nil {
		t.Error("Query with a missing parameter = nil error, want error")
	}
}

func testExec(t *testing.T, w warehouse.Warehouse) {
	ctx := context.Background()
	Provision(t, w)
	mustLoad(t, w, warehouse.Load{ID: "exec", Dataset: ClientDataset, Parts: []warehouse.Part{
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{
			{"client_id": ClientDataset, "upload_id": "a", "status": "loaded"},
			{"client_id": ClientDataset, "upload_id": "b", "status": "loaded"},
		}},
	}})
	err := w.Exec(ctx, `UPDATE client_acme.upload_metadata SET status = @s, rows_loaded = @n WHERE upload_id = @u`,
		map[string]any{"s": "failed", "n": int64(7), "u": "a"})
	if err != nil {
		t.Fatalf("Exec UPDATE: %v", err)
	}
	if err := w.Exec(ctx, `DELETE FROM client_acme.upload_metadata WHERE upload_id = @u`,
		map[string]any{"u": "b"}); err != nil {
		t.Fatalf("Exec DELETE: %v", err)
	}
	got := query(t, w, `SELECT upload_id, status, rows_loaded FROM client_acme.upload_metadata ORDER BY upload_id`, nil)
	if len(got) != 1 {
		t.Fatalf("got %d rows, want 1: %v", len(got), got)
	}
	CompareResult(t, "after exec", got[0], warehouse.Result{"upload_id": "a", "status": "failed", "rows_loaded": int64(7)})
}

// Dollars is the value a Money column must read back as, for CompareResult:
// the float64 nearest to the exact amount (an exact decimal rounded once).
type Dollars float64

// Amount returns the Dollars of c. Dividing two exactly representable
// numbers rounds once, so this is the nearest float64 to the exact amount.
func Amount(c warehouse.Cents) Dollars { return Dollars(float64(c) / 100) }

// String renders d with cents.
func (d Dollars) String() string { return fmt.Sprintf("%.2f", float64(d)) }

func mustLoad(t *testing.T, w warehouse.Warehouse, l warehouse.Load) {
	t.Helper()
	if err := w.Load(context.Background(), l); err != nil {
		t.Fatalf("Load(%s): %v", l.ID, err)
	}
}

func query(t *testing.T, w warehouse.Warehouse, sql string, params map[string]any) []warehouse.Result {
	t.Helper()
	res, err := w.Query(context.Background(), sql, params)
	if err != nil {
		t.Fatalf("Query(%s): %v", oneLine(sql), err)
	}
	return res
}

func count(t *testing.T, w warehouse.Warehouse, sql string, params map[string]any) int64 {
	t.Helper()
	res := query(t, w, sql, params)
	if len(res) != 1 {
		t.Fatalf("Query(%s): %d rows, want 1", oneLine(sql), len(res))
	}
	n, ok := res[0]["n"].(int64)
	if !ok {
		t.Fatalf("Query(%s): n = %T %v, want int64", oneLine(sql), res[0]["n"], res[0]["n"])
	}
	return n
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// CompareResult reports every column of want that got lacks or holds a
// different value (Go type included); times must be equal instants in UTC;
// float64 values must be equal exactly (want a Dollars value to compare a
// Money column). Columns of got that want does not mention are errors too.
func CompareResult(t *testing.T, what string, got, want warehouse.Result) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: column %s missing", what, k)
			continue
		}
		if msg := diff(g, want[k]); msg != "" {
			t.Errorf("%s: column %s: %s", what, k, msg)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected column %s = %v", what, k, got[k])
		}
	}
}

func diff(got, want any) string {
	switch w := want.(type) {
	case Dollars:
		g, ok := got.(float64)
		if !ok || g != float64(w) {
			return fmt.Sprintf("got %T %v, want float64 %v (exactly %s)", got, got, float64(w), w)
		}
		return ""
	case float64:
		g, ok := got.(float64)
		if !ok || g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
			return fmt.Sprintf("got %T %v, want float64 %v", got, got, w)
		}
		return ""
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) || g.Location() != time.UTC {
			return fmt.Sprintf("got %T %v, want %v in UTC", got, got, w)
		}
		return ""
	case nil:
		if got != nil {
			return fmt.Sprintf("got %T %v, want nil", got, got)
		}
		return ""
	}
	if got != want {
		return fmt.Sprintf("got %T %v, want %T %v", got, got, want, want)
	}
	return ""
}
