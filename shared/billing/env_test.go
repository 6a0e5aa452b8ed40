package billing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/firestore"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
)

const financeBucket = "finance"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a billing Service on in-memory DuckDB, the in-memory client
// registry, gcsemu for the finance bucket, and a run store.
type env struct {
	wh       *duckdb.Warehouse
	clients  *tenancytest.Memory
	runs     billing.RunStore
	objs     objects.Store
	clock    *clock
	svc      *billing.Service
	settings *billingtest.Settings
}

// storeKinds are the run stores the lease tests run against.
var storeKinds = []string{"memory", "firestore"}

func newRuns(t testing.TB, kind string) billing.RunStore {
	t.Helper()
	if kind == "firestore" {
		return firestore.NewRunStore(firestoreemu.ClientForTest(t, firestoreemu.NewProjectID(t)))
	}
	return billingtest.NewMemory()
}

func newEnv(t testing.TB, runs billing.RunStore) *env {
	t.Helper()
	ctx := context.Background()
	wh, err := duckdb.Open("")
	if err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	for _, ds := range []warehouse.Dataset{warehouse.System(), warehouse.SuperAdmin()} {
		if err := wh.EnsureDataset(ctx, ds); err != nil {
			t.Fatalf("EnsureDataset %s: %v", ds.Name, err)
		}
	}
	emu, err := gcsemu.Start(ctx, gcsemu.Config{Buckets: []string{financeBucket}})
	if err != nil {
		t.Fatalf("gcsemu: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	sc, err := emu.Client(ctx)
	if err != nil {
		t.Fatalf("storage client: %v", err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	if runs == nil {
		runs = billingtest.NewMemory()
	}
	e := &env{
		wh: wh, clients: tenancytest.NewMemory(), runs: runs,
		objs:  gcs.New(sc, gcs.SigningConfig{}),
		clock: &clock{t: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)},
	}
	e.settings = billingtest.NewSettings()
	e.svc = &billing.Service{
		Warehouse: wh, Clients: e.clients, Runs: runs, Objects: e.objs, FinanceBucket: financeBucket,
		Now: e.clock.Now, Concurrency: 4, Settings: e.settings, CarryForwardMonths: 3,
	}
	return e
}

// history is a generated client history: the rolls it loaded, and the
// uploads whose metadata says loaded.
type history struct {
	clients []tenancy.Client
	rolls   map[string][]roll // by client id
	loaded  map[string]map[string]bool
}

// roll is one property's rows in one upload.
type roll struct {
	upload   string
	property string
	asOf     time.Time
	loadedAt time.Time
	units    []string // may repeat a unit (a charge-per-row export)
	status   string   // upload_metadata status, "" for no metadata row
}

var unitStatuses = []string{"occupied", "occupied_notice", "vacant", "vacant_leased", "model", "down", "admin"}

// hostile names exercise the CSV escaping end to end (no CR: encoding/csv
// reads CRLF inside a quoted field back as LF; CR is checked byte for byte
// in TestRenderCSV).
var hostileNames = []string{
	`=HYPERLINK("http://evil.example","click")`, "+1 Realty", "-2 Holdings", "@SUM(A1:A9)", "\tTabbed LLC",
	`Quote "Q" Homes`, "Comma, Inc.", "Line\nBreak Apts", " Spaced ",
}

// generate builds a random history over 2025-01..2025-12 for n clients.
func generate(seed uint64, n int) history {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	h := history{rolls: map[string][]roll{}, loaded: map[string]map[string]bool{}}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for ci := range n {
		id := fmt.Sprintf("client-%03d", ci)
		name := fmt.Sprintf("Client %d", ci)
		if ci < len(hostileNames) {
			name = hostileNames[ci]
		}
		status := tenancy.Active
		if rng.IntN(5) == 0 {
			status = tenancy.Suspended
		}
		h.clients = append(h.clients, tenancy.Client{ID: id, Name: name, Status: status})
		h.loaded[id] = map[string]bool{}
		nprops := rng.IntN(5) // 0: a client without data
		upl := 0
		for p := range nprops {
			prop := fmt.Sprintf("P%d", p)
			first := rng.IntN(12)
			last := first + rng.IntN(12-first) // the property leaves after this month
			units := []string{}
			for u := range 3 + rng.IntN(8) {
				units = append(units, fmt.Sprintf("%d%02d", 1+u/4, u))
			}
			for m := first; m <= last; m++ {
				if rng.IntN(4) == 0 {
					continue // a month without an upload
				}
				// Units come and go between rolls.
				if rng.IntN(2) == 0 {
					units = append(units, fmt.Sprintf("9%02d", rng.IntN(40)))
				}
				if len(units) > 2 && rng.IntN(3) == 0 {
					units = units[1:]
				}
				rolls := 1
				if rng.IntN(4) == 0 {
					rolls = 2 // a mid-month and a month-end roll, or a re-upload
				}
				for range rolls {
					upl++
					day := 1 + rng.IntN(28)
					if rng.IntN(3) == 0 {
						day = 15 // the same as-of date again: a re-upload supersedes
					}
					r := roll{
						upload:   fmt.Sprintf("u%04d", upl),
						property: prop,
						asOf:     base.AddDate(0, m, day-1),
						loadedAt: base.AddDate(0, m+1, 0).Add(time.Duration(rng.IntN(1000)) * time.Minute),
						units:    pick(rng, units),
						status:   "loaded",
					}
					switch rng.IntN(10) {
					case 0:
						r.status = "" // rows without a metadata row
					case 1:
						r.status = "failed"
					}
					if rng.IntN(10) == 0 && len(r.units) > 0 {
						r.units = append(r.units, r.units[0]) // a unit on two rows
					}
					h.rolls[id] = append(h.rolls[id], r)
					if r.status == "loaded" {
						h.loaded[id][r.upload] = true
					}
				}
			}
		}
	}
	return h
}

// pick returns a random non-empty subset of units in random order.
func pick(rng *rand.Rand, units []string) []string {
	out := []string{}
	for _, u := range units {
		if rng.IntN(8) != 0 {
			out = append(out, u)
		}
	}
	if len(out) == 0 && len(units) > 0 {
		out = append(out, units[0])
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// seed loads h into the env: clients into the registry, and per client one
// load of all its rolls and metadata rows.
func (e *env) seed(t testing.TB, h history) {
	t.Helper()
	ctx := context.Background()
	for _, c := range h.clients {
		if err := e.clients.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient: %v", err)
		}
		ds := tenancy.DatasetName(c.ID)
		if err := e.wh.EnsureDataset(ctx, warehouse.Client(ds)); err != nil {
			t.Fatalf("EnsureDataset: %v", err)
		}
		var rr, meta []warehouse.Row
		for _, r := range h.rolls[c.ID] {
			for i, u := range r.units {
				rr = append(rr, warehouse.Row{
					"client_id": c.ID, "upload_id": r.upload, "property_id": r.property, "property_name": "Property " + r.property,
					"as_of_date": r.asOf, "month_start": time.Date(r.asOf.Year(), r.asOf.Month(), 1, 0, 0, 0, 0, time.UTC),
					"unit_id": u, "status": unitStatuses[i%len(unitStatuses)], "loaded_at": r.loadedAt,
				})
			}
			if r.status != "" {
				meta = append(meta, warehouse.Row{
					"client_id": c.ID, "upload_id": r.upload, "kind": "rent_roll", "status": r.status,
					"property_id": r.property, "as_of_date": r.asOf, "loaded_at": r.loadedAt,
				})
			}
		}
		err := e.wh.Load(ctx, warehouse.Load{ID: "seed-" + c.ID, Dataset: ds, Parts: []warehouse.Part{
			{Table: warehouse.TableAnalyticsRentRoll, Rows: rr},
			{Table: warehouse.TableUploadMetadata, Rows: meta},
		}})
		if err != nil {
			t.Fatalf("Load %s: %v", c.ID, err)
		}
	}
}

// terms is what the oracle bills a client at in a month.
type terms struct {
	plan     string
	unit     int64 // cents
	minimum  int64 // cents
	currency string
}

// book is the oracle's own statement of the billing rules' inputs: each
// client's terms per month, the properties set inactive, and the
// carry-forward limit. It is written by each test from what it configured,
// independently of the service's resolution code.
type book struct {
	carry    int
	terms    func(clientID, month string) terms
	inactive func(clientID, property, month string) bool
}

// basicBook is every client on the default Basic plan, every property
// active, a 3-month carry-forward.
var basicBook = book{
	carry:    3,
	terms:    func(string, string) terms { return terms{"basic", 150, 25000, "USD"} },
	inactive: func(string, string, string) bool { return false },
}

// oracle computes the billable units and amounts from the generated history
// directly: per property the loaded roll with the latest as-of date up to
// the month's end (then latest loaded_at, then upload id), its distinct
// units, carried forward when before the month; a property inactive in the
// month is skipped, one whose roll is more than bk.carry months old is
// stale (listed, not billed); the amount is units × unit price, at least
// the minimum for an active client.
func oracle(h history, month string, bk book) []billing.UnitsRow {
	start, _ := time.Parse("2006-01", month)
	end := start.AddDate(0, 1, 0)
	staleBefore := start.AddDate(0, -bk.carry, 0)
	var out []billing.UnitsRow
	for _, c := range h.clients {
		best := map[string]roll{}
		for _, r := range h.rolls[c.ID] {
			if !h.loaded[c.ID][r.upload] || !r.asOf.Before(end) {
				continue
			}
			b, ok := best[r.property]
			if !ok || later(r, b) {
				best[r.property] = r
			}
		}
		tm := bk.terms(c.ID, month)
		row := billing.UnitsRow{ClientID: c.ID, ClientName: c.Name, Status: string(c.Status), Month: month,
			StaleProperties: []string{}, PlanID: tm.plan, UnitPrice: billing.Money(tm.unit),
			MinimumMonthly: billing.Money(tm.minimum), Currency: tm.currency}
		for p, r := range best {
			if bk.inactive(c.ID, p, month) {
				continue
			}
			if r.asOf.Before(staleBefore) {
				row.StaleProperties = append(row.StaleProperties, p)
				continue
			}
			distinct := map[string]bool{}
			for _, u := range r.units {
				distinct[u] = true
			}
			row.Units += int64(len(distinct))
			row.Properties++
			if r.asOf.Before(start) {
				row.CarriedForwardProperties++
			}
		}
		sort.Strings(row.StaleProperties)
		amount := row.Units * tm.unit
		if c.Status == tenancy.Active && amount < tm.minimum {
			amount = tm.minimum
		}
		row.Amount = billing.Money(amount)
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out
}

func later(a, b roll) bool {
	if !a.asOf.Equal(b.asOf) {
		return a.asOf.After(b.asOf)
	}
	if !a.loadedAt.Equal(b.loadedAt) {
		return a.loadedAt.After(b.loadedAt)
	}
	return a.upload > b.upload
}
