package parse

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestTotalPrefilterKeepsEveryLabel checks that the cheap tests in front
// of totalKind (mayBeTotalEdge, then mayBeTotal) never drop a cell totalKind
// reads as a total, subtotal, average or "N Units" label: they may only
// save work. Labels are tried with the blanks exports put around them
// (a quoted cell's newlines, a non-breaking space, a colon), then random
// cells built from the letters and blanks the labels use.
func TestTotalPrefilterKeepsEveryLabel(t *testing.T) {
	labels := []string{"Total", "TOTAL", "Totals:", "Total:", "Total Maple Court(mc01)", "Total All Properties",
		"Grand Total", "grand totals", "Report Total", "Portfolio Total", "Subtotal", "Sub Total", "Sub-total",
		"subtotal Building 2", "Building 1 Total", "Maple Court Totals", "Phase 2 Subtotal", "Average", "Averages",
		"Avg", "Avg.", "avg rent", "Average of units", "Weighted Average", "24 Units", "1 Unit", "1,024 units",
		"Total Building 1", "Totals Floor 3", "Total: Phase 2"}
	blanks := []string{"", " ", "\t", "\n", "\r\n", "\n\n\n", "\u00a0", "\u0085", "\u3000", " :", "\v", "\f"}
	for _, l := range labels {
		for _, pre := range blanks {
			for _, post := range blanks {
				c := pre + l + post
				if _, ok := totalKind(cleanCell(c)); !ok {
					continue
				}
				if !mayBeTotalEdge(c) || !mayBeTotal(c) {
					t.Errorf("%q is a total label but the prefilter drops it (edge %v, mayBeTotal %v)", c, mayBeTotalEdge(c), mayBeTotal(c))
				}
			}
		}
	}
	// Random cells: every one totalKind accepts must pass the prefilter.
	words := []string{"total", "Total", "TOTAL", "tOTALS", "s", "S", "sub", "grand", "avg", "AVG", "average", "weighted",
		"report", "portfolio", "unit", "Units", "UNIT", "1", "24", "0", "building", "-", ":", ".", " ", "\t", "\n", "\r",
		"\u00a0", "\u2003", "\u0085", "x", "é", "(mc01)", "all", ",", "a", "l", "t", "i", "o", "Avg.", "sub-"}
	r := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for range 200_000 {
		var b strings.Builder
		for range 1 + r.IntN(5) {
			b.WriteString(words[r.IntN(len(words))])
		}
		c := b.String()
		if _, ok := totalKind(cleanCell(c)); !ok {
			continue
		}
		accepted++
		if !mayBeTotalEdge(c) || !mayBeTotal(c) {
			t.Fatalf("%q is a total label but the prefilter drops it (edge %v, mayBeTotal %v)", c, mayBeTotalEdge(c), mayBeTotal(c))
		}
	}
	if accepted < 1000 {
		t.Fatalf("only %d random labels were accepted by totalKind: the generator tests little", accepted)
	}
}

// TestUnitsTrailerWithNewline: a quoted "2 Units" cell that ends in a
// newline (or runs to the end of the file) is a trailer, not a unit named
// "2 Units"; found by FuzzRentRoll (testdata/fuzz/FuzzRentRoll/3cfae5da3732327f).
func TestUnitsTrailerWithNewline(t *testing.T) {
	head := "Unit,Unit Type,Sq Ft,Market Rent,Status\n101,1x1,700,\"1,000.00\",Occupied\n102,1x1,700,\"1,100.00\",Vacant\n"
	for _, tail := range []string{"\"2 Units\n\",,,\"2,100.00\",\n", "\"2 Units\r\n\",,,\"2,100.00\",\n", "\"2 Units\u00a0\",,,\"2,100.00\",\n", ",,,\"2,100.00\",\"2 Units\n\n"} {
		rep, s, err := parseRentRoll(t, []byte(head+tail), Options{PropertyID: "p", AsOf: day(2026, 3, 31)})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.units) != 2 || !rep.OK() {
			t.Errorf("%q: %d units, errors %+v; want 2 units and no error", tail, len(s.units), rep.Errors)
			continue
		}
		if len(rep.Reconciliations) != 1 {
			t.Errorf("%q: reconciliations %+v; want the trailer reconciled", tail, rep.Reconciliations)
			continue
		}
		rec := rep.Reconciliations[0]
		if !rec.OK || !rec.Stated.HasUnits || rec.Stated.Units != 2 || rec.Stated.MarketRent != 210000 {
			t.Errorf("%q: reconciliation %+v; want 2 units and $2,100.00 stated and matched", tail, rec)
		}
	}
}

// TestChargeListsDoNotShare: the units' charge lists are cut from shared
// chunks; appending to one (as a sink may) must not change another's.
func TestChargeListsDoNotShare(t *testing.T) {
	var b strings.Builder
	if err := writeOneSiteLike(&b, 50); err != nil {
		t.Fatal(err)
	}
	_, s, err := parseRentRoll(t, []byte(b.String()), Options{PropertyID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.units) != 50 {
		t.Fatalf("%d units", len(s.units))
	}
	want := make([][]Charge, len(s.units))
	for i, u := range s.units {
		want[i] = append([]Charge(nil), u.Charges...)
	}
	for i := range s.units {
		s.units[i].Charges = append(s.units[i].Charges, Charge{Code: "X", Category: CategoryOther, Amount: 1})
	}
	for i, u := range s.units {
		got := u.Charges[:len(u.Charges)-1]
		if len(got) != len(want[i]) {
			t.Fatalf("unit %d: %d charges, want %d", i, len(got), len(want[i]))
		}
		for k := range got {
			if got[k] != want[i][k] {
				t.Fatalf("unit %d charge %d = %+v after appending to the others, want %+v", i, k, got[k], want[i][k])
			}
		}
	}
}

// TestRecentCache: the cache in front of the status, designation and type
// memos returns what was put under a key, or reports a miss, never
// another key's value, however the keys collide.
func TestRecentCache(t *testing.T) {
	var r recent[int]
	keys := []string{"Occupied", "Occupied-NTV", "Vacant", "Vacant-Leased", "Model", "Admin/Down", "", "a", "b", "ab",
		"Standard", "Employee", "1x1", "2x2", "Studio", "B1"}
	for round := range 3 {
		for i, k := range keys {
			if v, ok := r.get(k); ok && v != i {
				t.Fatalf("round %d: get(%q) = %d, want %d", round, k, v, i)
			} else if !ok {
				r.put(k, i)
			}
			if v, ok := r.get(k); !ok || v != i {
				t.Fatalf("round %d: get(%q) right after put = %d, %v", round, k, v, ok)
			}
		}
	}
}

// TestLargeRollReadAhead parses a roll long enough that the prefetcher
// reads most rows' facts on its own goroutine (rows past the first few
// batches), with bad cells far down, and checks the units and issues there
// are what a short file gives: the same values, the same messages.
func TestLargeRollReadAhead(t *testing.T) {
	var b strings.Builder
	if err := writeOneSiteLike(&b, 4000); err != nil {
		t.Fatal(err)
	}
	// Break some cells of units far down (row = unit index + 7).
	lines := strings.Split(b.String(), "\n")
	bad := map[int]string{3001: "1,0x4.00", 3502: "13/45/2025", 3903: "12a"}
	for i, v := range bad {
		cells := strings.Split(lines[i+6], "\",\"")
		switch i {
		case 3001:
			cells[13] = v // Market + Addl.
		case 3502:
			cells[11] = v // Lease Start
		case 3903:
			cells[3] = v // SQFT
		}
		lines[i+6] = strings.Join(cells, "\",\"")
	}
	data := []byte(strings.Join(lines, "\n"))
	rep, s, err := parseRentRoll(t, data, Options{PropertyID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.units) != 4000 {
		t.Fatalf("%d units, want 4000", len(s.units))
	}
	wantErr := map[int]string{
		3008: `"1,0x4.00" is not an amount of money`,
		3509: `"13/45/2025" is not a date`,
		3910: `"12a" is not a number`,
	}
	if rep.ErrorCount != len(wantErr) {
		t.Fatalf("errors %+v; want one per broken cell", rep.Errors)
	}
	for _, e := range rep.Errors {
		if w, ok := wantErr[e.Row]; !ok || !strings.HasPrefix(e.Message, w) {
			t.Errorf("row %d: %q; want a message starting %q", e.Row, e.Message, w)
		}
	}
	// Every unit against the generator's formula.
	for i, u := range s.units {
		rent := int64(1000 + i%900)
		wantMarket := (1000 + rent%1000) * 100
		if i == 3001 {
			if u.HasMarketRent {
				t.Errorf("unit %d: market rent %d from a broken cell", i, u.MarketRent)
			}
		} else if !u.HasMarketRent || u.MarketRent != wantMarket {
			t.Errorf("unit %d (%s): market rent %d %v, want %d", i, u.UnitID, u.MarketRent, u.HasMarketRent, wantMarket)
		}
		switch u.Status {
		case StatusOccupied, StatusOccupiedNotice:
			if i != 3502 && u.LeaseStart != day(2025, time.Month(1+i%12), 1) {
				t.Errorf("unit %d: lease start %v", i, u.LeaseStart)
			}
			if u.LeaseEnd != day(2026, time.Month(1+i%11), 28) {
				t.Errorf("unit %d: lease end %v", i, u.LeaseEnd)
			}
			if len(u.Charges) != 4 || !u.HasLeaseRent || u.LeaseRent != wantMarket || u.Concessions != 3500 {
				t.Errorf("unit %d: charges %+v lease %d concessions %d", i, u.Charges, u.LeaseRent, u.Concessions)
			}
		}
		if want := int64(1034); i != 3903 && u.SqFt != want {
			t.Errorf("unit %d: sq ft %d", i, u.SqFt)
		}
	}
}
