package parse

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"regexp"
	"strings"
	"time"
	"unicode"

	"rentroll.ai/rentroll/shared/errs"
)

// RentRoll parses a rent roll: it finds the header under the banner rows,
// reads the units (rolling Yardi charge rows into their unit, and student
// by-bed rows into one unit), recognises section, group, total, subtotal and
// average rows by what they say, reconciles the totals the file states, and
// hands every raw row and every normalized unit to sink. Row-level problems
// are in the Report; the error is for an unreadable file, a limit breach
// (errs.Invalid, errs.TooLarge) or a sink error (returned as is).
func RentRoll(ctx context.Context, r io.ReaderAt, size int64, opts Options, sink Sink) (*Report, error) {
	p := newParser(ctx, KindRentRoll, opts, sink)
	rr := &rentRoll{parser: p, propTot: map[string]*Totals{}, propNonRes: map[string]*Totals{}, future: map[uint64]bool{},
		statuses: map[string]statusMemo{}, seed: maphash.MakeSeed(), typeBB: map[string]bedsBaths{}}
	p.data, p.end, p.onSheet = rr.row, rr.finishFile, rr.newSheet
	// A unit takes a couple of hundred bytes of an export (a OneSite row
	// about 170, a Yardi unit more with its charge rows): size the
	// duplicate set once for about that many units rather than doubling it
	// up from empty; a short estimate costs at most a doubling or two.
	rr.seen.reserve(int(min(size/256, maxReservedUnits)))
	return p.run(r, size)
}

// maxReservedUnits caps the duplicate set sized up front (16 MiB); a
// larger roll grows it as it goes.
const maxReservedUnits = 1 << 20

// Sections of a rent roll.
const (
	secCurrent = iota // Current/Notice/Vacant Residents (or no sections at all)
	secFuture         // Future Residents/Applicants: not part of the roll
	secSummary        // Yardi "Summary Groups": only the Totals: row is read
	secSkip           // "Summary of Charges by Charge Code" and the like
)

type rentRoll struct {
	*parser
	section      int
	cur          *unitAcc // Yardi unit whose charge rows are still coming
	held         *unitAcc // the last unit read, held for its bed, renewal or applicant rows (one of accs)
	hasHeld      bool
	deferred     []Unit // Yardi vacant and notice units, emitted once future residents are known
	deferredKeys []uint64
	future       map[uint64]bool // unit keys with a future resident
	fileTot      Totals
	propTot      map[string]*Totals
	lastTotID    string  // the property of lastTot
	lastTot      *Totals // propTot[lastTotID]
	groupTot     Totals  // units since the last group boundary (subtotal, building total, property group)
	nonRes       Totals  // non-residential spaces, which some exports count in their totals
	propNonRes   map[string]*Totals
	groupNonRes  Totals
	groupBldg    string   // building named by a building group row ("Building 2")
	sumHdr       []string // Yardi summary header text per column
	warnedNoProp bool
	statuses     map[string]statusMemo // statusOf per distinct status string
	seed         maphash.Seed
	seen         keySet // hashes of unit keys, for duplicates
	keyBuf       []byte // unitKey's buffer
	typeBB       map[string]bedsBaths
	// accs are the two units in hand: the one held and the one being
	// read. start fills the one not held, and take holds it by pointer, so
	// a unit is not copied row to row.
	accs [2]unitAcc
	// chargeSlab hands out the units' charge lists from shared chunks
	// (one allocation per many units instead of one per unit); colCharge
	// caches the classification of each charge column of colHdr.
	chargeSlab []Charge
	colHdr     *header
	colCharge  []colChargeInfo
	// a workbook with a rent roll on each of several sheets: the sheet of
	// each property, and the sheets already refused for naming none.
	sheetOfProp  map[string]string
	sheetRefused map[string]bool
	designations map[string]string
	// recent statuses, designations and unit types, in front of their maps
	recentStatus recent[statusMemo]
	recentDesig  recent[string]
	recentBB     recent[bedsBaths]
	validProp    string // the last property id found valid
}

// newSheet starts the rent roll of the next worksheet.
func (rr *rentRoll) newSheet() {
	rr.section, rr.groupBldg = secCurrent, ""
	rr.resetGroup()
}

// bedsBaths memoizes bedsBathsFromType per unit type.
type bedsBaths struct {
	beds, baths       float64
	hasBeds, hasBaths bool
}

type statusMemo struct {
	info statusInfo
	ok   bool
}

// designation memoizes designationOf: a file has a few designations.
func (rr *rentRoll) designation(s string) string {
	if s == "" {
		return DesignationStandard
	}
	if d, ok := rr.recentDesig.get(s); ok {
		return d
	}
	if d, ok := rr.designations[s]; ok {
		rr.recentDesig.put(s, d)
		return d
	}
	d := designationOf(s)
	rr.recentDesig.put(s, d)
	if rr.designations == nil {
		rr.designations = map[string]string{}
	}
	if len(rr.designations) < 256 {
		rr.designations[s] = d
	}
	return d
}

// status memoizes statusOf: an export has a handful of distinct statuses.
func (rr *rentRoll) status(s string) (statusInfo, bool) {
	if r, ok := rr.recentStatus.get(s); ok {
		return r.info, r.ok
	}
	if r, ok := rr.statuses[s]; ok {
		rr.recentStatus.put(s, r)
		return r.info, r.ok
	}
	info, ok := statusOf(s)
	rr.recentStatus.put(s, statusMemo{info, ok})
	if len(rr.statuses) < 1024 {
		rr.statuses[s] = statusMemo{info, ok}
	}
	return info, ok
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
	hasSqft     bool
	exclude     string
	// set by classify
	statusErr string // an unknown_status message, reported when the unit is released
	bed       bool   // a row of a by-bed roll
	bedLeased bool
}

func (rr *rentRoll) row(n int, cells []string) error {
	count, firstCol, first := nonEmpty(cells)
	if count == 0 {
		return nil
	}
	// A section label, whatever shares its row (the first header line of
	// its block, say); in Yardi's summary the same labels head rows of
	// figures, which are summary rows, not sections.
	if sec, ok := sectionOf(first); ok && (rr.section != secSummary || count == 1 || !hasNumberAfter(cells, firstCol)) {
		if err := rr.setSection(sec); err != nil {
			return err
		}
		if sec == secSummary {
			rr.sumHdr = nil
			if count > 1 { // "Summary Groups" on the first header line of its block
				rest := append([]string(nil), cells...)
				rest[firstCol] = ""
				rr.summaryRow(n, rest, "", firstCol+1)
			}
		}
		return nil
	}
	switch rr.section {
	case secSummary:
		rr.summaryRow(n, cells, first, firstCol)
		return nil
	case secSkip:
		return nil
	}
	if count == 1 {
		if handled, err := rr.groupRow(first, firstCol); handled || err != nil {
			return err
		}
	}
	h := rr.hdr
	// A charge row of a Yardi block: no unit, a charge code.
	if h.has(fChargeCode) && rr.get(cells, fUnit) == "" && rr.get(cells, fChargeCode) != "" && rr.onlyCharge(cells) {
		if rr.cur == nil {
			if rr.section == secCurrent {
				rr.rep.errorf(n, h.name(fChargeCode), "orphan_charge", fmt.Sprintf(
					"charge %q has no unit above it; expected a unit row (with a unit id in column %s) before its charge rows",
					rr.get(cells, fChargeCode), h.name(fUnit)))
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
			rr.cur.addCharge(rr.chargeOf(n, h.name(fChargeCode), code), code, amt)
		}
		return nil
	}
	if kind, label, ok := rr.totalLabel(cells); ok {
		if err := rr.flushAll(); err != nil {
			return err
		}
		if rr.section == secCurrent {
			rr.totalsRow(n, kind, label, cells)
		}
		return nil
	}
	unit := rr.get(cells, fUnit)
	if unit == "" {
		if err := rr.flush(); err != nil {
			return err
		}
		if rr.section == secCurrent && rr.valueCells(cells) >= 2 {
			rr.rep.errorf(n, h.name(fUnit), "missing_unit_id", fmt.Sprintf(
				"a row with unit data (%s) but no unit id in column %s; expected a unit number such as 101",
				rowPreview(cells), h.name(fUnit)))
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
	return rr.take(a)
}

// onlyCharge says whether a row holds nothing but a charge code and its
// amount (a charge row of a Yardi block), wherever those columns sit.
func (rr *rentRoll) onlyCharge(cells []string) bool {
	code, amt := rr.hdr.col[fChargeCode], rr.hdr.col[fAmount]
	for i, c := range cells {
		if i != code && i != amt && !isBlank(c) {
			return false
		}
	}
	return true
}

// sectionLabels are the section rows of the exports, normalized.
var sectionLabels = map[string]int{
	"current/notice/vacant residents": secCurrent, "current residents": secCurrent, "notice residents": secCurrent,
	"vacant units": secCurrent, "current/notice residents": secCurrent, "residents": secCurrent,
	"future residents/applicants": secFuture, "future residents": secFuture, "applicants": secFuture,
	"future residents / applicants": secFuture, "pending residents": secFuture,
	"summary groups": secSummary,
}

// sectionOf recognises a section label; a unit id (short, no space) is
// never one, so most data rows cost one byte scan.
func sectionOf(first string) (int, bool) {
	if len(first) < 9 || !strings.ContainsAny(first, " /") {
		return 0, false
	}
	l := normHeader(first)
	if s, ok := sectionLabels[l]; ok {
		return s, true
	}
	if strings.HasPrefix(l, "future residents") {
		return secFuture, true
	}
	if strings.HasPrefix(l, "summary of charges") {
		return secSkip, true
	}
	return 0, false
}

// hasNumberAfter says whether a cell after col reads as a number.
func hasNumberAfter(cells []string, col int) bool {
	for _, c := range cells[col+1:] {
		if isBlank(c) {
			continue
		}
		if _, ok, err := ParseMoney(c); ok && err == nil {
			return true
		}
	}
	return false
}

// Group rows: a property ("-> Birch Street Lofts - 412 Birch St",
// "Maple Court (mc01)") or a building ("Building 2") heading the units
// below it.
var reBuildingGroup = regexp.MustCompile(`(?i)^(?:building|bldg)\.?\s*#?\s*:?\s*([A-Za-z0-9][A-Za-z0-9-]*)$`)

// groupRow handles a row with one non-blank cell that is not a section or
// a total: a property or building group row, or another label. A short
// token in the unit column stays a unit (a vacant unit with nothing else).
func (rr *rentRoll) groupRow(text string, col int) (bool, error) {
	if isTotalLabel(text) || reUnitsCount.MatchString(text) {
		return false, nil
	}
	unitCol := rr.hdr.col[fUnit]
	arrow := strings.HasPrefix(text, "->") || strings.HasPrefix(text, "=>")
	if !arrow && col != 0 && col != unitCol {
		return false, nil
	}
	if m := reBuildingGroup.FindStringSubmatch(text); m != nil && !arrow {
		if err := rr.flushAll(); err != nil {
			return true, err
		}
		rr.groupBldg = m[1]
		rr.resetGroup()
		rr.rep.exclude("group_row")
		return true, nil
	}
	name, code, tagged := parsePropertyTag(strings.TrimSpace(strings.TrimLeft(text, "-=>")))
	if !tagged && !arrow {
		if col == unitCol && (len(text) <= 12 && !strings.Contains(text, " ")) {
			return false, nil // a unit id alone
		}
		if _, known := rr.knownProperty(text); !known {
			if col == unitCol && !strings.Contains(text, " ") {
				return false, nil
			}
			rr.rep.exclude("label")
			return true, nil
		}
	}
	if !tagged {
		name = strings.TrimSpace(strings.TrimLeft(text, "-=>"))
		// AppFolio writes "-> Name - street, city": the name is before " - ".
		if i := strings.Index(name, " - "); i > 0 {
			name = strings.TrimSpace(name[:i])
		}
		if id, ok := rr.knownProperty(name); ok {
			code = id
		} else if rr.propID != "" && strings.EqualFold(normName(name), normName(rr.propName)) {
			code = rr.propID
		} else {
			code = slugID(name)
		}
	}
	if err := rr.flushAll(); err != nil {
		return true, err
	}
	if err := rr.flushDeferred(); err != nil {
		return true, err
	}
	rr.propName, rr.propID = name, code
	rr.section = secCurrent
	rr.groupBldg = ""
	rr.resetGroup()
	rr.rep.exclude("group_row")
	return true, nil
}

// knownProperty finds a client property by name (case and spacing ignored).
func (rr *rentRoll) knownProperty(name string) (string, bool) {
	if len(rr.opts.Properties) == 0 {
		return "", false
	}
	k := normName(name)
	for id, n := range rr.opts.Properties {
		if normName(n) == k || strings.EqualFold(id, strings.TrimSpace(name)) {
			return id, true
		}
	}
	return "", false
}

// normName compares property names: lower case, letters and digits only.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slugID makes a property id from a name the file gives without an id:
// "Birch Street Lofts" → "birch-street-lofts".
func slugID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

func (rr *rentRoll) resetGroup() {
	rr.groupTot, rr.groupNonRes = Totals{}, Totals{}
}

func (rr *rentRoll) setSection(s int) error {
	if err := rr.flushAll(); err != nil {
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

// rowPreview quotes the first few non-blank cells of a row for a message.
func rowPreview(cells []string) string {
	var parts []string
	for _, c := range cells {
		if c = cleanCell(c); c != "" {
			parts = append(parts, fmt.Sprintf("%q", c))
			if len(parts) == 4 {
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// start reads a unit row.
func (rr *rentRoll) start(n int, cells []string, unit string) *unitAcc {
	h := rr.hdr
	// One accumulator is reused: the previous unit was flushed before this
	// row started, and the Sink receives Units by value.
	a := &rr.accs[0]
	if rr.held == a {
		a = &rr.accs[1]
	}
	*a = unitAcc{}
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
		if len(rr.multiSheet) > 1 && !rr.sheetRefused[rr.rep.sheet] {
			// Several sheets, and this one names no property: its units
			// cannot be told from another sheet's. Refuse the file rather
			// than load part of it.
			if rr.sheetRefused == nil {
				rr.sheetRefused = map[string]bool{}
			}
			rr.sheetRefused[rr.rep.sheet] = true
			rr.rep.errorf(n, "", "sheet_without_property", fmt.Sprintf(
				"the workbook has rent rolls on sheets %s and this sheet names no property (expected a banner such as \"Maple Court (mc01)\"); name each sheet's property or upload one sheet per file",
				quoteList(rr.multiSheet)))
		}
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
	b := rr.get(cells, fBuilding)
	if b == "" {
		b = rr.groupBldg
	}
	if b != "" {
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
			rr.rep.errorf(n, h.name(fBedsBaths), "bad_number", fmt.Sprintf("%q is not beds/baths; expected e.g. 2/1.00", v))
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
		bb, ok := rr.recentBB.get(u.UnitType)
		if !ok {
			if bb, ok = rr.typeBB[u.UnitType]; !ok {
				bb.beds, bb.baths, bb.hasBeds, bb.hasBaths = bedsBathsFromType(u.UnitType)
				if len(rr.typeBB) < 1024 {
					rr.typeBB[u.UnitType] = bb
				}
			}
			rr.recentBB.put(u.UnitType, bb)
		}
		u.Beds, u.Baths, u.HasBeds, u.HasBaths = bb.beds, bb.baths, bb.hasBeds, bb.hasBaths
	}
	if v, ok := rr.number(n, cells, fSqft); ok {
		u.SqFt, a.hasSqft = int64(v+0.5), true
	}
	a.resident = rr.get(cells, fResident)
	a.name = rr.get(cells, fName)
	a.status = rr.get(cells, fStatus)
	u.MarketRent, u.HasMarketRent = rr.money(n, cells, fMarketRent)
	a.leaseCol, a.hasLeaseCol = rr.money(n, cells, fLeaseRent)
	u.Balance, u.HasBalance = rr.money(n, cells, fBalance)
	u.Designation = rr.designation(rr.get(cells, fDesignation))
	// A charge-coded file knows every charge of the unit: no concession is
	// a concession of 0. A plain column left blank is unknown (NULL).
	if h.has(fChargeCode) || len(h.charges) > 0 {
		u.HasConcessions, u.HasOtherCharges = true, true
		// Sized to the charges this unit has (a OneSite row fills a few of
		// its many charge columns; Yardi's charge rows follow the unit row):
		// allocating for every column was a third of the parse time.
		n := 0
		for _, ch := range h.charges {
			if ch.col < len(cells) && !isBlank(cells[ch.col]) {
				n++
			}
		}
		if h.has(fChargeCode) {
			n += 4
		}
		if n > 0 {
			u.Charges = rr.newCharges(n)
		}
	}
	if code := rr.get(cells, fChargeCode); code != "" {
		if amt, ok := rr.money(n, cells, fAmount); ok {
			a.addCharge(rr.chargeOf(n, h.name(fChargeCode), code), code, amt)
		}
	}
	for i, ch := range h.charges {
		if ch.col >= len(cells) || isBlank(cells[ch.col]) {
			continue
		}
		v := cells[ch.col]
		amt, ok, err := ParseMoney(v)
		if err != nil {
			rr.rep.errorf(n, ch.name, "bad_money", fmt.Sprintf("%q is not an amount of money; expected e.g. 1,234.00 or (1,234.00)", cleanCell(v)))
		}
		if ok {
			a.addCharge(rr.columnCharge(n, i), ch.name, amt)
		}
	}
	if v, ok := rr.money(n, cells, fConcessions); ok {
		a.addCharge(chargeInfo{category: CategoryConcession}, h.name(fConcessions), v)
	}
	if v, ok := rr.money(n, cells, fOtherCharges); ok {
		a.addCharge(chargeInfo{category: CategoryOther}, h.name(fOtherCharges), v)
	}
	u.LeaseStart = rr.date(n, cells, fLeaseStart)
	u.LeaseEnd = rr.date(n, cells, fLeaseEnd)
	u.MoveIn = rr.date(n, cells, fMoveIn)
	u.MoveOut = rr.date(n, cells, fMoveOut)
	a.key = rr.unitKey(u)
	if h.has(fBedSpace) && rr.get(cells, fBedSpace) != "" {
		a.bed = true
	}
	if a.exclude == "" && isNonResidential(u.UnitType, unit) {
		a.exclude = "non_residential"
	}
	return a
}

// chargeSlabSize is how many charges one shared chunk holds.
const chargeSlabSize = 1024

// newCharges returns an empty charge list with room for n charges, cut
// from a shared chunk. Its capacity is capped at n, so appending past it
// (a Yardi unit's later charge rows, a bed merged in, a sink) copies the
// list rather than writing into the next unit's.
func (rr *rentRoll) newCharges(n int) []Charge {
	if n > chargeSlabSize/4 {
		return make([]Charge, 0, n)
	}
	if n > len(rr.chargeSlab) {
		rr.chargeSlab = make([]Charge, chargeSlabSize)
	}
	c := rr.chargeSlab[:0:n]
	rr.chargeSlab = rr.chargeSlab[n:]
	return c
}

// colChargeInfo is a charge column's classification, once it is known.
type colChargeInfo struct {
	info  chargeInfo
	known bool
}

// columnCharge classifies the i-th charge column of the header. The first
// call per column goes through chargeOf (which warns, naming the row,
// about a code it does not know); later rows reuse the answer instead of
// looking the code up again.
func (rr *rentRoll) columnCharge(n, i int) chargeInfo {
	h := rr.hdr
	if rr.colHdr != h {
		rr.colHdr = h
		rr.colCharge = make([]colChargeInfo, len(h.charges))
	}
	c := &rr.colCharge[i]
	if !c.known {
		name := h.charges[i].name
		c.info, c.known = rr.chargeOf(n, name, name), true
	}
	return c.info
}

func (a *unitAcc) addCharge(ci chargeInfo, code string, amt int64) {
	a.chargeSum += amt
	if len(a.u.Charges) < 64 {
		a.u.Charges = append(a.u.Charges, Charge{Code: code, Category: ci.category, Amount: amt, OneTime: ci.oneTime})
	}
	switch ci.category {
	case CategoryRent, CategorySubsidy:
		a.rentCharges += amt
		a.hasRent = true
	case CategoryConcession:
		a.u.HasConcessions = true
		if ci.oneTime {
			return // granted once, not a monthly concession
		}
		if amt < 0 {
			amt = -amt
		}
		a.u.Concessions += amt
	default:
		a.u.HasOtherCharges = true
		a.u.OtherCharges += amt
	}
}

// nonResidentialWords start the type or id of a space that is not an
// apartment: written out, or as the short codes exports use (GAR-01, STOR
// 12, PRK5). A word must end there, so "Garden 1x1" stays an apartment.
var nonResidentialWords = []string{"parking", "garage", "carport", "storage", "antenna", "laundry", "retail",
	"commercial", "cell tower", "billboard", "gar", "stor", "stg", "prk", "pkg", "park", "cp", "bike", "locker",
	"shop", "office space", "rooftop"}

func isNonResidential(unitType, unit string) bool {
	return nonResidentialWord(unitType) || nonResidentialWord(unit)
}

// nonResidentialByFirst lists nonResidentialWords by first letter (either
// case), so a unit costs one lookup and the few words of its letter.
var nonResidentialByFirst = func() (m [256][]string) {
	for _, w := range nonResidentialWords {
		m[w[0]] = append(m[w[0]], w)
		m[w[0]-'a'+'A'] = append(m[w[0]-'a'+'A'], w)
	}
	return m
}()

func nonResidentialWord(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range nonResidentialByFirst[s[0]] {
		if hasWordPrefixFold(s, w) {
			return true
		}
	}
	return false
}

// hasWordPrefixFold says whether s starts with the lower-case ASCII word
// w followed by a non-letter (or the end), without allocating.
func hasWordPrefixFold(s, w string) bool {
	if !hasPrefixFold(s, w) {
		return false
	}
	if len(s) == len(w) {
		return true
	}
	c := s[len(w)]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
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
	return rr.take(a)
}

// flushAll finishes the Yardi block and releases the held unit: at a
// section, group or total row nothing that follows belongs to them.
func (rr *rentRoll) flushAll() error {
	if err := rr.flush(); err != nil {
		return err
	}
	return rr.release()
}

// classify settles a unit's status from its status column or resident
// placeholders, or marks why the row is not part of the roll.
func (rr *rentRoll) classify(a *unitAcc) {
	u := &a.u
	switch {
	case a.hasRent:
		u.LeaseRent, u.HasLeaseRent = a.rentCharges, true
	case a.hasLeaseCol:
		u.LeaseRent, u.HasLeaseRent = a.leaseCol, true
	}
	lives := a.resident != "" || a.name != ""
	if a.status != "" {
		info, ok := rr.status(a.status)
		switch {
		case !ok:
			a.statusErr = fmt.Sprintf("unit %s: status %q is not one this parser knows; expected e.g. Occupied, Occupied-NTV, Vacant, Vacant-Leased, Model, Down (see docs/status-taxonomy.md)", u.UnitID, a.status)
			return
		case info.exclude != "":
			a.exclude = info.exclude
			return
		}
		u.Status, u.Preleased = info.status, info.preleased
		if info.designation != "" {
			u.Designation = info.designation
			u.Status = StatusAdmin
			if lives || u.HasLeaseRent {
				u.Status = StatusOccupied
			}
		}
	} else if st, ok := placeholderStatus(a.resident); ok {
		u.Status = st
	} else if st, ok := placeholderStatus(a.name); ok {
		u.Status = st
	} else if strings.EqualFold(a.resident, "employee") || strings.EqualFold(a.name, "employee") {
		u.Status, u.Designation = StatusOccupied, DesignationEmployee
	} else if lives {
		u.Status = StatusOccupied
		if !u.MoveOut.IsZero() {
			u.Status = StatusOccupiedNotice
		}
	} else if rr.hdr.has(fStatus) {
		a.statusErr = fmt.Sprintf("unit %s has no status; expected a status such as Occupied or Vacant in column %s", u.UnitID, rr.hdr.name(fStatus))
	} else {
		u.Status = StatusVacant
	}
	if u.Status == StatusVacantLeased {
		u.Preleased = true
	}
	a.bedLeased = u.Status == StatusOccupied || u.Status == StatusOccupiedNotice
}

// take receives a complete unit row (or Yardi block). Rows that add to the
// unit held from the previous row are merged into it: beds of a by-bed
// roll, a pending renewal (the held unit is renewed), an applicant (the
// held unit is pre-leased). Otherwise the held unit is released and this
// one is held in its place.
func (rr *rentRoll) take(a *unitAcc) error {
	rr.classify(a)
	if rr.hasHeld && rr.held.key == a.key && a.exclude != "non_residential" {
		h := rr.held
		switch {
		case a.exclude == "pending_renewal":
			h.u.Renewed = true
			rr.rep.exclude(a.exclude)
			return nil
		case a.exclude == "applicant":
			if h.u.Status == StatusVacant || h.u.Status == StatusOccupiedNotice {
				h.u.Preleased = true
				if h.u.Status == StatusVacant {
					h.u.Status = StatusVacantLeased
				}
			}
			rr.rep.exclude(a.exclude)
			return nil
		case a.bed && h.bed && a.statusErr == "" && h.statusErr == "":
			rr.mergeBed(h, a)
			return nil
		}
	}
	if err := rr.release(); err != nil {
		return err
	}
	rr.held, rr.hasHeld = a, true
	if a.bed {
		rr.held.u.HasBedSpaces = true
		if a.bedLeased {
			rr.held.u.BedSpaces = 1
		}
	}
	return nil
}

// bedRank orders statuses for a unit made of beds: the unit takes the
// most occupied status of its beds.
var bedRank = map[string]int{StatusOccupied: 6, StatusOccupiedNotice: 5, StatusVacantLeased: 4, StatusVacant: 3,
	StatusModel: 2, StatusAdmin: 1, StatusDown: 0}

// mergeBed adds a bed row to its unit: rents and charges add up, the unit
// is counted once and its leased beds are recorded.
func (rr *rentRoll) mergeBed(h, a *unitAcc) {
	hu, au := &h.u, &a.u
	if a.bedLeased {
		hu.BedSpaces++
	}
	if bedRank[au.Status] > bedRank[hu.Status] {
		hu.Status = au.Status
	}
	hu.Preleased = hu.Preleased || au.Preleased
	addOpt := func(dst *int64, has *bool, v int64, ok bool) {
		if ok {
			*dst += v
			*has = true
		}
	}
	addOpt(&hu.MarketRent, &hu.HasMarketRent, au.MarketRent, au.HasMarketRent)
	addOpt(&hu.LeaseRent, &hu.HasLeaseRent, au.LeaseRent, au.HasLeaseRent)
	addOpt(&hu.Concessions, &hu.HasConcessions, au.Concessions, au.HasConcessions)
	addOpt(&hu.OtherCharges, &hu.HasOtherCharges, au.OtherCharges, au.HasOtherCharges)
	addOpt(&hu.Balance, &hu.HasBalance, au.Balance, au.HasBalance)
	if !h.hasSqft && a.hasSqft {
		hu.SqFt, h.hasSqft = au.SqFt, true
	}
	for _, c := range au.Charges {
		if len(hu.Charges) < 64 {
			hu.Charges = append(hu.Charges, c)
		}
	}
	h.chargeSum += a.chargeSum
	if au.LeaseEnd.After(hu.LeaseEnd) {
		hu.LeaseStart, hu.LeaseEnd = au.LeaseStart, au.LeaseEnd
	}
	if hu.MoveOut.IsZero() || (!au.MoveOut.IsZero() && au.MoveOut.Before(hu.MoveOut)) {
		hu.MoveOut = au.MoveOut
	}
}

// release validates the held unit and emits it (or defers a Yardi vacant
// or notice unit until the future residents are known).
func (rr *rentRoll) release() error {
	if !rr.hasHeld {
		return nil
	}
	rr.hasHeld = false
	a := rr.held
	u := &a.u
	n := u.Row
	h := rr.hdr
	if a.exclude == "non_residential" {
		rr.rep.exclude(a.exclude)
		rr.addTotals(&rr.nonRes, rr.propNonResOf(u.PropertyID), &rr.groupNonRes, u)
		rr.rep.warnf(n, h.name(fUnit), a.exclude, fmt.Sprintf("%s (type %q) is not an apartment (parking, garage, storage or commercial space); it is left out of the units, analytics and billing", u.UnitID, u.UnitType))
		return nil
	}
	if a.exclude != "" {
		rr.rep.exclude(a.exclude)
		return nil
	}
	if a.statusErr != "" {
		rr.rep.errorf(n, h.name(fStatus), "unknown_status", a.statusErr)
		return nil
	}
	if u.PropertyID == "" && !rr.warnedNoProp {
		rr.warnedNoProp = true
		rr.rep.errorf(n, "", "missing_property", "the file names no property (expected a banner such as \"Maple Court (mc01)\" or a Property ID column) and the upload gave no property_id")
	}
	if u.PropertyID != "" && u.PropertyID != rr.validProp && !ValidPropertyID(u.PropertyID) {
		rr.rep.errorf(n, h.name(fPropertyID), "bad_property_id", fmt.Sprintf("property id %q must be 1-128 letters, digits, '.', '_' or '-'", u.PropertyID))
		return nil
	}
	if u.HasMarketRent && u.MarketRent < 0 {
		rr.rep.errorf(n, h.name(fMarketRent), "negative_rent", fmt.Sprintf("unit %s: market rent %s is negative; expected an amount of 0 or more", u.UnitID, dollars(u.MarketRent)))
	}
	if u.HasLeaseRent && u.LeaseRent < 0 {
		col := h.name(fLeaseRent)
		if a.hasRent && h.has(fAmount) {
			col = h.name(fAmount)
		}
		rr.rep.errorf(n, col, "negative_rent", fmt.Sprintf("unit %s: lease rent %s is negative; expected an amount of 0 or more (a credit belongs in a concession)", u.UnitID, dollars(u.LeaseRent)))
	}
	if !a.hasSqft {
		rr.rep.warnf(n, h.name(fSqft), "missing_sqft", fmt.Sprintf("unit %s has no square footage", u.UnitID))
	} else if u.SqFt <= 0 {
		rr.rep.errorf(n, h.name(fSqft), "zero_sqft", fmt.Sprintf("unit %s: square footage %d is not positive; expected the unit's area, e.g. 850", u.UnitID, u.SqFt))
	}
	if !u.HasMarketRent {
		rr.rep.warnf(n, h.name(fMarketRent), "missing_market_rent", fmt.Sprintf("unit %s has no market rent; it is left out of GPR", u.UnitID))
	}
	if !u.HasLeaseRent && (u.Status == StatusOccupied || u.Status == StatusOccupiedNotice) {
		rr.rep.warnf(n, h.name(fLeaseRent), "missing_lease_rent", fmt.Sprintf("unit %s is occupied but has no rent; its rent is unknown (not 0) and it is left out of in-place rent and loss to lease", u.UnitID))
	}
	if !u.LeaseStart.IsZero() && !u.LeaseEnd.IsZero() && u.LeaseEnd.Before(u.LeaseStart) {
		rr.rep.errorf(n, h.name(fLeaseEnd), "lease_dates", fmt.Sprintf("unit %s: lease end %s is before lease start %s; expected an end after the start",
			u.UnitID, u.LeaseEnd.Format(time.DateOnly), u.LeaseStart.Format(time.DateOnly)))
	}
	rr.validProp = u.PropertyID
	if rr.sameSheetProperty(u) {
		return nil
	}
	if rr.seen.add(a.key) {
		rr.rep.errorf(n, h.name(fUnit), "duplicate_unit", fmt.Sprintf("unit %s appears twice for property %s; expected each unit once (a student roll needs a Bed Space column)", u.UnitID, u.PropertyID))
		return nil
	}
	rr.addTotals(&rr.fileTot, rr.propTotals(u.PropertyID), &rr.groupTot, u)
	if rr.hdr.format == FormatYardi && (u.Status == StatusVacant || u.Status == StatusOccupiedNotice) {
		// The unit may reappear under Future Residents/Applicants with its
		// applicant: then it is pre-leased. Wait for that section, holding
		// a bounded number of units.
		if len(rr.deferred) >= maxDeferred {
			return errs.E(errs.TooLarge, "more than %d vacant or notice units in one property section; split the file", maxDeferred)
		}
		rr.deferred = append(rr.deferred, *u)
		rr.deferredKeys = append(rr.deferredKeys, a.key)
		return nil
	}
	return rr.emit(u)
}

func (rr *rentRoll) addTotals(file, prop, group *Totals, u *Unit) {
	charges := u.LeaseRent + u.OtherCharges - u.Concessions
	for _, t := range []*Totals{file, prop, group} {
		t.Units++
		t.MarketRent += u.MarketRent
		t.LeaseRent += u.LeaseRent
		t.Charges += charges
	}
}

func (rr *rentRoll) propTotals(id string) *Totals {
	if rr.lastTot != nil && id == rr.lastTotID {
		return rr.lastTot // most units are of the property before them
	}
	t := rr.propTot[id]
	if t == nil {
		t = &Totals{}
		rr.propTot[id] = t
	}
	rr.lastTotID, rr.lastTot = id, t
	return t
}

func (rr *rentRoll) propNonResOf(id string) *Totals {
	t := rr.propNonRes[id]
	if t == nil {
		t = &Totals{}
		rr.propNonRes[id] = t
	}
	return t
}

// maxDeferred bounds the Yardi units held until their section ends.
const maxDeferred = 100_000

func (rr *rentRoll) emit(u *Unit) error {
	rr.rep.Units++
	if err := rr.rep.addProperty(u.PropertyID); err != nil {
		return err
	}
	return rr.sink.Unit(*u)
}

func (rr *rentRoll) flushDeferred() error {
	for i := range rr.deferred {
		u := &rr.deferred[i]
		if rr.future[rr.deferredKeys[i]] {
			u.Preleased = true
			if u.Status == StatusVacant {
				u.Status = StatusVacantLeased
			}
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
	if err := rr.flushAll(); err != nil {
		return err
	}
	return rr.flushDeferred()
}

// Kinds of total row.
const (
	totalPlain    = iota // "Total", "Totals:", "24 Units": the block or file above
	totalProperty        // "Total Maple Court(mc01)"
	totalAll             // "Total All Properties", "Grand Total"
	totalGroup           // "Subtotal", "Building 1 Total", "Total Building 1"
	totalAverage         // "Average", "Avg": never a unit, never reconciled
)

// totalKind recognises the label of a total, subtotal or average row.
func totalKind(s string) (int, bool) {
	l := strings.ToLower(strings.Join(strings.Fields(s), " "))
	l = strings.TrimSuffix(l, ":")
	switch {
	case l == "average" || l == "averages" || l == "avg" || strings.HasPrefix(l, "average ") ||
		strings.HasPrefix(l, "avg ") || strings.HasPrefix(l, "avg.") || strings.HasPrefix(l, "weighted average"):
		return totalAverage, true
	case l == "grand total" || l == "grand totals" || strings.HasPrefix(l, "total all") || l == "report total" ||
		l == "portfolio total":
		return totalAll, true
	case l == "subtotal" || l == "sub total" || strings.HasPrefix(l, "subtotal ") || strings.HasPrefix(l, "sub-total"):
		return totalGroup, true
	case l == "total" || l == "totals" || l == "total:":
		return totalPlain, true
	case strings.HasPrefix(l, "total ") || strings.HasPrefix(l, "total:") || strings.HasPrefix(l, "totals "):
		rest := strings.TrimSpace(strings.TrimLeft(l[len("total"):], ":s"))
		switch {
		case strings.HasPrefix(rest, "building") || strings.HasPrefix(rest, "bldg") || strings.HasPrefix(rest, "floor") ||
			strings.HasPrefix(rest, "phase"):
			return totalGroup, true
		case rePropertyTag.MatchString(rest):
			return totalProperty, true
		}
		return totalPlain, true
	case strings.HasSuffix(l, " total") || strings.HasSuffix(l, " totals") || strings.HasSuffix(l, " subtotal"):
		// "Building 1 Total", "Maple Court Total"
		return totalGroup, true
	}
	if reUnitsCount.MatchString(l) {
		return totalPlain, true
	}
	return 0, false
}

// isTotalLabel recognises "Total", "Totals:", "TOTAL", "Total Maple Court(mc01)",
// "Total All Properties", "Grand Total", "Subtotal", "Building 1 Total".
func isTotalLabel(s string) bool {
	k, ok := totalKind(s)
	return ok && k != totalAverage
}

// totalLabel finds a total, subtotal, average or "N Units" label in any
// column of a row, except the charge code of a Yardi block's own Total
// row. A cheap byte test keeps data rows at a few comparisons per cell.
func (rr *rentRoll) totalLabel(cells []string) (int, string, bool) {
	skip := rr.hdr.col[fChargeCode]
	// The candidates among the first 64 cells are in the row's facts.
	for m := rr.rowFacts(cells).totalCols; m != 0; m &= m - 1 {
		if i := bits.TrailingZeros64(m); i != skip {
			c := cleanCell(cells[i])
			if k, ok := totalKind(c); ok {
				return k, c, true
			}
		}
	}
	for i := 64; i < len(cells); i++ {
		c := cells[i]
		if i == skip || !mayBeTotalEdge(c) || !mayBeTotal(c) {
			continue
		}
		c = cleanCell(c)
		if k, ok := totalKind(c); ok {
			return k, c, true
		}
	}
	return 0, "", false
}

// totalsRow reconciles a total row with the units parsed so far: a row
// naming a property ("Total Maple Court(mc01)") against that property,
// "Total All Properties" against the file, a subtotal or building total
// against its group, a plain "Total" or "24 Units" against its group or the
// file. Exports that count parking in their totals are accepted too.
func (rr *rentRoll) totalsRow(n, kind int, label string, cells []string) {
	if kind == totalAverage {
		rr.rep.exclude("summary_row")
		return
	}
	var st Totals
	st.MarketRent, st.HasMarket = rr.moneyQuiet(cells, fMarketRent)
	if len(rr.hdr.charges) > 0 {
		for _, ch := range rr.hdr.charges {
			if ch.col >= len(cells) {
				continue
			}
			ci := rr.chargeOf(n, ch.name, ch.name)
			if ci.category != CategoryRent && ci.category != CategorySubsidy {
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
		if !mayBeUnits(c) {
			continue
		}
		if m := reUnitsCount.FindStringSubmatch(cleanCell(c)); m != nil {
			v, _, _ := ParseNumber(m[1])
			st.Units, st.HasUnits = int64(v), true
		}
	}
	plus := func(a, b Totals) Totals {
		return Totals{Units: a.Units + b.Units, MarketRent: a.MarketRent + b.MarketRent,
			LeaseRent: a.LeaseRent + b.LeaseRent, Charges: a.Charges + b.Charges}
	}
	switch kind {
	case totalProperty:
		rest := strings.TrimSpace(strings.TrimLeft(label[len("total"):], ":sS"))
		_, code, _ := parsePropertyTag(rest)
		p := *rr.propTotals(code)
		rr.reconcile(n, label, code, st, p, plus(p, *rr.propNonResOf(code)))
	case totalAll:
		rr.reconcile(n, label, "file", st, rr.fileTot, plus(rr.fileTot, rr.nonRes))
	default:
		if !st.HasUnits && !st.HasMarket && !st.HasLease && !st.HasCharges {
			return // a label with no figures closes no group
		}
		scope := "file"
		if kind == totalGroup || rr.groupTot != rr.fileTot {
			scope = "group"
		}
		p := *rr.propTotals(rr.propID)
		rr.reconcile(n, label, scope, st, rr.groupTot, plus(rr.groupTot, rr.groupNonRes), rr.fileTot, plus(rr.fileTot, rr.nonRes),
			p, plus(p, *rr.propNonResOf(rr.propID)))
		if kind == totalGroup {
			rr.resetGroup()
		}
	}
}

func (rr *rentRoll) moneyQuiet(cells []string, f field) (int64, bool) {
	v, ok, err := ParseMoney(rr.get(cells, f))
	return v, ok && err == nil
}

// summaryRow reads Yardi's Summary Groups block: header rows (text only)
// name the columns; the "Totals:" row states units and market rent.
func (rr *rentRoll) summaryRow(n int, cells []string, _ string, _ int) {
	label, hasNumber := "", false
	for _, c := range cells {
		if isBlank(c) {
			continue
		}
		if _, ok, err := ParseMoney(c); ok && err == nil {
			hasNumber = true
		} else if label == "" {
			label = cleanCell(c)
		}
	}
	if !hasNumber {
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
	if normHeader(label) != "totals" {
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
	rr.reconcile(n, label, "file", st, rr.fileTot)
}

// reconcile compares stated totals with parsed ones: the row is OK when
// every stated figure matches one of the candidate scopes (the first is
// the one named in errors); each mismatch is an error.
func (rr *rentRoll) reconcile(n int, label, scope string, stated Totals, cands ...Totals) {
	if !stated.HasUnits && !stated.HasMarket && !stated.HasLease && !stated.HasCharges {
		return
	}
	matches := func(p Totals) bool {
		return (!stated.HasUnits || stated.Units == p.Units) && (!stated.HasMarket || stated.MarketRent == p.MarketRent) &&
			(!stated.HasLease || stated.LeaseRent == p.LeaseRent) && (!stated.HasCharges || stated.Charges == p.Charges)
	}
	parsed := cands[0]
	for i, c := range cands {
		if matches(c) {
			parsed = c
			switch {
			case i >= 4 && scope == "group":
				scope = rr.propID
			case i >= 2 && scope == "group":
				scope = "file"
			}
			break
		}
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

// totalOpen maps the first letter of each word mayBeTotal tries (either
// case) to that word's second letter: total, grand, sub, avg/average,
// weighted, report total, portfolio total.
var totalOpen = func() (t [256]byte) {
	for _, w := range []string{"to", "gr", "su", "av", "we", "re", "po"} {
		t[w[0]], t[w[0]-'a'+'A'] = w[1], w[1]
	}
	return t
}()

// totalTrim marks the bytes mayBeTotal trims off a label's ends: ASCII
// blanks, a trailing colon, and any non-ASCII byte (it may belong to a
// Unicode space, which cleanCell trims too).
var totalTrim = func() (t [256]bool) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	for _, c := range []byte(" \t\n\r\v\f:") {
		t[c] = true
	}
	return t
}()

// mayBeTotalEdge rejects most cells before mayBeTotal, by their first and
// last two bytes: a label (at least "avg") opens with the first two letters
// of one of the words mayBeTotal tries, or ends in "total(s)" or "unit(s)"
// ("Building 1 Total", "24 Units"); a cell with something to trim at either
// end is left to mayBeTotal. Unit ids, money, dates, names and statuses
// fail it.
func mayBeTotalEdge(s string) bool {
	n := len(s)
	if n < 3 {
		return false
	}
	first, last := s[0], s[n-1]
	if totalTrim[first] || totalTrim[last] {
		return true
	}
	if second := totalOpen[first]; second != 0 && s[1]|0x20 == second {
		return true
	}
	switch last | 0x20 {
	case 'l': // total
		return s[n-2]|0x20 == 'a'
	case 's': // totals, units
		c := s[n-2] | 0x20
		return c == 'l' || c == 't'
	case 't': // unit
		return s[n-2]|0x20 == 'i'
	}
	return false
}

// mayBeTotal is a cheap first test for totalKind: a label starts with one
// of its words or a digit ("24 Units"), or ends in "total(s)". It runs on
// every cell that passes mayBeTotalEdge, so it looks at two bytes before
// anything else. Blanks around the label are those cleanCell trims
// (newlines inside a quoted cell, a non-breaking space), as totalKind sees
// the cleaned cell.
func mayBeTotal(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' && mayBeUnits(t) {
		return true // "24 Units"; "1x1 Total" is tried below
	}
	// Only the words that start with the cell's first letter are tried.
	switch t[0] | 0x20 {
	case 't':
		if hasPrefixFold(t, "total") {
			return true
		}
	case 'g':
		if hasPrefixFold(t, "grand") {
			return true
		}
	case 's':
		if hasPrefixFold(t, "sub") {
			return true
		}
	case 'a':
		if hasPrefixFold(t, "avg") || hasPrefixFold(t, "average") {
			return true
		}
	case 'w':
		if hasPrefixFold(t, "weighted") {
			return true
		}
	case 'r':
		if hasPrefixFold(t, "report total") {
			return true
		}
	case 'p':
		if hasPrefixFold(t, "portfolio total") {
			return true
		}
	}
	e := strings.TrimRightFunc(t, isBlankOrColon)
	if len(e) < 5 {
		return false
	}
	if last := e[len(e)-1] | 0x20; last != 'l' && last != 's' {
		return false
	}
	return hasSuffixFold(e, "total") || hasSuffixFold(e, "totals")
}

func isBlankOrColon(r rune) bool { return r == ':' || unicode.IsSpace(r) }

// mayBeUnits is a cheap first test for "24 Units".
func mayBeUnits(s string) bool {
	e := strings.TrimRightFunc(s, isBlankOrColon)
	return len(e) >= 6 && (hasSuffixFold(e, "units") || hasSuffixFold(e, "unit"))
}

// hasSuffixFold is a case-insensitive strings.HasSuffix for a lower-case
// ASCII suffix.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && hasPrefixFold(s[len(s)-len(suffix):], suffix)
}

// unitKey identifies a unit for duplicate detection: property, as-of date,
// building and unit id (case-insensitive). Only a 64-bit hash is kept, so a
// million-unit file costs megabytes; a false duplicate needs a hash
// collision (about 1e-8 at a million units).
func (rr *rentRoll) unitKey(u *Unit) uint64 {
	// The key's bytes are laid out in one reused buffer and hashed in one
	// call, which is cheaper than feeding a maphash.Hash piece by piece.
	b := append(rr.keyBuf[:0], u.PropertyID...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(u.AsOf.Unix()))
	b = append(b, u.Building...)
	b = append(b, 0)
	id := u.UnitID
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'a' && c <= 'z' {
			id = strings.ToUpper(id) // rare: unit ids are mostly digits and capitals
			break
		}
	}
	b = append(b, id...)
	rr.keyBuf = b
	return maphash.Bytes(rr.seed, b)
}

// sameSheetProperty says whether the unit's property already came from
// another sheet of a multi-sheet workbook (reported once): such a workbook
// holds several views of one roll, not one property per sheet.
func (rr *rentRoll) sameSheetProperty(u *Unit) bool {
	if len(rr.multiSheet) <= 1 {
		return false
	}
	if rr.sheetOfProp == nil {
		rr.sheetOfProp = map[string]string{}
	}
	sheet := rr.rep.sheet
	prev, ok := rr.sheetOfProp[u.PropertyID]
	switch {
	case !ok:
		rr.sheetOfProp[u.PropertyID] = sheet
		return false
	case prev == sheet:
		return false
	case prev != "\x00":
		rr.sheetOfProp[u.PropertyID] = "\x00" // reported once
		rr.rep.errorf(u.Row, "", "duplicate_sheet", fmt.Sprintf(
			"sheets %q and %q both hold property %s (several views of one roll?); the workbook must have one property per sheet, or upload the one sheet to load", prev, sheet, u.PropertyID))
	}
	return true
}

// quoteList writes names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
