package analyticsbench

import (
	"math/big"
	"sort"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Oracle answers every analytics question over generated data in plain Go,
// unit by unit, following docs/metrics.md and the rules documented in package
// analytics — independently of its SQL and of its rounding code.
type Oracle struct {
	D *Data
}

// newer reports whether roll a supersedes roll b of the same property: a
// later as-of date, else a later load, else the greater upload id.
func newer(aDate, aLoaded time.Time, aID string, bDate, bLoaded time.Time, bID string) bool {
	if !aDate.Equal(bDate) {
		return aDate.After(bDate)
	}
	if !aLoaded.Equal(bLoaded) {
		return aLoaded.After(bLoaded)
	}
	return aID > bID
}

// Rolls is the latest loaded roll per property with as-of ≤ asOf (zero:
// any), for one property or all (""), by property id.
func (o *Oracle) Rolls(asOf time.Time, pid string) []Roll { return o.rolls(asOf, pid) }

// rolls is the latest loaded roll per property with as-of ≤ asOf (zero: any),
// for one property or all ("").
func (o *Oracle) rolls(asOf time.Time, pid string) []Roll {
	best := map[string]Roll{}
	for _, u := range o.D.Uploads {
		if u.Status != "loaded" {
			continue
		}
		for _, r := range u.Rolls {
			if (pid != "" && r.PropertyID != pid) || (!asOf.IsZero() && r.AsOf.After(asOf)) {
				continue
			}
			if cur, ok := best[r.PropertyID]; !ok || newer(r.AsOf, r.LoadedAt, r.UploadID, cur.AsOf, cur.LoadedAt, cur.UploadID) {
				best[r.PropertyID] = r
			}
		}
	}
	out := make([]Roll, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PropertyID < out[j].PropertyID })
	return out
}

// round returns num/den × scale rounded half away from zero, through exact
// rationals, or nil when den is zero.
func round(num, den *big.Rat, scale int64) *int64 {
	if den.Sign() == 0 {
		return nil
	}
	x := new(big.Rat).Quo(num, den)
	x.Mul(x, big.NewRat(scale, 1))
	neg := x.Sign() < 0
	x.Abs(x)
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom()) // floor, x ≥ 0
	v := q.Int64()
	if neg {
		v = -v
	}
	return &v
}

func rat(v int64) *big.Rat { return big.NewRat(v, 1) }

func ratio(num, den int64) *analytics.Ratio {
	v := round(rat(num), rat(den), 10000)
	if v == nil {
		return nil
	}
	r := analytics.Ratio(*v)
	return &r
}

func money(num, den int64) *analytics.Money {
	v := round(rat(num), rat(den), 1)
	if v == nil {
		return nil
	}
	m := analytics.Money(*v)
	return &m
}

func isOccupied(status string) bool { return status == "occupied" || status == "occupied_notice" }

// Metrics computes the rent-roll metrics of a set of units, one unit at a
// time, as docs/metrics.md defines them.
func Metrics(units []Unit) analytics.Metrics {
	var m analytics.Metrics
	var gpr, marketN, inPlace, leaseN, occMarket, loss, gain int64
	var mRent, mSqft, lRent, lSqft int64
	var vacancyLoss, nonRevLoss, conc int64
	for _, u := range units {
		m.Units++
		occ := isOccupied(u.Status)
		vacant := u.Status == "vacant" || u.Status == "vacant_leased"
		switch u.Status {
		case "occupied":
			m.Occupied++
			m.Leased++
		case "occupied_notice":
			m.Occupied++
			m.Notice++
			if u.Preleased {
				m.Preleased++
				m.Leased++
			} else {
				m.Exposure++
			}
		case "vacant", "vacant_leased":
			m.Vacant++
			if u.Status == "vacant_leased" || u.Preleased {
				m.Preleased++
				m.Leased++
			} else {
				m.Exposure++
			}
		default:
			m.NonRevenueUnits++
			switch u.Status {
			case "model":
				m.Model++
			case "down":
				m.Down++
			case "admin":
				m.Admin++
			}
		}
		if u.Designation == "employee" {
			m.Employee++
		}
		if u.Market != nil {
			gpr += *u.Market
			marketN++
			if u.Sqft > 0 {
				mRent += *u.Market
				mSqft += u.Sqft
			}
			switch {
			case vacant:
				vacancyLoss += *u.Market
			case !occ:
				nonRevLoss += *u.Market
			}
		}
		if !occ {
			continue
		}
		if u.Concessions != nil {
			conc += *u.Concessions
		}
		if u.Market != nil {
			occMarket += *u.Market
		}
		// In the differences a missing rent counts as nothing: an occupied
		// unit with no lease rent loses its whole market rent, one with no
		// market rent gains its whole lease rent.
		var market, lease int64
		if u.Market != nil {
			market = *u.Market
		}
		if u.Lease != nil {
			lease = *u.Lease
			inPlace += lease
			leaseN++
			if u.Sqft > 0 {
				lRent += lease
				lSqft += u.Sqft
			}
		}
		if u.Market != nil && lease < market {
			loss += market - lease
		}
		if u.Lease != nil && lease > market {
			gain += lease - market
		}
	}
	m.PhysicalOccupancy = ratio(m.Occupied, m.Units)
	m.EconomicOccupancy = ratio(inPlace-conc, gpr)
	m.GPR, m.InPlaceRent = analytics.Money(gpr), analytics.Money(inPlace)
	m.LossToLease, m.GainToLease = analytics.Money(loss), analytics.Money(gain)
	m.LossToLeasePct, m.GainToLeasePct = ratio(loss, occMarket), ratio(gain, occMarket)
	m.AvgMarketRent, m.AvgLeaseRent = money(gpr, marketN), money(inPlace, leaseN)
	m.AvgMarketRentPSF, m.AvgLeaseRentPSF = money(mRent, mSqft), money(lRent, lSqft)
	m.LeasedPct, m.ExposurePct = ratio(m.Leased, m.Units), ratio(m.Exposure, m.Units)
	m.VacancyLoss, m.NonRevenueLoss = analytics.Money(vacancyLoss), analytics.Money(nonRevLoss)
	m.Concessions, m.EffectiveRent = analytics.Money(conc), analytics.Money(inPlace-conc)
	return m
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// Summary is the oracle's rent-roll summary.
func (o *Oracle) Summary(q analytics.SummaryQuery) analytics.Summary {
	rolls := o.rolls(q.AsOf, q.PropertyID)
	out := analytics.Summary{PropertyID: strp(q.PropertyID), Properties: []analytics.SummaryProperty{},
		ByUnitType: []analytics.UnitTypeMetrics{}, ByBedrooms: []analytics.BedroomMetrics{},
		ByPropertyUnitType: []analytics.PropertyUnitTypeMetrics{}}
	var all []Unit
	byType := map[string][]Unit{}
	byBeds := map[int64][]Unit{}
	var asOf time.Time
	for _, r := range rolls {
		if len(r.Units) > 0 && r.AsOf.After(asOf) {
			asOf = r.AsOf
		}
	}
	requested := asOf
	if !q.AsOf.IsZero() {
		requested = q.AsOf
	}
	for _, r := range rolls {
		if len(r.Units) == 0 {
			continue
		}
		stale := r.AsOf.Year() < requested.Year() || (r.AsOf.Year() == requested.Year() && r.AsOf.Month() < requested.Month())
		out.Properties = append(out.Properties, analytics.SummaryProperty{PropertyID: r.PropertyID, AsOf: day(r.AsOf),
			Stale: stale, Units: int64(len(r.Units))})
		byPropType := map[string][]Unit{}
		for _, u := range r.Units {
			all = append(all, u)
			byType[u.UnitType] = append(byType[u.UnitType], u)
			byPropType[u.UnitType] = append(byPropType[u.UnitType], u)
			b := int64(-1)
			if u.Beds != nil {
				b = int64(*u.Beds) // bedroom counts are whole and not negative
			}
			byBeds[b] = append(byBeds[b], u)
		}
		for ut, us := range byPropType {
			out.ByPropertyUnitType = append(out.ByPropertyUnitType, analytics.PropertyUnitTypeMetrics{
				PropertyID: r.PropertyID, UnitType: ut, Metrics: Metrics(us)})
		}
	}
	out.Totals = Metrics(all)
	out.Data = len(all) > 0
	if out.Data {
		out.AsOf = strp(day(asOf))
	}
	for ut, us := range byType {
		out.ByUnitType = append(out.ByUnitType, analytics.UnitTypeMetrics{UnitType: ut, Metrics: Metrics(us)})
	}
	sort.Slice(out.ByUnitType, func(i, j int) bool { return out.ByUnitType[i].UnitType < out.ByUnitType[j].UnitType })
	for b, us := range byBeds {
		e := analytics.BedroomMetrics{Metrics: Metrics(us)}
		if b >= 0 {
			e.Bedrooms = &b
		}
		out.ByBedrooms = append(out.ByBedrooms, e)
	}
	sort.Slice(out.ByBedrooms, func(i, j int) bool {
		return bedOrder(out.ByBedrooms[i].Bedrooms) < bedOrder(out.ByBedrooms[j].Bedrooms)
	})
	sort.Slice(out.ByPropertyUnitType, func(i, j int) bool {
		a, b := out.ByPropertyUnitType[i], out.ByPropertyUnitType[j]
		return a.PropertyID < b.PropertyID || (a.PropertyID == b.PropertyID && a.UnitType < b.UnitType)
	})
	return out
}

func bedOrder(b *int64) int64 {
	if b == nil {
		return -1
	}
	return *b
}

// Trend is the oracle's trend: the summary totals at the last day of each month.
func (o *Oracle) Trend(q analytics.TrendQuery) analytics.Trend {
	out := analytics.Trend{PropertyID: strp(q.PropertyID), From: q.From, To: q.To}
	for m := q.From; m.Index() <= q.To.Index(); m = m.Add(1) {
		last := m.Add(1).Start().AddDate(0, 0, -1)
		s := o.Summary(analytics.SummaryQuery{AsOf: last, PropertyID: q.PropertyID})
		out.Months = append(out.Months, analytics.TrendMonth{Month: m, AsOf: s.AsOf, Data: s.Data, Properties: int64(len(s.Properties)), Metrics: s.Totals})
		out.Data = out.Data || s.Data
	}
	return out
}

// Expirations is the oracle's expiration schedule, counted from each roll's
// as_of date.
func (o *Oracle) Expirations(q analytics.ExpirationsQuery) analytics.Expirations {
	if q.Months == 0 {
		q.Months = analytics.DefaultExpirationMonths
	}
	rolls := o.rolls(time.Time{}, q.PropertyID)
	var asOf time.Time
	for _, r := range rolls {
		if len(r.Units) > 0 && r.AsOf.After(asOf) {
			asOf = r.AsOf
		}
	}
	if q.From.IsZero() {
		d := asOf
		if d.IsZero() { // no roll: the current month
			d = time.Now().UTC()
		}
		q.From = analytics.Month{Year: d.Year(), Month: d.Month()}
	}
	out := analytics.Expirations{PropertyID: strp(q.PropertyID), From: q.From, Months: q.Months}
	type b struct{ n, lease, market int64 }
	buckets := make([]b, q.Months)
	for _, r := range rolls {
		for _, u := range r.Units {
			if !isOccupied(u.Status) {
				continue
			}
			out.Occupied++
			switch {
			case u.Status == "occupied_notice":
				out.Notice++
				continue
			case u.Renewed:
				out.Renewed++
				continue
			case u.LeaseEnd.IsZero():
				out.NoLeaseEnd++
				continue
			case u.LeaseEnd.Before(r.AsOf):
				out.MonthToMonth++
				continue
			}
			// Month arithmetic by calendar fields, not by the service's Month type.
			idx := (u.LeaseEnd.Year()-q.From.Year)*12 + int(u.LeaseEnd.Month()) - int(q.From.Month)
			switch {
			case idx < 0:
				out.BeforeFrom++
			case idx >= q.Months:
				out.After++
			default:
				buckets[idx].n++
				if u.Lease != nil {
					buckets[idx].lease += *u.Lease
				}
				if u.Market != nil {
					buckets[idx].market += *u.Market
				}
			}
		}
	}
	for i, bk := range buckets {
		out.Expirations = append(out.Expirations, analytics.ExpirationMonth{Month: q.From.Add(i), Units: bk.n,
			LeaseRent: analytics.Money(bk.lease), MarketRent: analytics.Money(bk.market), PctOfOccupied: ratio(bk.n, out.Occupied)})
	}
	out.Data = !asOf.IsZero()
	if out.Data {
		out.AsOf = strp(day(asOf))
	}
	return out
}

// Competition is the oracle's competition positioning: per surveyed
// property, each floorplan code of its roll against the comps of its latest
// survey with the same bedrooms (and bathrooms when both are known), comp
// averages weighted by units.
func (o *Oracle) Competition(q analytics.CompetitionQuery) analytics.Competition {
	best := map[string]*Survey{}
	for _, u := range o.D.Uploads {
		s := u.Survey
		if s == nil || u.Status != "loaded" || (q.PropertyID != "" && s.Subject != q.PropertyID) ||
			(!q.AsOf.IsZero() && s.SurveyDate.After(q.AsOf)) {
			continue
		}
		if cur := best[s.Subject]; cur == nil || newer(s.SurveyDate, s.LoadedAt, s.UploadID, cur.SurveyDate, cur.LoadedAt, cur.UploadID) {
			best[s.Subject] = s
		}
	}
	out := analytics.Competition{PropertyID: strp(q.PropertyID), ByUnitType: []analytics.CompetitionUnitType{}}
	var asOf time.Time
	for _, s := range best {
		if len(s.Comps) > 0 && s.SurveyDate.After(asOf) {
			asOf = s.SurveyDate
		}
	}
	rolls := map[string]Roll{}
	for _, r := range o.rolls(q.AsOf, q.PropertyID) {
		if best[r.PropertyID] != nil {
			rolls[r.PropertyID] = r
		}
	}
	type fp struct{ beds, baths *float64 }
	eq := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	matches := func(s, c fp) bool {
		return s.beds != nil && c.beds != nil && *s.beds == *c.beds && (s.baths == nil || c.baths == nil || *s.baths == *c.baths)
	}
	compFP := func(c Comp) fp {
		g := analytics.FloorplanOfCode(c.UnitType)
		f := fp{c.Beds, c.Baths}
		if f.beds == nil {
			f.beds = g.Beds
		}
		if f.baths == nil {
			f.baths = g.Baths
		}
		return f
	}
	type compAgg struct {
		names                          map[string]bool
		w, ask, rent, psfRent, psfSqft int64
	}
	aggregate := func(cs []Comp) compAgg {
		a := compAgg{names: map[string]bool{}}
		for _, c := range cs {
			if c.CompProperty != "" {
				a.names[c.CompProperty] = true
			}
			if c.Asking == nil || c.Units == 0 {
				continue
			}
			eff := *c.Asking
			if c.Concessions != nil {
				eff -= *c.Concessions
			}
			a.w += c.Units
			a.ask += *c.Asking * c.Units
			a.rent += eff * c.Units
			if c.Sqft > 0 {
				a.psfRent += eff * c.Units
				a.psfSqft += c.Sqft * c.Units
			}
		}
		return a
	}
	prem := func(a, an, b, bn int64) *analytics.Ratio {
		if an == 0 || bn == 0 || b == 0 {
			return nil
		}
		x := new(big.Rat).Quo(big.NewRat(a, an), big.NewRat(b, bn))
		x.Sub(x, big.NewRat(1, 1))
		v := round(x, big.NewRat(1, 1), 10000)
		r := analytics.Ratio(*v)
		return &r
	}
	pids := map[string]bool{}
	for pid := range best {
		pids[pid] = true
	}
	for pid := range pids {
		s := best[pid]
		used := make([]bool, len(s.Comps))
		byCode := map[string][]Unit{}
		for _, u := range rolls[pid].Units {
			byCode[u.UnitType] = append(byCode[u.UnitType], u)
		}
		for code, units := range byCode {
			// The floorplan: stored, else the roll's majority, else the code.
			var f fp
			stored := false
			for _, st := range o.D.Floorplans {
				if st.PropertyID == pid && st.Code == code {
					f, stored = fp{st.Beds, st.Baths}, true
				}
			}
			if !stored {
				var votes []struct {
					f fp
					n int64
				}
			unit:
				for _, u := range units {
					if u.Beds == nil {
						continue
					}
					for i := range votes {
						if eq(votes[i].f.beds, u.Beds) && eq(votes[i].f.baths, u.Baths) {
							votes[i].n++
							continue unit
						}
					}
					votes = append(votes, struct {
						f fp
						n int64
					}{fp{u.Beds, u.Baths}, 1})
				}
				lessF := func(a, b *float64) bool { return a != nil && (b == nil || *a < *b) }
				for i, v := range votes {
					if i == 0 {
						f = v.f
						continue
					}
					var bn int64
					for _, w := range votes {
						if eq(w.f.beds, f.beds) && eq(w.f.baths, f.baths) {
							bn = w.n
						}
					}
					if v.n > bn || (v.n == bn && (lessF(v.f.beds, f.beds) || (eq(v.f.beds, f.beds) && lessF(v.f.baths, f.baths)))) {
						f = v.f
					}
				}
				if f.beds == nil {
					g := analytics.FloorplanOfCode(code)
					f = fp{g.Beds, g.Baths}
				}
			}
			var matched []Comp
			for i, c := range s.Comps {
				if matches(f, compFP(c)) {
					matched = append(matched, c)
					used[i] = true
				}
			}
			a := aggregate(matched)
			var n, rent, lPSF, lSqft, mN, market int64
			for _, u := range units {
				if u.Market != nil {
					mN++
					market += *u.Market
				}
				if !isOccupied(u.Status) || u.Lease == nil {
					continue
				}
				n++
				rent += *u.Lease
				if u.Sqft > 0 {
					lPSF += *u.Lease
					lSqft += u.Sqft
				}
			}
			out.ByUnitType = append(out.ByUnitType, analytics.CompetitionUnitType{PropertyID: pid, UnitType: code,
				Beds: f.beds, Baths: f.baths, Comps: int64(len(a.names)), CompUnits: a.w,
				CompAvgAskingRent: money(a.ask, a.w), CompAvgEffectiveRent: money(a.rent, a.w),
				CompAvgEffectiveRentPSF: money(a.psfRent, a.psfSqft), SubjectAvgMarketRent: money(market, mN),
				SubjectAvgLeaseRent: money(rent, n), SubjectAvgLeaseRentPSF: money(lPSF, lSqft),
				PremiumPct: prem(rent, n, a.rent, a.w), AskingPremiumPct: prem(market, mN, a.ask, a.w)})
		}
		// Unmatched comps by their unit type and resolved floorplan.
		type key struct {
			code string
			f    string
		}
		groups := map[key][]Comp{}
		fps := map[key]fp{}
		str := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return big.NewRat(int64(*p*2), 2).RatString()
		}
		for i, c := range s.Comps {
			if used[i] {
				continue
			}
			f := compFP(c)
			k := key{c.UnitType, str(f.beds) + "/" + str(f.baths)}
			groups[k] = append(groups[k], c)
			fps[k] = f
		}
		for k, cs := range groups {
			a := aggregate(cs)
			out.ByUnitType = append(out.ByUnitType, analytics.CompetitionUnitType{PropertyID: pid, UnitType: k.code,
				Beds: fps[k].beds, Baths: fps[k].baths, Comps: int64(len(a.names)), CompUnits: a.w,
				CompAvgAskingRent: money(a.ask, a.w), CompAvgEffectiveRent: money(a.rent, a.w),
				CompAvgEffectiveRentPSF: money(a.psfRent, a.psfSqft)})
		}
	}
	num := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	sort.SliceStable(out.ByUnitType, func(i, j int) bool {
		a, b := out.ByUnitType[i], out.ByUnitType[j]
		switch {
		case a.PropertyID != b.PropertyID:
			return a.PropertyID < b.PropertyID
		case num(a.Beds) != num(b.Beds):
			return num(a.Beds) < num(b.Beds)
		case num(a.Baths) != num(b.Baths):
			return num(a.Baths) < num(b.Baths)
		case a.UnitType != b.UnitType:
			return a.UnitType < b.UnitType
		}
		return a.SubjectAvgMarketRent != nil && b.SubjectAvgMarketRent == nil
	})
	out.Data = len(out.ByUnitType) > 0
	if !asOf.IsZero() {
		out.AsOf = strp(day(asOf))
	}
	return out
}

// Properties is the oracle's property list.
func (o *Oracle) Properties() []analytics.Property {
	out := []analytics.Property{}
	for _, r := range o.rolls(time.Time{}, "") {
		if len(r.Units) == 0 {
			continue
		}
		out = append(out, analytics.Property{PropertyID: r.PropertyID, PropertyName: r.PropertyName,
			AsOf: day(r.AsOf), Units: int64(len(r.Units))})
	}
	return out
}

// ClientSummary is the oracle's line of the cross-client summary at now.
func (o *Oracle) ClientSummary(c tenancy.Client, now time.Time) analytics.ClientSummary {
	cs := analytics.ClientSummary{ClientID: c.ID, Name: c.Name, Status: string(c.Status), Available: true}
	var units []Unit
	for _, r := range o.rolls(time.Time{}, "") {
		units = append(units, r.Units...)
	}
	m := Metrics(units)
	cs.Units, cs.Occupied, cs.GPR, cs.PhysicalOccupancy = m.Units, m.Occupied, m.GPR, m.PhysicalOccupancy
	var last time.Time
	this := map[string]bool{}
	for _, u := range o.D.Uploads {
		if u.Status != "loaded" {
			continue
		}
		if u.LoadedAt.After(last) {
			last = u.LoadedAt
		}
		if u.LoadedAt.Year() == now.Year() && u.LoadedAt.Month() == now.Month() {
			this[u.ID] = true
		}
	}
	if !last.IsZero() {
		cs.LastUploadAt = strp(last.UTC().Format(time.RFC3339))
	}
	cs.UploadsThisMonth = int64(len(this))
	return cs
}

// Changes is the oracle's roll-to-roll comparison of one property.
func (o *Oracle) Changes(q analytics.ChangesQuery) analytics.Changes {
	out := analytics.Changes{PropertyID: q.PropertyID, Units: []analytics.UnitChange{}}
	to := q.To
	if to.IsZero() {
		to = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	var a, b *Roll
	if rs := o.rolls(q.From, q.PropertyID); len(rs) == 1 && len(rs[0].Units) > 0 {
		a = &rs[0]
		out.FromAsOf = strp(day(a.AsOf))
	}
	if rs := o.rolls(to, q.PropertyID); len(rs) == 1 && len(rs[0].Units) > 0 {
		b = &rs[0]
		out.ToAsOf = strp(day(b.AsOf))
	}
	if a == nil || b == nil {
		return out
	}
	out.Data = true
	// The last rent a resident paid, per unit, over every loaded roll up to from.
	type seen struct {
		at, loaded time.Time
		id         string
		rent       int64
	}
	last := map[string]seen{}
	for _, up := range o.D.Uploads {
		if up.Status != "loaded" {
			continue
		}
		for _, r := range up.Rolls {
			if r.PropertyID != q.PropertyID || r.AsOf.After(q.From) {
				continue
			}
			for _, u := range r.Units {
				if u.Lease == nil || !isOccupied(u.Status) {
					continue
				}
				cur, ok := last[u.UnitID]
				if !ok || newer(r.AsOf, r.LoadedAt, r.UploadID, cur.at, cur.loaded, cur.id) {
					last[u.UnitID] = seen{r.AsOf, r.LoadedAt, r.UploadID, *u.Lease}
				}
			}
		}
	}
	before, after := map[string]Unit{}, map[string]Unit{}
	for _, u := range a.Units {
		before[u.UnitID] = u
	}
	for _, u := range b.Units {
		after[u.UnitID] = u
	}
	type trade struct{ n, priced, prior, rent int64 }
	var nl, rn trade
	list := func(id, change string, priorToo bool) {
		c := analytics.UnitChange{UnitID: id, Change: change}
		if s, ok := last[id]; ok && priorToo {
			m := analytics.Money(s.rent)
			c.PriorRent = &m
		}
		if u, ok := after[id]; ok && u.Lease != nil {
			m := analytics.Money(*u.Lease)
			c.Rent = &m
		}
		out.Units = append(out.Units, c)
	}
	price := func(t *trade, id string) {
		t.n++
		s, ok := last[id]
		if u := after[id]; ok && u.Lease != nil {
			t.priced++
			t.prior += s.rent
			t.rent += *u.Lease
		}
	}
	ids := map[string]bool{}
	for id := range before {
		ids[id] = true
	}
	for id := range after {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		x, inA := before[id]
		y, inB := after[id]
		switch {
		case !inB:
			out.UnitsRemoved++
			list(id, "removed", true)
			continue
		case !inA:
			out.UnitsAdded++
			list(id, "added", false)
			continue
		}
		occA, occB := isOccupied(x.Status), isOccupied(y.Status)
		stayed := occA && occB && x.MoveIn.Equal(y.MoveIn)
		if occA && !stayed {
			out.MoveOuts++
			list(id, "move_out", true)
		}
		if occB && !stayed {
			out.MoveIns++
			list(id, "move_in", true)
			price(&nl, id)
		}
		renewed := y.LeaseStart.After(x.LeaseStart) // a new term: a later start, or a later end when a start is missing
		if x.LeaseStart.IsZero() || y.LeaseStart.IsZero() {
			renewed = !x.LeaseEnd.IsZero() && y.LeaseEnd.After(x.LeaseEnd)
		}
		if stayed && renewed {
			list(id, "renewal", true)
			price(&rn, id)
		}
		if y.Status == "occupied_notice" && (!stayed || x.Status != "occupied_notice") {
			out.NoticesGiven++
			list(id, "notice", true)
		}
	}
	summarize := func(t trade) analytics.TradeOut {
		to := analytics.TradeOut{Count: t.n, Priced: t.priced, AvgPriorRent: money(t.prior, t.priced), AvgRent: money(t.rent, t.priced)}
		if t.priced > 0 {
			to.TradeOutPct = ratio(t.rent-t.prior, t.prior)
		}
		return to
	}
	out.NewLeases, out.Renewals = summarize(nl), summarize(rn)
	return out
}
