package parse

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// The metamorphic harness: every sample rent roll, mutated in the ways real
// exports differ (layout, spelling, encoding, container), must parse to
// exactly the units and stated totals of the file as written.

// metaSamples are the sample rent rolls with the options their tests use.
var metaSamples = []struct {
	file string
	opts Options
}{
	{"rentroll/yardi_rent_roll_lease_charges.csv", Options{}},
	{"rentroll/yardi_rent_roll_lease_charges.xlsx", Options{}},
	{"rentroll/onesite_rent_roll_detail.csv", Options{PropertyID: "cr02"}},
	{"rentroll/appfolio_rent_roll.csv", Options{}},
	{"rentroll/mri_rent_roll.csv", Options{}},
	{"rentroll/generic_rent_roll.csv", Options{AsOf: day(2026, 3, 31)}},
	{"rentroll/entrata_rent_roll.csv", Options{}},
	{"rentroll/resman_rent_roll.csv", Options{}},
	{"rentroll/appfolio_multi_property.csv", Options{}},
	{"rentroll/yardi_rent_roll_plain.csv", Options{}},
	{"rentroll/onesite_rent_roll_detail.xlsx", Options{PropertyID: "cr02"}},
	{"rentroll/student_by_bed.csv", Options{}},
	{"rentroll/parking_storage.csv", Options{}},
}

// mutation rewrites a file's rows (units gives the first row of each unit
// in the original) and encodes the result.
type mutation struct {
	name   string
	rows   func(rows [][]string, units map[int]bool) [][]string // nil: rows as read
	encode func(t *testing.T, rows [][]string) ([]byte, bool)   // nil: UTF-8 CSV; false: not applicable
}

var (
	reMoneyCell = regexp.MustCompile(`^(-?)([\d,]*\d)\.(\d\d)$`)
	reSlashDate = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
)

func mutations() []mutation {
	money := func(style int) func([][]string, map[int]bool) [][]string {
		return mapCells(func(c string) string {
			m := reMoneyCell.FindStringSubmatch(strings.TrimSpace(c))
			if m == nil {
				return c
			}
			neg, whole, cents := m[1] == "-", m[2], m[3]
			plain := strings.ReplaceAll(whole, ",", "")
			switch {
			case style == 0 && neg:
				return "(" + whole + "." + cents + ")"
			case style == 0:
				return "$" + whole + "." + cents
			case style == 1 && neg:
				return "$ (" + whole + "." + cents + ")"
			case style == 1:
				return "$ " + whole + "." + cents
			case style == 2 && neg && cents == "00":
				return "-" + plain
			case style == 2 && neg:
				return "$(" + whole + "." + cents + ")"
			}
			return plain + "." + cents
		})
	}
	date := func(style int) func([][]string, map[int]bool) [][]string {
		return mapCells(func(c string) string {
			m := reSlashDate.FindStringSubmatch(strings.TrimSpace(c))
			if m == nil {
				return c
			}
			mo, _ := strconv.Atoi(m[1])
			d, _ := strconv.Atoi(m[2])
			y, _ := strconv.Atoi(m[3])
			t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
			switch style {
			case 0:
				return t.Format("1/2/06")
			case 1:
				return t.Format("2006-01-02")
			case 2:
				return t.Format("02-Jan-2006")
			}
			serial := t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
			return strconv.Itoa(int(serial))
		})
	}
	delim := func(comma rune, crlf bool) func(*testing.T, [][]string) ([]byte, bool) {
		return func(t *testing.T, rows [][]string) ([]byte, bool) { return encodeCSV(t, rows, comma, crlf), true }
	}
	return []mutation{
		{name: "as read"},
		{name: "label merged with the header line below it", rows: mergeLabels},
		{name: "subtotal, building total and average rows inserted", rows: insertSummaries},
		{name: "blank rows and a blank column", rows: blanks},
		{name: "columns reversed", rows: reverseColumns},
		{name: "money as $1,234.00 and (1,234.00)", rows: money(0)},
		{name: "money as $ 1,234.00 and $ (1,234.00)", rows: money(1)},
		{name: "money as 1234.00 and -1234", rows: money(2)},
		{name: "dates as 3/7/26", rows: date(0)},
		{name: "dates as 2026-03-07", rows: date(1)},
		{name: "dates as 07-Mar-2026", rows: date(2)},
		{name: "dates as Excel serials", rows: date(3)},
		{name: "UTF-16 with BOM", encode: func(t *testing.T, rows [][]string) ([]byte, bool) {
			b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(encodeCSV(t, rows, ',', true))
			return b, err == nil
		}},
		{name: "Windows-1252", encode: func(t *testing.T, rows [][]string) ([]byte, bool) {
			b, err := charmap.Windows1252.NewEncoder().Bytes(encodeCSV(t, rows, ',', false))
			return b, err == nil && !bytes.Equal(b, encodeCSV(t, rows, ',', false)) // only when it differs from UTF-8
		}},
		{name: "; delimited", encode: delim(';', false)},
		{name: "tab delimited", encode: delim('\t', false)},
		{name: "CRLF", encode: delim(',', true)},
		{name: "XLSX, numbers as text, merged banners", encode: func(t *testing.T, rows [][]string) ([]byte, bool) {
			return encodeXLSX(t, rows, false), true
		}},
		{name: "XLSX, report on a later sheet", encode: func(t *testing.T, rows [][]string) ([]byte, bool) {
			return encodeXLSX(t, rows, true), true
		}},
	}
}

func mapCells(f func(string) string) func([][]string, map[int]bool) [][]string {
	return func(rows [][]string, _ map[int]bool) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = make([]string, len(r))
			for j, c := range r {
				out[i][j] = f(c)
			}
		}
		return out
	}
}

// mergeLabels puts a label row (one cell, in the first column) on the row
// below it when that row's first cell is empty (Yardi's "Summary Groups"
// over the first line of its block's header).
func mergeLabels(rows [][]string, _ map[int]bool) [][]string {
	var out [][]string
	for i := 0; i < len(rows); i++ {
		if n, col, _ := nonEmpty(rows[i]); n == 1 && col == 0 && i+1 < len(rows) {
			next := rows[i+1]
			if n2, col2, _ := nonEmpty(next); n2 >= 2 && col2 > 0 && len(next) > 0 {
				merged := slices.Clone(next)
				merged[0] = rows[i][0]
				out = append(out, merged)
				i++
				continue
			}
		}
		out = append(out, rows[i])
	}
	return out
}

// insertSummaries puts a subtotal, a building total and an average row
// (labels only, or with averages that are never reconciled) before every
// third unit.
func insertSummaries(rows [][]string, units map[int]bool) [][]string {
	var out [][]string
	k := 0
	labels := []string{"Subtotal", "Building 1 Total", "Average"}
	for i, r := range rows {
		if units[i+1] {
			if k%3 == 2 {
				row := make([]string, max(len(r), 3))
				row[0] = labels[(k/3)%3]
				if row[0] == "Average" {
					row[2] = "1,234.56"
				}
				out = append(out, row)
			}
			k++
		}
		out = append(out, r)
	}
	return out
}

// blanks inserts a blank column after the first and a blank row before
// every fourth unit.
func blanks(rows [][]string, units map[int]bool) [][]string {
	var out [][]string
	k := 0
	for i, r := range rows {
		if units[i+1] {
			if k%4 == 3 {
				out = append(out, []string{"", "", ""})
			}
			k++
		}
		row := slices.Clone(r)
		if len(row) > 1 {
			row = slices.Insert(row, 1, "")
		}
		out = append(out, row)
	}
	return out
}

// reverseColumns reverses the order of the columns of every row (rows
// padded to the widest first), as an export with another column layout.
func reverseColumns(rows [][]string, _ map[int]bool) [][]string {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		row := make([]string, w)
		for j, c := range r {
			row[w-1-j] = c
		}
		out[i] = row
	}
	return out
}

// encodeCSV writes rows as a spreadsheet saves CSV: every row as wide as
// the widest.
func encodeCSV(t *testing.T, rows [][]string, comma rune, crlf bool) []byte {
	t.Helper()
	w0 := 0
	for _, r := range rows {
		w0 = max(w0, len(r))
	}
	padded := make([][]string, len(rows))
	for i, r := range rows {
		padded[i] = append(slices.Clone(r), make([]string, w0-len(r))...)
	}
	rows = padded
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma, w.UseCRLF = comma, crlf
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encodeXLSX writes the rows as text cells (numbers stored as text, as
// many exports do), merging each banner row (one cell) across the first
// six columns; cover puts a cover sheet before the report.
func encodeXLSX(t *testing.T, rows [][]string, cover bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	if cover {
		_ = f.SetCellStr("Sheet1", "A1", "Prepared for the lender")
		_ = f.SetCellStr("Sheet1", "A2", "Contents: rent roll")
		sheet = "Rent Roll"
		if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
	}
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
		if n, col, _ := nonEmpty(row); n == 1 && col == 0 {
			a, _ := excelize.CoordinatesToCellName(1, r+1)
			b, _ := excelize.CoordinatesToCellName(6, r+1)
			if err := f.MergeCell(sheet, a, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readRows returns a file's rows as the parser's reader decodes them.
func readRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	src, err := openSource(bytes.NewReader(data), int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var rows [][]string
	for {
		r, err := src.Next()
		if err != nil {
			break
		}
		rows = append(rows, slices.Clone(r))
	}
	return rows
}

// outcome is what must not change under a mutation.
type outcome struct {
	units    []string
	recs     []string
	warnings []string
	props    []string
}

func outcomeOf(rep *Report, units []Unit) outcome {
	var o outcome
	for _, u := range units {
		u.Row = 0
		ch := slices.Clone(u.Charges)
		slices.SortFunc(ch, func(a, b Charge) int {
			return strings.Compare(a.Code+strconv.FormatInt(a.Amount, 10), b.Code+strconv.FormatInt(b.Amount, 10))
		})
		u.Charges = nil
		o.units = append(o.units, fmt.Sprintf("%+v %v", u, ch))
	}
	for _, r := range rep.Reconciliations {
		o.recs = append(o.recs, fmt.Sprintf("%s %+v %v", r.Label, r.Stated, r.OK))
	}
	for _, w := range rep.Warnings {
		if w.Code != "sheet_skipped" {
			o.warnings = append(o.warnings, w.Code)
		}
	}
	slices.Sort(o.warnings)
	o.props = rep.Properties
	return o
}

func TestMetamorphic(t *testing.T) {
	for _, sample := range metaSamples {
		data := sampleBytes(t, sample.file)
		rep, s, err := parseRentRoll(t, data, sample.opts)
		if err != nil || !rep.OK() {
			t.Fatalf("%s: %v %+v", sample.file, err, rep.Errors)
		}
		want := outcomeOf(rep, s.units)
		unitRows := map[int]bool{}
		for _, u := range s.units {
			unitRows[u.Row] = true
		}
		rows := readRows(t, data)
		for _, m := range mutations() {
			t.Run(sample.file+"/"+m.name, func(t *testing.T) {
				mr := rows
				if m.rows != nil {
					mr = m.rows(rows, unitRows)
				}
				var in []byte
				if m.encode != nil {
					var ok bool
					if in, ok = m.encode(t, mr); !ok {
						t.Skip("not applicable to this file")
					}
				} else {
					in = encodeCSV(t, mr, ',', false)
				}
				rep, s, err := parseRentRoll(t, in, sample.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !rep.OK() {
					t.Fatalf("errors: %+v", rep.Errors)
				}
				got := outcomeOf(rep, s.units)
				if !reflect.DeepEqual(got.units, want.units) {
					for i := range max(len(got.units), len(want.units)) {
						var g, w string
						if i < len(got.units) {
							g = got.units[i]
						}
						if i < len(want.units) {
							w = want.units[i]
						}
						if g != w {
							t.Errorf("unit %d:\n got %s\nwant %s", i, g, w)
							break
						}
					}
					t.Errorf("%d units, want %d", len(got.units), len(want.units))
				}
				if !reflect.DeepEqual(got.recs, want.recs) {
					t.Errorf("reconciliations\n got %q\nwant %q", got.recs, want.recs)
				}
				if !reflect.DeepEqual(got.warnings, want.warnings) || !reflect.DeepEqual(got.props, want.props) {
					t.Errorf("warnings %v properties %v, want %v %v", got.warnings, got.props, want.warnings, want.props)
				}
			})
		}
	}
}
