package parse

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// rollSummary is what the sample READMEs state per file.
type rollSummary struct {
	units                             int
	status                            map[string]int
	market, lease, concessions, other int64
	sqft                              int64
	beds                              int64 // leased bed spaces (by-bed rolls)
}

func summarize(units []Unit) rollSummary {
	s := rollSummary{status: map[string]int{}}
	for _, u := range units {
		s.units++
		s.status[u.Status]++
		s.market += u.MarketRent
		s.lease += u.LeaseRent
		s.concessions += u.Concessions
		s.other += u.OtherCharges
		s.sqft += u.SqFt
		s.beds += u.BedSpaces
	}
	return s
}

func TestRentRollSamples(t *testing.T) {
	tests := []struct {
		file       string
		opts       Options
		format     string
		properties []string
		asOf       time.Time
		want       rollSummary
		excluded   map[string]int
		warnings   int
		recs       int // reconciliations, all OK
	}{
		{
			file: "rentroll/yardi_rent_roll_lease_charges.csv", format: FormatYardi, properties: []string{"mc01"},
			asOf: day(2026, 3, 31),
			want: rollSummary{units: 12, status: map[string]int{"occupied": 6, "occupied_notice": 2, "vacant": 1,
				"vacant_leased": 1, "model": 1, "down": 1}, market: 1913500, lease: 1298900, concessions: 15000, other: 32850, sqft: 10690},
			excluded: map[string]int{"future_resident": 1}, recs: 2,
		},
		{
			file: "rentroll/yardi_rent_roll_lease_charges.xlsx", format: FormatYardi, properties: []string{"mc01"},
			asOf: day(2026, 3, 31),
			want: rollSummary{units: 12, status: map[string]int{"occupied": 6, "occupied_notice": 2, "vacant": 1,
				"vacant_leased": 1, "model": 1, "down": 1}, market: 1913500, lease: 1298900, concessions: 15000, other: 32850, sqft: 10690},
			excluded: map[string]int{"future_resident": 1}, recs: 2,
		},
		{
			file: "rentroll/onesite_rent_roll_detail.csv", opts: Options{PropertyID: "cr02"}, format: FormatOneSite,
			properties: []string{"cr02"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 12, status: map[string]int{"occupied": 5, "occupied_notice": 2, "vacant": 2,
				"vacant_leased": 1, "model": 1, "down": 1}, market: 1684000, lease: 1022500, concessions: 49000, other: 41585, sqft: 9316},
			excluded: map[string]int{"applicant": 1, "pending_renewal": 1}, recs: 1,
		},
		{
			file: "rentroll/appfolio_rent_roll.csv", format: FormatAppFolio, properties: []string{"bsl03"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 8, status: map[string]int{"occupied": 4, "occupied_notice": 2, "vacant": 1, "vacant_leased": 1},
				market: 1173000, lease: 889500, sqft: 5690},
			excluded: map[string]int{"non_residential": 1}, warnings: 1, recs: 2,
		},
		{
			file: "rentroll/mri_rent_roll.csv", format: FormatMRI, properties: []string{"hv04"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 7, status: map[string]int{"occupied": 3, "occupied_notice": 1, "vacant": 1, "vacant_leased": 1,
				"down": 1}, market: 1227500, lease: 465500, concessions: 10000, other: 10500, sqft: 6570},
			excluded: map[string]int{}, recs: 1,
		},
		{
			file: "rentroll/generic_rent_roll.csv", opts: Options{AsOf: time.Date(2026, 3, 31, 15, 4, 0, 0, time.FixedZone("PDT", -7*3600))},
			format: FormatGeneric, properties: []string{"oak01", "oak02"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 8, status: map[string]int{"occupied": 4, "occupied_notice": 1, "vacant": 1, "vacant_leased": 1,
				"model": 1}, market: 1427000, lease: 880000, concessions: 5000, sqft: 6780},
			excluded: map[string]int{}, warnings: 1,
		},
		{
			file: "rentroll/entrata_rent_roll.csv", format: FormatEntrata, properties: []string{"wb07"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 8, status: map[string]int{"occupied": 3, "occupied_notice": 2, "vacant": 1, "vacant_leased": 1,
				"model": 1}, market: 1393500, lease: 882500, concessions: 7500, other: 14000, sqft: 7915},
			excluded: map[string]int{}, recs: 1,
		},
		{
			file: "rentroll/resman_rent_roll.csv", format: FormatResMan, properties: []string{"ph06"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 7, status: map[string]int{"occupied": 3, "occupied_notice": 1, "vacant": 1, "vacant_leased": 1,
				"down": 1}, market: 831500, lease: 520500, sqft: 5340},
			excluded: map[string]int{}, warnings: 1, recs: 1,
		},
		{
			file: "rentroll/appfolio_multi_property.csv", format: FormatAppFolio, properties: []string{"aspen-court", "linden-terrace"},
			asOf: day(2026, 3, 31),
			want: rollSummary{units: 6, status: map[string]int{"occupied": 3, "occupied_notice": 1, "vacant": 1, "vacant_leased": 1},
				market: 780000, lease: 498500, sqft: 4330},
			excluded: map[string]int{"group_row": 2, "non_residential": 1}, warnings: 1, recs: 4,
		},
		{
			file: "rentroll/yardi_rent_roll_plain.csv", format: FormatYardi, properties: []string{"sp08", "hy09"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 7, status: map[string]int{"occupied": 3, "occupied_notice": 1, "vacant": 1, "model": 1, "down": 1},
				market: 992000, lease: 528500, sqft: 5400},
			excluded: map[string]int{"group_row": 2}, recs: 3,
		},
		{
			file: "rentroll/onesite_rent_roll_detail.xlsx", opts: Options{PropertyID: "cr02"}, format: FormatOneSite,
			properties: []string{"cr02"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 12, status: map[string]int{"occupied": 5, "occupied_notice": 2, "vacant": 2,
				"vacant_leased": 1, "model": 1, "down": 1}, market: 1684000, lease: 1022500, concessions: 49000, other: 41585, sqft: 9316},
			excluded: map[string]int{"applicant": 1, "pending_renewal": 1}, recs: 1,
		},
		{
			file: "rentroll/student_by_bed.csv", format: FormatGeneric, properties: []string{"cc10"}, asOf: day(2026, 3, 31),
			want: rollSummary{units: 3, status: map[string]int{"occupied": 2, "vacant_leased": 1}, market: 630000, lease: 382000,
				sqft: 3300, beds: 5},
			excluded: map[string]int{}, recs: 1,
		},
		{
			file: "rentroll/parking_storage.csv", format: FormatGeneric, properties: []string{"qf11"}, asOf: day(2026, 3, 31),
			want:     rollSummary{units: 4, status: map[string]int{"occupied": 3, "vacant": 1}, market: 587000, lease: 411000, sqft: 3540},
			excluded: map[string]int{"non_residential": 5}, warnings: 5, recs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep, s, err := parseRentRoll(t, sampleBytes(t, tt.file), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("errors: %+v", rep.Errors)
			}
			if rep.Format != tt.format {
				t.Errorf("format = %q, want %q", rep.Format, tt.format)
			}
			if !slices.Equal(rep.Properties, tt.properties) {
				t.Errorf("properties = %v, want %v", rep.Properties, tt.properties)
			}
			if !rep.AsOf.Equal(tt.asOf) {
				t.Errorf("as of = %v, want %v", rep.AsOf, tt.asOf)
			}
			got := summarize(s.units)
			if got.units != tt.want.units || !maps.Equal(got.status, tt.want.status) || got.market != tt.want.market ||
				got.lease != tt.want.lease || got.concessions != tt.want.concessions || got.other != tt.want.other || got.sqft != tt.want.sqft ||
				got.beds != tt.want.beds {
				t.Errorf("summary =\n %+v, want\n %+v", got, tt.want)
			}
			if rep.Units != tt.want.units {
				t.Errorf("report units = %d, want %d", rep.Units, tt.want.units)
			}
			if !maps.Equal(rep.Excluded, tt.excluded) {
				t.Errorf("excluded = %v, want %v", rep.Excluded, tt.excluded)
			}
			if rep.WarningCount != tt.warnings {
				t.Errorf("warnings = %+v, want %d", rep.Warnings, tt.warnings)
			}
			if len(rep.Reconciliations) != tt.recs {
				t.Errorf("reconciliations = %+v, want %d", rep.Reconciliations, tt.recs)
			}
			for _, rec := range rep.Reconciliations {
				if !rec.OK {
					t.Errorf("reconciliation not OK: %+v", rec)
				}
			}
			if strings.HasSuffix(tt.file, ".csv") && len(s.raw) != rep.RowsTotal {
				t.Errorf("raw rows = %d, report says %d", len(s.raw), rep.RowsTotal)
			}
			for i, r := range s.raw {
				if r.Number <= 0 || r.Number > rep.RowsTotal || (i > 0 && r.Number <= s.raw[i-1].Number) ||
					(strings.HasSuffix(tt.file, ".csv") && r.Number != i+1) {
					t.Fatalf("raw row %d numbered %d", i, r.Number)
				}
			}
			for _, u := range s.units {
				if u.AsOf.Location() != time.UTC || u.AsOf.Hour() != 0 {
					t.Errorf("unit %s as of %v is not UTC midnight", u.UnitID, u.AsOf)
				}
			}
		})
	}
}

// TestRentRollUnitDetails pins individual units whose reading is subtle.
func TestRentRollUnitDetails(t *testing.T) {
	find := func(t *testing.T, file string, opts Options, id string) Unit {
		t.Helper()
		_, s, err := parseRentRoll(t, sampleBytes(t, file), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range s.units {
			if u.UnitID == id {
				return u
			}
		}
		t.Fatalf("unit %s not found", id)
		return Unit{}
	}
	tests := []struct {
		name string
		file string
		opts Options
		id   string
		want Unit
	}{
		{"yardi charge block with concession", "rentroll/yardi_rent_roll_lease_charges.csv", Options{}, "204",
			Unit{PropertyID: "mc01", PropertyName: "Maple Court", AsOf: day(2026, 3, 31), UnitID: "204", UnitType: "mc2b2",
				SqFt: 1010, Status: StatusOccupied, MarketRent: 172500, LeaseRent: 170000, Concessions: 5000, OtherCharges: 5000,
				LeaseEnd: day(2027, 2, 28), MoveIn: day(2026, 3, 1), Row: 29, Designation: DesignationStandard, HasBalance: true,
				HasMarketRent: true, HasLeaseRent: true, HasConcessions: true, HasOtherCharges: true}},
		{"yardi xlsx serial dates", "rentroll/yardi_rent_roll_lease_charges.xlsx", Options{}, "205",
			Unit{PropertyID: "mc01", PropertyName: "Maple Court", AsOf: day(2026, 3, 31), UnitID: "205", UnitType: "mc3b2",
				SqFt: 1240, Status: StatusOccupiedNotice, MarketRent: 215000, LeaseRent: 209500, OtherCharges: 3500,
				LeaseEnd: day(2026, 7, 14), MoveIn: day(2025, 7, 15), MoveOut: day(2026, 4, 30), Row: 33,
				Designation: DesignationStandard, HasBalance: true, HasMarketRent: true, HasLeaseRent: true, HasConcessions: true,
				HasOtherCharges: true}},
		{"yardi vacant unit leased to a future resident", "rentroll/yardi_rent_roll_lease_charges.csv", Options{}, "103",
			Unit{PropertyID: "mc01", PropertyName: "Maple Court", AsOf: day(2026, 3, 31), UnitID: "103", UnitType: "mc1a1",
				SqFt: 650, Status: StatusVacantLeased, MarketRent: 125000, Row: 15, Designation: DesignationStandard,
				Preleased: true, HasBalance: true, HasMarketRent: true, HasConcessions: true, HasOtherCharges: true}},
		{"onesite building-unit, employee credit", "rentroll/onesite_rent_roll_detail.csv", Options{PropertyID: "cr02"}, "6305-023",
			Unit{PropertyID: "cr02", PropertyName: "Cedar Ridge Apartments", AsOf: day(2026, 3, 31), UnitID: "6305-023",
				Building: "6305", UnitType: "S1", SqFt: 540, Status: StatusOccupied, MarketRent: 105000, LeaseRent: 105000,
				Concessions: 30000, LeaseStart: day(2026, 1, 10), LeaseEnd: day(2027, 1, 9), MoveIn: day(2025, 1, 10), Row: 17,
				Designation: DesignationStandard, HasBalance: true, HasMarketRent: true, HasLeaseRent: true, HasConcessions: true,
				HasOtherCharges: true}},
		{"appfolio beds/baths and tab in name", "rentroll/appfolio_rent_roll.csv", Options{}, "204",
			Unit{PropertyID: "bsl03", PropertyName: "Birch Street Lofts", AsOf: day(2026, 3, 31), UnitID: "204", UnitType: "2 Bed",
				Beds: 2, Baths: 1, HasBeds: true, HasBaths: true, SqFt: 860, Status: StatusOccupied, MarketRent: 169500,
				LeaseRent: 165000, LeaseStart: day(2026, 1, 15), LeaseEnd: day(2027, 1, 14), MoveIn: day(2026, 1, 15), Row: 13,
				Designation: DesignationStandard, Balance: 2500, HasBalance: true, HasMarketRent: true, HasLeaseRent: true}},
		{"mri building column, same unit number twice", "rentroll/mri_rent_roll.csv", Options{}, "B-101",
			Unit{PropertyID: "hv04", PropertyName: "Harbor View", AsOf: day(2026, 3, 31), UnitID: "B-101", Building: "B",
				UnitType: "1x1", Beds: 1, Baths: 1, HasBeds: true, HasBaths: true, SqFt: 700, Status: StatusOccupied,
				MarketRent: 142500, LeaseRent: 142500, OtherCharges: 4500, LeaseStart: day(2025, 9, 15), LeaseEnd: day(2026, 9, 14),
				MoveIn: day(2025, 9, 15), Row: 8, Designation: DesignationStandard, HasMarketRent: true, HasLeaseRent: true,
				HasConcessions: true, HasOtherCharges: true}},
		{"generic excel serial dates", "rentroll/generic_rent_roll.csv", Options{AsOf: day(2026, 3, 31)}, "2-101",
			Unit{PropertyID: "oak01", PropertyName: "Oak Terrace", AsOf: day(2026, 3, 31), UnitID: "2-101", Building: "2",
				UnitType: "A1", Beds: 1, Baths: 1, HasBeds: true, HasBaths: true, SqFt: 720, Status: StatusOccupied,
				MarketRent: 136500, LeaseRent: 136500, LeaseStart: day(2026, 1, 1), LeaseEnd: day(2026, 12, 31), MoveIn: day(2026, 1, 1), Row: 5,
				Designation: DesignationStandard, HasMarketRent: true, HasLeaseRent: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := find(t, tt.file, tt.opts, tt.id)
			got.Charges = nil // pinned by TestChargeCategories
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestBrokenSamples(t *testing.T) {
	tests := []struct {
		file  string
		codes []string // error codes, in order
		units int
	}{
		{"rentroll/broken_missing_unit.csv", []string{"missing_unit_id"}, 2},
		{"rentroll/broken_negative_rent.csv", []string{"negative_rent"}, 2},
		{"rentroll/broken_duplicate_unit.csv", []string{"duplicate_unit"}, 2},
		{"rentroll/broken_total_mismatch.csv", []string{"total_mismatch", "total_mismatch"}, 2},
		{"rentroll/broken_bad_values.csv", []string{"zero_sqft", "bad_money", "bad_date", "unknown_status", "lease_dates"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep, s, err := parseRentRoll(t, sampleBytes(t, tt.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("report OK, want errors")
			}
			var codes []string
			for _, e := range rep.Errors {
				codes = append(codes, e.Code)
				if e.Row == 0 || e.Message == "" {
					t.Errorf("issue without row or message: %+v", e)
				}
				// A person can act on it: what is wrong and what was expected
				// (a total mismatch states both figures instead).
				if e.Code != "total_mismatch" && !strings.Contains(e.Message, "expected") {
					t.Errorf("issue does not say what was expected: %+v", e)
				}
				if e.Code != "missing_unit_id" && e.Code != "total_mismatch" && e.Code != "duplicate_unit" && e.Column == "" {
					t.Errorf("issue names no column: %+v", e)
				}
			}
			if !slices.Equal(codes, tt.codes) || rep.ErrorCount != len(tt.codes) {
				t.Errorf("codes = %v (count %d), want %v", codes, rep.ErrorCount, tt.codes)
			}
			if len(s.units) != tt.units {
				t.Errorf("units = %d, want %d", len(s.units), tt.units)
			}
		})
	}
}

func TestTotalMismatchStatesBoth(t *testing.T) {
	rep, _, err := parseRentRoll(t, sampleBytes(t, "rentroll/broken_total_mismatch.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Issue{Row: 6, Column: "Market Rent", Code: "total_mismatch",
		Message: `"Total Elm Place(elm05)" states market rent $2,650.00 but the units parsed add up to $2,600.00`}
	if len(rep.Errors) == 0 || rep.Errors[0] != want {
		t.Errorf("first error = %+v, want %+v", rep.Errors, want)
	}
	if len(rep.Reconciliations) != 2 || rep.Reconciliations[0].Scope != "elm05" || rep.Reconciliations[0].Stated.LeaseRent != 253000 {
		t.Errorf("reconciliations = %+v", rep.Reconciliations)
	}
}

func TestCompetitionSamples(t *testing.T) {
	for _, file := range []string{"competition/market_survey.csv", "competition/market_survey.xlsx"} {
		t.Run(file, func(t *testing.T) {
			rep, s, err := parseCompetition(t, sampleBytes(t, file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("errors: %+v", rep.Errors)
			}
			var asking, conc, eff, units int64
			props := map[string]int{}
			for _, c := range s.comps {
				asking += c.AskingRent
				conc += c.ConcessionsMonthly
				eff += c.EffectiveRent
				units += c.Units
				props[c.CompProperty]++
				if c.SubjectPropertyID != "mc01" || !c.SurveyDate.Equal(day(2026, 3, 15)) {
					t.Errorf("row %d: subject %q, date %v", c.Row, c.SubjectPropertyID, c.SurveyDate)
				}
			}
			if len(s.comps) != 7 || rep.Comps != 7 || asking != 1076000 || conc != 27083 || eff != 1048917 || units != 400 {
				t.Errorf("comps %d/%d asking %d conc %d eff %d units %d", len(s.comps), rep.Comps, asking, conc, eff, units)
			}
			if want := map[string]int{"Willow Park": 2, "Aspen Flats": 3, "Larch Commons": 2}; !maps.Equal(props, want) {
				t.Errorf("properties = %v, want %v", props, want)
			}
			if rep.Excluded["summary_row"] != 1 {
				t.Errorf("excluded = %v", rep.Excluded)
			}
			last := s.comps[6]
			want := Comp{SurveyDate: day(2026, 3, 15), SubjectPropertyID: "mc01", CompProperty: "Larch Commons", UnitType: "2x2",
				Beds: 2, Baths: 2, HasBeds: true, HasBaths: true, SqFt: 1000, Units: 50, AskingRent: 172000,
				ConcessionsMonthly: 7083, HasConcessions: true, EffectiveRent: 164917, Occupancy: 0.91, HasOccupancy: true, Row: last.Row}
			if last != want {
				t.Errorf("last comp =\n %+v, want\n %+v", last, want)
			}
		})
	}
}
