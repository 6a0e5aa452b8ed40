package analytics_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

const clientID = "acme-homes"

var start = analytics.Month{Year: 2025, Month: time.November}

// edgeConfig is a small client with every edge case the generator knows.
func edgeConfig() analyticsbench.Config {
	return analyticsbench.Config{ClientID: clientID, Properties: 8, Units: 120, Months: 6, Start: start,
		Seed: 7, EdgeCases: true, Surveys: true}
}

type fixture struct {
	svc    *analytics.Service
	oracle *analyticsbench.Oracle
	data   *analyticsbench.Data
	w      warehouse.Warehouse
}

// loadFixture loads the edge-case client into a fresh in-memory DuckDB.
func loadFixture() (fixture, error) {
	w, err := duckdb.Open("")
	if err != nil {
		return fixture{}, err
	}
	d, err := analyticsbench.Collect(edgeConfig())
	if err != nil {
		return fixture{}, err
	}
	if err := analyticsbench.LoadData(context.Background(), w, tenancy.DatasetName(clientID), d); err != nil {
		return fixture{}, err
	}
	return fixture{svc: &analytics.Service{W: w}, oracle: &analyticsbench.Oracle{D: d}, data: d, w: w}, nil
}

// The read-only tests share one loaded fixture: loading is most of their cost.
var shared = sync.OnceValues(loadFixture)

func newFixture(t *testing.T) fixture {
	t.Helper()
	f, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameJSON compares got and want, showing both as JSON when they differ.
func sameJSON(t *testing.T, name string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	t.Errorf("%s:\n got %s\nwant %s", name, g, w)
}

func properties(d *analyticsbench.Data) []string {
	seen := map[string]bool{}
	ids := []string{""}
	for _, u := range d.Uploads {
		for _, r := range u.Rolls {
			if !seen[r.PropertyID] {
				seen[r.PropertyID] = true
				ids = append(ids, r.PropertyID)
			}
		}
	}
	return append(ids, "NO-SUCH-PROPERTY")
}

// asOfDates covers before the data, every few days through it (so every
// property's as-of day and the re-upload and mid-month dates are crossed),
// after it, and the zero value (latest).
func asOfDates() []time.Time {
	dates := []time.Time{{}, start.Start().AddDate(0, 0, -1)}
	for d := start.Start(); d.Before(start.Add(7).Start()); d = d.AddDate(0, 0, 11) {
		dates = append(dates, d)
	}
	return append(dates, start.Add(5).Start().AddDate(0, 0, 7), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestSummaryMatchesOracle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	checked, withData := 0, 0
	for _, pid := range properties(f.data) {
		for _, asOf := range asOfDates() {
			q := analytics.SummaryQuery{AsOf: asOf, PropertyID: pid}
			got, err := f.svc.Summary(ctx, clientID, q)
			if err != nil {
				t.Fatalf("Summary(%v, %q): %v", asOf, pid, err)
			}
			sameJSON(t, "summary "+pid+" "+asOf.Format(time.DateOnly), got, f.oracle.Summary(q))
			checked++
			if got.Data {
				withData++
			}
		}
	}
	// The comparison must have covered real data, not only empty answers.
	if withData < checked/2 {
		t.Errorf("only %d of %d summaries had data", withData, checked)
	}
}

func TestTrendMatchesOracle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ranges := []struct{ from, to analytics.Month }{
		{start, start.Add(5)},
		{start.Add(-3), start.Add(8)},
		{start.Add(2), start.Add(2)},
		{start.Add(-60), start.Add(-1)},
		{start.Add(4), start.Add(63)},
	}
	for _, pid := range properties(f.data) {
		for _, r := range ranges {
			q := analytics.TrendQuery{From: r.from, To: r.to, PropertyID: pid}
			got, err := f.svc.Trend(ctx, clientID, q)
			if err != nil {
				t.Fatalf("Trend(%v..%v, %q): %v", r.from, r.to, pid, err)
			}
			sameJSON(t, "trend "+pid+" "+r.from.String()+".."+r.to.String(), got, f.oracle.Trend(q))
		}
	}
}

func TestExpirationsMatchesOracle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, pid := range properties(f.data) {
		for _, q := range []analytics.ExpirationsQuery{
			{From: start.Add(5), Months: 12},
			{From: start.Add(3)},
			{From: start.Add(7), Months: 1},
			{From: start, Months: 36},
			{From: start.Add(20), Months: 3},
			{}, // from the month of the newest roll
		} {
			q.PropertyID = pid
			got, err := f.svc.Expirations(ctx, clientID, q)
			if err != nil {
				t.Fatalf("Expirations(%+v): %v", q, err)
			}
			sameJSON(t, "expirations "+pid+" "+q.From.String(), got, f.oracle.Expirations(q))
		}
	}
}

func TestCompetitionMatchesOracle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	premiums := 0
	for _, pid := range properties(f.data) {
		for _, asOf := range asOfDates() {
			q := analytics.CompetitionQuery{AsOf: asOf, PropertyID: pid}
			got, err := f.svc.Competition(ctx, clientID, q)
			if err != nil {
				t.Fatalf("Competition(%v, %q): %v", asOf, pid, err)
			}
			sameJSON(t, "competition "+pid+" "+asOf.Format(time.DateOnly), got, f.oracle.Competition(q))
			for _, c := range got.ByUnitType {
				if c.PremiumPct != nil {
					premiums++
				}
			}
		}
	}
	if premiums == 0 {
		t.Error("no competition answer had a premium: the comparison covered nothing")
	}
	// Like with like through floorplans (latest answer): codes that say
	// nothing match through stored floorplans (P003 B1, B2) or not at all
	// (P003 C1); mc1a1-style codes through the code; an edit overrides the
	// roll (P001 C1 stored as 3 beds 1 bath matches no 3x2 comp).
	got, err := f.svc.Competition(ctx, clientID, analytics.CompetitionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	premium := map[string]bool{}
	for _, e := range got.ByUnitType {
		premium[e.PropertyID+"/"+e.UnitType] = e.PremiumPct != nil && e.AskingPremiumPct != nil
	}
	for k, want := range map[string]bool{"P003/B1": true, "P003/B2": true, "P003/mc1a1": true, "P003/s0a1": true,
		"P003/C1": false, "P001/C1": false, "P001/B2": true, "P000/2x2": true} {
		if got, ok := premium[k]; !ok || got != want {
			t.Errorf("%s: listed %v, premium %v; want listed with premium %v", k, ok, got, want)
		}
	}
}

func TestPropertiesMatchesOracle(t *testing.T) {
	f := newFixture(t)
	got, err := f.svc.Properties(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	want := f.oracle.Properties()
	if len(want) != edgeConfig().Properties {
		t.Fatalf("oracle lists %d properties, want %d", len(want), edgeConfig().Properties)
	}
	sameJSON(t, "properties", got, want)
}

func TestAllClientsSummary(t *testing.T) {
	f := newFixture(t)
	f.svc = &analytics.Service{W: f.w} // its own clock
	ctx := context.Background()
	// A second, provisioned client without data, and a third never provisioned.
	if err := f.w.EnsureDataset(ctx, warehouse.Client(tenancy.DatasetName("empty-co"))); err != nil {
		t.Fatal(err)
	}
	clients := []tenancy.Client{
		{ID: clientID, Name: "Acme Homes", Status: tenancy.Active},
		{ID: "empty-co", Name: "Empty Co", Status: tenancy.Suspended},
		{ID: "ghost-co", Name: "Ghost", Status: tenancy.Active},
	}
	for _, now := range []time.Time{
		start.Add(5).Start().AddDate(0, 0, 20), // the last month of data
		start.Add(2).Start().AddDate(0, 0, 3),
		start.Add(9).Start(), // no uploads this month
	} {
		f.svc.Now = func() time.Time { return now }
		got, err := f.svc.AllClientsSummary(ctx, clients)
		if err != nil {
			t.Fatal(err)
		}
		acme := f.oracle.ClientSummary(clients[0], now)
		empty := analytics.ClientSummary{ClientID: "empty-co", Name: "Empty Co", Status: "suspended", Available: true}
		ghost := analytics.ClientSummary{ClientID: "ghost-co", Name: "Ghost", Status: "active"}
		occ := acme.PhysicalOccupancy
		want := analytics.AllClients{
			GeneratedAt: now.Format(time.RFC3339), Month: analytics.MonthOf(now),
			Clients: []analytics.ClientSummary{acme, empty, ghost},
			Totals: analytics.AllClientsTotals{Clients: 2, Unavailable: 1, Units: acme.Units, Occupied: acme.Occupied,
				PhysicalOccupancy: occ, GPR: acme.GPR, UploadsThisMonth: acme.UploadsThisMonth},
		}
		sameJSON(t, "all clients at "+now.Format(time.DateOnly), got, want)
	}
}

func TestEmptyAnswersAreExplicit(t *testing.T) {
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	if err := w.EnsureDataset(ctx, warehouse.Client(tenancy.DatasetName("empty-co"))); err != nil {
		t.Fatal(err)
	}
	svc := &analytics.Service{W: w}
	s, err := svc.Summary(ctx, "empty-co", analytics.SummaryQuery{PropertyID: "P1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	want := `{"as_of":null,"property_id":"P1","data":false,"properties":[],"totals":{"units":0,"occupied":0,"notice":0,"vacant":0,` +
		`"physical_occupancy":null,"economic_occupancy":null,"gpr":0.00,"in_place_rent":0.00,"loss_to_lease":0.00,` +
		`"loss_to_lease_pct":null,"gain_to_lease":0.00,"gain_to_lease_pct":null,"avg_market_rent":null,"avg_lease_rent":null,` +
		`"avg_market_rent_psf":null,"avg_lease_rent_psf":null,"preleased":0,"leased":0,"leased_pct":null,"exposure":0,` +
		`"exposure_pct":null,"non_revenue_units":0,"model":0,"down":0,"admin":0,"employee":0,"vacancy_loss":0.00,` +
		`"non_revenue_loss":0.00,"concessions":0.00,"effective_rent":0.00},"by_unit_type":[],"by_bedrooms":[],"by_property_unit_type":[]}`
	if string(b) != want {
		t.Errorf("empty summary:\n got %s\nwant %s", b, want)
	}
	e, err := svc.Expirations(ctx, "empty-co", analytics.ExpirationsQuery{From: start, Months: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Data || len(e.Expirations) != 2 || e.Expirations[1].Month != start.Add(1) || e.Expirations[0].PctOfOccupied != nil {
		t.Errorf("empty expirations = %+v", e)
	}
	c, err := svc.Competition(ctx, "empty-co", analytics.CompetitionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(c); string(b) != `{"as_of":null,"property_id":null,"data":false,"by_unit_type":[]}` {
		t.Errorf("empty competition = %s", b)
	}
	p, err := svc.Properties(ctx, "empty-co")
	if err != nil || p == nil || len(p) != 0 {
		t.Errorf("empty properties = %#v, %v; want an empty, non-nil list", p, err)
	}
}

func TestInvalidQueries(t *testing.T) {
	svc := &analytics.Service{} // validation fails before any query
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"bad property", func() error {
			_, err := svc.Summary(ctx, clientID, analytics.SummaryQuery{PropertyID: "a b"})
			return err
		}},
		{"long property", func() error {
			_, err := svc.Competition(ctx, clientID, analytics.CompetitionQuery{PropertyID: string(make([]byte, 129))})
			return err
		}},
		{"months 37", func() error {
			_, err := svc.Expirations(ctx, clientID, analytics.ExpirationsQuery{From: start, Months: 37})
			return err
		}},
		{"months negative", func() error {
			_, err := svc.Expirations(ctx, clientID, analytics.ExpirationsQuery{From: start, Months: -1})
			return err
		}},
		{"trend reversed", func() error {
			_, err := svc.Trend(ctx, clientID, analytics.TrendQuery{From: start.Add(1), To: start})
			return err
		}},
		{"trend 61 months", func() error {
			_, err := svc.Trend(ctx, clientID, analytics.TrendQuery{From: start, To: start.Add(60)})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want code invalid", err)
			}
		})
	}
}

func TestRoundingAndEncoding(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"money", analytics.Money(123450).String(), "1234.50"},
		{"negative money", analytics.Money(-5).String(), "-0.05"},
		{"ratio", analytics.Ratio(9231).String(), "0.9231"},
		{"ratio one", analytics.Ratio(10000).String(), "1"},
		{"negative ratio", analytics.Ratio(-125).String(), "-0.0125"},
		{"month", analytics.Month{Year: 2026, Month: 3}.String(), "2026-03"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	for _, bad := range []string{"2026-3", "2026-13", "26-03", "2026-03-01", ""} {
		if _, err := analytics.ParseMonth(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseMonth(%q) err = %v, want invalid", bad, err)
		}
	}
}

func TestChangesMatchesOracle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	checked, withData, moves, renewals := 0, 0, int64(0), int64(0)
	for _, pid := range properties(f.data)[1:] {
		dates := asOfDates()
		for i, from := range dates {
			if from.IsZero() || i%2 == 1 {
				continue
			}
			for _, to := range []time.Time{{}, from.AddDate(0, 1, 0), dates[(i+3)%len(dates)]} {
				if !to.IsZero() && to.Before(from) {
					continue
				}
				q := analytics.ChangesQuery{PropertyID: pid, From: from, To: to}
				got, err := f.svc.Changes(ctx, clientID, q)
				if err != nil {
					t.Fatalf("Changes(%+v): %v", q, err)
				}
				sameJSON(t, "changes "+pid+" "+from.Format(time.DateOnly)+".."+to.Format(time.DateOnly), got, f.oracle.Changes(q))
				checked++
				if got.Data {
					withData++
					moves += got.MoveIns
					renewals += got.Renewals.Count
				}
			}
		}
	}
	if withData < checked/3 || moves == 0 || renewals == 0 {
		t.Errorf("%d of %d comparisons had data, %d move-ins, %d renewals: the comparison covered too little", withData, checked, moves, renewals)
	}
	for _, q := range []analytics.ChangesQuery{{From: start.Start()}, {PropertyID: "P001"}, {PropertyID: "P001", From: start.Add(2).Start(), To: start.Start()}} {
		if _, err := f.svc.Changes(ctx, clientID, q); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("Changes(%+v) = %v, want invalid", q, err)
		}
	}
}
