package analytics

import (
	"context"
	"sort"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// changeOrder is the order of a unit's changes in the list.
var changeOrder = map[string]int{"removed": 0, "added": 1, "move_out": 2, "move_in": 3, "renewal": 4, "notice": 5}

// changeUnit is one unit of one roll, as the comparison needs it.
type changeUnit struct {
	status     string
	rent       *int64
	moveIn     time.Time
	leaseStart time.Time
	leaseEnd   time.Time
}

// newTerm reports whether y, the same resident's later row, is on a new
// lease term: a later lease start, or — when either roll has no lease start
// (Yardi's rent roll shows only the expiration) — a later lease end.
func newTerm(x, y changeUnit) bool {
	if !x.leaseStart.IsZero() && !y.leaseStart.IsZero() {
		return y.leaseStart.After(x.leaseStart)
	}
	return !x.leaseEnd.IsZero() && y.leaseEnd.After(x.leaseEnd)
}

func (u changeUnit) occupied() bool { return u.status == "occupied" || u.status == "occupied_notice" }

// Changes compares the rolls of one property in force at q.From and q.To
// (docs/metrics.md "Roll-to-roll changes"): units added and removed,
// move-ins and move-outs (a changed move-in date is a new resident), notices
// given, and the trade-out of new leases and renewals against the last rent
// a resident paid for the unit.
func (s *Service) Changes(ctx context.Context, clientID string, q ChangesQuery) (Changes, error) {
	ds, err := dataset(clientID)
	if err != nil {
		return Changes{}, err
	}
	if q.PropertyID == "" {
		return Changes{}, errs.E(errs.Invalid, "property_id is required")
	}
	if q.From.IsZero() {
		return Changes{}, errs.E(errs.Invalid, "from date is required")
	}
	to := q.To
	if to.IsZero() {
		to = latestDate
	}
	if to.Before(q.From) {
		return Changes{}, errs.E(errs.Invalid, "from must not be after to")
	}
	params := map[string]any{
		"from": dateString(q.From), "from_month": dateString(MonthOf(q.From).Start()),
		"to": dateString(to), "to_month": dateString(MonthOf(to).Start()),
	}
	if _, err := propParam(params, q.PropertyID); err != nil {
		return Changes{}, err
	}
	rows, err := s.query(ctx, "changes", statement(changesSQL, ds, "", "", false), params)
	if err != nil {
		return Changes{}, err
	}
	var rd resultReader
	a, b := map[string]changeUnit{}, map[string]changeUnit{}
	prior := map[string]int64{}
	var aDate, bDate time.Time
	for _, r := range rows {
		id := rd.str(r, "unit_id")
		side := rd.str(r, "side")
		if side == "h" {
			prior[id] = rd.cents(r, "lease_rent")
			continue
		}
		u := changeUnit{status: rd.str(r, "status"), moveIn: rd.date(r, "move_in"), leaseStart: rd.date(r, "lease_start"),
			leaseEnd: rd.date(r, "lease_end")}
		if r["lease_rent"] != nil {
			v := rd.cents(r, "lease_rent")
			u.rent = &v
		}
		if side == "a" {
			a[id], aDate = u, rd.date(r, "as_of_date")
		} else {
			b[id], bDate = u, rd.date(r, "as_of_date")
		}
	}
	if rd.err != nil {
		return Changes{}, rd.err
	}
	out := Changes{PropertyID: q.PropertyID, Units: []UnitChange{}}
	if !aDate.IsZero() {
		out.FromAsOf = optString(dateString(aDate))
	}
	if !bDate.IsZero() {
		out.ToAsOf = optString(dateString(bDate))
	}
	out.Data = len(a) > 0 && len(b) > 0
	if !out.Data {
		return out, nil
	}
	var newSums, renewSums tradeSums
	add := func(id, change string, withPrior bool) {
		c := UnitChange{UnitID: id, Change: change}
		if p, ok := prior[id]; ok && withPrior {
			m := Money(p)
			c.PriorRent = &m
		}
		if u, ok := b[id]; ok && u.rent != nil {
			m := Money(*u.rent)
			c.Rent = &m
		}
		out.Units = append(out.Units, c)
	}
	for id, x := range a {
		y, ok := b[id]
		if !ok {
			out.UnitsRemoved++
			add(id, "removed", true)
			continue
		}
		sameResident := x.occupied() && y.occupied() && x.moveIn.Equal(y.moveIn)
		if x.occupied() && !sameResident {
			out.MoveOuts++
			add(id, "move_out", true)
		}
		if y.occupied() && !sameResident {
			out.MoveIns++
			add(id, "move_in", true)
			newSums.add(prior, id, y.rent)
		}
		if sameResident && newTerm(x, y) {
			add(id, "renewal", true)
			renewSums.add(prior, id, y.rent)
		}
		if y.status == "occupied_notice" && !(sameResident && x.status == "occupied_notice") {
			out.NoticesGiven++
			add(id, "notice", true)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out.UnitsAdded++
			add(id, "added", false)
		}
	}
	out.NewLeases, out.Renewals = newSums.tradeOut(), renewSums.tradeOut()
	sort.Slice(out.Units, func(i, j int) bool {
		x, y := out.Units[i], out.Units[j]
		if x.UnitID != y.UnitID {
			return x.UnitID < y.UnitID
		}
		return changeOrder[x.Change] < changeOrder[y.Change]
	})
	return out, nil
}

// tradeSums accumulates one trade-out figure exactly.
type tradeSums struct{ count, priced, prior, rent int64 }

func (t *tradeSums) add(prior map[string]int64, id string, rent *int64) {
	t.count++
	p, ok := prior[id]
	if !ok || rent == nil {
		return
	}
	t.priced++
	t.prior += p
	t.rent += *rent
}

func (t tradeSums) tradeOut() TradeOut {
	out := TradeOut{Count: t.count, Priced: t.priced, AvgPriorRent: moneyOf(t.prior, t.priced), AvgRent: moneyOf(t.rent, t.priced)}
	if t.priced > 0 {
		out.TradeOutPct = ratioOf(t.rent-t.prior, t.prior)
	}
	return out
}
