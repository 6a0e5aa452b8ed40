package parse

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// opt writes an optional amount of cents, "-" when absent.
func opt(v int64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

// unitLine is a unit as the tests below pin it: property/unit, status,
// market and lease rent (absent as "-").
func unitLine(u Unit) string {
	return u.PropertyID + "/" + u.UnitID + ":" + u.Status + ":" + opt(u.MarketRent, u.HasMarketRent) + ":" + opt(u.LeaseRent, u.HasLeaseRent)
}

// TestReadByMeaning covers, one case each, the shapes a review of real
// exports found read wrong: every case failed before rows were read by
// what they say.
func TestReadByMeaning(t *testing.T) {
	const banner = "Rent Roll\nProperty: Elm Place (elm05)\nAs of: 03/31/2026\n"
	const hdr = "Unit,Unit Type,Status,Sq Ft,Market Rent,Lease Rent\n"
	tests := []struct {
		name     string
		in       string
		opts     Options
		units    []string
		errCodes []string
		warnings []string // warning codes, in order
		recs     int      // reconciliations, all OK
		check    func(t *testing.T, units []Unit)
	}{
		{
			name: "section label on the first header line of its block",
			in: "Rent Roll with Lease Charges\nAsh (a1)\nAs Of = 01/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"1,x,500,t1,N,100.00,rent,90.00\n,,,,,,Total,90.00\n" +
				"Summary Groups,Square,Market,Lease,# Of\n,Footage,Rent,Charges,Units\n" +
				"Current/Notice/Vacant Residents,500,100.00,90.00,1\nTotals:,500,100.00,90.00,1\n",
			units: []string{"a1/1:occupied:10000:9000"}, recs: 1,
		},
		{
			name:  "N Units trailer carrying sums",
			in:    banner + hdr + "101,A1,Occupied,700,\"1,300.00\",\"1,280.00\"\n102,A1,Vacant,700,\"1,300.00\",\n2 Units,,,\"1,400\",\"2,600.00\",\"1,280.00\"\n",
			units: []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:130000:-"}, recs: 1,
		},
		{
			name: "subtotal, building total and average rows",
			in: banner + "Building,Unit,Unit Type,Status,Sq Ft,Market Rent,Lease Rent\n" +
				"1,101,A1,Occupied,700,\"1,300.00\",\"1,280.00\"\n1,102,A1,Occupied,700,\"1,300.00\",\"1,250.00\"\n" +
				",Building 1 Total,,,\"1,400\",\"2,600.00\",\"2,530.00\"\n" +
				"2,101,A1,Occupied,700,\"1,310.00\",\"1,300.00\"\n,Subtotal,,,700,\"1,310.00\",\"1,300.00\"\n" +
				",Average,,,700,\"1,303.33\",\"1,276.67\"\nTotal,,,,\"2,100\",\"3,910.00\",\"3,830.00\"\n",
			units: []string{"elm05/1-101:occupied:130000:128000", "elm05/1-102:occupied:130000:125000", "elm05/2-101:occupied:131000:130000"},
			recs:  3,
		},
		{
			name: "AppFolio multi-property file with group rows",
			in: "Rent Roll\nAs of: 03/31/2026\n" +
				"Unit,Unit Type,BD/BA,Tenant,Status,Sqft,Market Rent,Rent\n" +
				"-> Birch Street Lofts - 412 Birch St Portland OR 97201,,,,,,,\n" +
				"101,Studio,0/1.00,\"Ames, Kit\",Current,480,\"$1,095.00\",\"$1,075.00\"\n" +
				"102,Studio,0/1.00,,Vacant-Unrented,480,\"$1,095.00\",\n" +
				"2 Units,,,,,960,\"$2,190.00\",\"$1,075.00\"\n" +
				"-> Cedar Flats - 9 Cedar Ave Portland OR 97202,,,,,,,\n" +
				"101,1 Bed,1/1.00,\"Bell, Noor\",Current,615,\"$1,325.00\",\"$1,300.00\"\n" +
				"1 Unit,,,,,615,\"$1,325.00\",\"$1,300.00\"\n" +
				"Total,,,,,\"1,575\",\"$3,515.00\",\"$2,375.00\"\n",
			opts:  Options{Properties: map[string]string{"cf9": "Cedar Flats"}},
			units: []string{"birch-street-lofts/101:occupied:109500:107500", "birch-street-lofts/102:vacant:109500:-", "cf9/101:occupied:132500:130000"},
			recs:  3,
		},
		{
			name: "money as $(1,234.00) and $ (1,234.00) and -1234",
			in: banner + "Unit,Unit Type,Status,Sq Ft,Market Rent,Lease Rent,Concessions,Other Charges\n" +
				"101,A1,Occupied,700,\"$1,300.00\",\"$1,280.00\",\"$(100.00)\",-25\n" +
				"102,A1,Occupied,700,\"$1,300.00\",\"$1,250.00\",\"$ (1,234.00)\",\n",
			units: []string{"elm05/101:occupied:130000:128000", "elm05/102:occupied:130000:125000"},
			check: func(t *testing.T, us []Unit) {
				if us[0].Concessions != 10000 || us[0].OtherCharges != -2500 || us[1].Concessions != 123400 || us[1].HasOtherCharges {
					t.Errorf("charges = %+v", us)
				}
			},
		},
		{
			name: "HAP subsidy counts as lease rent; rentfree and employee discount are concessions; one-time is not monthly",
			in: "Rent Roll with Lease Charges\nAsh (a1)\nAs Of = 01/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"1,x,500,t1,N,\"1,000.00\",rent,300.00\n,,,,,,hap,700.00\n,,,,,,rentfree,-50.00\n,,,,,,Employee Discount,-25.00\n" +
				",,,,,,One-Time Concession,-500.00\n,,,,,,Total,425.00\n",
			units: []string{"a1/1:occupied:100000:100000"},
			check: func(t *testing.T, us []Unit) {
				u := us[0]
				if u.Concessions != 7500 || len(u.Charges) != 5 || u.Charges[1].Category != CategorySubsidy || !u.Charges[4].OneTime {
					t.Errorf("unit = %+v", u)
				}
			},
		},
		{
			name: "a client's override changes a code's category, an unknown code is warned once",
			in: "Rent Roll with Lease Charges\nAsh (a1)\nAs Of = 01/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"1,x,500,t1,N,\"1,000.00\",rent,900.00\n,,,,,,xsub,100.00\n,,,,,,zzqq,5.00\n,,,,,,Total,\"1,005.00\"\n" +
				"2,x,500,t2,M,\"1,000.00\",rent,950.00\n,,,,,,zzqq,5.00\n,,,,,,Total,955.00\n",
			opts:     Options{ChargeCodes: map[string]string{"XSUB": CategorySubsidy}},
			units:    []string{"a1/1:occupied:100000:100000", "a1/2:occupied:100000:95000"},
			warnings: []string{"unknown_charge_code"},
		},
		{
			name: "parking, garage and storage spaces by code are not apartments",
			in: banner + hdr + "101,A1,Occupied,700,\"1,300.00\",\"1,280.00\"\nGAR-01,Garage,Occupied,,150.00,150.00\n" +
				"STOR 12,ST,Occupied,,40.00,40.00\nPRK5,,Vacant,,75.00,\n101G,Garden 1x1,Vacant,800,\"1,400.00\",\n" +
				"Total,,,,\"2,965.00\",\"1,470.00\"\n",
			units:    []string{"elm05/101:occupied:130000:128000", "elm05/101G:vacant:140000:-"},
			warnings: []string{"non_residential", "non_residential", "non_residential"},
			recs:     1,
		},
		{
			name: "OneSite unit designation; corporate and employee units with a resident are occupied",
			in: banner + "Unit,Floor Plan,Unit Designation,SQFT,Unit/Lease Status,Name,Market + Addl.,Lease Rent\n" +
				"101,A1,Employee,700,Occupied,\"Kim, A\",\"1,300.00\",\"1,000.00\"\n" +
				"102,A1,Standard,700,Corporate,Acme Corp,\"1,300.00\",\"1,400.00\"\n" +
				"103,A1,Affordable,700,Occupied,\"Lee, B\",\"1,300.00\",900.00\n",
			units: []string{"elm05/101:occupied:130000:100000", "elm05/102:occupied:130000:140000", "elm05/103:occupied:130000:90000"},
			check: func(t *testing.T, us []Unit) {
				got := []string{us[0].Designation, us[1].Designation, us[2].Designation}
				if want := []string{DesignationEmployee, DesignationCorporate, DesignationAffordable}; !slices.Equal(got, want) {
					t.Errorf("designations = %v, want %v", got, want)
				}
			},
		},
		{
			name: "student by-bed rows: a unit counted once, its leased beds recorded",
			in: banner + "Unit,Bed Space,Unit Type,Status,Sq Ft,Market Rent,Lease Rent\n" +
				"101,A,4x4,Occupied,1400,700.00,690.00\n101,B,4x4,Occupied,1400,700.00,680.00\n" +
				"101,C,4x4,Vacant,1400,700.00,\n101,D,4x4,Occupied-NTV,1400,700.00,700.00\n" +
				"102,A,2x2,Vacant,900,800.00,\n102,B,2x2,Vacant,900,800.00,\n",
			units: []string{"elm05/101:occupied:280000:207000", "elm05/102:vacant:160000:-"},
			check: func(t *testing.T, us []Unit) {
				if us[0].BedSpaces != 3 || !us[0].HasBedSpaces || us[1].BedSpaces != 0 || !us[1].HasBedSpaces {
					t.Errorf("bed spaces = %d, %d", us[0].BedSpaces, us[1].BedSpaces)
				}
			},
		},
		{
			name:     "missing rents are absent, not zero; an occupied unit without rent is a warning",
			in:       banner + hdr + "101,A1,Occupied,700,,\n102,A1,Vacant,700,\"1,300.00\",\n",
			units:    []string{"elm05/101:occupied:-:-", "elm05/102:vacant:130000:-"},
			warnings: []string{"missing_market_rent", "missing_lease_rent"},
		},
		{
			name: "pending renewal marks its unit renewed, an applicant marks a notice unit pre-leased",
			in: banner + "Unit,Floor Plan,SQFT,Unit/Lease Status,Name,Market + Addl.,Lease Rent\n" +
				"101,A1,700,Occupied,\"Kim, A\",\"1,300.00\",\"1,250.00\"\n101,A1,700,Pending renewal,\"Kim, A\",,\"1,290.00\"\n" +
				"102,A1,700,Occupied-NTV,\"Lee, B\",\"1,300.00\",\"1,200.00\"\n102,A1,700,Applicant,\"Ito, C\",,\n",
			units: []string{"elm05/101:occupied:130000:125000", "elm05/102:occupied_notice:130000:120000"},
			check: func(t *testing.T, us []Unit) {
				if !us[0].Renewed || us[0].Preleased || !us[1].Preleased || us[1].Renewed {
					t.Errorf("renewed/preleased = %+v", us)
				}
			},
		},
		{
			name:     "a single label row is not a unit, a lone unit id is",
			in:       banner + hdr + "Residential Units,,,,,\n101,A1,Occupied,700,\"1,300.00\",\"1,280.00\"\n102,,Vacant,,,\n",
			units:    []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:-:-"},
			warnings: []string{"missing_sqft", "missing_market_rent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, s, err := parseRentRoll(t, []byte(tt.in), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range s.units {
				got = append(got, unitLine(u))
			}
			if !slices.Equal(got, tt.units) {
				t.Errorf("units = %q, want %q", got, tt.units)
			}
			var codes, warns []string
			for _, e := range rep.Errors {
				codes = append(codes, e.Code)
			}
			for _, w := range rep.Warnings {
				warns = append(warns, w.Code)
			}
			if !slices.Equal(codes, tt.errCodes) {
				t.Errorf("errors = %+v, want codes %v", rep.Errors, tt.errCodes)
			}
			if !slices.Equal(warns, tt.warnings) {
				t.Errorf("warnings = %+v, want codes %v", rep.Warnings, tt.warnings)
			}
			if len(rep.Reconciliations) != tt.recs {
				t.Errorf("reconciliations = %+v, want %d", rep.Reconciliations, tt.recs)
			}
			for _, r := range rep.Reconciliations {
				if !r.OK {
					t.Errorf("reconciliation not OK: %+v", r)
				}
			}
			if tt.check != nil && len(s.units) == len(tt.units) {
				tt.check(t, s.units)
			}
		})
	}
}

// TestSurveyMeaning covers surveys naming their subject by name, concession
// text and a concession type of "None".
func TestSurveyMeaning(t *testing.T) {
	const hdr = "Property,Unit Type,Sq Ft,Units,Asking Rent,Concessions,Concession Type,Effective Rent\n"
	tests := []struct {
		name     string
		in       string
		opts     Options
		subject  string
		conc     []int64 // monthly concessions per row
		eff      []int64
		errCodes []string
		warnings int
	}{
		{
			name:    "subject by name, matched ignoring case and spacing",
			in:      "Subject: maple  COURT\nSurvey Date: 03/15/2026\n" + hdr + "Willow,1x1,700,100,\"1,200.00\",,,\n",
			opts:    Options{Properties: map[string]string{"mc01": "Maple Court", "bl02": "Birch Lofts"}},
			subject: "mc01", conc: []int64{0}, eff: []int64{120000},
		},
		{
			name:     "subject name unknown and no property_id: rejected saying what was tried",
			in:       "Subject: Nowhere Towers\nSurvey Date: 03/15/2026\n" + hdr + "Willow,1x1,700,100,\"1,200.00\",,,\n",
			opts:     Options{Properties: map[string]string{"mc01": "Maple Court"}},
			errCodes: []string{"unknown_subject"},
		},
		{
			name: "concession text becomes a monthly amount, with the assumption warned",
			in: "Subject: Maple Court (mc01)\nSurvey Date: 03/15/2026\n" + hdr +
				"Willow,1x1,700,100,\"1,300.00\",6 weeks free,,\n" +
				"Willow,2x2,900,50,\"1,800.00\",1 month free,,\n" +
				"Aspen,1x1,700,80,\"1,200.00\",$500 off,,\n" +
				"Aspen,2x2,900,40,\"1,600.00\",1 month free on a 16-month lease,,\n",
			subject: "mc01", conc: []int64{15000, 15000, 4167, 10000}, eff: []int64{115000, 165000, 115833, 150000}, warnings: 4,
		},
		{
			name: "None means none, and a type of None is not one-time; a stated effective rent is used as given",
			in: "Subject: Maple Court (mc01)\nSurvey Date: 03/15/2026\n" + hdr +
				"Willow,1x1,700,100,\"1,300.00\",None,,\nWillow,2x2,900,50,\"1,800.00\",50.00,None,\n" +
				"Aspen,1x1,700,80,\"1,200.00\",600.00,One-time,\"1,175.00\"\n",
			subject: "mc01", conc: []int64{0, 5000, 5000}, eff: []int64{130000, 175000, 117500},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, s, err := parseCompetition(t, []byte(tt.in), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, e := range rep.Errors {
				codes = append(codes, e.Code)
				if tt.name[:7] == "subject" && !strings.Contains(e.Message, "Nowhere Towers") {
					t.Errorf("message does not say what was tried: %s", e.Message)
				}
			}
			if !slices.Equal(codes, tt.errCodes) {
				t.Errorf("errors = %+v, want %v", rep.Errors, tt.errCodes)
			}
			if rep.WarningCount != tt.warnings {
				t.Errorf("warnings = %+v, want %d", rep.Warnings, tt.warnings)
			}
			var conc, eff []int64
			for _, c := range s.comps {
				conc = append(conc, c.ConcessionsMonthly)
				eff = append(eff, c.EffectiveRent)
				if c.SubjectPropertyID != tt.subject {
					t.Errorf("row %d subject = %q, want %q", c.Row, c.SubjectPropertyID, tt.subject)
				}
			}
			if !slices.Equal(conc, tt.conc) || !slices.Equal(eff, tt.eff) {
				t.Errorf("concessions %v effective %v, want %v %v", conc, eff, tt.conc, tt.eff)
			}
		})
	}
}
