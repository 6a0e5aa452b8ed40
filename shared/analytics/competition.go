package analytics

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BedsBaths is a floorplan's bedrooms and bathrooms; nil is unknown.
type BedsBaths struct{ Beds, Baths *float64 }

// Matches reports whether a subject floorplan and a comp row compare like
// with like: the same bedrooms, and the same bathrooms when both are known.
func (s BedsBaths) Matches(c BedsBaths) bool {
	if s.Beds == nil || c.Beds == nil || *s.Beds != *c.Beds {
		return false
	}
	return s.Baths == nil || c.Baths == nil || *s.Baths == *c.Baths
}

func (s BedsBaths) key() string {
	f := func(p *float64) string {
		if p == nil {
			return "?"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return f(s.Beds) + "x" + f(s.Baths)
}

// The floorplan-code shapes read as bedrooms and bathrooms when nothing
// better is known: "1x1", "2/1.5", "2-2"; "2br2ba", "2bd/1ba"; and the
// Yardi-style "mc1a1", "mc2b2" (a short prefix, beds, one letter, baths).
// It is a guess: the floorplans route shows it as source "code" and a client
// admin corrects it there.
var codePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(\d)\s*[x/-]\s*(\d(?:\.5)?)$`),
	regexp.MustCompile(`^(\d)\s*(?:br|bd|bed|bdr)s?\s*[/ ,-]?\s*(\d(?:\.5)?)\s*(?:ba|bath)s?$`),
	regexp.MustCompile(`^[a-z]{0,4}(\d)[a-z](\d)[a-z]?$`),
}

var studioCode = regexp.MustCompile(`^(studio|std|eff|efficiency|0br|0bd)$`)

// FloorplanOfCode reads bedrooms and bathrooms from a floorplan code (see
// codePatterns); both nil when the code says nothing. A studio has 0
// bedrooms and unknown bathrooms.
func FloorplanOfCode(code string) BedsBaths {
	c := strings.ToLower(strings.TrimSpace(code))
	if studioCode.MatchString(c) {
		zero := 0.0
		return BedsBaths{Beds: &zero}
	}
	for _, re := range codePatterns {
		if m := re.FindStringSubmatch(c); m != nil {
			b, _ := strconv.ParseFloat(m[1], 64)
			ba, _ := strconv.ParseFloat(m[2], 64)
			return BedsBaths{Beds: &b, Baths: &ba}
		}
	}
	return BedsBaths{}
}

// compSide are the exact sums of one side of a competition entry: comp
// sums are weighted by units (w is Σ units), subject sums are per unit (w
// is the number of occupied units with a lease rent).
type compSide struct {
	w, sumAsk, sumRent, psfRent, psfSqft int64
	marketN, sumMarket                   int64
}

func (a *compSide) add(b compSide) {
	a.w += b.w
	a.sumAsk += b.sumAsk
	a.sumRent += b.sumRent
	a.psfRent += b.psfRent
	a.psfSqft += b.psfSqft
	a.marketN += b.marketN
	a.sumMarket += b.sumMarket
}

// premium is (a/an) / (b/bn) − 1 on exact integers, or nil.
func premium(a, an, b, bn int64) *Ratio {
	if an == 0 || bn == 0 || b == 0 {
		return nil
	}
	num := mulBig(a, bn)
	den := mulBig(b, an)
	num.Sub(num, den)
	v, ok := divRound(num, den, 10000)
	if !ok {
		return nil
	}
	r := Ratio(v)
	return &r
}

// Competition answers the positioning of each surveyed property's
// floorplans against the comps of its latest loaded survey with
// survey_date ≤ q.AsOf (docs/metrics.md "Competition"): comps are matched by
// bedrooms and bathrooms through the property's floorplans, comp averages
// are weighted by units, and premiums compare the subject's lease rent with
// the comps' effective rent and its market rent with their asking rent.
func (s *Service) Competition(ctx context.Context, clientID string, q CompetitionQuery) (Competition, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Competition{}, err
	}
	params := map[string]any{}
	byProp, err := propParam(params, q.PropertyID)
	if err != nil {
		return Competition{}, err
	}
	asOfParams(params, q.AsOf)
	sql := statement(competitionSQL, ds, asOfWhere, "property_id", byProp)
	rows, err := s.query(ctx, "competition", sql, params)
	if err != nil {
		return Competition{}, err
	}
	type compRow struct {
		code, comp string
		fp         BedsBaths
		sums       compSide
	}
	type subjRow struct {
		fp   BedsBaths
		cnt  int64
		sums compSide
	}
	comps := map[string][]compRow{}               // by subject property
	subjects := map[string]map[string][]subjRow{} // property → code → rows
	stored := map[string]map[string]BedsBaths{}
	var rd resultReader
	var asOf time.Time
	fl := func(r map[string]any, col string) *float64 {
		if v, ok := rd.float(r, col); ok {
			return &v
		}
		return nil
	}
	for _, r := range rows {
		pid, code := rd.str(r, "property_id"), rd.str(r, "unit_type_key")
		fp := BedsBaths{Beds: fl(r, "beds"), Baths: fl(r, "baths")}
		sm := compSide{w: rd.int(r, "w"), sumAsk: rd.cents(r, "sum_ask"), sumRent: rd.cents(r, "sum_rent"),
			psfRent: rd.cents(r, "psf_rent"), psfSqft: rd.int(r, "psf_sqft"),
			marketN: rd.int(r, "market_n"), sumMarket: rd.cents(r, "sum_market")}
		switch rd.str(r, "side") {
		case "comp":
			if d := rd.date(r, "as_of"); d.After(asOf) {
				asOf = d
			}
			comps[pid] = append(comps[pid], compRow{code: code, comp: rd.str(r, "comp"), fp: fp, sums: sm})
		case "subject":
			if subjects[pid] == nil {
				subjects[pid] = map[string][]subjRow{}
			}
			subjects[pid][code] = append(subjects[pid][code], subjRow{fp: fp, cnt: rd.int(r, "cnt"), sums: sm})
		case "floorplan":
			if stored[pid] == nil {
				stored[pid] = map[string]BedsBaths{}
			}
			stored[pid][code] = fp
		}
	}
	if rd.err != nil {
		return Competition{}, rd.err
	}
	out := Competition{PropertyID: optString(q.PropertyID), ByUnitType: []CompetitionUnitType{}}
	entry := func(pid, code string, fp BedsBaths, subj compSide, matched []compRow) CompetitionUnitType {
		var c compSide
		names := map[string]bool{}
		for _, m := range matched {
			c.add(m.sums)
			if m.comp != "" {
				names[m.comp] = true
			}
		}
		return CompetitionUnitType{
			PropertyID: pid, UnitType: code, Beds: fp.Beds, Baths: fp.Baths,
			Comps: int64(len(names)), CompUnits: c.w,
			CompAvgAskingRent:       moneyOf(c.sumAsk, c.w),
			CompAvgEffectiveRent:    moneyOf(c.sumRent, c.w),
			CompAvgEffectiveRentPSF: moneyOf(c.psfRent, c.psfSqft),
			SubjectAvgMarketRent:    moneyOf(subj.sumMarket, subj.marketN),
			SubjectAvgLeaseRent:     moneyOf(subj.sumRent, subj.w),
			SubjectAvgLeaseRentPSF:  moneyOf(subj.psfRent, subj.psfSqft),
			PremiumPct:              premium(subj.sumRent, subj.w, c.sumRent, c.w),
			AskingPremiumPct:        premium(subj.sumMarket, subj.marketN, c.sumAsk, c.w),
		}
	}
	pids := map[string]bool{}
	for pid := range comps {
		pids[pid] = true
	}
	for pid := range subjects {
		pids[pid] = true
	}
	for pid := range pids {
		for i := range comps[pid] {
			c := &comps[pid][i]
			c.fp = resolveComp(c.fp, c.code)
		}
		used := make([]bool, len(comps[pid]))
		for code, rs := range subjects[pid] {
			var subj compSide
			var fromRoll []RollBedsBaths
			for _, r := range rs {
				subj.add(r.sums)
				fromRoll = append(fromRoll, RollBedsBaths{BedsBaths: r.fp, Units: r.cnt})
			}
			fp, _ := ResolveFloorplan(code, stored[pid], fromRoll)
			var matched []compRow
			for i, c := range comps[pid] {
				if fp.Matches(c.fp) {
					matched = append(matched, c)
					used[i] = true
				}
			}
			out.ByUnitType = append(out.ByUnitType, entry(pid, code, fp, subj, matched))
		}
		// Comps that match no floorplan of the property, by their own unit type.
		type only struct {
			code string
			fp   string
		}
		rest := map[only][]compRow{}
		fps := map[only]BedsBaths{}
		for i, c := range comps[pid] {
			if !used[i] {
				k := only{c.code, c.fp.key()}
				rest[k] = append(rest[k], c)
				fps[k] = c.fp
			}
		}
		for k, rs := range rest {
			out.ByUnitType = append(out.ByUnitType, entry(pid, k.code, fps[k], compSide{}, rs))
		}
	}
	sortCompetition(out.ByUnitType)
	out.Data = len(rows) > 0 && len(out.ByUnitType) > 0
	if !asOf.IsZero() {
		out.AsOf = optString(dateString(asOf))
	}
	return out, nil
}

// resolveComp completes a comp row's bedrooms and bathrooms from its unit
// type's code where the survey left them out.
func resolveComp(fp BedsBaths, code string) BedsBaths {
	guess := FloorplanOfCode(code)
	if fp.Beds == nil {
		fp.Beds = guess.Beds
	}
	if fp.Baths == nil {
		fp.Baths = guess.Baths
	}
	return fp
}

// RollBedsBaths is a bedroom and bathroom count a roll gives a floorplan
// code, with the number of units that say so.
type RollBedsBaths struct {
	BedsBaths
	Units int64
}

// ResolveFloorplan gives a property's floorplan code its bedrooms and
// bathrooms, and where they come from: the stored (edited) floorplan, else
// what most of the roll's units of that code say (ties: fewer beds, then
// fewer baths), else the code itself.
func ResolveFloorplan(code string, stored map[string]BedsBaths, roll []RollBedsBaths) (BedsBaths, string) {
	if fp, ok := stored[code]; ok {
		return fp, "edited"
	}
	var best *RollBedsBaths
	less := func(a, b *float64) bool { return a != nil && (b == nil || *a < *b) }
	for i := range roll {
		r := &roll[i]
		if r.Beds == nil {
			continue
		}
		if best == nil || r.Units > best.Units || (r.Units == best.Units &&
			(less(r.Beds, best.Beds) || (*r.Beds == *best.Beds && less(r.Baths, best.Baths)))) {
			best = r
		}
	}
	if best != nil {
		return best.BedsBaths, "roll"
	}
	if fp := FloorplanOfCode(code); fp.Beds != nil {
		return fp, "code"
	}
	return BedsBaths{}, ""
}

func sortCompetition(es []CompetitionUnitType) {
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.PropertyID != b.PropertyID {
			return a.PropertyID < b.PropertyID
		}
		if f(a.Beds) != f(b.Beds) {
			return f(a.Beds) < f(b.Beds)
		}
		if f(a.Baths) != f(b.Baths) {
			return f(a.Baths) < f(b.Baths)
		}
		if a.UnitType != b.UnitType {
			return a.UnitType < b.UnitType
		}
		// A comp-only entry after the subject's entry of the same code.
		return a.SubjectAvgMarketRent != nil && b.SubjectAvgMarketRent == nil
	})
}
