package billing_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

func cents(m billing.Money) *billing.Money { return &m }

// testPlans is the price list of TestAmountsMatchOracle: the seeded three
// and a plan in another currency.
func testPlans() []billing.Plan {
	return []billing.Plan{
		{PlanID: "basic", Name: "Basic", UnitPrice: cents(150), Currency: "USD", MinimumMonthly: 25000},
		{PlanID: "enterprise", Name: "Enterprise", Currency: "USD", MinimumMonthly: 250000},
		{PlanID: "euro", Name: "Euro", UnitPrice: cents(199), Currency: "EUR", MinimumMonthly: 0},
		{PlanID: "pro", Name: "Pro", UnitPrice: cents(250), Currency: "USD", MinimumMonthly: 50000},
	}
}

// TestAmountsMatchOracle bills a generated year with a plan change in
// mid-year, a custom (Enterprise) price, a second currency, a property set
// inactive and back, stale properties, then a late upload, a price-list
// change and re-runs, and checks every month's rows, usage, client billing,
// CSV and manifest against the oracle, which states the prices on its own.
func TestAmountsMatchOracle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := generate(11, 14)
	e.seed(t, h)
	if _, err := e.svc.PutPlans(ctx, testPlans()); err != nil {
		t.Fatalf("PutPlans: %v", err)
	}
	c0, c1, c2 := h.clients[0].ID, h.clients[1].ID, h.clients[2].ID
	set := func(client string, p billing.PricingPatch) {
		t.Helper()
		if _, err := e.svc.SetPricing(ctx, client, "test", p); err != nil {
			t.Fatalf("SetPricing %s %+v: %v", client, p, err)
		}
	}
	str := func(s string) *string { return &s }
	set(c0, billing.PricingPatch{PlanID: str("pro"), EffectiveMonth: str("2025-07")})
	set(c1, billing.PricingPatch{PlanID: str("enterprise"), UnitPrice: cents(97), EffectiveMonth: str("2025-01")})
	set(c2, billing.PricingPatch{PlanID: str("euro"), EffectiveMonth: str("2025-04")})
	// An Enterprise plan alone has no price: refused.
	if _, err := e.svc.SetPricing(ctx, h.clients[3].ID, "test", billing.PricingPatch{PlanID: str("enterprise"), EffectiveMonth: str("2025-01")}); !errs.Is(err, errs.Invalid) {
		t.Errorf("enterprise without a price: %v, want Invalid", err)
	}

	// The property of the client with the most properties goes inactive
	// from May and comes back in October.
	var inClient, inProp string
	most := 0
	for _, c := range h.clients {
		props := map[string]bool{}
		for _, r := range h.rolls[c.ID] {
			props[r.property] = true
		}
		if len(props) > most {
			most, inClient, inProp = len(props), c.ID, "P0"
		}
	}
	for _, ch := range []struct{ status, month string }{{billing.PropertyInactive, "2025-05"}, {billing.PropertyActive, "2025-10"}} {
		if _, err := e.svc.SetPropertyStatus(ctx, inClient, inProp, "test", ch.status, ch.month); err != nil {
			t.Fatalf("SetPropertyStatus: %v", err)
		}
	}

	prices := map[string]terms{
		"basic": {"basic", 150, 25000, "USD"}, "pro": {"pro", 250, 50000, "USD"},
		"euro": {"euro", 199, 0, "EUR"},
	}
	bk := book{
		carry: 3,
		terms: func(client, month string) terms {
			switch {
			case client == c0 && month >= "2025-07":
				return prices["pro"]
			case client == c1:
				return terms{"enterprise", 97, 250000, "USD"}
			case client == c2 && month >= "2025-04":
				return prices["euro"]
			}
			return prices["basic"]
		},
		inactive: func(client, property, month string) bool {
			return client == inClient && property == inProp && month >= "2025-05" && month < "2025-10"
		},
	}

	var sawStale, sawInactive, sawMinimum, sawEUR bool
	check := func(month string, bk book) []byte {
		t.Helper()
		want := oracle(h, month, bk)
		rec, err := e.svc.Run(ctx, month, "test")
		if err != nil {
			t.Fatalf("Run %s: %v", month, err)
		}
		totals := map[string]billing.Money{}
		var stale int64
		for _, r := range want {
			totals[r.Currency] += r.Amount
			stale += int64(len(r.StaleProperties))
			sawStale = sawStale || len(r.StaleProperties) > 0
			sawMinimum = sawMinimum || (r.Amount == r.MinimumMonthly && r.Units*int64(r.UnitPrice) < int64(r.MinimumMonthly))
			sawEUR = sawEUR || r.Currency == "EUR"
		}
		if !reflect.DeepEqual(rec.AmountTotals, totals) || rec.StaleProperties != stale {
			t.Errorf("%s: record totals %v stale %d, want %v %d", month, rec.AmountTotals, rec.StaleProperties, totals, stale)
		}
		var current []billing.UnitsRow
		for _, r := range tableRows(t, e, month) {
			if r.RunID == rec.CompletedRunID {
				current = append(current, r)
			}
		}
		if got := counts(current); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: table differs from the oracle\n got %+v\nwant %+v", month, got, want)
		}
		u, err := e.svc.Usage(ctx, month)
		if err != nil || !reflect.DeepEqual(counts(u.Clients), want) || !reflect.DeepEqual(u.AmountTotals, totals) || u.StaleProperties != stale {
			t.Errorf("%s: usage = %+v, %v", month, u, err)
		}
		b, _, err := e.svc.ExportCSV(ctx, month)
		if err != nil {
			t.Fatalf("ExportCSV: %v", err)
		}
		if got := counts(csvRows(t, b, month)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CSV differs from the oracle\n got %+v\nwant %+v", month, got, want)
		}
		cu, err := e.svc.ClientUnits(ctx, c0, month, month)
		if err != nil || len(cu) != 1 || cu[0].Amount != want[0].Amount || cu[0].PlanID != want[0].PlanID || cu[0].UnitPrice != want[0].UnitPrice {
			t.Errorf("%s: ClientUnits(%s) = %+v, %v; want the amount of %+v", month, c0, cu, err, want[0])
		}
		return b
	}
	months := []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
		"2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"}
	csvs := map[string][]byte{}
	for _, m := range months {
		csvs[m] = check(m, bk)
		if bk.inactive(inClient, inProp, m) {
			sawInactive = true
		}
	}
	if !sawStale || !sawInactive || !sawMinimum || !sawEUR {
		t.Errorf("the year misses a case: stale %v inactive %v minimum %v EUR %v", sawStale, sawInactive, sawMinimum, sawEUR)
	}

	// Prices never change a billed month: a change effective in it (or
	// before a billed month) is refused, as is a property status change.
	if _, err := e.svc.SetPricing(ctx, c0, "test", billing.PricingPatch{PlanID: str("basic"), EffectiveMonth: str("2025-03")}); !errs.Is(err, errs.Conflict) {
		t.Errorf("price change in a billed month: %v, want Conflict", err)
	}
	if _, err := e.svc.SetPropertyStatus(ctx, inClient, inProp, "test", billing.PropertyInactive, "2025-12"); !errs.Is(err, errs.Conflict) {
		t.Errorf("status change in a billed month: %v, want Conflict", err)
	}

	// The price list changes: Basic costs more from now on.
	newPlans := testPlans()
	newPlans[0].UnitPrice = cents(999)
	if _, err := e.svc.PutPlans(ctx, newPlans); err != nil {
		t.Fatalf("PutPlans: %v", err)
	}
	// Unchanged inputs, new price list: a re-run reproduces the billed
	// month's bytes (billed at the prices of its first run).
	e.clock.Add(time.Hour)
	if got := check("2025-08", bk); !bytes.Equal(got, csvs["2025-08"]) {
		t.Errorf("re-run with unchanged inputs changed the CSV:\n%s\n%s", csvs["2025-08"], got)
	}

	// A late upload: a roll of June loaded in December for a Basic client.
	late := h.clients[4].ID
	r := roll{upload: "late-1", property: "PL", asOf: time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC),
		loadedAt: time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC), units: []string{"A1", "A2", "A3"}, status: "loaded"}
	h.rolls[late] = append(h.rolls[late], r)
	h.loaded[late][r.upload] = true
	var rows []warehouse.Row
	for _, u := range r.units {
		rows = append(rows, warehouse.Row{"client_id": late, "upload_id": r.upload, "property_id": r.property,
			"as_of_date": r.asOf, "month_start": time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), "unit_id": u,
			"status": "occupied", "loaded_at": r.loadedAt})
	}
	err := e.wh.Load(ctx, warehouse.Load{ID: "late", Dataset: tenancy.DatasetName(late), Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: rows},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"client_id": late, "upload_id": r.upload,
			"kind": "rent_roll", "status": "loaded", "property_id": r.property, "as_of_date": r.asOf, "loaded_at": r.loadedAt}}},
	}})
	if err != nil {
		t.Fatalf("late load: %v", err)
	}
	// June is re-run: the late roll's units count, at June's billed prices
	// (not the new Basic price).
	e.clock.Add(time.Hour)
	june := check("2025-06", bk)
	if bytes.Equal(june, csvs["2025-06"]) || !strings.Contains(string(june), ",PL") && !strings.Contains(string(june), late) {
		t.Errorf("the late upload did not change June")
	}
	e.clock.Add(time.Hour)
	if again := check("2025-06", bk); !bytes.Equal(again, june) {
		t.Errorf("second re-run of June changed the CSV")
	}
	// A month not billed before uses the new price list.
	nb := bk
	nb.terms = func(client, month string) terms {
		t := bk.terms(client, month)
		if t.plan == "basic" {
			t.unit = 999
		}
		return t
	}
	check("2026-01", nb)
}

// TestRunRefusesOpenMonth: a month that has not ended in the billing time
// zone, or lies in the future, is refused as invalid and leaves no record.
func TestRunRefusesOpenMonth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		now   time.Time
		loc   *time.Location
		month string
		ok    bool
	}{
		{"not yet ended in New York", time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), ny, "2026-11", false},
		{"current month", time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC), time.UTC, "2026-12", false},
		{"far future", time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC), time.UTC, "2031-05", false},
		{"next month", time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), time.UTC, "2027-01", false},
		{"ended at midnight UTC", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.UTC, "2026-11", true},
		{"ended in New York", time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC), ny, "2026-11", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.mu.Lock()
			e.clock.t = tt.now
			e.clock.mu.Unlock()
			e.svc.Location = tt.loc
			_, err := e.svc.Run(ctx, tt.month, "test")
			if tt.ok {
				if err != nil {
					t.Errorf("Run %s: %v", tt.month, err)
				}
				return
			}
			_, msg := errs.Public(err)
			if !errs.Is(err, errs.Invalid) || errs.HTTPStatus(err) != 400 || !strings.Contains(msg, "has not ended") {
				t.Errorf("Run %s: %v, want invalid (400) saying it has not ended", tt.month, err)
			}
			if _, err := e.svc.Record(ctx, tt.month); !errs.Is(err, errs.NotFound) {
				t.Errorf("refused run left a record: %v", err)
			}
		})
	}
}

// TestTwoRunsOneResult: two triggers of the same month at once, on every
// run store, leave one completed run whose rows, CSV and amounts are the
// oracle's, whichever order they ran in.
func TestTwoRunsOneResult(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, newRuns(t, kind))
			h := generate(31, 10)
			e.seed(t, h)
			const month = "2025-08"
			errc := make(chan error, 2)
			for range 2 {
				go func() { _, err := e.svc.Run(ctx, month, "twin"); errc <- err }()
			}
			ok := 0
			for range 2 {
				switch err := <-errc; {
				case err == nil:
					ok++
				case !errs.Is(err, errs.Conflict):
					t.Fatalf("Run: %v, want success or Conflict", err)
				}
			}
			if ok == 0 {
				t.Fatal("neither run completed")
			}
			rec, err := e.svc.Record(ctx, month)
			if err != nil || rec.Status != billing.Exported {
				t.Fatalf("record = %+v, %v", rec, err)
			}
			want := oracle(h, month, basicBook)
			runs := map[string]bool{}
			var current []billing.UnitsRow
			for _, r := range tableRows(t, e, month) {
				runs[r.RunID] = true
				if r.RunID == rec.CompletedRunID {
					current = append(current, r)
				}
			}
			if len(runs) != 1 || !reflect.DeepEqual(counts(current), want) {
				t.Errorf("runs in the table %v; rows %+v, want one run with %+v", runs, counts(current), want)
			}
			b, _, err := e.svc.ExportCSV(ctx, month)
			if err != nil || !reflect.DeepEqual(counts(csvRows(t, b, month)), want) {
				t.Errorf("CSV = %v, differs from the oracle", err)
			}
		})
	}
}
