package analytics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
)

// checkWaterfall reports where m breaks the revenue identity or the
// effective-rent and leasing identities (docs/metrics.md).
func checkWaterfall(t *testing.T, what string, m analytics.Metrics) {
	t.Helper()
	if got := m.GPR - m.LossToLease + m.GainToLease - m.VacancyLoss - m.NonRevenueLoss; got != m.InPlaceRent {
		t.Errorf("%s: gpr %v − ltl %v + gtl %v − vacancy %v − non-revenue %v = %v, in-place rent %v",
			what, m.GPR, m.LossToLease, m.GainToLease, m.VacancyLoss, m.NonRevenueLoss, got, m.InPlaceRent)
	}
	if m.EffectiveRent != m.InPlaceRent-m.Concessions {
		t.Errorf("%s: effective rent %v ≠ in-place %v − concessions %v", what, m.EffectiveRent, m.InPlaceRent, m.Concessions)
	}
	if m.Occupied+m.Vacant+m.NonRevenueUnits != m.Units || m.Model+m.Down+m.Admin > m.NonRevenueUnits {
		t.Errorf("%s: %d occupied + %d vacant + %d non-revenue ≠ %d units", what, m.Occupied, m.Vacant, m.NonRevenueUnits, m.Units)
	}
	if m.Leased+m.Exposure != m.Occupied+m.Vacant {
		t.Errorf("%s: leased %d + exposure %d ≠ occupied %d + vacant %d", what, m.Leased, m.Exposure, m.Occupied, m.Vacant)
	}
}

// randomRoll is one roll of units whose every field is drawn at random,
// including missing (NULL) market rents, lease rents, concessions, beds and
// unit types, statuses a real roll would not combine (an occupied unit with
// no lease rent, a model unit with one), and rents of a cent.
func randomRoll(rng *rand.Rand, pid string, asOf time.Time) analyticsbench.Roll {
	statuses := []string{"occupied", "occupied_notice", "vacant", "vacant_leased", "model", "down", "admin"}
	types := []string{"", "a1", "b2", "mc1a1"}
	money := func() *int64 {
		switch rng.IntN(5) {
		case 0:
			return nil
		case 1:
			v := int64(rng.IntN(3)) // 0, 1 or 2 cents
			return &v
		default:
			v := int64(rng.IntN(400000))
			return &v
		}
	}
	r := analyticsbench.Roll{PropertyID: pid, PropertyName: pid, AsOf: asOf, LoadedAt: asOf.Add(time.Hour)}
	for i := range 1 + rng.IntN(40) {
		u := analyticsbench.Unit{UnitID: fmt.Sprint(100 + i), UnitType: types[rng.IntN(len(types))],
			Status: statuses[rng.IntN(len(statuses))], Market: money(), Lease: money(), Concessions: money(),
			Sqft: int64(rng.IntN(3)) * 400, Preleased: rng.IntN(2) == 0, Renewed: rng.IntN(4) == 0}
		if rng.IntN(3) > 0 {
			b := float64(rng.IntN(4))
			u.Beds = &b
		}
		if rng.IntN(5) == 0 {
			u.Designation = "employee"
		}
		r.Units = append(r.Units, u)
	}
	return r
}

// TestRevenueIdentity is a property-based test: over many random rolls
// (random sizes, statuses, NULLs and cents), loaded into DuckDB and read
// through the service, the waterfall closes to the cent in the totals and in
// every breakdown, and the service's answer equals the oracle's.
func TestRevenueIdentity(t *testing.T) {
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	svc := &analytics.Service{W: w}
	const clients = 12
	for seed := range clients {
		rng := rand.New(rand.NewPCG(uint64(seed), 42))
		cid := fmt.Sprintf("identity-%02d", seed)
		d := &analyticsbench.Data{ClientID: cid}
		asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
		for p := range 1 + rng.IntN(3) {
			id := fmt.Sprintf("up-%d", p)
			roll := randomRoll(rng, fmt.Sprintf("P%d", p), asOf.AddDate(0, -rng.IntN(2), 0))
			roll.UploadID = id
			d.Uploads = append(d.Uploads, analyticsbench.Upload{ID: id, Kind: "rent_roll", Status: "loaded",
				LoadedAt: roll.LoadedAt, Rolls: []analyticsbench.Roll{roll}})
		}
		if err := analyticsbench.LoadData(ctx, w, tenancy.DatasetName(cid), d); err != nil {
			t.Fatal(err)
		}
		q := analytics.SummaryQuery{AsOf: asOf}
		got, err := svc.Summary(ctx, cid, q)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, cid+" summary", got, (&analyticsbench.Oracle{D: d}).Summary(q))
		checkWaterfall(t, cid+" totals", got.Totals)
		for _, e := range got.ByUnitType {
			checkWaterfall(t, cid+" unit type "+e.UnitType, e.Metrics)
		}
		for _, e := range got.ByBedrooms {
			checkWaterfall(t, fmt.Sprintf("%s bedrooms %v", cid, e.Bedrooms), e.Metrics)
		}
		for _, e := range got.ByPropertyUnitType {
			checkWaterfall(t, cid+" "+e.PropertyID+"/"+e.UnitType, e.Metrics)
		}
	}
	// The oracle alone, on many more rolls (no warehouse round trip).
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		r := randomRoll(rng, "P", time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC))
		checkWaterfall(t, fmt.Sprintf("oracle roll %d", i), analyticsbench.Metrics(r.Units))
	}
}

// TestWaterfallOnEdgeCases checks the identities over the edge-case client
// at every as-of date, for each property and for all.
func TestWaterfallOnEdgeCases(t *testing.T) {
	f := newFixture(t)
	for _, pid := range properties(f.data) {
		for _, asOf := range asOfDates() {
			got, err := f.svc.Summary(context.Background(), clientID, analytics.SummaryQuery{AsOf: asOf, PropertyID: pid})
			if err != nil {
				t.Fatal(err)
			}
			checkWaterfall(t, "edge "+pid+" "+asOf.Format(time.DateOnly), got.Totals)
		}
	}
}
