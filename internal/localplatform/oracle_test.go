package localplatform

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/parse"
)

// sample is a testdata export and what its upload request says.
type sample struct {
	file, kind string
	extra      map[string]any
}

var samples = []sample{
	{"rentroll/yardi_rent_roll_lease_charges.csv", "rent_roll", nil},
	{"rentroll/yardi_rent_roll_lease_charges.xlsx", "rent_roll", nil},
	{"rentroll/yardi_rent_roll_lease_charges_2026-04.csv", "rent_roll", nil},
	{"rentroll/onesite_rent_roll_detail.csv", "rent_roll", map[string]any{"property_id": "cr02"}},
	{"rentroll/appfolio_rent_roll.csv", "rent_roll", nil},
	{"rentroll/mri_rent_roll.csv", "rent_roll", nil},
	{"rentroll/generic_rent_roll.csv", "rent_roll", map[string]any{"as_of": "2026-03-31"}},
	{"competition/market_survey.csv", "competition", nil},
	{"competition/market_survey.xlsx", "competition", nil},
}

// oracleSink collects what the parser emits, for the oracle.
type oracleSink struct {
	units []parse.Unit
	comps []parse.Comp
}

func (s *oracleSink) Raw(parse.RawRow) error { return nil }
func (s *oracleSink) Unit(u parse.Unit) error {
	s.units = append(s.units, u)
	return nil
}
func (s *oracleSink) Comp(c parse.Comp) error {
	s.comps = append(s.comps, c)
	return nil
}

// TestSamplesAgainstOracle uploads every sample export through the real
// path (signed URL, event, ingest), then checks every analytics answer —
// for each property and for all, at each as-of date and around them — and
// the billable units of the samples' month against an oracle computed in
// plain Go from the parser's normalized rows (internal/analyticsbench), which
// shares no SQL with the service.
func TestSamplesAgainstOracle(t *testing.T) {
	p := startForTest(t)
	admin := setupClient(t, p)
	data := &analyticsbench.Data{ClientID: testClient}
	for _, s := range samples {
		id := upload(t, admin, s.file, s.extra)
		rec := wait(t, admin, id)
		if rec["status"] != "loaded" {
			t.Fatalf("%s: %v", s.file, rec)
		}
		loadedAt, err := time.Parse(time.RFC3339Nano, rec["received_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		data.Uploads = append(data.Uploads, oracleUpload(t, s, id, loadedAt))
	}
	o := &analyticsbench.Oracle{D: data}

	props := map[string]bool{"": true}
	dates := map[string]bool{"": true, "2026-01-15": true, "2026-12-31": true}
	for _, u := range data.Uploads {
		for _, r := range u.Rolls {
			props[r.PropertyID] = true
			dates[r.AsOf.Format(time.DateOnly)] = true
			dates[r.AsOf.AddDate(0, 0, -1).Format(time.DateOnly)] = true
		}
		if u.Survey != nil {
			props[u.Survey.Subject] = true
		}
	}
	checked := 0
	for pid := range props {
		for d := range dates {
			q := url.Values{}
			var asOf time.Time
			if d != "" {
				q.Set("as_of", d)
				asOf, _ = time.Parse(time.DateOnly, d)
			}
			if pid != "" {
				q.Set("property_id", pid)
			}
			same(t, "summary "+q.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/rent-roll/summary?"+q.Encode(), nil).body,
				o.Summary(analytics.SummaryQuery{AsOf: asOf, PropertyID: pid}))
			same(t, "competition "+q.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/competition?"+q.Encode(), nil).body,
				o.Competition(analytics.CompetitionQuery{AsOf: asOf, PropertyID: pid}))
			checked += 2
		}
		from, to := analytics.MonthOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), analytics.MonthOf(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		q := url.Values{"from": {"2026-01"}, "to": {"2026-06"}}
		eq := url.Values{"from": {"2026-03"}, "months": {"12"}}
		if pid != "" {
			q.Set("property_id", pid)
			eq.Set("property_id", pid)
		}
		same(t, "trend "+q.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/rent-roll/trend?"+q.Encode(), nil).body,
			o.Trend(analytics.TrendQuery{From: from, To: to, PropertyID: pid}))
		same(t, "expirations "+eq.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/rent-roll/expirations?"+eq.Encode(), nil).body,
			o.Expirations(analytics.ExpirationsQuery{From: analytics.MonthOf(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), Months: 12, PropertyID: pid}))
		dq := url.Values{}
		if pid != "" {
			dq.Set("property_id", pid)
		}
		same(t, "expirations from as_of "+dq.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/rent-roll/expirations?"+dq.Encode(), nil).body,
			o.Expirations(analytics.ExpirationsQuery{PropertyID: pid}))
		checked += 3
		if pid == "" {
			continue
		}
		same(t, "floorplans "+pid, admin.must(200, "GET", "/v1/clients/"+testClient+"/properties/"+pid+"/floorplans", nil).body,
			oracleFloorplans(o, pid))
		checked++
		for _, span := range [][2]string{{"2026-03-31", "2026-04-30"}, {"2026-03-31", ""}, {"2026-01-15", "2026-03-31"}} {
			cq := url.Values{"property_id": {pid}, "from": {span[0]}}
			var to time.Time
			if span[1] != "" {
				cq.Set("to", span[1])
				to, _ = time.Parse(time.DateOnly, span[1])
			}
			from, _ := time.Parse(time.DateOnly, span[0])
			same(t, "changes "+cq.Encode(), admin.must(200, "GET", "/v1/clients/"+testClient+"/analytics/rent-roll/changes?"+cq.Encode(), nil).body,
				o.Changes(analytics.ChangesQuery{PropertyID: pid, From: from, To: to}))
			checked++
		}
	}
	t.Logf("%d analytics answers equal the oracle over %d properties and %d dates", checked, len(props)-1, len(dates))

	// Billable units for 2026-03 (A6): per property the latest roll with
	// as_of in the month; distinct (property_id, unit_id), any status.
	latest := map[string]analyticsbench.Roll{}
	for _, u := range data.Uploads {
		for _, r := range u.Rolls {
			if cur, ok := latest[r.PropertyID]; !ok || r.AsOf.After(cur.AsOf) || (r.AsOf.Equal(cur.AsOf) && r.LoadedAt.After(cur.LoadedAt)) {
				latest[r.PropertyID] = r
			}
		}
	}
	keys := map[string]bool{}
	for pid, r := range latest {
		for _, u := range r.Units {
			keys[pid+"\x00"+u.UnitID] = true
		}
	}
	super := p.as(t, p.Config.BootstrapAdmin, "super_admin", "")
	run := super.must(200, "POST", "/v1/admin/billing/runs", map[string]string{"month": "2026-03"}).json(t)
	if got := int(run["units_total"].(float64)); got != len(keys) {
		t.Errorf("billed units for 2026-03: %d, oracle %d", got, len(keys))
	}
	usage := super.must(200, "GET", "/v1/admin/usage?month=2026-03", nil).json(t)
	c := usage["clients"].([]any)[0].(map[string]any)
	if int(c["units"].(float64)) != len(keys) || int(c["properties"].(float64)) != len(latest) {
		t.Errorf("usage %v, oracle %d units in %d properties", c, len(keys), len(latest))
	}
}

// oracleFloorplans is what the floorplans route answers for a property with
// no edits: each code of its latest roll, with the beds and baths most of
// its units give (else read from the code) and the rounded average area.
func oracleFloorplans(o *analyticsbench.Oracle, pid string) analytics.Floorplans {
	out := analytics.Floorplans{PropertyID: pid, Floorplans: []analytics.Floorplan{}}
	rolls := o.Rolls(time.Time{}, pid)
	if len(rolls) == 0 {
		return out
	}
	byCode := map[string][]analyticsbench.Unit{}
	for _, u := range rolls[0].Units {
		byCode[u.UnitType] = append(byCode[u.UnitType], u)
	}
	for code, us := range byCode {
		var votes []analytics.RollBedsBaths
		var sq, n int64
		for _, u := range us {
			votes = append(votes, analytics.RollBedsBaths{BedsBaths: analytics.BedsBaths{Beds: u.Beds, Baths: u.Baths}, Units: 1})
			if u.Sqft > 0 {
				sq += u.Sqft
				n++
			}
		}
		fp, source := analytics.ResolveFloorplan(code, nil, mergeVotes(votes))
		f := analytics.Floorplan{Code: code, Beds: fp.Beds, Baths: fp.Baths, Source: source}
		if n > 0 {
			v := (2*sq + n) / (2 * n) // round half up
			f.Sqft = &v
		}
		out.Floorplans = append(out.Floorplans, f)
	}
	sort.Slice(out.Floorplans, func(i, j int) bool { return out.Floorplans[i].Code < out.Floorplans[j].Code })
	return out
}

// mergeVotes adds up the units that give the same beds and baths.
func mergeVotes(vs []analytics.RollBedsBaths) []analytics.RollBedsBaths {
	var out []analytics.RollBedsBaths
	eq := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
next:
	for _, v := range vs {
		for i := range out {
			if eq(out[i].Beds, v.Beds) && eq(out[i].Baths, v.Baths) {
				out[i].Units += v.Units
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}

// same compares an API answer with the oracle's, as JSON.
func same(t *testing.T, what string, body []byte, want any) {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	_ = json.Unmarshal(wb, &exp)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s:\n got    %s\n oracle %s", what, bytes.TrimSpace(body), wb)
	}
}

// oracleUpload parses a sample as ingest does and shapes it for the oracle.
func oracleUpload(t *testing.T, s sample, id string, loadedAt time.Time) analyticsbench.Upload {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", s.file))
	if err != nil {
		t.Fatal(err)
	}
	opts := parse.Options{Filename: filepath.Base(s.file)}
	if v, ok := s.extra["property_id"].(string); ok {
		opts.PropertyID = v
	}
	if v, ok := s.extra["as_of"].(string); ok {
		opts.AsOf, _ = time.Parse(time.DateOnly, v)
	}
	var sink oracleSink
	up := analyticsbench.Upload{ID: id, Kind: s.kind, Status: "loaded", LoadedAt: loadedAt}
	if s.kind == "competition" {
		if _, err := parse.Competition(context.Background(), bytes.NewReader(b), int64(len(b)), opts, &sink); err != nil {
			t.Fatal(err)
		}
		sv := &analyticsbench.Survey{UploadID: id, LoadedAt: loadedAt}
		for _, c := range sink.comps {
			asking, conc := c.AskingRent, c.ConcessionsMonthly
			sv.Subject, sv.SurveyDate = c.SubjectPropertyID, c.SurveyDate
			cp := analyticsbench.Comp{CompProperty: c.CompProperty, UnitType: c.UnitType, Sqft: c.SqFt, Units: c.Units, Asking: &asking, Concessions: &conc}
			if c.HasBeds {
				cp.Beds = &c.Beds
			}
			if c.HasBaths {
				cp.Baths = &c.Baths
			}
			sv.Comps = append(sv.Comps, cp)
		}
		up.Survey = sv
		return up
	}
	if _, err := parse.RentRoll(context.Background(), bytes.NewReader(b), int64(len(b)), opts, &sink); err != nil {
		t.Fatal(err)
	}
	byProp := map[string]*analyticsbench.Roll{}
	var order []string
	for _, u := range sink.units {
		r := byProp[u.PropertyID]
		if r == nil {
			r = &analyticsbench.Roll{UploadID: id, PropertyID: u.PropertyID, PropertyName: u.PropertyName, AsOf: u.AsOf, LoadedAt: loadedAt}
			byProp[u.PropertyID] = r
			order = append(order, u.PropertyID)
		}
		// Absent values stay nil (NULL), as the loader writes them.
		opt := func(v int64, has bool) *int64 {
			if !has {
				return nil
			}
			return &v
		}
		var beds, baths *float64
		if u.HasBeds {
			beds = &u.Beds
		}
		if u.HasBaths {
			baths = &u.Baths
		}
		r.Units = append(r.Units, analyticsbench.Unit{
			UnitID: u.UnitID, Building: u.Building, UnitType: u.UnitType, Beds: beds, Baths: baths, Sqft: u.SqFt,
			Status: u.Status, Market: opt(u.MarketRent, u.HasMarketRent), Lease: opt(u.LeaseRent, u.HasLeaseRent),
			Concessions: opt(u.Concessions, u.HasConcessions), Other: u.OtherCharges,
			LeaseStart: u.LeaseStart, LeaseEnd: u.LeaseEnd, MoveIn: u.MoveIn, MoveOut: u.MoveOut,
			Designation: u.Designation, Preleased: u.Preleased, Renewed: u.Renewed,
			Balance: opt(u.Balance, u.HasBalance), BedSpaces: u.BedSpaces,
		})
	}
	sort.Strings(order)
	for _, pid := range order {
		up.Rolls = append(up.Rolls, *byProp[pid])
	}
	if len(up.Rolls) == 0 {
		t.Fatalf("%s: no units parsed", s.file)
	}
	return up
}
