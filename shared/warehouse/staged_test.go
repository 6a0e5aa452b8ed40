package warehouse

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

var stagedTable = Table{Name: "t", Columns: []Column{
	{Name: "client_id", Type: String, Required: true}, {Name: "s", Type: String}, {Name: "i", Type: Int64},
	{Name: "f", Type: Float64}, {Name: "m", Type: Money}, {Name: "b", Type: Bool}, {Name: "d", Type: Date},
	{Name: "ts", Type: Timestamp},
}}

// TestStagedRoundTrip: Rows yields exactly the rows added, fixed columns
// included, NULL apart from the empty string, however awkward the strings.
func TestStagedRoundTrip(t *testing.T) {
	ts := time.Date(2026, 3, 31, 23, 59, 59, 123456789, time.UTC)
	in := []Row{
		{"s": "", "i": int64(0), "f": 0.0, "m": Cents(0), "b": false, "d": DateOf(2026, 3, 31), "ts": ts},
		{"s": nil, "i": nil, "f": nil, "m": nil, "b": nil, "d": nil, "ts": nil},
		{"s": `a,"b"` + "\n\r\nc", "i": int64(math.MinInt64), "f": math.Inf(-1), "m": Cents(-1), "b": true, "d": DateOf(1, 1, 1), "ts": ts.Add(-time.Hour * 24 * 365 * 100)},
		{"client_id": "acme", "s": `\N`, "i": int64(math.MaxInt64), "f": 1.0 / 3, "m": Cents(-123456789012), "d": DateOf(9999, 12, 31), "ts": ts.In(time.FixedZone("x", 3600))},
		{"s": strings.Repeat(`"`, 300<<10), "i": 7, "f": float32(0.5), "m": Cents(5)}, // longer than the reader's buffer
	}
	s, err := NewStaged(t.TempDir(), stagedTable, Row{"client_id": "acme"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range in {
		if err := s.Add(r); err != nil {
			t.Fatalf("Add(%v): %v", r, err)
		}
	}
	want := make([]Row, len(in))
	for i, r := range in {
		w := Row{"client_id": "acme"}
		for _, c := range stagedTable.Columns[1:] {
			w[c.Name] = r[c.Name]
		}
		switch x := w["i"].(type) {
		case int:
			w["i"] = int64(x)
		}
		if x, ok := w["f"].(float32); ok {
			w["f"] = float64(x)
		}
		if x, ok := w["ts"].(time.Time); ok {
			w["ts"] = x.UTC()
		}
		want[i] = w
	}
	for pass := range 2 { // a Staged may be read more than once
		var got []Row
		for r, err := range s.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("pass %d: Rows =\n%v\nwant\n%v", pass, got, want)
		}
	}
	if s.Len() != len(in) {
		t.Errorf("Len = %d, want %d", s.Len(), len(in))
	}
	if cols := s.Columns(); len(cols) != len(stagedTable.Columns)-1 || cols[0].Name != "s" {
		t.Errorf("Columns = %v, want all but client_id", cols)
	}
}

func TestStagedRefuses(t *testing.T) {
	tests := []struct {
		name string
		row  Row
	}{
		{"unknown column", Row{"nope": "x"}},
		{"a fixed column that differs", Row{"client_id": "other"}},
		{"a float for money", Row{"m": 12.5}},
		{"an int for money", Row{"m": int64(1250)}},
		{"a string for an integer", Row{"i": "1"}},
		{"a string for a date", Row{"d": "2026-03-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStaged(t.TempDir(), stagedTable, Row{"client_id": "acme"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Add(tt.row); !errs.Is(err, errs.Internal) {
				t.Fatalf("Add = %v, want an internal error", err)
			}
			if s.Len() != 0 {
				t.Fatalf("Len = %d after a refused row", s.Len())
			}
		})
	}
	if _, err := NewStaged(t.TempDir(), stagedTable, Row{"nope": "x"}); !errs.Is(err, errs.Internal) {
		t.Errorf("NewStaged with an unknown fixed column = %v, want an internal error", err)
	}
}

func TestStagedFormats(t *testing.T) {
	for _, c := range []int64{0, 1, -1, 5, 99, 100, -100, 123456, -123456, math.MaxInt64, math.MinInt64} {
		if got, want := string(appendCents(nil, c)), Cents(c).String(); got != want {
			t.Errorf("appendCents(%d) = %q, want %q", c, got, want)
		}
		if back, err := parseCents(string(appendCents(nil, c))); err != nil || back != Cents(c) {
			t.Errorf("parseCents(appendCents(%d)) = %d, %v", c, back, err)
		}
	}
	for _, d := range []time.Time{DateOf(1, 1, 1), DateOf(999, 12, 31), DateOf(2026, 3, 31), DateOf(9999, 12, 31), DateOf(10000, 1, 1), DateOf(-1, 1, 1)} {
		if got, want := string(appendDate(nil, d)), d.Format(time.DateOnly); got != want {
			t.Errorf("appendDate(%v) = %q, want %q", d, got, want)
		}
	}
}
