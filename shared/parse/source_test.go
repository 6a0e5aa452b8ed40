package parse

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"rentroll.ai/rentroll/shared/errs"
)

func encodeUTF16(t *testing.T, b []byte, order unicode.Endianness) []byte {
	t.Helper()
	out, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEncodings(t *testing.T) {
	app := sampleBytes(t, "rentroll/appfolio_rent_roll.csv")
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-8", app},
		{"utf-8 bom", append([]byte("\xEF\xBB\xBF"), app...)},
		{"utf-16le bom", encodeUTF16(t, app, unicode.LittleEndian)},
		{"utf-16be bom", encodeUTF16(t, app, unicode.BigEndian)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, s, err := parseRentRoll(t, tt.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(s.units)
			if !rep.OK() || got.units != 8 || got.market != 1173000 || got.lease != 889500 || rep.Format != FormatAppFolio {
				t.Errorf("report %+v summary %+v", rep, got)
			}
			if first := s.raw[0].Cells[0]; first != "Rent Roll" {
				t.Errorf("first cell = %q", first)
			}
		})
	}
	t.Run("windows-1252", func(t *testing.T) {
		rep, s, err := parseRentRoll(t, sampleBytes(t, "rentroll/mri_rent_roll.csv"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.FileType != "csv" || rep.Encoding != "windows-1252" || rep.Delimiter != ";" {
			t.Errorf("file type %q, encoding %q, delimiter %q", rep.FileType, rep.Encoding, rep.Delimiter)
		}
		if got := s.raw[4].Cells[5]; got != "Peña, Lucía" {
			t.Errorf("name = %q, want Peña, Lucía", got)
		}
	})
}

func TestCSVReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]string
	}{
		{"plain", "a,b,c\n1,2,3\n", [][]string{{"a", "b", "c"}, {"1", "2", "3"}}},
		{"crlf and no final newline", "a,b\r\n1,2", [][]string{{"a", "b"}, {"1", "2"}}},
		{"quoted newline", "\"Unit \nDesignation\",b\r\n\"x\r\ny\",2\n", [][]string{{"Unit \nDesignation", "b"}, {"x\ny", "2"}}},
		{"escaped quote", "\"say \"\"hi\"\"\",2\n", [][]string{{"say \"hi\"", "2"}}},
		{"stray quote kept", "\"ab\"c\",d\n", [][]string{{"ab\"c", "d"}}},
		{"ragged", "a\n1,2,3\n\n4,5\n", [][]string{{"a"}, {"1", "2", "3"}, {""}, {"4", "5"}}},
		{"unterminated quote ends at eof", "a,\"bc\n", [][]string{{"a", "bc\n"}}},
		{"tab inside value", "Fox,\tAri,2\n", [][]string{{"Fox", "\tAri", "2"}}},
		{"semicolon", "Unit;Rent\n101;\"1,250.00\"\n", [][]string{{"Unit", "Rent"}, {"101", "1,250.00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := openSource(strings.NewReader(tt.in), int64(len(tt.in)), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for {
				row, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, row)
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRentRollShapes covers export shapes that the sample files do not.
func TestRentRollShapes(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     Options
		units    []string // "property/unit:status:market:lease"
		errCodes []string
		format   string
		excluded map[string]int
	}{
		{
			name: "yardi plain rent roll, two properties with per-property totals",
			in: "Rent Roll\nAs Of = 03/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Actual,Resident,Other,Move In,Lease,Move Out,Balance\n" +
				",,Sq Ft,,,Rent,Rent,Deposit,Deposit,,Expiration,,\n" +
				"Maple Court (mc01),,,,,,,,,,,,\n" +
				"101,mc1a1,650,t01,\"Avery, J\",\"1,250.00\",\"1,225.00\",0,0,04/15/2024,04/14/2026,,0\n" +
				"102,mc1a1,650,VACANT,,\"1,250.00\",0.00,0,0,,,,0\n" +
				"\"Total Maple Court(mc01)\",,\"1,300\",,,\"2,500.00\",\"1,225.00\",,,,,,\n" +
				"Birch Lofts (bl02),,,,,,,,,,,,\n" +
				"101,bl2b2,900,t07,\"Cruz, R\",\"1,800.00\",\"1,790.00\",0,0,01/01/2026,12/31/2026,03/31/2026,0\n" +
				"\"Total Birch Lofts(bl02)\",,900,,,\"1,800.00\",\"1,790.00\",,,,,,\n" +
				"Total All Properties,,\"2,200\",,,\"4,300.00\",\"3,015.00\",,,,,,\n",
			units:  []string{"mc01/101:occupied:125000:122500", "mc01/102:vacant:125000:0", "bl02/101:occupied_notice:180000:179000"},
			format: FormatYardi, excluded: map[string]int{"group_row": 2},
		},
		{
			name: "onesite 31-column variant with newline headers and future residents",
			in: "\"Pine Hollow\"\n\"RENT ROLL DETAIL\"\n\"As of Date: 3/7/2016\"\n" +
				"\"Bldg/Unit\",\"Floor Plan\",\"Unit \nDesignation\",\"SQFT\",\"Unit/Lease Status\",\"Resh ID\",\"Lease ID\",\"Name\",\"Move-In\",\"Move-Out\",\"Lease Start\",\"Lease End\",\"Market + Addl.\",\"Lease Rent\",\"Sub Journal\",\"Total Charges\",\"RENT                          \",\"MTOM                          \"\n" +
				"\"01/0101\",\"A1\",\"Standard\",\"700\",\"Occupied\",\"1\",\"11\",\"A, B\",\"1/1/2015\",\"\",\"1/1/2016\",\"12/31/2016\",\"1,000.00\",\"990.00\",\"Resident\",\"1,090.00\",\"990.00\",\"100.00\"\n" +
				"\"02/0101\",\"A1\",\"Standard\",\"700\",\"Vacant\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"1,000.00\",\"\",\"\",\"0.00\",\"\",\"\"\n" +
				"\"Future Residents\"\n" +
				"\"02/0101\",\"A1\",\"Standard\",\"700\",\"Applicant\",\"3\",\"33\",\"C, D\",\"4/1/2016\",\"\",\"4/1/2016\",\"3/31/2017\",\"1,000.00\",\"995.00\",\"Resident\",\"995.00\",\"995.00\",\"\"\n",
			opts:   Options{PropertyID: "ph09"},
			units:  []string{"ph09/01/0101:occupied:100000:99000", "ph09/02/0101:vacant:100000:0"},
			format: FormatOneSite, excluded: map[string]int{"future_resident": 1},
		},
		{
			name: "header with different case and padding, tab delimited, date column per row",
			in: "UNIT\tSTATUS \tmarket rent\tLEASE RENT\tsq ft\tAs Of Date\n" +
				"7\tOccupied\t$900.00\t$880.00\t500\t2026-02-28\n",
			opts:   Options{PropertyID: "p1"},
			units:  []string{"p1/7:occupied:90000:88000"},
			format: FormatGeneric, excluded: map[string]int{},
		},
		{
			name: "entrata charge columns",
			in: "Rent Roll\nWillow Bend (wb07)\nAs of 03/31/2026\n" +
				"Bldg-Unit,Unit Type,Unit Status,Sq Ft,Resident,Market Rent,Base Rent,Pet Rent,Covered Parking,New Lease Monthly Concession,Total Billed,Lease Start,Lease End,Move-In,Move-Out\n" +
				"01-101,2x2,Occupied No Notice,\"1,000\",\"Lee, A\",\"$1,500.00\",\"$1,480.00\",$25.00,$40.00,($100.00),\"$1,445.00\",02/01/2026,01/31/2027,02/01/2026,\n" +
				"01-102,2x2,Vacant Unrented Not Ready,\"1,000\",,\"$1,500.00\",,,,,$0.00,,,,\n" +
				"Total,,,\"2,000\",,\"$3,000.00\",\"$1,480.00\",$25.00,$40.00,($100.00),\"$1,445.00\",,,,\n",
			units:  []string{"wb07/01-101:occupied:150000:148000", "wb07/01-102:vacant:150000:0"},
			format: FormatEntrata, excluded: map[string]int{},
		},
		{
			name: "header repeated after a page break",
			in: "Rent Roll with Lease Charges\nAsh (a1)\nAs Of = 01/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"1,x,500,t1,N,100.00,rent,90.00\n,,,,,,Total,90.00\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"2,x,500,VACANT,,100.00,,\n",
			units:  []string{"a1/1:occupied:10000:9000", "a1/2:vacant:10000:0"},
			format: FormatYardi, excluded: map[string]int{"repeated_header": 2},
		},
		{
			name:     "no as-of anywhere",
			in:       "Unit,Status,Market Rent,Sq Ft\n1,Vacant,100,500\n",
			opts:     Options{PropertyID: "p1"},
			units:    []string{"p1/1:vacant:10000:0"},
			errCodes: []string{"missing_as_of"},
			format:   FormatGeneric, excluded: map[string]int{},
		},
		{
			name:     "no property anywhere",
			in:       "As of 1/31/2026\nUnit,Status,Market Rent,Sq Ft\n1,Vacant,100,500\n",
			units:    []string{"/1:vacant:10000:0"},
			errCodes: []string{"missing_property"},
			format:   FormatGeneric, excluded: map[string]int{},
		},
		{
			name:     "no header",
			in:       "hello\nworld\n",
			errCodes: []string{"no_header"},
			format:   FormatGeneric, excluded: map[string]int{},
		},
		{
			name: "yardi block total that does not add up",
			in: "Rent Roll with Lease Charges\nAsh (a1)\nAs Of = 01/31/2026\n" +
				"Unit,Unit Type,Unit,Resident,Name,Market,Charge,Amount\n,,Sq Ft,,,Rent,Code,\n" +
				"1,x,500,t1,N,100.00,rent,90.00\n,,,,,,pet,10.00\n,,,,,,Total,110.00\n",
			units:    []string{"a1/1:occupied:10000:9000"},
			errCodes: []string{"block_total_mismatch"},
			format:   FormatYardi, excluded: map[string]int{},
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
				got = append(got, u.PropertyID+"/"+u.UnitID+":"+u.Status+":"+itoa(u.MarketRent)+":"+itoa(u.LeaseRent))
			}
			if !slices.Equal(got, tt.units) {
				t.Errorf("units = %q, want %q", got, tt.units)
			}
			var codes []string
			for _, e := range rep.Errors {
				codes = append(codes, e.Code)
			}
			if !slices.Equal(codes, tt.errCodes) {
				t.Errorf("errors = %+v, want codes %v", rep.Errors, tt.errCodes)
			}
			if rep.Format != tt.format {
				t.Errorf("format = %q, want %q", rep.Format, tt.format)
			}
			if len(rep.Excluded) != len(tt.excluded) {
				t.Errorf("excluded = %v, want %v", rep.Excluded, tt.excluded)
			}
			for k, v := range tt.excluded {
				if rep.Excluded[k] != v {
					t.Errorf("excluded = %v, want %v", rep.Excluded, tt.excluded)
				}
			}
			for _, rec := range rep.Reconciliations {
				if !rec.OK {
					t.Errorf("reconciliation failed: %+v", rec)
				}
			}
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// zipBytes builds a zip archive; raw entries carry a header the test chooses.
func zipBytes(t *testing.T, files map[string][]byte, raw map[string]*zip.FileHeader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for name, h := range raw {
		h.Name = name
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte{0x03, 0x00}); err != nil { // an empty deflate stream
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxBytes writes a workbook with the given rows on one sheet.
func xlsxBytes(t testing.TB, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHostileInputs(t *testing.T) {
	// A real bomb: 24 MiB of zeros deflate to ~24 KiB (1000:1).
	var bomb bytes.Buffer
	{
		zw := zip.NewWriter(&bomb)
		for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
			w, _ := zw.Create(name)
			_, _ = w.Write([]byte("<x/>"))
		}
		w, err := zw.Create("xl/worksheets/sheet1.xml")
		if err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 1<<20)
		for range 24 {
			_, _ = w.Write(zeros)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A lying bomb: the directory declares 100 GiB for one entry.
	lying := zipBytes(t, map[string][]byte{"[Content_Types].xml": []byte("<x/>")}, map[string]*zip.FileHeader{
		"xl/worksheets/sheet1.xml": {Method: zip.Deflate, CompressedSize64: 2, UncompressedSize64: 100 << 30},
	})
	wide := "Unit" + strings.Repeat(",x", 100_000) + "\n"
	bigCell := "Unit,Notes\n1,\"" + strings.Repeat("a", 1<<20) + "\"\n"
	endless := strings.Repeat("a", 5<<20)
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7 + i/13)
	}
	wideRow := make([]any, 1000)
	for i := range wideRow {
		wideRow[i] = "h"
	}
	wideXLSX := xlsxBytes(t, "Sheet1", [][]any{wideRow})

	tests := []struct {
		name string
		data []byte
		lim  Limits
		code errs.Code
		msg  string
	}{
		{"zip bomb", bomb.Bytes(), Limits{}, errs.TooLarge, "compressed more than 200:1"},
		{"zip bomb over the unzip limit", bomb.Bytes(), Limits{MaxUnzipBytes: 16 << 20}, errs.TooLarge, "unpacks to more than"},
		{"zip bomb with a lying directory", lying, Limits{}, errs.TooLarge, "zip bomb"},
		{"huge in-memory part", zipBytes(t, nil, map[string]*zip.FileHeader{
			"xl/styles.xml": {Method: zip.Deflate, CompressedSize64: 2, UncompressedSize64: 100 << 20}}), Limits{}, errs.TooLarge, "xl/styles.xml"},
		{"truncated zip", []byte("PK\x03\x04 this is not really a zip"), Limits{}, errs.Invalid, "not a readable XLSX"},
		{"legacy xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), Limits{}, errs.Invalid, ".xls"},
		{"pdf", []byte("%PDF-1.7\n..."), Limits{}, errs.Invalid, "PDF"},
		{"binary garbage", garbage, Limits{}, errs.Invalid, "binary"},
		{"empty", nil, Limits{}, errs.Invalid, "empty"},
		{"utf-16 without bom", encodeUTF16(t, []byte("Unit,Status\n1,Vacant\n"), unicode.LittleEndian)[2:], Limits{}, errs.Invalid, "byte-order mark"},
		{"100k columns", []byte(wide), Limits{}, errs.TooLarge, "more than 512 columns"},
		{"1 MB cell", []byte(bigCell), Limits{}, errs.TooLarge, "longer than"},
		{"1 MB cell, large rows allowed", []byte(bigCell), Limits{MaxRowBytes: 4 << 20}, errs.TooLarge, "a cell is longer than 65536 bytes"},
		{"endless line", []byte(endless), Limits{}, errs.TooLarge, "row 1 is longer"},
		{"too many rows", []byte(strings.Repeat("a,b\n", 50)), Limits{MaxRows: 10}, errs.TooLarge, "more than 10 rows"},
		{"too many bytes", []byte(strings.Repeat("a,b\n", 50)), Limits{MaxBytes: 100}, errs.TooLarge, "over the 100-byte limit"},
		{"xlsx too wide", wideXLSX, Limits{}, errs.TooLarge, "more than 512 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			rep, _, err := parseRentRoll(t, tt.data, Options{Filename: "upload.xlsx", Limits: tt.lim})
			if err == nil {
				t.Fatalf("no error; report %+v", rep)
			}
			if errs.CodeOf(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v (code %s), want code %s containing %q", err, errs.CodeOf(err), tt.code, tt.msg)
			}
			if _, msg := errs.Public(err); msg == "" {
				t.Error("no public message")
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 64<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
}

func TestXLSXNamedCSVIsReadAsCSV(t *testing.T) {
	data := sampleBytes(t, "rentroll/appfolio_rent_roll.csv")
	rep, s, err := parseRentRoll(t, data, Options{Filename: "rent roll.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FileType != "csv" || rep.Encoding != "utf-8" || rep.Delimiter != "," {
		t.Errorf("file type %q, encoding %q, delimiter %q", rep.FileType, rep.Encoding, rep.Delimiter)
	}
	if !rep.OK() || len(s.units) != 8 {
		t.Errorf("units %d, errors %+v", len(s.units), rep.Errors)
	}
}

func TestXLSXFromTempFile(t *testing.T) {
	// The ingest spools objects to a temp file; excelize then reads it in place.
	path := filepath.Join(t.TempDir(), "roll.xlsx")
	if err := os.WriteFile(path, sampleBytes(t, "rentroll/yardi_rent_roll_lease_charges.xlsx"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	s := &memSink{}
	rep, err := RentRoll(context.Background(), f, fi.Size(), Options{}, s)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(s.units) != 12 {
		t.Errorf("units %d, errors %+v", len(s.units), rep.Errors)
	}
}

func TestXLSXLimitsAndGaps(t *testing.T) {
	// Excel caps a cell at 32,767 characters, so the limit is lowered here.
	big := xlsxBytes(t, "Sheet1", [][]any{{"Unit", "Notes"}, {"1", strings.Repeat("n", 20_000)}})
	_, _, err := parseRentRoll(t, big, Options{Limits: Limits{MaxCellBytes: 10_000}})
	if errs.CodeOf(err) != errs.TooLarge || !strings.Contains(err.Error(), "cell is longer") {
		t.Errorf("big cell: err = %v", err)
	}
	// A value far down the sheet: the gap is counted but not sent as raw rows.
	f := excelize.NewFile()
	defer f.Close()
	for cell, v := range map[string]any{"A1": "As of 1/31/2026", "A2": "Unit", "B2": "Status", "C2": "Sq Ft",
		"D2": "Market Rent", "A3": "1", "B3": "Vacant", "C3": 500, "D3": 900, "A100000": "note"} {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, s, err := parseRentRoll(t, buf.Bytes(), Options{PropertyID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsTotal != 100_000 || len(s.raw) != 4 || s.raw[3].Number != 100_000 || len(s.units) != 1 {
		t.Errorf("rows total %d, raw %d, units %d", rep.RowsTotal, len(s.raw), len(s.units))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestXLSXPicksReport1(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("Report1"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"not the report"})
	for i, r := range [][]any{{"As of 2/28/2026"}, {"Unit", "Status", "Market Rent", "Sq Ft"}, {"9", "Model", 1200, 600}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow("Report1", cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rep, s, err := parseRentRoll(t, buf.Bytes(), Options{PropertyID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(s.units) != 1 || s.units[0].Status != StatusModel || s.units[0].MarketRent != 120000 ||
		!s.units[0].AsOf.Equal(day(2026, 2, 28)) {
		t.Errorf("units %+v errors %+v", s.units, rep.Errors)
	}
}

type failSink struct{ memSink }

var errSinkFull = errors.New("sink full")

func (f *failSink) Unit(Unit) error { return errSinkFull }

func TestSinkErrorReturnedAsIs(t *testing.T) {
	data := sampleBytes(t, "rentroll/appfolio_rent_roll.csv")
	_, err := RentRoll(context.Background(), bytes.NewReader(data), int64(len(data)), Options{}, &failSink{})
	if err != errSinkFull {
		t.Errorf("err = %v, want the sink's error", err)
	}
}

func TestCancelledContext(t *testing.T) {
	data := []byte("Unit,Status\n" + strings.Repeat("1,Vacant\n", 5000))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := RentRoll(ctx, bytes.NewReader(data), int64(len(data)), Options{}, &countSink{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestIssueCap(t *testing.T) {
	data := []byte("As of 1/1/2026\nUnit,Status,Sq Ft,Market Rent\n" + strings.Repeat("1,Bogus,1,1\n", 50))
	rep, _, err := parseRentRoll(t, data, Options{PropertyID: "p", Limits: Limits{MaxIssues: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 5 || rep.ErrorCount != 50 {
		t.Errorf("kept %d errors of %d, want 5 of 50", len(rep.Errors), rep.ErrorCount)
	}
}

func TestCompetitionShapes(t *testing.T) {
	in := "Subject Property ID,Comp,Date,Floor Plan,BD/BA,SF,Asking Rent,One-Time Concession,Occupancy\n" +
		"mc01,Willow Park,3/1/2026,A1,1/1.00,700,\"$1,300.00\",\"$600.00\",0.95\n" +
		"mc01,,3/1/2026,B1,2/2.00,1000,\"$1,800.00\",,140%\n" +
		"mc01,Aspen,3/1/2026,C1,3/2.00,1200,,,\n"
	rep, s, err := parseCompetition(t, []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.comps) != 2 {
		t.Fatalf("comps = %+v", s.comps)
	}
	if c := s.comps[0]; c.ConcessionsMonthly != 5000 || c.EffectiveRent != 125000 || c.Beds != 1 || c.SqFt != 700 || !c.SurveyDate.Equal(day(2026, 3, 1)) {
		t.Errorf("first comp = %+v", c)
	}
	if c := s.comps[1]; c.CompProperty != "Willow Park" || c.HasOccupancy {
		t.Errorf("second comp = %+v", c)
	}
	var codes []string
	for _, e := range rep.Errors {
		codes = append(codes, e.Code)
	}
	if want := []string{"bad_percent", "missing_rent"}; !slices.Equal(codes, want) {
		t.Errorf("errors = %+v, want %v", rep.Errors, want)
	}
}
