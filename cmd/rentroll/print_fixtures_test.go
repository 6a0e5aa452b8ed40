package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/analytics"
)

// printFixtures are API answers with every kind of value the printers
// meet: counts, money, negative money, ratios that round, nulls, a stale
// property and an empty row set. They are encoded by the domain types, as
// the server encodes them.
func printFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	m := func(c int64) *analytics.Money { v := analytics.Money(c); return &v }
	r := func(v int64) *analytics.Ratio { x := analytics.Ratio(v); return &x }
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	metrics := analytics.Metrics{
		Units: 120, Occupied: 111, Notice: 4, Vacant: 9, PhysicalOccupancy: r(9250), EconomicOccupancy: r(8875),
		GPR: 18234567, InPlaceRent: 16900001, LossToLease: -123405, LossToLeasePct: r(-68), GainToLease: 5,
		AvgMarketRent: m(151954), AvgLeaseRent: nil, AvgMarketRentPSF: m(213),
		Preleased: 3, Leased: 114, LeasedPct: r(9500), Exposure: 6, ExposurePct: r(500),
		NonRevenueUnits: 2, Model: 1, Down: 1, Admin: 0, Employee: 1,
		VacancyLoss: 1200050, NonRevenueLoss: 300000, Concessions: 25000, EffectiveRent: 16875001,
	}
	small := analytics.Metrics{Units: 1, Occupied: 0, Vacant: 1, PhysicalOccupancy: r(0), EconomicOccupancy: nil, GPR: 99, AvgMarketRent: m(99)}
	values := map[string]any{
		"summary": analytics.Summary{AsOf: s("2026-03-31"), PropertyID: nil, Data: true,
			Properties: []analytics.SummaryProperty{{PropertyID: "cr02", AsOf: "2026-03-31", Units: 119}, {PropertyID: "old1", AsOf: "2025-10-31", Stale: true, Units: 1}},
			Totals:     metrics,
			ByUnitType: []analytics.UnitTypeMetrics{{UnitType: "2x1", Metrics: metrics}, {UnitType: "", Metrics: small}}},
		"summary_property": analytics.Summary{AsOf: s("2026-02-28"), PropertyID: s("cr02"), Data: true, Totals: small,
			ByUnitType: []analytics.UnitTypeMetrics{{UnitType: "studio", Metrics: small}}},
		"summary_empty": analytics.Summary{PropertyID: s("nope")},
		"competition": analytics.Competition{AsOf: s("2026-02-15"), Data: true, ByUnitType: []analytics.CompetitionUnitType{
			{PropertyID: "cr02", UnitType: "2x1", Beds: f(2), Baths: f(1.5), Comps: 4, CompUnits: 1200, CompAvgAskingRent: m(160000),
				CompAvgEffectiveRent: m(155050), SubjectAvgMarketRent: m(151954), SubjectAvgLeaseRent: m(149999), PremiumPct: r(-200), AskingPremiumPct: r(-503)},
			{PropertyID: "cr02", UnitType: "x", Comps: 0}}},
		"competition_empty": analytics.Competition{PropertyID: s("cr02")},
		"changes": analytics.Changes{PropertyID: "cr02", FromAsOf: s("2026-02-28"), ToAsOf: s("2026-03-31"), Data: true,
			UnitsAdded: 1, UnitsRemoved: 0, MoveIns: 3, MoveOuts: 2, NoticesGiven: 1,
			NewLeases: analytics.TradeOut{Count: 3, Priced: 2, AvgPriorRent: m(140000), AvgRent: m(145050), TradeOutPct: r(361)},
			Renewals:  analytics.TradeOut{Count: 0},
			Units:     []analytics.UnitChange{{UnitID: "101", Change: "move_in", PriorRent: m(140000), Rent: m(145050)}, {UnitID: "207", Change: "added"}}},
	}
	out := map[string][]byte{}
	for name, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestPrintersKeepTheirOutput decodes each fixture into its API type and
// prints it; the text must be what the CLI printed before it read typed
// answers (testdata/print, written by the map-based printers), byte for
// byte.
func TestPrintersKeepTheirOutput(t *testing.T) {
	for name, b := range printFixtures(t) {
		t.Run(name, func(t *testing.T) {
			outputs := map[string]string{}
			var err error
			switch {
			case strings.HasPrefix(name, "summary"):
				var s analytics.Summary
				err = json.Unmarshal(b, &s)
				var narrow, wide bytes.Buffer
				printSummaryCols(&narrow, s, false)
				printSummaryCols(&wide, s, true)
				outputs[name], outputs[name+"_wide"] = narrow.String(), wide.String()
			case strings.HasPrefix(name, "competition"):
				var c analytics.Competition
				err = json.Unmarshal(b, &c)
				var out bytes.Buffer
				printCompetition(&out, c)
				outputs[name] = out.String()
			case strings.HasPrefix(name, "changes"):
				var c analytics.Changes
				err = json.Unmarshal(b, &c)
				var out bytes.Buffer
				printChanges(&out, c)
				outputs[name] = out.String()
			default:
				t.Fatalf("no printer for fixture %s", name)
			}
			if err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			for file, got := range outputs {
				want, err := os.ReadFile(filepath.Join("testdata", "print", file+".txt"))
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Errorf("%s:\n got:\n%s\nwant:\n%s", file, got, want)
				}
			}
		})
	}
}
