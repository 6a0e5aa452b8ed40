package billing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// counts strips what differs between runs of the same data.
func counts(rows []billing.UnitsRow) []billing.UnitsRow {
	out := make([]billing.UnitsRow, len(rows))
	for i, r := range rows {
		r.RunID, r.ComputedAt = "", time.Time{}
		out[i] = r
	}
	return out
}

func readObject(t *testing.T, e *env, name string) ([]byte, objects.Attrs) {
	t.Helper()
	rc, a, err := e.objs.Open(context.Background(), financeBucket, name, 0)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b, a
}

// tableRows reads every row of the month from system.billing_units.
func tableRows(t *testing.T, e *env, month string) []billing.UnitsRow {
	t.Helper()
	res, err := e.wh.Query(context.Background(), `SELECT client_id, client_name, status, month, units, properties,
  carried_forward_properties, run_id, plan_id, CAST(unit_price AS VARCHAR) AS unit_price,
  CAST(minimum_monthly AS VARCHAR) AS minimum_monthly, CAST(amount AS VARCHAR) AS amount, currency, stale_properties
FROM system.billing_units WHERE month = @month ORDER BY run_id, client_id`,
		map[string]any{"month": month})
	if err != nil {
		t.Fatalf("query billing_units: %v", err)
	}
	var out []billing.UnitsRow
	for _, r := range res {
		var stale []string
		if err := json.Unmarshal([]byte(r["stale_properties"].(string)), &stale); err != nil {
			t.Fatalf("stale_properties %q: %v", r["stale_properties"], err)
		}
		out = append(out, billing.UnitsRow{
			ClientID: r["client_id"].(string), ClientName: r["client_name"].(string), Status: r["status"].(string),
			Month: r["month"].(string), Units: r["units"].(int64), Properties: r["properties"].(int64),
			CarriedForwardProperties: r["carried_forward_properties"].(int64), RunID: r["run_id"].(string),
			PlanID: r["plan_id"].(string), UnitPrice: money(t, r["unit_price"].(string)),
			MinimumMonthly: money(t, r["minimum_monthly"].(string)), Amount: money(t, r["amount"].(string)),
			Currency: r["currency"].(string), StaleProperties: stale,
		})
	}
	return out
}

// money reads an exact decimal text (the table's DECIMAL cast to text, or
// a CSV cell) into cents.
func money(t *testing.T, s string) billing.Money {
	t.Helper()
	m, err := billing.ParseMoney(s)
	if err != nil {
		t.Fatalf("money %q: %v", s, err)
	}
	return m
}

// csvRows parses the finance CSV back into rows, checking the header and
// that every cell is escaped as EscapeCell says.
func csvRows(t *testing.T, b []byte, month string) []billing.UnitsRow {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	if len(recs) == 0 || !reflect.DeepEqual(recs[0], billing.CSVHeader()) {
		t.Fatalf("CSV header = %q, want %q", recs[0], billing.CSVHeader())
	}
	var out []billing.UnitsRow
	for _, rec := range recs[1:] {
		num := func(s string) int64 {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("CSV number %q: %v", s, err)
			}
			return n
		}
		name := rec[1]
		if strings.HasPrefix(name, "'") && billing.EscapeCell(name[1:]) == name {
			name = name[1:]
		}
		if rec[3] != month {
			t.Errorf("CSV month = %q, want %q", rec[3], month)
		}
		stale := []string{}
		if rec[13] != "" {
			stale = strings.Split(rec[13], ";")
		}
		out = append(out, billing.UnitsRow{
			ClientID: rec[0], ClientName: name, Status: rec[2], Month: rec[3],
			Units: num(rec[4]), Properties: num(rec[5]), CarriedForwardProperties: num(rec[6]), RunID: rec[7],
			PlanID: rec[8], Currency: rec[9], UnitPrice: money(t, rec[10]), MinimumMonthly: money(t, rec[11]),
			Amount: money(t, rec[12]), StaleProperties: stale,
		})
	}
	return out
}

// TestRunMatchesOracle checks every month of a generated history against the
// independent oracle: the table rows, the usage read path, the CSV and the
// manifest.
func TestRunMatchesOracle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := generate(1, 40)
	e.seed(t, h)
	months := []string{"2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
		"2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"}
	var sawCarried, sawSuspended, sawZero, sawUnits bool
	for _, month := range months {
		want := oracle(h, month, basicBook)
		rec, err := e.svc.Run(ctx, month, "test")
		if err != nil {
			t.Fatalf("Run %s: %v", month, err)
		}
		if rec.Status != billing.Exported || rec.CompletedRunID == "" || rec.RunID != rec.CompletedRunID || rec.Clients != len(want) {
			t.Errorf("%s: record = %+v", month, rec)
		}
		var total, stale int64
		amounts := map[string]billing.Money{}
		for _, r := range want {
			total += r.Units
			stale += int64(len(r.StaleProperties))
			amounts[r.Currency] += r.Amount
			sawCarried = sawCarried || r.CarriedForwardProperties > 0
			sawSuspended = sawSuspended || r.Status == string(tenancy.Suspended)
			sawZero = sawZero || r.Units == 0
			sawUnits = sawUnits || r.Units > 0
		}
		if rec.UnitsTotal != total {
			t.Errorf("%s: units_total = %d, want %d", month, rec.UnitsTotal, total)
		}

		rows := tableRows(t, e, month)
		for _, r := range rows {
			if r.RunID != rec.CompletedRunID {
				t.Errorf("%s: table row of run %q, want only %q", month, r.RunID, rec.CompletedRunID)
			}
		}
		if got := counts(rows); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: table rows differ from the oracle\n got %+v\nwant %+v", month, got, want)
		}

		u, err := e.svc.Usage(ctx, month)
		if err != nil {
			t.Fatalf("Usage %s: %v", month, err)
		}
		if got := counts(u.Clients); !reflect.DeepEqual(got, want) || u.TotalUnits != total {
			t.Errorf("%s: usage = %d %+v, want %d %+v", month, u.TotalUnits, got, total, want)
		}

		b, _ := readObject(t, e, "billing/"+month+"/billing_units.csv")
		got := csvRows(t, b, month)
		for _, r := range got {
			if r.RunID != rec.CompletedRunID {
				t.Errorf("%s: CSV run_id %q, want %q", month, r.RunID, rec.CompletedRunID)
			}
		}
		if !reflect.DeepEqual(counts(got), want) {
			t.Errorf("%s: CSV rows differ from the oracle\n got %+v\nwant %+v", month, counts(got), want)
		}
		served, _, err := e.svc.ExportCSV(ctx, month)
		if err != nil || !bytes.Equal(served, b) {
			t.Errorf("%s: ExportCSV = %d bytes, %v; want the stored %d bytes", month, len(served), err, len(b))
		}

		mb, _ := readObject(t, e, "billing/"+month+"/manifest.json")
		var m billing.Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		wantM := billing.Manifest{Month: month, Object: "billing/" + month + "/billing_units.csv", Rows: len(want),
			TotalUnits: total, AmountTotals: amounts, StaleProperties: stale, SHA256: rec.Export.SHA256, RunID: rec.CompletedRunID, CreatedAt: e.clock.Now()}
		if !reflect.DeepEqual(m, wantM) {
			t.Errorf("%s: manifest = %+v, want %+v", month, m, wantM)
		}
		if sum := sha256Hex(b); sum != rec.Export.SHA256 {
			t.Errorf("%s: CSV sha256 = %s, record says %s", month, sum, rec.Export.SHA256)
		}
	}
	if !sawCarried || !sawSuspended || !sawZero || !sawUnits {
		t.Errorf("the history misses a case: carried %v suspended %v zero %v units %v", sawCarried, sawSuspended, sawZero, sawUnits)
	}
}

// TestRerun: re-running unchanged data changes nothing observable (same run
// id, rows, CSV bytes and objects); after a change the month is replaced, the
// previous run's rows kept one run for readers, older ones deleted.
func TestRerun(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := generate(2, 12)
	e.seed(t, h)
	const month = "2025-06"
	first, err := e.svc.Run(ctx, month, "test")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	csv1, a1 := readObject(t, e, "billing/"+month+"/billing_units.csv")
	_, m1 := readObject(t, e, "billing/"+month+"/manifest.json")
	rows1 := tableRows(t, e, month)

	e.clock.Add(time.Hour)
	second, err := e.svc.Run(ctx, month, "test")
	if err != nil {
		t.Fatalf("Run again: %v", err)
	}
	csv2, a2 := readObject(t, e, "billing/"+month+"/billing_units.csv")
	_, m2 := readObject(t, e, "billing/"+month+"/manifest.json")
	if second.CompletedRunID != first.CompletedRunID || second.RunID != first.RunID || second.Export != first.Export ||
		second.UnitsTotal != first.UnitsTotal || second.PreviousRunID != first.PreviousRunID {
		t.Errorf("unchanged re-run: record %+v, want the run of %+v", second, first)
	}
	if second.Attempts != 2 || !second.StartedAt.Equal(e.clock.Now()) {
		t.Errorf("unchanged re-run: attempts %d started %v, want 2 and %v", second.Attempts, second.StartedAt, e.clock.Now())
	}
	if !bytes.Equal(csv1, csv2) || a1.Generation != a2.Generation || m1.Generation != m2.Generation {
		t.Errorf("unchanged re-run rewrote the export (generations %d→%d, %d→%d)", a1.Generation, a2.Generation, m1.Generation, m2.Generation)
	}
	if rows2 := tableRows(t, e, month); !reflect.DeepEqual(rows1, rows2) {
		t.Errorf("unchanged re-run changed the table:\n%+v\n%+v", rows1, rows2)
	}

	// A deleted export is repaired with the identical bytes.
	if err := e.objs.Delete(ctx, financeBucket, "billing/"+month+"/billing_units.csv"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := e.svc.Run(ctx, month, "test"); err != nil {
		t.Fatalf("Run after delete: %v", err)
	}
	if csv3, _ := readObject(t, e, "billing/"+month+"/billing_units.csv"); !bytes.Equal(csv1, csv3) {
		t.Errorf("repaired CSV differs:\n%s\n%s", csv1, csv3)
	}

	// A change: a new client. The month is replaced; the old run is kept as previous.
	addClient := func(id string) {
		if err := e.clients.CreateClient(ctx, tenancy.Client{ID: id, Name: id, Status: tenancy.Active}); err != nil {
			t.Fatal(err)
		}
		if err := e.wh.EnsureDataset(ctx, warehouse.Client(tenancy.DatasetName(id))); err != nil {
			t.Fatal(err)
		}
	}
	addClient("zz-new-a")
	e.clock.Add(time.Hour)
	third, err := e.svc.Run(ctx, month, "test")
	if err != nil {
		t.Fatalf("Run after change: %v", err)
	}
	if third.CompletedRunID == first.CompletedRunID || third.PreviousRunID != first.CompletedRunID || third.Clients != len(h.clients)+1 {
		t.Errorf("changed re-run: record %+v", third)
	}
	addClient("zz-new-b")
	e.clock.Add(time.Hour)
	fourth, err := e.svc.Run(ctx, month, "test")
	if err != nil {
		t.Fatalf("Run after second change: %v", err)
	}
	runs := map[string]int{}
	for _, r := range tableRows(t, e, month) {
		runs[r.RunID]++
	}
	want := map[string]int{third.CompletedRunID: len(h.clients) + 1, fourth.CompletedRunID: len(h.clients) + 2}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("rows per run after two changes = %v, want %v (the first run's rows deleted)", runs, want)
	}
	u, err := e.svc.Usage(ctx, month)
	if err != nil || len(u.Clients) != len(h.clients)+2 {
		t.Errorf("Usage = %d clients, %v; want %d", len(u.Clients), err, len(h.clients)+2)
	}
}

// gateWarehouse blocks every Query until release is closed, after telling
// entered (once) that a run is counting.
type gateWarehouse struct {
	warehouse.Warehouse
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gateWarehouse) Query(ctx context.Context, q string, p map[string]any) ([]warehouse.Result, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.Warehouse.Query(ctx, q, p)
}

// TestConcurrentRuns: while one run of a month counts, every other trigger
// of the month answers Conflict at once; a run of another month is not held up.
func TestConcurrentRuns(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, newRuns(t, kind))
			e.seed(t, generate(3, 5))
			g := &gateWarehouse{Warehouse: e.wh, entered: make(chan struct{}), release: make(chan struct{})}
			e.svc.Warehouse = g
			done := make(chan error, 1)
			go func() { _, err := e.svc.Run(ctx, "2025-06", "first"); done <- err }()
			<-g.entered

			const n = 4
			errc := make(chan error, n)
			for range n {
				go func() { _, err := e.svc.Run(ctx, "2025-06", "second"); errc <- err }()
			}
			for range n {
				if err := <-errc; !errs.Is(err, errs.Conflict) || errs.HTTPStatus(err) != 409 {
					t.Errorf("concurrent Run: %v, want Conflict (409)", err)
				}
			}
			close(g.release)
			if err := <-done; err != nil {
				t.Fatalf("first Run: %v", err)
			}
			rec, err := e.svc.Record(ctx, "2025-06")
			if err != nil || rec.Status != billing.Exported || rec.Trigger != "first" || rec.Attempts != 1 {
				t.Errorf("record = %+v, %v; want exported by the first run, 1 attempt", rec, err)
			}
			if _, err := e.svc.Run(ctx, "2025-07", "other month"); err != nil {
				t.Errorf("Run of another month: %v", err)
			}
		})
	}
}

// failingObjects fails every Put, as a crash between the table write and the
// export would leave things.
type failingObjects struct{ objects.Store }

func (failingObjects) Put(context.Context, string, string, string, io.Reader, bool) (objects.Attrs, error) {
	return objects.Attrs{}, errs.E(errs.Transient, "storage is down")
}

// lostRuns loses every Finish, as a process killed before it records its
// end would: the lease stays until it expires.
type lostRuns struct{ billing.RunStore }

func (lostRuns) Finish(context.Context, string, string, func(*billing.RunRecord)) (billing.RunRecord, error) {
	return billing.RunRecord{}, errs.E(errs.Transient, "process died")
}

// TestCrashCompletedByNextRun: a run that wrote its rows but not its export
// leaves readers on the previous state; the next run completes the month and
// deletes the stranded rows.
func TestCrashCompletedByNextRun(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			runs := newRuns(t, kind)
			e := newEnv(t, runs)
			h := generate(4, 8)
			e.seed(t, h)
			const month = "2025-05"
			want := oracle(h, month, basicBook)

			// 1. Storage fails after the table write: the run records its failure.
			e.svc.Objects = failingObjects{e.objs}
			if _, err := e.svc.Run(ctx, month, "crash"); !errs.Is(err, errs.Transient) {
				t.Fatalf("Run with failing storage: %v, want Transient", err)
			}
			rec, err := e.svc.Record(ctx, month)
			if err != nil || rec.Status != billing.Failed || rec.CompletedRunID != "" || rec.Error == "" {
				t.Errorf("record after failure = %+v, %v", rec, err)
			}
			if n := len(tableRows(t, e, month)); n != len(want) {
				t.Errorf("table rows after failure = %d, want the failed run's %d", n, len(want))
			}
			if _, err := e.svc.Usage(ctx, month); !errs.Is(err, errs.NotFound) {
				t.Errorf("Usage of a month never completed: %v, want NotFound", err)
			}

			// 2. The process dies after the table write: no record of the end.
			e.svc.Runs = lostRuns{runs}
			if _, err := e.svc.Run(ctx, month, "killed"); !errs.Is(err, errs.Transient) {
				t.Fatalf("killed Run: %v", err)
			}
			e.svc.Runs, e.svc.Objects = runs, e.objs
			if _, err := e.svc.Run(ctx, month, "too soon"); !errs.Is(err, errs.Conflict) {
				t.Errorf("Run while the dead run's lease lives: %v, want Conflict", err)
			}

			// 3. After the lease expires the next run completes the month.
			e.clock.Add(billing.DefaultLeaseTTL + time.Second)
			rec, err = e.svc.Run(ctx, month, "next")
			if err != nil {
				t.Fatalf("next Run: %v", err)
			}
			if rec.Status != billing.Exported || rec.Attempts != 3 || rec.PreviousRunID != "" {
				t.Errorf("record = %+v", rec)
			}
			rows := tableRows(t, e, month)
			if got := counts(rows); !reflect.DeepEqual(got, want) {
				t.Errorf("table after recovery = %+v, want %+v (stranded rows deleted)", got, want)
			}
			b, _ := readObject(t, e, "billing/"+month+"/billing_units.csv")
			if got := counts(csvRows(t, b, month)); !reflect.DeepEqual(got, want) {
				t.Errorf("CSV after recovery = %+v, want %+v", got, want)
			}
		})
	}
}

// TestClientUnits reads a client's months back through the run records.
func TestClientUnits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := generate(5, 6)
	e.seed(t, h)
	for _, m := range []string{"2025-02", "2025-03", "2025-05"} {
		if _, err := e.svc.Run(ctx, m, "test"); err != nil {
			t.Fatalf("Run %s: %v", m, err)
		}
	}
	// An in-flight attempt of 2025-04 must not show.
	if _, err := e.runs.Acquire(ctx, billing.Attempt{Month: "2025-04", RunID: "x", Now: e.clock.Now(), Expires: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	id := h.clients[0].ID
	var want []billing.MonthUnits
	for _, m := range []string{"2025-02", "2025-03", "2025-05"} {
		for _, r := range oracle(h, m, basicBook) {
			if r.ClientID == id {
				want = append(want, billing.MonthUnits{Month: m, Units: r.Units, Properties: r.Properties,
					CarriedForwardProperties: r.CarriedForwardProperties, StaleProperties: r.StaleProperties,
					PlanID: r.PlanID, UnitPrice: r.UnitPrice, MinimumMonthly: r.MinimumMonthly, Amount: r.Amount, Currency: r.Currency})
			}
		}
	}
	got, err := e.svc.ClientUnits(ctx, id, "2025-01", "2025-06")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ClientUnits = %+v, %v; want %+v", got, err, want)
	}
	got, err = e.svc.ClientUnits(ctx, id, "2025-03", "2025-03")
	if err != nil || !reflect.DeepEqual(got, want[1:2]) {
		t.Errorf("ClientUnits one month = %+v, %v; want %+v", got, err, want[1:2])
	}
	tests := []struct {
		name, client, from, to string
		want                   errs.Code
	}{
		{"bad from", id, "2025-1", "2025-06", errs.Invalid},
		{"bad to", id, "2025-01", "x", errs.Invalid},
		{"reversed", id, "2025-06", "2025-01", errs.Invalid},
		{"too long", id, "2020-01", "2025-01", errs.Invalid},
		{"bad client", "Bad!", "2025-01", "2025-02", errs.NotFound},
	}
	for _, tt := range tests {
		if _, err := e.svc.ClientUnits(ctx, tt.client, tt.from, tt.to); errs.CodeOf(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
}

func TestRunRejects(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	tests := []struct {
		name  string
		month string
		setup func()
		want  errs.Code
	}{
		{"bad month", "2025-13", nil, errs.Invalid},
		{"not a month", "2025-06-01", nil, errs.Invalid},
		{"no finance bucket", "2025-06", func() { e.svc.FinanceBucket = "" }, errs.Internal},
	}
	for _, tt := range tests {
		if tt.setup != nil {
			tt.setup()
		}
		_, err := e.svc.Run(ctx, tt.month, "test")
		if errs.CodeOf(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	// The failed run released its lease: a retry is not refused. A client
	// whose dataset is missing has no data: 0 units, still a row.
	e.svc.FinanceBucket = financeBucket
	if err := e.clients.CreateClient(ctx, tenancy.Client{ID: "no-dataset", Name: "x", Status: tenancy.Suspended}); err != nil {
		t.Fatal(err)
	}
	rec, err := e.svc.Run(ctx, "2025-06", "test")
	if err != nil {
		t.Fatalf("retry after a failed run: %v", err)
	}
	// Suspended: billed its units (none), no minimum charge.
	want := []billing.UnitsRow{{ClientID: "no-dataset", ClientName: "x", Status: "suspended", Month: "2025-06",
		StaleProperties: []string{}, PlanID: "basic", UnitPrice: 150, MinimumMonthly: 25000, Currency: "USD"}}
	if got := counts(tableRows(t, e, "2025-06")); rec.Clients != 1 || !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
}
