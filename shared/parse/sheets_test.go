package parse

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// workbook builds an XLSX of named sheets, each given as CSV-like lines
// (cells split on commas).
func workbook(t *testing.T, sheets ...[2]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh[0]); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sh[0]); err != nil {
			t.Fatal(err)
		}
		for r, line := range strings.Split(strings.TrimSuffix(sh[1], "\n"), "\n") {
			for c, v := range strings.Split(line, ",") {
				if v == "" {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellStr(sh[0], cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWorkbookSheets(t *testing.T) {
	roll := func(prop string) string {
		return "Rent Roll\n" + prop + "\nAs of: 03/31/2026\nUnit,Unit Type,Status,Sq Ft,Market Rent,Lease Rent\n" +
			"101,A1,Occupied,700,1300.00,1280.00\n102,A1,Vacant,700,1300.00,\n"
	}
	cover := [2]string{"Cover", "Prepared for Lender\nPrepared by Someone\nDate,03/31/2026\n"}
	params := [2]string{"Parameters", "Property,All\nStatus,All\n"}
	tests := []struct {
		name     string
		sheets   [][2]string
		opts     Options
		units    []string
		errCodes []string
		warnings []string
		inMsg    string // a text the first error must contain
	}{
		{
			name:     "report on a later sheet, cover and parameters skipped by content",
			sheets:   [][2]string{cover, params, {"Rent Roll", roll("Elm Place (elm05)")}},
			units:    []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:130000:-"},
			warnings: []string{"sheet_skipped", "sheet_skipped"},
		},
		{
			name:   "one property per sheet: every sheet loads",
			sheets: [][2]string{cover, {"Elm", roll("Elm Place (elm05)")}, {"Oak", roll("Oak Row (oak01)")}},
			units: []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:130000:-",
				"oak01/101:occupied:130000:128000", "oak01/102:vacant:130000:-"},
			warnings: []string{"sheet_skipped"},
		},
		{
			name:     "two views of one property: refused naming the sheets",
			sheets:   [][2]string{{"Scheduled", roll("Elm Place (elm05)")}, {"Actual", roll("Elm Place (elm05)")}},
			units:    []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:130000:-"},
			errCodes: []string{"duplicate_sheet"},
			inMsg:    `sheets "Scheduled" and "Actual" both hold property elm05`,
		},
		{
			name:     "several sheets, one naming no property: refused, never a partial load",
			sheets:   [][2]string{{"Elm", roll("Elm Place (elm05)")}, {"Bldg 2", roll("")}},
			opts:     Options{PropertyID: "elm05"},
			units:    []string{"elm05/101:occupied:130000:128000", "elm05/102:vacant:130000:-"},
			errCodes: []string{"sheet_without_property", "duplicate_sheet"},
			inMsg:    `sheets "Elm" and "Bldg 2"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, s, err := parseRentRoll(t, workbook(t, tt.sheets...), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got, codes, warns []string
			for _, u := range s.units {
				got = append(got, unitLine(u))
			}
			for _, e := range rep.Errors {
				codes = append(codes, e.Code)
			}
			for _, w := range rep.Warnings {
				warns = append(warns, w.Code)
			}
			if !slices.Equal(got, tt.units) || !slices.Equal(codes, tt.errCodes) || !slices.Equal(warns, tt.warnings) {
				t.Errorf("units %q errors %+v warnings %+v; want %q %v %v", got, rep.Errors, rep.Warnings, tt.units, tt.errCodes, tt.warnings)
			}
			if tt.inMsg != "" && (len(rep.Errors) == 0 || !strings.Contains(rep.Errors[0].Message, tt.inMsg)) {
				t.Errorf("first error %+v does not say %q", rep.Errors, tt.inMsg)
			}
		})
	}
}

// TestWrongKind: a rent roll uploaded as a survey (its header passes for
// one: Unit Type, Market Rent) is refused, and the converse.
func TestWrongKind(t *testing.T) {
	roll := sampleBytes(t, "rentroll/appfolio_rent_roll.csv")
	rep, s, err := parseCompetition(t, roll, Options{PropertyID: "bsl03"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.comps) != 0 || len(rep.Errors) != 1 || rep.Errors[0].Code != "wrong_kind" ||
		!strings.Contains(rep.Errors[0].Message, "this looks like a rent roll") || !rep.Errors[0].FileLevel {
		t.Errorf("rent roll as survey: comps %d, errors %+v", len(s.comps), rep.Errors)
	}
	survey := sampleBytes(t, "competition/market_survey.csv")
	rep, s, err = parseRentRoll(t, survey, Options{PropertyID: "mc01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.units) != 0 || len(rep.Errors) != 1 || rep.Errors[0].Code != "wrong_kind" ||
		!strings.Contains(rep.Errors[0].Message, "this looks like a market survey") {
		t.Errorf("survey as rent roll: units %d, errors %+v", len(s.units), rep.Errors)
	}
	for _, file := range []string{"competition/market_survey.csv", "competition/market_survey.xlsx"} {
		rep, _, err := parseCompetition(t, sampleBytes(t, file), Options{})
		if err != nil || !rep.OK() {
			t.Errorf("%s as a survey: %v %+v", file, err, rep.Errors)
		}
	}
}
