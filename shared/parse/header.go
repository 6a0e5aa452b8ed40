package parse

import (
	"regexp"
	"slices"
	"strings"
)

// field is a canonical column a header cell can name.
type field int

const (
	fNone  field = iota
	fKnown       // a recognised column the parser does not use (phone, balance…)
	fUnit
	fBuilding
	fUnitType
	fBedsBaths
	fBeds
	fBaths
	fSqft
	fResident
	fName
	fStatus
	fMarketRent
	fLeaseRent
	fChargeCode
	fAmount
	fConcessions
	fOtherCharges
	fTotalCharges
	fMoveIn
	fMoveOut
	fLeaseStart
	fLeaseEnd
	fPropertyID
	fPropertyName
	fAsOf
	fCharge // a column per charge code (OneSite, Entrata)
	fDesignation
	fBalance
	fBedSpace
	// competition survey
	fCompProperty
	fSubject
	fSurveyDate
	fUnits
	fAsking
	fConcMonthly
	fConcOneTime
	fConcType
	fEffective
	fOccupancy
	numFields
)

// fieldNames name the fields in issues, as a person would read the header.
var fieldNames = [numFields]string{
	fUnit: "Unit", fBuilding: "Building", fUnitType: "Unit Type", fBedsBaths: "BD/BA", fBeds: "Beds",
	fBaths: "Baths", fSqft: "Sq Ft", fResident: "Resident", fName: "Name", fStatus: "Status",
	fMarketRent: "Market Rent", fLeaseRent: "Lease Rent", fChargeCode: "Charge Code", fAmount: "Amount",
	fConcessions: "Concessions", fOtherCharges: "Other Charges", fTotalCharges: "Total Charges",
	fMoveIn: "Move In", fMoveOut: "Move Out", fLeaseStart: "Lease Start", fLeaseEnd: "Lease End",
	fPropertyID: "Property ID", fPropertyName: "Property Name", fAsOf: "As Of",
	fCompProperty: "Property", fSubject: "Subject Property", fSurveyDate: "Survey Date", fUnits: "Units",
	fAsking: "Asking Rent", fConcMonthly: "Concessions", fConcOneTime: "Concessions", fConcType: "Concession Type",
	fEffective: "Effective Rent", fOccupancy: "Occupancy", fDesignation: "Unit Designation", fBalance: "Balance",
	fBedSpace: "Bed Space",
}

// system bits say which exports use an alias; an alias with no bit is generic
// and gives no evidence about the system.
type system uint8

const (
	sysYardi system = 1 << iota
	sysOneSite
	sysAppFolio
	sysEntrata
	sysResMan
	sysMRI
)

// systemOrder lists the systems in tie-break order with their Format names.
var systemOrder = []struct {
	bit    system
	format string
}{
	{sysYardi, FormatYardi}, {sysOneSite, FormatOneSite}, {sysAppFolio, FormatAppFolio},
	{sysEntrata, FormatEntrata}, {sysMRI, FormatMRI}, {sysResMan, FormatResMan},
}

type alias struct {
	f   field
	sys system
}

// rentRollAliases maps a normalized header cell to its field. Immutable.
var rentRollAliases = map[string]alias{
	// Yardi Voyager (two header rows read together)
	"unit sq ft": {fSqft, sysYardi}, "resident": {fResident, sysYardi}, "charge code": {fChargeCode, sysYardi},
	"amount": {fAmount, sysYardi}, "resident deposit": {fKnown, sysYardi}, "other deposit": {fKnown, sysYardi},
	"lease expiration": {fLeaseEnd, sysYardi}, "actual rent": {fLeaseRent, sysYardi}, "market": {fMarketRent, 0},
	// RealPage OneSite
	"floor plan": {fUnitType, sysOneSite}, "unit designation": {fDesignation, sysOneSite},
	"unit/lease status": {fStatus, sysOneSite}, "notice for date": {fKnown, sysOneSite},
	"market + addl": {fMarketRent, sysOneSite}, "dep on hand": {fKnown, sysOneSite},
	"total charges": {fTotalCharges, sysOneSite}, "resh id": {fKnown, sysOneSite}, "lease id": {fKnown, sysOneSite},
	"sub journal": {fKnown, sysOneSite}, "phone number": {fKnown, 0}, "email": {fKnown, 0},
	// AppFolio
	"bd/ba": {fBedsBaths, sysAppFolio}, "tenant": {fName, sysAppFolio}, "past due": {fBalance, sysAppFolio},
	"late count": {fKnown, sysAppFolio}, "deposit": {fKnown, sysAppFolio}, "rent": {fLeaseRent, sysAppFolio},
	"tenant tags": {fKnown, sysAppFolio}, "additional tenants": {fKnown, sysAppFolio},
	// Entrata
	"bldg-unit": {fUnit, sysEntrata}, "unit status": {fStatus, sysEntrata}, "deposit held": {fKnown, sysEntrata},
	"base rent": {fCharge, sysEntrata}, "pet rent": {fCharge, sysEntrata}, "covered parking": {fCharge, sysEntrata},
	"garage parking": {fCharge, sysEntrata}, "lot parking": {fCharge, sysEntrata},
	"new lease monthly concession": {fCharge, sysEntrata}, "new lease one-time concession": {fCharge, sysEntrata},
	"renewal monthly concession": {fCharge, sysEntrata}, "renewal one-time concession": {fCharge, sysEntrata},
	"model/office": {fCharge, sysEntrata}, "total billed": {fTotalCharges, sysEntrata},
	// MRI and ResMan
	"unit code": {fUnit, sysMRI | sysResMan}, "tenant name": {fName, sysMRI | sysResMan},
	"lease from": {fLeaseStart, sysMRI | sysResMan | sysAppFolio}, "lease to": {fLeaseEnd, sysMRI | sysResMan | sysAppFolio},
	"bldg id": {fBuilding, sysMRI}, "current rent": {fLeaseRent, sysMRI}, "occupancy status": {fStatus, sysMRI},
	"lease type": {fKnown, sysMRI}, "resident name": {fName, sysResMan}, "lease rent": {fLeaseRent, sysResMan | sysOneSite},
	"unit number": {fUnit, sysResMan}, "charges": {fKnown, sysResMan},
	// generic
	"unit": {fUnit, 0}, "unit id": {fUnit, 0}, "unit #": {fUnit, 0}, "unit no": {fUnit, 0}, "apt": {fUnit, 0},
	"apartment": {fUnit, 0}, "apt #": {fUnit, 0}, "bldg/unit": {fUnit, sysOneSite}, "building": {fBuilding, 0},
	"bldg": {fBuilding, 0}, "unit type": {fUnitType, 0}, "type": {fUnitType, 0}, "floorplan": {fUnitType, 0},
	"plan": {fUnitType, 0}, "beds": {fBeds, 0}, "bedrooms": {fBeds, 0}, "bed": {fBeds, 0}, "br": {fBeds, 0},
	"baths": {fBaths, 0}, "bathrooms": {fBaths, 0}, "bath": {fBaths, 0}, "ba": {fBaths, 0},
	"sq ft": {fSqft, 0}, "sqft": {fSqft, 0}, "square feet": {fSqft, 0}, "sf": {fSqft, 0}, "square footage": {fSqft, 0},
	"status": {fStatus, 0}, "name": {fName, 0}, "resident name(s)": {fName, 0}, "lessee": {fName, 0},
	"market rent": {fMarketRent, 0}, "contract rent": {fLeaseRent, 0}, "in-place rent": {fLeaseRent, 0},
	"concessions": {fConcessions, 0}, "concession": {fConcessions, 0}, "other charges": {fOtherCharges, 0},
	"lease start": {fLeaseStart, 0}, "lease start date": {fLeaseStart, 0}, "lease begin": {fLeaseStart, 0},
	"lease end": {fLeaseEnd, 0}, "lease end date": {fLeaseEnd, 0}, "lease expiration date": {fLeaseEnd, 0},
	"lease exp": {fLeaseEnd, 0}, "move in": {fMoveIn, 0}, "move-in": {fMoveIn, 0}, "move in date": {fMoveIn, 0},
	"move out": {fMoveOut, 0}, "move-out": {fMoveOut, 0}, "move out date": {fMoveOut, 0},
	"property": {fPropertyName, 0}, "property id": {fPropertyID, 0}, "property code": {fPropertyID, 0},
	"prop code": {fPropertyID, 0}, "property name": {fPropertyName, 0}, "as of": {fAsOf, 0}, "as of date": {fAsOf, 0},
	"balance": {fBalance, 0}, "notes": {fKnown, 0}, "designation": {fDesignation, 0}, "balance due": {fBalance, 0},
	"current balance": {fBalance, 0}, "resident balance": {fBalance, 0}, "bed space": {fBedSpace, 0},
	"bed id": {fBedSpace, 0}, "bed #": {fBedSpace, 0}, "space": {fBedSpace, 0}, "bed label": {fBedSpace, 0},
	"space id": {fBedSpace, 0}, "subsidy": {fCharge, 0}, "hap": {fCharge, 0}, "subsidy rent": {fCharge, 0},
	"resident rent": {fCharge, 0},
	// Entrata and ResMan extras
	"unit space": {fBedSpace, sysEntrata}, "lease status": {fStatus, sysEntrata},
	"move-in date": {fMoveIn, 0}, "move-out date": {fMoveOut, 0}, "lease start/end": {fKnown, 0},
	"unit sqft": {fSqft, 0}, "amenity rent": {fCharge, sysResMan},
}

// competitionAliases maps a normalized survey header cell to its field.
var competitionAliases = map[string]alias{
	"property": {fCompProperty, 0}, "property name": {fCompProperty, 0}, "comp": {fCompProperty, 0},
	"comp property": {fCompProperty, 0}, "competitor": {fCompProperty, 0}, "community": {fCompProperty, 0},
	"comparable": {fCompProperty, 0}, "subject": {fSubject, 0}, "subject property": {fSubject, 0},
	"subject property id": {fSubject, 0}, "subject id": {fSubject, 0}, "survey date": {fSurveyDate, 0},
	"date": {fSurveyDate, 0}, "as of": {fSurveyDate, 0}, "as of date": {fSurveyDate, 0},
	"unit type": {fUnitType, 0}, "floor plan": {fUnitType, 0}, "floorplan": {fUnitType, 0}, "plan": {fUnitType, 0},
	"type": {fUnitType, 0}, "bd/ba": {fBedsBaths, 0}, "beds": {fBeds, 0}, "bedrooms": {fBeds, 0}, "bed": {fBeds, 0},
	"baths": {fBaths, 0}, "bathrooms": {fBaths, 0}, "bath": {fBaths, 0}, "sq ft": {fSqft, 0}, "sqft": {fSqft, 0},
	"avg sq ft": {fSqft, 0}, "square feet": {fSqft, 0}, "sf": {fSqft, 0}, "units": {fUnits, 0}, "# units": {fUnits, 0},
	"unit count": {fUnits, 0}, "# of units": {fUnits, 0}, "asking rent": {fAsking, 0}, "market rent": {fAsking, 0},
	"rent": {fAsking, 0}, "asking": {fAsking, 0}, "avg asking rent": {fAsking, 0}, "list rent": {fAsking, 0},
	"concessions": {fConcMonthly, 0}, "concession": {fConcMonthly, 0}, "monthly concession": {fConcMonthly, 0},
	"concessions monthly": {fConcMonthly, 0}, "concession (monthly)": {fConcMonthly, 0},
	"one-time concession": {fConcOneTime, 0}, "concession (one-time)": {fConcOneTime, 0},
	"concessions (one-time)": {fConcOneTime, 0}, "upfront concession": {fConcOneTime, 0},
	"concession type": {fConcType, 0}, "effective rent": {fEffective, 0}, "net effective rent": {fEffective, 0},
	"effective": {fEffective, 0}, "occupancy": {fOccupancy, 0}, "occupancy %": {fOccupancy, 0},
	"occ %": {fOccupancy, 0}, "occupied %": {fOccupancy, 0}, "address": {fKnown, 0}, "city": {fKnown, 0},
	"year built": {fKnown, 0}, "notes": {fKnown, 0}, "fees": {fKnown, 0}, "distance": {fKnown, 0},
	"distance (mi)": {fKnown, 0}, "phone": {fKnown, 0},
}

// normHeader puts a header cell in the alias tables' form: lower case, any
// whitespace (newlines, padding) collapsed, dots and trailing colons dropped.
func normHeader(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.ReplaceAll(s, ".", "")
	return strings.TrimSpace(strings.TrimRight(s, ":"))
}

// charge is a column that holds one charge code's amount; name is the code
// as the header writes it, classified per file (client overrides apply).
type charge struct {
	col  int
	name string
}

// header is a recognised header: which column holds each field.
type header struct {
	col     [numFields]int // -1 when absent
	names   []string       // the header cells as written, for issues
	charges []charge
	format  string
	score   int
	rows    int // 1 or 2
}

func (h *header) has(f field) bool { return h.col[f] >= 0 }

// name returns the header cell of a field as the file wrote it.
func (h *header) name(f field) string {
	if c := h.col[f]; c >= 0 && c < len(h.names) && h.names[c] != "" {
		return h.names[c]
	}
	return fieldNames[f]
}

// matchHeader maps the cells of a candidate header row. The score is the
// number of distinct fields recognised; a header needs its key field.
func matchHeader(cells []string, aliases map[string]alias, kind Kind) *header {
	h := &header{names: make([]string, len(cells)), rows: 1}
	for i := range h.col {
		h.col[i] = -1
	}
	var votes [8]int
	afterTotal := false
	for i, c := range cells {
		h.names[i] = strings.Join(strings.Fields(c), " ")
		n := normHeader(c)
		if n == "" {
			continue
		}
		a, ok := aliases[n]
		if kind == KindRentRoll && afterTotal && (!ok || a.f == fCharge || (a.f == fLeaseRent && n == "rent")) {
			// OneSite: every column after Total Charges is one charge code.
			h.charges = append(h.charges, charge{col: i, name: h.names[i]})
			h.score++
			continue
		}
		if !ok {
			continue
		}
		for b := 0; b < 8; b++ {
			if a.sys&(1<<b) != 0 {
				votes[b]++
			}
		}
		switch {
		case a.f == fCharge:
			h.charges = append(h.charges, charge{col: i, name: h.names[i]})
			h.score++
		case a.f == fKnown:
			h.score++
		case h.col[a.f] < 0:
			h.col[a.f] = i
			h.score++
			if n == "total charges" {
				afterTotal = true // OneSite lists its charge codes after this column
			}
		}
	}
	h.format = FormatGeneric
	best := 1 // one shared alias is no evidence: a system needs two
	for _, s := range systemOrder {
		for b := 0; b < 8; b++ {
			if s.bit == 1<<b && votes[b] > best {
				best, h.format = votes[b], s.format
			}
		}
	}
	if kind == KindRentRoll && h.format == FormatOneSite && h.has(fTotalCharges) {
		h.oneSiteCharges(cells, aliases)
	}
	return h
}

// oneSiteCharges makes every header cell of a OneSite detail that names no
// field a charge-code column, wherever it sits: the codes are the client's
// own, and an export with its columns in another order still lists them.
// A bare "RENT" column is the RENT charge there, not a lease-rent column.
func (h *header) oneSiteCharges(cells []string, aliases map[string]alias) {
	isCharge := make(map[int]bool, len(h.charges))
	for _, c := range h.charges {
		isCharge[c.col] = true
	}
	if c := h.col[fLeaseRent]; c >= 0 && normHeader(cells[c]) == "rent" {
		h.col[fLeaseRent] = -1
		h.charges = append(h.charges, charge{col: c, name: h.names[c]})
		isCharge[c] = true
	}
	for i, c := range cells {
		n := normHeader(c)
		if n == "" || isCharge[i] {
			continue
		}
		if _, ok := aliases[n]; ok {
			continue
		}
		h.charges = append(h.charges, charge{col: i, name: h.names[i]})
		h.score++
	}
	slices.SortFunc(h.charges, func(a, b charge) int { return a.col - b.col })
}

// usable says whether a matched row is a header of the kind.
func (h *header) usable(kind Kind) bool {
	if kind == KindCompetition {
		return (h.has(fCompProperty) || h.has(fUnitType)) && (h.has(fAsking) || h.has(fEffective)) && h.score >= 3
	}
	return h.has(fUnit) && h.score >= 3
}

// combineHeaderRows reads two header rows as one (Yardi writes "Unit" over
// "Sq Ft", "Market" over "Rent").
func combineHeaderRows(top, bottom []string) []string {
	n := max(len(top), len(bottom))
	out := make([]string, n)
	for i := range n {
		var a, b string
		if i < len(top) {
			a = strings.TrimSpace(top[i])
		}
		if i < len(bottom) {
			b = strings.TrimSpace(bottom[i])
		}
		out[i] = strings.TrimSpace(a + " " + b)
	}
	return out
}

// looksLikeHeaderContinuation says whether a row can be the second line of a
// header: some text, and no cell that reads as a number or a date.
func looksLikeHeaderContinuation(cells []string) bool {
	any := false
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		any = true
		if _, ok, err := ParseMoney(c); ok && err == nil {
			return false
		}
		if _, ok, err := ParseDate(c, false); ok && err == nil {
			return false
		}
	}
	return any
}

// Banner patterns.
var (
	reAsOf        = regexp.MustCompile(`(?i)\b(?:as\s+of|survey\s+date|report\s+date)(?:\s+date)?\s*[:=]?\s*(.+)$`)
	rePropertyTag = regexp.MustCompile(`^(.*?)\s*\(([A-Za-z0-9][A-Za-z0-9_.\-]{0,23})\)\s*$`)
	reUnitsCount  = regexp.MustCompile(`(?i)^(\d[\d,]*)\s+units?$`)
)

// parseAsOfBanner finds an as-of date in a banner ("As Of = 03/31/2026",
// "As of Date: 3/7/2016").
func parseAsOfBanner(text string, date1904 bool) (y, m, d int, ok bool) {
	mm := reAsOf.FindStringSubmatch(text)
	if mm == nil {
		return 0, 0, 0, false
	}
	v := strings.TrimSpace(mm[1])
	t, ok, err := ParseDate(v, date1904)
	if !ok || err != nil {
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0, 0, 0, false
		}
		if t, ok, err = ParseDate(f[0], date1904); !ok || err != nil {
			return 0, 0, 0, false
		}
	}
	return t.Year(), int(t.Month()), t.Day(), true
}

// parsePropertyTag reads "Maple Court (mc01)", "Property: Maple Court (mc01)"
// or "Total Maple Court(mc01)" (with prefix "total").
func parsePropertyTag(text string) (name, code string, ok bool) {
	text = strings.TrimSpace(text)
	if i := strings.IndexByte(text, ':'); i > 0 && strings.EqualFold(strings.TrimSpace(text[:i]), "property") {
		text = strings.TrimSpace(text[i+1:])
	}
	m := rePropertyTag.FindStringSubmatch(text)
	if m == nil {
		return "", "", false
	}
	return strings.TrimSpace(m[1]), m[2], true
}
