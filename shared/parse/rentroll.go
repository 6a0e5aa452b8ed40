package parse

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// RentRoll parses a rent roll: it finds the header under the banner rows,
// reads the units (rolling Yardi charge rows into their unit), skips section,
// applicant and summary rows, reconciles the totals the file states, and
// hands every raw row and every normalized unit to sink. Row-level problems
// are in the Report; the error is for an unreadable file, a limit breach
// (errs.Invalid, errs.TooLarge) or a sink error (returned as is).
func RentRoll(ctx context.Context, r io.ReaderAt, size int64, opts Options, sink Sink) (*Report, error) {
	p := newParser(ctx, KindRentRoll, opts, sink)
	rr := &rentRoll{parser: p, propTot: map[string]*Totals{}, future: map[uint64]bool{},
		statuses: map[string]statusResult{}, seed: maphash.MakeSeed(),
		typeBB: map[string]bedsBaths{}}
	p.data, p.end = rr.row, rr.finishFile
	return p.run(r, size)
}

// Sections of a rent roll.
const (
	secCurrent = iota // Current/Notice/Vacant Residents (or no sections at all)
	secFuture         // Future Residents/Applicants: not part of the roll
	secSummary        // Yardi "Summary Groups": only the Totals: row is read
	secSkip           // "Summary of Charges by Charge Code" and the like
)

type rentRoll struct {
	*parser
	section          int
	cur              *unitAcc // Yardi unit whose charge rows are still coming
	deferred         []Unit   // Yardi vacant units, emitted once future residents are known
	deferredKeys     []uint64
	future           map[uint64]bool // unit keys with a future resident
	fileTot          Totals
	propTot          map[string]*Totals
	sumHdr           []string // Yardi summary header text per column
	warnedNoProperty bool
	statuses         map[string]statusResult // statusOf per distinct status string
	seed             maphash.Seed
	seen             keySet // hashes of unit keys, for duplicates
	typeBB           map[string]bedsBaths
	acc              unitAcc
}

// bedsBaths memoizes bedsBathsFromType per unit type.
type bedsBaths struct {
	beds, baths       float64
	hasBeds, hasBaths bool
}

type statusResult struct {
	status, exclude string
	ok              bool
}

// status memoizes statusOf: an export has a handful of distinct statuses.
func (rr *rentRoll) status(s string) (string, string, bool) {
	if r, ok := rr.statuses[s]; ok {
		return r.status, r.exclude, r.ok
	}
	st, ex, ok := statusOf(s)
	if len(rr.statuses) < 1024 {
		rr.statuses[s] = statusResult{st, ex, ok}
	}
	return st, ex, ok
}

// unitAcc collects one unit over its rows.
type unitAcc struct {
	u           Unit
	key         uint64 // hash of property, as-of, building and unit (unitKey)
	resident    string
	name        string
	status      string
	leaseCol    int64
	hasLeaseCol bool
	rentCharges int64
	hasRent     bool
	chargeSum   int64 // signed sum of the Yardi charge amounts
	hasMarket   bool
	hasSqft     bool
	exclude     string
}

func (rr *rentRoll) row(n int, cells []string) error {
	count, firstCol, first := nonEmpty(cells)
	if count == 0 {
		return nil
	}
	if count == 1 {
		switch label := normHeader(first); {
		case label == "current/notice/vacant residents" || label == "current residents" || label == "notice residents" ||
			label == "vacant units" || label == "current/notice residents":
			return rr.setSection(secCurrent)
		case strings.HasPrefix(label, "future residents") || label == "applicants" || label == "future residents/applicants":
			return rr.setSection(secFuture)
		case label == "summary groups":
			rr.sumHdr = nil
			return rr.setSection(secSummary)
		case strings.HasPrefix(label, "summary of charges"):
			return rr.setSection(secSkip)
		}
		if m := reUnitsCount.FindStringSubmatch(first); m != nil {
			if err := rr.flush(); err != nil {
				return err
			}
			units, _, _ := ParseNumber(m[1])
			rr.reconcile(n, first, "file", Totals{Units: int64(units), HasUnits: true}, rr.fileTot)
			return nil
		}
		if firstCol == 0 && !isTotalLabel(first) {
			if name, code, ok := parsePropertyTag(first); ok {
				if err := rr.flush(); err != nil {
					return err
				}
				if err := rr.flushDeferred(); err != nil {
					return err
				}
				rr.propName, rr.propID = name, code
				rr.section = secCurrent
				return nil
			}
		}
	}
	switch rr.section {
	case secSummary:
		rr.summaryRow(n, cells, first, firstCol)
		return nil
	case secSkip:
		return nil
	}
	h := rr.hdr
	// A charge row of a Yardi block: no unit, a charge code.
	if h.has(fChargeCode) && rr.get(cells, fUnit) == "" && firstCol >= h.col[fChargeCode] && rr.get(cells, fChargeCode) != "" {
		if rr.cur == nil {
			if rr.section == secCurrent {
				rr.rep.errorf(n, h.name(fChargeCode), "orphan_charge", "a charge row with no unit above it")
			}
			return nil
		}
		code := rr.get(cells, fChargeCode)
		amt, ok := rr.money(n, cells, fAmount)
		if normHeader(code) == "total" {
			if ok && amt != rr.cur.chargeSum {
				rr.rep.errorf(n, h.name(fAmount), "block_total_mismatch", fmt.Sprintf(
					"unit %s: the charge rows add up to %s but its Total row states %s",
					rr.cur.u.UnitID, dollars(rr.cur.chargeSum), dollars(amt)))
			}
			return rr.flush()
		}
		if ok {
			rr.cur.addCharge(classifyCharge(code), amt)
		}
		return nil
	}
	if label, ok := rr.totalLabel(cells); ok {
		if err := rr.flush(); err != nil {
			return err
		}
		if rr.section == secCurrent {
			rr.totalsRow(n, label, cells)
		}
		return nil
	}
	unit := rr.get(cells, fUnit)
	if unit == "" {
		if err := rr.flush(); err != nil {
			return err
		}
		if rr.section == secCurrent && rr.valueCells(cells) >= 2 {
			rr.rep.errorf(n, h.name(fUnit), "missing_unit_id", "a row with unit data but no unit id")
		}
		return nil
	}
	if err := rr.flush(); err != nil {
		return err
	}
	a := rr.start(n, cells, unit)
	if rr.section == secFuture {
		rr.rep.exclude("future_resident")
		if _, vacant := placeholderStatus(a.resident); !vacant && (a.resident != "" || a.name != "") {
			rr.future[a.key] = true
		}
		return nil
	}
	if h.has(fChargeCode) {
		rr.cur = a // its charge rows follow
		return nil
	}
	return rr.finish(a)
}

func (rr *rentRoll) setSection(s int) error {
	if err := rr.flush(); err != nil {
		return err
	}
	rr.section = s
	return nil
}

// valueCells counts the unit-describing cells of a row that has no unit id.
func (rr *rentRoll) valueCells(cells []string) int {
	n := 0
	for _, f := range []field{fUnitType, fSqft, fResident, fName, fStatus, fMarketRent, fLeaseRent, fAmount, fLeaseStart, fLeaseEnd} {
		if rr.get(cells, f) != "" {
			n++
		}
	}
	return n
}

// start reads a unit row.
func (rr *rentRoll) start(n int, cells []string, unit string) *unitAcc {
	h := rr.hdr
	// One accumulator is reused: the previous unit was flushed before this
	// row started, and the Sink receives Units by value.
	rr.acc = unitAcc{}
	a := &rr.acc
	u := &a.u
	u.Row = n
	u.PropertyID, u.PropertyName = rr.propID, rr.propName
	if v := rr.get(cells, fPropertyID); v != "" {
		u.PropertyID = v
	}
	if v := rr.get(cells, fPropertyName); v != "" {
		if name, code, ok := parsePropertyTag(v); ok {
			u.PropertyName = name
			if u.PropertyID == "" || !h.has(fPropertyID) {
				u.PropertyID = code
			}
		} else {
			u.PropertyName = v
		}
	}
	if u.PropertyID == "" {
		u.PropertyID = rr.opts.PropertyID
	}
	u.AsOf = rr.asOf
	if h.has(fAsOf) {
		if t := rr.date(n, cells, fAsOf); !t.IsZero() {
			u.AsOf = t
			if rr.asOf.IsZero() {
				rr.asOf = t
			}
		}
	}
	u.UnitID = unit
	if b := rr.get(cells, fBuilding); b != "" {
		u.Building = b
		if !hasBuildingPrefix(unit, b) {
			u.UnitID = b + "-" + unit
		}
	} else {
		u.Building = SplitUnit(unit)
	}
	u.UnitType = rr.get(cells, fUnitType)
	if h.has(fBedsBaths) {
		v := rr.get(cells, fBedsBaths)
		beds, baths, nonres, ok, err := ParseBedsBaths(v)
		switch {
		case err != nil:
			rr.rep.errorf(n, h.name(fBedsBaths), "bad_number", fmt.Sprintf("%q is not beds/baths", v))
		case nonres:
			a.exclude = "non_residential"
		case ok:
			u.Beds, u.Baths, u.HasBeds, u.HasBaths = beds, baths, true, true
		}
	}
	if v, ok := rr.number(n, cells, fBeds); ok {
		u.Beds, u.HasBeds = v, true
	}
	if v, ok := rr.number(n, cells, fBaths); ok {
		u.Baths, u.HasBaths = v, true
	}
	if !u.HasBeds {
		bb, ok := rr.typeBB[u.UnitType]
		if !ok {
			bb.beds, bb.baths, bb.hasBeds, bb.hasBaths = bedsBathsFromType(u.UnitType)
			if len(rr.typeBB) < 1024 {
				rr.typeBB[u.UnitType] = bb
			}
		}
		u.Beds, u.Baths, u.HasBeds, u.HasBaths = bb.beds, bb.baths, bb.hasBeds, bb.hasBaths
	}
	if v, ok := rr.number(n, cells, fSqft); ok {
		u.SqFt, a.hasSqft = int64(v+0.5), true
	}
	a.resident = rr.get(cells, fResident)
	a.name = rr.get(cells, fName)
	a.status = rr.get(cells, fStatus)
	u.MarketRent, a.hasMarket = rr.money(n, cells, fMarketRent)
	a.leaseCol, a.hasLeaseCol = rr.money(n, cells, fLeaseRent)
	if code := rr.get(cells, fChargeCode); code != "" {
		if amt, ok := rr.money(n, cells, fAmount); ok {
			a.addCharge(classifyCharge(code), amt)
		}
	}
	for _, ch := range h.charges {
		if ch.col >= len(cells) {
			continue
		}
		v := cleanCell(cells[ch.col])
		amt, ok, err := ParseMoney(v)
		if err != nil {
			rr.rep.errorf(n, ch.name, "bad_money", fmt.Sprintf("%q is not an amount of money", v))
		}
		if ok {
			a.addCharge(ch.class, amt)
		}
	}
	if v, ok := rr.money(n, cells, fConcessions); ok {
		a.addCharge(chargeConcession, v)
	}
	if v, ok := rr.money(n, cells, fOtherCharges); ok {
		a.addCharge(chargeOther, v)
	}
	u.LeaseStart = rr.date(n, cells, fLeaseStart)
	u.LeaseEnd = rr.date(n, cells, fLeaseEnd)
	u.MoveIn = rr.date(n, cells, fMoveIn)
	u.MoveOut = rr.date(n, cells, fMoveOut)
	a.key = rr.unitKey(u)
	if a.exclude == "" && isNonResidential(u.UnitType, unit) {
		a.exclude = "non_residential"
	}
	return a
}

func (a *unitAcc) addCharge(class chargeClass, amt int64) {
	a.chargeSum += amt
	switch class {
	case chargeRent:
		a.rentCharges += amt
		a.hasRent = true
	case chargeConcession:
		if amt < 0 {
			amt = -amt
		}
		a.u.Concessions += amt
	default:
		a.u.OtherCharges += amt
	}
}

var nonResidentialWords = []string{"parking", "garage", "carport", "storage", "antenna", "laundry", "retail", "commercial", "cell tower", "billboard"}

func isNonResidential(unitType, unit string) bool {
	for _, w := range nonResidentialWords {
		if hasPrefixFold(unitType, w) || hasPrefixFold(unit, w) {
			return true
		}
	}
	return false
}

// hasPrefixFold is a case-insensitive strings.HasPrefix for a lower-case
// ASCII prefix, without allocating.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// flush finishes the Yardi unit whose charge rows were being collected.
func (rr *rentRoll) flush() error {
	if rr.cur == nil {
		return nil
	}
	a := rr.cur
	rr.cur = nil
	return rr.finish(a)
}

// finish validates a complete unit and emits it (or defers a Yardi vacant
// unit until the future residents are known).
func (rr *rentRoll) finish(a *unitAcc) error {
	u := &a.u
	n := u.Row
	h := rr.hdr
	if a.exclude != "" {
		rr.rep.exclude(a.exclude)
		rr.rep.warnf(n, h.name(fUnit), a.exclude, fmt.Sprintf("unit %s is not an apartment (type %q); it is left out of the roll", u.UnitID, u.UnitType))
		return nil
	}
	switch {
	case a.hasRent:
		u.LeaseRent = a.rentCharges
	case a.hasLeaseCol:
		u.LeaseRent = a.leaseCol
	}
	if a.status != "" {
		st, excl, ok := rr.status(a.status)
		switch {
		case !ok:
			rr.rep.errorf(n, h.name(fStatus), "unknown_status", fmt.Sprintf("unit %s: status %q is not one this parser knows", u.UnitID, a.status))
			return nil
		case excl != "":
			rr.rep.exclude(excl)
			return nil
		}
		u.Status = st
	} else if st, ok := placeholderStatus(a.resident); ok {
		u.Status = st
	} else if st, ok := placeholderStatus(a.name); ok {
		u.Status = st
	} else if a.resident != "" || a.name != "" {
		u.Status = StatusOccupied
		if !u.MoveOut.IsZero() {
			u.Status = StatusOccupiedNotice
		}
	} else if h.has(fStatus) {
		rr.rep.errorf(n, h.name(fStatus), "unknown_status", fmt.Sprintf("unit %s has no status", u.UnitID))
		return nil
	} else {
		u.Status = StatusVacant
	}
	if u.PropertyID == "" && !rr.warnedNoProperty {
		rr.warnedNoProperty = true
		rr.rep.errorf(n, "", "missing_property", "the file names no property (e.g. a banner \"Maple Court (mc01)\") and the upload gave no property_id")
	}
	if u.PropertyID != "" && !ValidPropertyID(u.PropertyID) {
		rr.rep.errorf(n, h.name(fPropertyID), "bad_property_id", fmt.Sprintf("property id %q must be 1-128 letters, digits, '.', '_' or '-'", u.PropertyID))
		return nil
	}
	if u.MarketRent < 0 {
		rr.rep.errorf(n, h.name(fMarketRent), "negative_rent", fmt.Sprintf("unit %s: market rent %s is negative", u.UnitID, dollars(u.MarketRent)))
	}
	if u.LeaseRent < 0 {
		col := h.name(fLeaseRent)
		if a.hasRent && h.has(fAmount) {
			col = h.name(fAmount)
		}
		rr.rep.errorf(n, col, "negative_rent", fmt.Sprintf("unit %s: lease rent %s is negative", u.UnitID, dollars(u.LeaseRent)))
	}
	if !a.hasSqft {
		rr.rep.warnf(n, h.name(fSqft), "missing_sqft", fmt.Sprintf("unit %s has no square footage", u.UnitID))
	} else if u.SqFt <= 0 {
		rr.rep.errorf(n, h.name(fSqft), "zero_sqft", fmt.Sprintf("unit %s: square footage %d is not positive", u.UnitID, u.SqFt))
	}
	if !a.hasMarket {
		rr.rep.warnf(n, h.name(fMarketRent), "missing_market_rent", fmt.Sprintf("unit %s has no market rent", u.UnitID))
	}
	if !u.LeaseStart.IsZero() && !u.LeaseEnd.IsZero() && u.LeaseEnd.Before(u.LeaseStart) {
		rr.rep.errorf(n, h.name(fLeaseEnd), "lease_dates", fmt.Sprintf("unit %s: lease end %s is before lease start %s",
			u.UnitID, u.LeaseEnd.Format(time.DateOnly), u.LeaseStart.Format(time.DateOnly)))
	}
	if rr.seen.add(a.key) {
		rr.rep.errorf(n, h.name(fUnit), "duplicate_unit", fmt.Sprintf("unit %s appears twice for property %s", u.UnitID, u.PropertyID))
		return nil
	}
	charges := u.LeaseRent + u.OtherCharges - u.Concessions
	for _, t := range []*Totals{&rr.fileTot, rr.propTotals(u.PropertyID)} {
		t.Units++
		t.MarketRent += u.MarketRent
		t.LeaseRent += u.LeaseRent
		t.Charges += charges
	}
	if rr.hdr.format == FormatYardi && u.Status == StatusVacant {
		// A vacant unit may reappear under Future Residents/Applicants with
		// its applicant: then it is vacant-leased. Wait for that section,
		// holding a bounded number of units.
		if len(rr.deferred) >= maxDeferred {
			return errs.E(errs.TooLarge, "more than %d vacant units in one property section; split the file", maxDeferred)
		}
		rr.deferred = append(rr.deferred, *u)
		rr.deferredKeys = append(rr.deferredKeys, a.key)
		return nil
	}
	return rr.emit(*u)
}

func (rr *rentRoll) propTotals(id string) *Totals {
	t := rr.propTot[id]
	if t == nil {
		t = &Totals{}
		rr.propTot[id] = t
	}
	return t
}

// maxDeferred bounds the Yardi vacant units held until their section ends.
const maxDeferred = 100_000

func (rr *rentRoll) emit(u Unit) error {
	rr.rep.Units++
	if err := rr.rep.addProperty(u.PropertyID); err != nil {
		return err
	}
	return rr.sink.Unit(u)
}

func (rr *rentRoll) flushDeferred() error {
	for i, u := range rr.deferred {
		if rr.future[rr.deferredKeys[i]] {
			u.Status = StatusVacantLeased
		}
		if err := rr.emit(u); err != nil {
			return err
		}
	}
	rr.deferred, rr.deferredKeys = rr.deferred[:0], rr.deferredKeys[:0]
	clear(rr.future)
	return nil
}

func (rr *rentRoll) finishFile() error {
	if err := rr.flush(); err != nil {
		return err
	}
	return rr.flushDeferred()
}

// totalsRow reconciles a "Total…" row with the units parsed so far: a row
// naming a property ("Total Maple Court(mc01)") against that property, any
// other against the whole file.
func (rr *rentRoll) totalsRow(n int, label string, cells []string) {
	var st Totals
	st.MarketRent, st.HasMarket = rr.moneyQuiet(cells, fMarketRent)
	if len(rr.hdr.charges) > 0 {
		for _, ch := range rr.hdr.charges {
			if ch.class != chargeRent || ch.col >= len(cells) {
				continue
			}
			if v, ok, err := ParseMoney(cleanCell(cells[ch.col])); ok && err == nil {
				st.LeaseRent += v
				st.HasLease = true
			}
		}
	} else if rr.hdr.has(fLeaseRent) {
		st.LeaseRent, st.HasLease = rr.moneyQuiet(cells, fLeaseRent)
	}
	if rr.hdr.has(fAmount) {
		st.Charges, st.HasCharges = rr.moneyQuiet(cells, fAmount)
	} else if rr.hdr.has(fTotalCharges) {
		st.Charges, st.HasCharges = rr.moneyQuiet(cells, fTotalCharges)
	}
	for _, c := range cells {
		if m := reUnitsCount.FindStringSubmatch(cleanCell(c)); m != nil {
			v, _, _ := ParseNumber(m[1])
			st.Units, st.HasUnits = int64(v), true
		}
	}
	scope, parsed := "file", rr.fileTot
	rest := strings.TrimSpace(strings.TrimLeft(label[len("total"):], ":s"))
	if _, code, ok := parsePropertyTag(rest); ok {
		scope, parsed = code, *rr.propTotals(code)
	}
	rr.reconcile(n, label, scope, st, parsed)
}

func (rr *rentRoll) moneyQuiet(cells []string, f field) (int64, bool) {
	v, ok, err := ParseMoney(rr.get(cells, f))
	return v, ok && err == nil
}

// summaryRow reads Yardi's Summary Groups block: header rows (first column
// blank) name the columns; the "Totals:" row states units and market rent.
func (rr *rentRoll) summaryRow(n int, cells []string, first string, firstCol int) {
	if firstCol > 0 {
		for len(rr.sumHdr) < len(cells) {
			rr.sumHdr = append(rr.sumHdr, "")
		}
		for i, c := range cells {
			if c = cleanCell(c); c != "" {
				rr.sumHdr[i] = strings.TrimSpace(rr.sumHdr[i] + " " + strings.ToLower(c))
			}
		}
		return
	}
	if normHeader(first) != "totals" {
		return
	}
	var st Totals
	for i, hname := range rr.sumHdr {
		if i >= len(cells) {
			break
		}
		v := cleanCell(cells[i])
		switch {
		case hname == "market rent":
			st.MarketRent, st.HasMarket, _ = ParseMoney(v)
		case hname == "# of units" || hname == "units" || hname == "unit count":
			x, ok, _ := ParseNumber(v)
			st.Units, st.HasUnits = int64(x), ok
		}
	}
	rr.reconcile(n, first, "file", st, rr.fileTot)
}

// reconcile compares stated totals with parsed ones; each mismatch is an error.
func (rr *rentRoll) reconcile(n int, label, scope string, stated, parsed Totals) {
	if !stated.HasUnits && !stated.HasMarket && !stated.HasLease && !stated.HasCharges {
		return
	}
	parsed.HasUnits, parsed.HasMarket, parsed.HasLease, parsed.HasCharges = stated.HasUnits, stated.HasMarket, stated.HasLease, stated.HasCharges
	rec := Reconciliation{Row: n, Label: label, Scope: scope, Stated: stated, Parsed: parsed, OK: true}
	check := func(has bool, what, col string, s, p int64, money bool) {
		if !has || s == p {
			return
		}
		rec.OK = false
		sv, pv := fmt.Sprint(s), fmt.Sprint(p)
		if money {
			sv, pv = dollars(s), dollars(p)
		}
		rr.rep.errorf(n, col, "total_mismatch", fmt.Sprintf("%q states %s %s but the units parsed add up to %s", label, what, sv, pv))
	}
	h := rr.hdr
	check(stated.HasUnits, "units", "", stated.Units, parsed.Units, false)
	check(stated.HasMarket, "market rent", h.name(fMarketRent), stated.MarketRent, parsed.MarketRent, true)
	check(stated.HasLease, "lease rent", h.name(fLeaseRent), stated.LeaseRent, parsed.LeaseRent, true)
	check(stated.HasCharges, "charges", h.name(fAmount), stated.Charges, parsed.Charges, true)
	rr.rep.Reconciliations = append(rr.rep.Reconciliations, rec)
}

// isTotalLabel recognises "Total", "Totals:", "TOTAL", "Total Maple Court(mc01)",
// "Total All Properties", "Grand Total".
func isTotalLabel(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return l == "total" || l == "totals" || l == "totals:" || l == "total:" || l == "grand total" ||
		strings.HasPrefix(l, "total ") || strings.HasPrefix(l, "total:")
}

// totalLabel finds a totals label in a row: Yardi writes it in the Resident
// column, after the square-footage sum, so any text cell counts, except the
// charge code of a block's own Total row.
func (rr *rentRoll) totalLabel(cells []string) (string, bool) {
	for i, c := range cells[:min(len(cells), 8)] { // labels sit in the first columns
		if i == rr.hdr.col[fChargeCode] {
			continue
		}
		if mayBeTotal(c) {
			if c = cleanCell(c); isTotalLabel(c) {
				return c, true
			}
		}
	}
	return "", false
}

// hasBuildingPrefix says whether a unit id already names its building
// ("B-101", "B/101", "B 101").
func hasBuildingPrefix(unit, building string) bool {
	if len(unit) <= len(building) || !strings.EqualFold(unit[:len(building)], building) {
		return false
	}
	switch unit[len(building)] {
	case '-', '/', ' ', '.', '_':
		return true
	}
	return false
}

// mayBeTotal is a cheap first test for isTotalLabel: the first non-space
// letter is a T or a G.
func mayBeTotal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t':
			continue
		case 't', 'T', 'g', 'G':
			return true
		}
		return false
	}
	return false
}

// unitKey identifies a unit for duplicate detection: property, as-of date,
// building and unit id (case-insensitive). Only a 64-bit hash is kept, so a
// million-unit file costs megabytes; a false duplicate needs a hash
// collision (about 1e-8 at a million units).
func (rr *rentRoll) unitKey(u *Unit) uint64 {
	var h maphash.Hash
	h.SetSeed(rr.seed)
	h.WriteString(u.PropertyID)
	h.WriteByte(0)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(u.AsOf.Unix()))
	h.Write(b[:])
	h.WriteString(u.Building)
	h.WriteByte(0)
	id := u.UnitID
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'a' && c <= 'z' {
			id = strings.ToUpper(id) // rare: unit ids are mostly digits and capitals
			break
		}
	}
	h.WriteString(id)
	return h.Sum64()
}
