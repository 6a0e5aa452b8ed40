package analyticsbench

import (
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
)

// TestEdgeCasesPresent checks that the edge-case client really contains each
// case the oracle comparison relies on, so that a passing comparison means
// the case was exercised.
func TestEdgeCasesPresent(t *testing.T) {
	d, err := Collect(Config{ClientID: "c", Properties: 8, Units: 120, Months: 6,
		Start: analytics.Month{Year: 2025, Month: time.November}, Seed: 7, EdgeCases: true, Surveys: true})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	type key struct {
		pid  string
		asOf time.Time
	}
	loadedRolls := map[key]int{}
	for _, u := range d.Uploads {
		count["status "+u.Status]++
		if len(u.Rolls) > 1 {
			count["multi-property upload"]++
		}
		for _, r := range u.Rolls {
			if u.Status == "loaded" {
				loadedRolls[key{r.PropertyID, r.AsOf}]++
			}
			for _, x := range r.Units {
				count["unit "+x.Status]++
				switch {
				case x.Sqft == 0:
					count["no sqft"]++
				case x.UnitType == "":
					count["no unit type"]++
				case x.Market == nil:
					count["no market rent"]++
				}
				if x.Lease != nil && x.Market != nil && *x.Lease > *x.Market {
					count["lease above market"]++
				}
				if x.Lease != nil && x.Market != nil && *x.Lease < *x.Market {
					count["lease below market"]++
				}
				if (x.Status == "occupied" || x.Status == "occupied_notice") && x.Lease == nil {
					count["occupied without lease rent"]++
				}
				if x.LeaseEnd.IsZero() && x.Lease != nil {
					count["no lease end"]++
				}
			}
		}
		if s := u.Survey; s != nil {
			if s.Subject == "" {
				count["survey without subject"]++
			}
			for _, c := range s.Comps {
				switch {
				case c.Concessions == nil:
					count["comp without concessions"]++
				case *c.Concessions > 0:
					count["comp with concessions"]++
				}
			}
		}
	}
	for _, n := range loadedRolls {
		if n > 1 {
			count["superseding re-upload"]++
		}
	}
	for _, want := range []string{
		"status loaded", "status ", "status failed", "status processing", "multi-property upload",
		"unit occupied", "unit occupied_notice", "unit vacant", "unit vacant_leased", "unit model", "unit down", "unit admin",
		"no sqft", "no unit type", "no market rent", "lease above market", "lease below market",
		"occupied without lease rent", "no lease end", "superseding re-upload",
		"survey without subject", "comp without concessions", "comp with concessions",
	} {
		if count[want] == 0 {
			t.Errorf("generated data has no %q", want)
		}
	}
}
