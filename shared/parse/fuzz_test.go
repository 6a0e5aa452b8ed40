package parse

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/errs"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxRows: 5000, MaxColumns: 64, MaxCellBytes: 4096, MaxRowBytes: 64 << 10,
	MaxIssues: 50, MaxUnzipBytes: 8 << 20}

func addSamples(f *testing.F, files ...string) {
	for _, file := range files {
		f.Add(sampleBytes(f, file))
	}
}

// FuzzCSVReader feeds arbitrary bytes through the whole rent roll and survey
// parsers (the CSV path for text): they must not panic, must return either a
// report or an errs error, and every raw row must be numbered in order.
func FuzzCSVReader(f *testing.F) {
	addSamples(f, "rentroll/yardi_rent_roll_lease_charges.csv", "rentroll/onesite_rent_roll_detail.csv",
		"rentroll/appfolio_rent_roll.csv", "rentroll/mri_rent_roll.csv", "rentroll/generic_rent_roll.csv",
		"rentroll/broken_bad_values.csv", "competition/market_survey.csv")
	f.Add([]byte("\"a\n\"\"b,\"c\r\n,,\n\xff\xfe"))
	f.Add([]byte("\xfe\xff\x00U\x00n\x00i\x00t"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []Kind{KindRentRoll, KindCompetition} {
			s := &memSink{}
			opts := Options{PropertyID: "p", AsOf: day(2026, 1, 31), Limits: fuzzLimits}
			var rep *Report
			var err error
			if kind == KindRentRoll {
				rep, err = RentRoll(context.Background(), bytes.NewReader(data), int64(len(data)), opts, s)
			} else {
				rep, err = Competition(context.Background(), bytes.NewReader(data), int64(len(data)), opts, s)
			}
			if err != nil {
				if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if rep == nil || len(rep.Errors) > fuzzLimits.MaxIssues || rep.ErrorCount < len(rep.Errors) {
				t.Fatalf("bad report %+v", rep)
			}
			for i, r := range s.raw {
				if r.Number != i+1 || len(r.Cells) > fuzzLimits.MaxColumns {
					t.Fatalf("raw row %d: %+v", i, r)
				}
			}
			for _, u := range s.units {
				if u.UnitID == "" {
					t.Fatalf("unit without id: %+v", u)
				}
			}
		}
	})
}

// FuzzXLSXReader mutates a real workbook; opening and streaming it must fail
// cleanly or succeed, never panic.
func FuzzXLSXReader(f *testing.F) {
	addSamples(f, "rentroll/yardi_rent_roll_lease_charges.xlsx", "competition/market_survey.xlsx")
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := openSource(bytes.NewReader(data), int64(len(data)), fuzzLimits.withDefaults())
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		defer src.Close()
		for range fuzzLimits.MaxRows {
			_, err := src.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
		}
	})
}

// FuzzParseMoney: never panics; a parsed amount round-trips through its
// plain decimal form; the one-pass reading of plain amounts agrees with
// the general one.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"$1,250.00", "(165.00)", "-165,230.00", "1.5E+3", "12,50", "165.00-", "1234.5699999999", "",
		"1,034.00", "-35.00", "700", "12.", "1,2,3.4", "-0.5", "9999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok, err := ParseMoney(s)
		if err != nil && ok {
			t.Fatalf("ok with error for %q", s)
		}
		trimmed := strings.TrimSpace(s)
		if pc, pok := plainMoney(trimmed); pok {
			gc, gok, gerr := parseMoney(trimmed)
			if !gok || gerr != nil || gc != pc {
				t.Fatalf("%q: plainMoney %d, parseMoney %d %v %v", s, pc, gc, gok, gerr)
			}
		}
		if !ok {
			return
		}
		neg := c < 0
		a := c
		if neg {
			a = -a
		}
		plain := itoa(a/100) + "." + string(rune('0'+a%100/10)) + string(rune('0'+a%10))
		if neg {
			plain = "-" + plain
		}
		back, ok2, err2 := ParseMoney(plain)
		if err2 != nil || !ok2 || back != c {
			t.Fatalf("%q -> %d -> %q -> %d (%v)", s, c, plain, back, err2)
		}
	})
}

// FuzzParseDate: never panics; a parsed date is UTC midnight and
// round-trips through ISO form; the quick reading of m/d/yyyy agrees with
// the general one.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"03/25/2025", "3/7/16", "2026-03-31", "05-Mar-2026", "Mar 5, 2026", "45338", "20260331", "",
		"2/29/2024", "2/29/2025", "12/31/2200", "1/1/1900", "1/1/1899", "13/1/2026", "1//2026", "001/1/2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok, err := ParseDate(s, false)
		if err != nil && ok {
			t.Fatalf("ok with error for %q", s)
		}
		if trimmed := strings.TrimSpace(s); trimmed != "" {
			if fd, fok := fastSlashDate(trimmed); fok {
				gd, gok, gerr := parseDate(trimmed, false)
				if !gok || gerr != nil || !gd.Equal(fd) || gd.Location() != fd.Location() {
					t.Fatalf("%q: fastSlashDate %v, parseDate %v %v %v", s, fd, gd, gok, gerr)
				}
			}
		}
		if !ok {
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 {
			t.Fatalf("%q -> %v not UTC midnight", s, d)
		}
		back, ok, err := ParseDate(d.Format(time.DateOnly), false)
		if !ok || err != nil || !back.Equal(d) {
			t.Fatalf("%q -> %v does not round-trip: %v %v", s, d, back, err)
		}
	})
}

// FuzzRentRoll drives the rent-roll parser itself (sections, groups,
// totals, charge blocks, beds) with rent-roll-shaped input: it must never
// panic, every unit it emits must be well formed, and the file written with
// CRLF line ends or with blank rows appended must read the same. The seed
// corpus is testdata/fuzz/FuzzRentRoll plus the samples.
func FuzzRentRoll(f *testing.F) {
	addSamples(f, "rentroll/yardi_rent_roll_lease_charges.csv", "rentroll/appfolio_multi_property.csv",
		"rentroll/student_by_bed.csv", "rentroll/yardi_rent_roll_plain.csv", "rentroll/parking_storage.csv")
	validStatus := map[string]bool{StatusOccupied: true, StatusOccupiedNotice: true, StatusVacant: true,
		StatusVacantLeased: true, StatusModel: true, StatusDown: true, StatusAdmin: true}
	parse := func(t *testing.T, data []byte) (*Report, []string) {
		s := &memSink{}
		opts := Options{PropertyID: "p", AsOf: day(2026, 1, 31), Limits: fuzzLimits}
		rep, err := RentRoll(context.Background(), bytes.NewReader(data), int64(len(data)), opts, s)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.TooLarge {
				t.Fatalf("unexpected error %v", err)
			}
			return nil, nil
		}
		if rep.Units != len(s.units) {
			t.Fatalf("report says %d units, %d emitted", rep.Units, len(s.units))
		}
		var lines []string
		for _, u := range s.units {
			if u.UnitID == "" || !validStatus[u.Status] || u.Row <= 0 || u.BedSpaces < 0 ||
				(!u.HasLeaseRent && u.LeaseRent != 0) || (!u.HasMarketRent && u.MarketRent != 0) || u.Concessions < 0 {
				t.Fatalf("malformed unit %+v", u)
			}
			switch u.Designation {
			case DesignationStandard, DesignationEmployee, DesignationCorporate, DesignationAffordable:
			default:
				t.Fatalf("designation %q", u.Designation)
			}
			for _, c := range u.Charges {
				if !ValidCategory(c.Category) {
					t.Fatalf("charge category %q", c.Category)
				}
			}
			lines = append(lines, unitLine(u))
		}
		return rep, lines
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, units := parse(t, data)
		if rep == nil || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, []byte("PK")) || !utf8.Valid(data) {
			return
		}
		_, crlf := parse(t, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
		if !slices.Equal(units, crlf) {
			t.Fatalf("CRLF changed the units:\n%q\n%q", units, crlf)
		}
		_, more := parse(t, append(append([]byte{}, data...), "\n\n\n"...))
		if !slices.Equal(units, more) {
			t.Fatalf("blank rows at the end changed the units:\n%q\n%q", units, more)
		}
	})
}
