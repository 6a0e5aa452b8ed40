// Command samplegen writes the XLSX sample files of testdata/ from their CSV
// twins, so the two always hold the same rows: numbers become numeric cells,
// US dates become real Excel dates (serial numbers with a date format) and
// percentages become fractions, as a spreadsheet export would store them.
//
// Run from the module root:
//
//	go run ./shared/parse/internal/samplegen
package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// job names one CSV sample and the workbook made from it.
type job struct {
	csv, xlsx, sheet string
	// textCols are columns kept as text even when they look numeric (unit ids).
	textCols map[int]bool
}

var (
	reMoney   = regexp.MustCompile(`^-?\$?-?\d{1,3}(,\d{3})*\.\d{2}$|^-?\$?\d+\.\d{2}$`)
	reInt     = regexp.MustCompile(`^\d{1,3}(,\d{3})*$|^\d+$`)
	rePercent = regexp.MustCompile(`^\d+(\.\d+)?%$`)
	reUSDate  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
)

func main() {
	jobs := []job{
		{csv: "testdata/rentroll/yardi_rent_roll_lease_charges.csv", xlsx: "testdata/rentroll/yardi_rent_roll_lease_charges.xlsx",
			sheet: "Report1", textCols: map[int]bool{0: true}},
		{csv: "testdata/competition/market_survey.csv", xlsx: "testdata/competition/market_survey.xlsx", sheet: "Survey"},
		{csv: "testdata/rentroll/onesite_rent_roll_detail.csv", xlsx: "testdata/rentroll/onesite_rent_roll_detail.xlsx",
			sheet: "Rent Roll Detail", textCols: map[int]bool{0: true}},
	}
	for _, j := range jobs {
		if err := convert(j); err != nil {
			log.Fatalf("%s: %v", j.csv, err)
		}
		fmt.Println("wrote", j.xlsx)
	}
}

func convert(j job) error {
	in, err := os.Open(j.csv)
	if err != nil {
		return err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", j.sheet); err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	pctStyle, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(j.sheet)
	if err != nil {
		return err
	}
	for i, row := range rows {
		vals := make([]any, len(row))
		for c, s := range row {
			vals[c] = cellValue(s, j.textCols[c], dateStyle, moneyStyle, pctStyle)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	return os.WriteFile(j.xlsx, buf.Bytes(), 0o644)
}

func cellValue(s string, text bool, dateStyle, moneyStyle, pctStyle int) any {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return nil
	case text:
		return s
	case reMoney.MatchString(t):
		v, err := strconv.ParseFloat(strings.NewReplacer("$", "", ",", "").Replace(t), 64)
		if err == nil {
			return excelize.Cell{StyleID: moneyStyle, Value: v}
		}
	case reInt.MatchString(t):
		v, err := strconv.Atoi(strings.ReplaceAll(t, ",", ""))
		if err == nil {
			return v
		}
	case rePercent.MatchString(t):
		v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
		if err == nil {
			return excelize.Cell{StyleID: pctStyle, Value: v / 100}
		}
	case reUSDate.MatchString(t):
		m := reUSDate.FindStringSubmatch(t)
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		return excelize.Cell{StyleID: dateStyle, Value: time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)}
	}
	return s
}
