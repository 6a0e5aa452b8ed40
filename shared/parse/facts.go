package parse

import "time"

// rowFacts is what a row says that needs the header and nothing else of
// the parse: its dates, amounts and quantities read, and the cells that may
// be total labels. The prefetcher works them out on its own goroutine, a
// batch ahead of the parser, once the header is known; the parser then only
// applies them. Both use readFacts, so a row reads the same either way.
type rowFacts struct {
	hdr   *header // the header they were read with; nil for none
	dates [len(factDates)]dateFact
	money [len(factMoney)]moneyFact
	nums  [len(factNums)]numFact
	// totalCols has bit i set when cell i (i < 64) passes mayBeTotalEdge
	// and mayBeTotal; cells past 64 were not looked at.
	totalCols uint64
}

type dateFact struct {
	t   time.Time
	bad bool
}

type moneyFact struct {
	v       int64
	ok, bad bool
}

type numFact struct {
	v       float64
	ok, bad bool
}

// The fields read ahead, and each one's place in rowFacts (-1 for a field
// not read ahead).
var (
	factDates = [...]field{fLeaseStart, fLeaseEnd, fMoveIn, fMoveOut}
	factMoney = [...]field{fMarketRent, fLeaseRent, fBalance, fConcessions, fOtherCharges}
	factNums  = [...]field{fSqft, fBeds, fBaths}
	dateSlot  = slots(factDates[:])
	moneySlot = slots(factMoney[:])
	numSlot   = slots(factNums[:])
)

func slots(fs []field) (s [numFields]int8) {
	for i := range s {
		s[i] = -1
	}
	for k, f := range fs {
		s[f] = int8(k)
	}
	return s
}

// rawCell is parser.raw for a given header.
func rawCell(h *header, cells []string, f field) string {
	c := h.col[f]
	if c < 0 || c >= len(cells) {
		return ""
	}
	return cells[c]
}

// readFacts reads a row's facts under header h.
func readFacts(h *header, cells []string, date1904 bool, fa *rowFacts) {
	fa.hdr = h
	for k, f := range factDates {
		t, _, err := ParseDate(rawCell(h, cells, f), date1904)
		fa.dates[k] = dateFact{t: t, bad: err != nil}
	}
	for k, f := range factMoney {
		v, ok, err := ParseMoney(rawCell(h, cells, f))
		fa.money[k] = moneyFact{v: v, ok: ok, bad: err != nil}
	}
	for k, f := range factNums {
		v, ok, err := ParseNumber(rawCell(h, cells, f))
		fa.nums[k] = numFact{v: v, ok: ok, bad: err != nil}
	}
	fa.totalCols = 0
	for i, c := range cells[:min(len(cells), 64)] {
		if mayBeTotalEdge(c) && mayBeTotal(c) {
			fa.totalCols |= 1 << i
		}
	}
}
