package parse

import (
	"errors"
	"testing"
	"time"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in    string
		cents int64
		ok    bool
		err   bool
	}{
		{"", 0, false, false},
		{"  ", 0, false, false},
		{"-", 0, false, false},
		{"1250", 125000, true, false},
		{"1,250.00", 125000, true, false},
		{"$1,250.00", 125000, true, false},
		{" $ 1,250.5 ", 125050, true, false},
		{"-165,230.00", -16523000, true, false},
		{"(165.00)", -16500, true, false},
		{"($1,165.00)", -116500, true, false},
		{"$-12.00", -1200, true, false},
		{"-$12.00", -1200, true, false},
		{"165.00-", -16500, true, false},
		{"0.00", 0, true, false},
		{".5", 50, true, false},
		{"1234.5699999999", 123457, true, false},
		{"1302.7449", 130274, true, false},
		{"1.5E+3", 150000, true, false},
		{"12,50", 1250, true, false},
		{"USD 12", 1200, true, false},
		{"1 234.00", 123400, true, false},
		{"12.50.00", 0, false, true},
		{"abc", 0, false, true},
		{"$", 0, false, true},
		{"()", 0, false, true},
		{"99999999999999", 0, false, true},
		{"1e400", 0, false, true},
		{"9999999999999.99", 999999999999999, true, false},
		// rounding up to 14 digits of dollars (FuzzParseMoney found it: the
		// amount could not be read back)
		{"9999999999999.997", 0, false, true},
		{"-9999999999999.995", 0, false, true},
		{"9.999999999999999E12", 0, false, true},
		{"9.99999999999999E12", 999999999999999, true, false},
	}
	for _, tt := range tests {
		got, ok, err := ParseMoney(tt.in)
		if got != tt.cents || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("ParseMoney(%q) = %d, %v, %v; want %d, %v, err=%v", tt.in, got, ok, err, tt.cents, tt.ok, tt.err)
		}
		if err != nil && !errors.Is(err, errValue) {
			t.Errorf("ParseMoney(%q) error %v is not errValue", tt.in, err)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     time.Time
		ok, err  bool
	}{
		{"", false, time.Time{}, false, false},
		{"03/25/2025", false, day(2025, 3, 25), true, false},
		{"3/7/2016", false, day(2016, 3, 7), true, false},
		{"3/7/16", false, day(2016, 3, 7), true, false},
		{"12/31/99", false, day(1999, 12, 31), true, false},
		{"2026-03-31", false, day(2026, 3, 31), true, false},
		{"2026-03-31T10:00:00Z", false, day(2026, 3, 31), true, false},
		{"2026/03/31", false, day(2026, 3, 31), true, false},
		{"05-Mar-2026", false, day(2026, 3, 5), true, false},
		{"5-MAR-26", false, day(2026, 3, 5), true, false},
		{"Mar 5, 2026", false, day(2026, 3, 5), true, false},
		{"March 5 2026", false, day(2026, 3, 5), true, false},
		{"3/9/2016 10:58:30 AM", false, day(2016, 3, 9), true, false},
		{"20260331", false, day(2026, 3, 31), true, false},
		{"45338", false, day(2024, 2, 16), true, false},
		{"45338.5", false, day(2024, 2, 16), true, false},
		{"43876", true, day(2024, 2, 16), true, false},
		{"31.03.2026", false, time.Time{}, false, true}, // day-first is not guessed
		{"2/30/2026", false, time.Time{}, false, true},
		{"13/01/2026", false, time.Time{}, false, true},
		{"2025-09-31", false, time.Time{}, false, true},
		{"yesterday", false, time.Time{}, false, true},
		{"0", false, time.Time{}, false, true},
		{"1/2/3/4", false, time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, ok, err := ParseDate(tt.in, tt.date1904)
		if !got.Equal(tt.want) || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("ParseDate(%q) = %v, %v, %v; want %v, %v, err=%v", tt.in, got, ok, err, tt.want, tt.ok, tt.err)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) not UTC", tt.in)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
		err  bool
	}{
		{"", 0, false, false},
		{"93%", 0.93, true, false},
		{"92.31 %", 0.9231, true, false},
		{"0.9231", 0.9231, true, false},
		{"93", 0.93, true, false},
		{"1", 1, true, false},
		{"0", 0, true, false},
		{"140%", 0, false, true},
		{"-5%", 0, false, true},
		{"full", 0, false, true},
	}
	for _, tt := range tests {
		got, ok, err := ParsePercent(tt.in)
		if diff := got - tt.want; diff > 1e-9 || diff < -1e-9 || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("ParsePercent(%q) = %v, %v, %v; want %v, %v, err=%v", tt.in, got, ok, err, tt.want, tt.ok, tt.err)
		}
	}
}

func TestParseBedsBaths(t *testing.T) {
	tests := []struct {
		in                 string
		beds, baths        float64
		nonres, ok, hasErr bool
	}{
		{"2/1.00", 2, 1, false, true, false},
		{"0/1.00", 0, 1, false, true, false},
		{"3/2.50", 3, 2.5, false, true, false},
		{"2x2", 2, 2, false, true, false},
		{"Studio/1", 0, 1, false, true, false},
		{"--/--", 0, 0, true, true, false},
		{"", 0, 0, false, false, false},
		{"two/one", 0, 0, false, false, true},
		{"2", 0, 0, false, false, true},
	}
	for _, tt := range tests {
		beds, baths, nonres, ok, err := ParseBedsBaths(tt.in)
		if beds != tt.beds || baths != tt.baths || nonres != tt.nonres || ok != tt.ok || (err != nil) != tt.hasErr {
			t.Errorf("ParseBedsBaths(%q) = %v %v %v %v %v", tt.in, beds, baths, nonres, ok, err)
		}
	}
}

func TestBedsBathsFromType(t *testing.T) {
	tests := []struct {
		in                string
		beds, baths       float64
		hasBeds, hasBaths bool
	}{
		{"2x1", 2, 1, true, true},
		{"2BR/2BA", 2, 2, true, true},
		{"1 Bed", 1, 0, true, false},
		{"Studio", 0, 1, true, false},
		{"mc1a1", 0, 0, false, false},
		{"A1", 0, 0, false, false},
	}
	for _, tt := range tests {
		beds, baths, hb, hba := bedsBathsFromType(tt.in)
		if beds != tt.beds || baths != tt.baths || hb != tt.hasBeds || hba != tt.hasBaths {
			t.Errorf("bedsBathsFromType(%q) = %v %v %v %v", tt.in, beds, baths, hb, hba)
		}
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		in, status, exclude string
		ok                  bool
	}{
		{"Occupied", StatusOccupied, "", true},
		{"Occupied-NTV", StatusOccupiedNotice, "", true},
		{"Occupied-NTVL", StatusOccupiedNotice, "", true},
		{"Vacant", StatusVacant, "", true},
		{"Vacant-Leased", StatusVacantLeased, "", true},
		{"Admin/Down", StatusDown, "", true},
		{"Model", StatusModel, "", true},
		{"Pending renewal", "", "pending_renewal", true},
		{"Applicant", "", "applicant", true},
		{"Current", StatusOccupied, "", true},
		{"Notice-Rented", StatusOccupiedNotice, "", true},
		{"Notice-Unrented", StatusOccupiedNotice, "", true},
		{"Vacant-Rented", StatusVacantLeased, "", true},
		{"Vacant-Unrented", StatusVacant, "", true},
		{"Evict", StatusOccupied, "", true},
		{"  vacant   not ready ", StatusVacant, "", true},
		{"Pre-Leased", StatusVacantLeased, "", true},
		{"Employee", "", "", true}, // a designation: occupied when someone lives there
		{"Corporate", "", "", true},
		{"Office", StatusAdmin, "", true},
		{"Sublet", "", "", false},
	}
	for _, tt := range tests {
		info, ok := statusOf(tt.in)
		if info.status != tt.status || info.exclude != tt.exclude || ok != tt.ok {
			t.Errorf("statusOf(%q) = %q %q %v; want %q %q %v", tt.in, info.status, info.exclude, ok, tt.status, tt.exclude, tt.ok)
		}
	}
}

// TestStatusMeaning pins what a status says beyond the status itself: a
// signed future lease, and employee or corporate as a designation (it was
// read as a non-revenue admin unit).
func TestStatusMeaning(t *testing.T) {
	tests := []struct {
		in          string
		preleased   bool
		designation string
	}{
		{"Occupied-NTVL", true, ""}, {"Notice-Rented", true, ""}, {"Vacant-Leased", true, ""},
		{"Occupied-NTV", false, ""}, {"Notice-Unrented", false, ""}, {"Vacant", false, ""},
		{"Employee", false, DesignationEmployee}, {"Corporate", false, DesignationCorporate},
	}
	for _, tt := range tests {
		info, ok := statusOf(tt.in)
		if !ok || info.preleased != tt.preleased || info.designation != tt.designation {
			t.Errorf("statusOf(%q) = %+v, want preleased %v designation %q", tt.in, info, tt.preleased, tt.designation)
		}
	}
	designations := []struct{ in, want string }{
		{"Standard", DesignationStandard}, {"", DesignationStandard}, {"Employee", DesignationEmployee},
		{"Corporate", DesignationCorporate}, {"Affordable", DesignationAffordable}, {"Section 8", DesignationAffordable},
		{"LIHTC 60%", DesignationAffordable}, {"Courtesy Officer", DesignationEmployee}, {"Market", DesignationStandard},
	}
	for _, tt := range designations {
		if got := designationOf(tt.in); got != tt.want {
			t.Errorf("designationOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitUnitAndBuilding(t *testing.T) {
	tests := []struct{ in, building string }{
		{"6303-016", "6303"},
		{"01/0101", "01"},
		{"B/12", "B"},
		{"101", ""},
		{"A-101", ""},
		{"101-", ""},
		{"/101", ""},
	}
	for _, tt := range tests {
		if got := SplitUnit(tt.in); got != tt.building {
			t.Errorf("SplitUnit(%q) = %q, want %q", tt.in, got, tt.building)
		}
	}
	prefix := []struct {
		unit, building string
		want           bool
	}{
		{"1-101", "1", true}, {"101", "1", false}, {"B 12", "b", true}, {"B", "B", false},
	}
	for _, tt := range prefix {
		if got := hasBuildingPrefix(tt.unit, tt.building); got != tt.want {
			t.Errorf("hasBuildingPrefix(%q, %q) = %v", tt.unit, tt.building, got)
		}
	}
}

func TestChargeCategories(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		known   bool
		oneTime bool
	}{
		{"rent", CategoryRent, true, false}, {"RENT                          ", CategoryRent, true, false},
		{"Base Rent", CategoryRent, true, false},
		{"HAP", CategorySubsidy, true, false}, {"hap rent", CategorySubsidy, true, false},
		{"Subsidy", CategorySubsidy, true, false}, {"Section 8 Subsidy", CategorySubsidy, true, false},
		{"conc", CategoryConcession, true, false}, {"CONC/SPECL", CategoryConcession, true, false},
		{"DISCOUNT", CategoryConcession, true, false}, {"EMPLCRED", CategoryConcession, true, false},
		{"rentfree", CategoryConcession, true, false}, {"Employee Discount", CategoryConcession, true, false},
		{"New Lease One-Time Concession", CategoryConcession, true, true},
		{"Renewal Monthly Concession", CategoryConcession, true, false},
		{"pet", CategoryOther, true, false}, {"prkg", CategoryOther, true, false}, {"WATERREIMB", CategoryOther, true, false},
		{"Covered Parking", CategoryOther, true, false}, {"zzfoo", CategoryOther, false, false},
	}
	for _, tt := range tests {
		got, known := DefaultChargeCategory(tt.in)
		if got != tt.want || known != tt.known {
			t.Errorf("DefaultChargeCategory(%q) = %q %v, want %q %v", tt.in, got, known, tt.want, tt.known)
		}
		if one := isOneTime(normCode(tt.in)) && got == CategoryConcession; one != tt.oneTime {
			t.Errorf("one-time(%q) = %v, want %v", tt.in, one, tt.oneTime)
		}
	}
}

func TestBanners(t *testing.T) {
	asOf := []struct {
		in      string
		y, m, d int
		ok      bool
	}{
		{"As Of = 03/31/2026", 2026, 3, 31, true},
		{"As of Date: 3/7/2016", 2016, 3, 7, true},
		{"As of 31-Mar-2026", 2026, 3, 31, true},
		{"Rent Roll as of 03/31/2026 (all units)", 2026, 3, 31, true},
		{"Survey Date: 03/15/2026", 2026, 3, 15, true},
		{"Month Year = 03/2026", 0, 0, 0, false},
		{"As of: sometime", 0, 0, 0, false},
	}
	for _, tt := range asOf {
		y, m, d, ok := parseAsOfBanner(tt.in, false)
		if y != tt.y || m != tt.m || d != tt.d || ok != tt.ok {
			t.Errorf("parseAsOfBanner(%q) = %d-%d-%d %v", tt.in, y, m, d, ok)
		}
	}
	props := []struct{ in, name, code string }{
		{"Maple Court (mc01)", "Maple Court", "mc01"},
		{"Maple Court(mc01)", "Maple Court", "mc01"},
		{"Property: Birch Street Lofts (bsl03)", "Birch Street Lofts", "bsl03"},
		{"Cedar Ridge Apartments", "", ""},
		{"Rent Roll (all units, by building)", "", ""},
	}
	for _, tt := range props {
		name, code, _ := parsePropertyTag(afterColon(tt.in))
		if name != tt.name || code != tt.code {
			t.Errorf("parsePropertyTag(%q) = %q %q", tt.in, name, code)
		}
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"Banner only\nUnit;Type;Rent\n101;A1;1,250.00\n102;A1;1,300.00\n", ';'},
		{"Unit\tType\tRent\n101\tA1\t1,250.00\n", '\t'},
		{"Unit|Type|Rent\n101|A1|1,250.00\n102|A1|\"x|y\"\n", '|'},
		{"\"a;b\",c,d\n\"e;f\",g,h\n", ','},
		{"no delimiters at all\n", ','},
	}
	for _, tt := range tests {
		if got := sniffDelimiter([]byte(tt.in)); got != tt.want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Unit \nDesignation", "unit designation"},
		{"RENT                          ", "rent"},
		{"Market + Addl.", "market + addl"},
		{"Sq. Ft.", "sq ft"},
		{"Totals:", "totals"},
		{"  Lease\tFrom ", "lease from"},
	}
	for _, tt := range tests {
		if got := normHeader(tt.in); got != tt.want {
			t.Errorf("normHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeySet(t *testing.T) {
	var s keySet
	for i := uint64(0); i < 5000; i++ {
		if s.add(i * 0x9E3779B97F4A7C15) {
			t.Fatalf("key %d reported present on first add", i)
		}
	}
	for i := uint64(0); i < 5000; i++ {
		if !s.add(i * 0x9E3779B97F4A7C15) {
			t.Fatalf("key %d not found", i)
		}
	}
	if s.n != 5000 || len(s.slots) < 2*s.n {
		t.Errorf("n = %d, slots = %d", s.n, len(s.slots))
	}
	// 0 and 1 share a slot value by design (0 marks empty): a collision the
	// unit-key hashes make negligible.
	var z keySet
	if z.add(0) || !z.add(1) {
		t.Error("0 is stored as 1")
	}
}

// TestMoneySpellings pins the money spellings real exports use for
// negatives ("$(1,234.00)" and "$ (1,234.00)" were refused).
func TestMoneySpellings(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"$(1,234.00)", -123400}, {"$ (1,234.00)", -123400}, {"($1,234.00)", -123400}, {"-1234", -123400},
		{"$1,234.00", 123400}, {"(1,234.00)", -123400}, {"-$12.50", -1250}, {"$-12.50", -1250}, {"12.50-", -1250},
		{"USD 12", 1200}, {"$ 1,234", 123400},
	}
	for _, tt := range tests {
		got, ok, err := ParseMoney(tt.in)
		if err != nil || !ok || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d %v %v, want %d", tt.in, got, ok, err, tt.want)
		}
	}
}
