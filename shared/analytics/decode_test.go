package analytics

import (
	"encoding/json"
	"testing"
)

// TestDecodeRoundTrip reads back what MarshalJSON writes, exactly, and
// refuses what it never writes.
func TestDecodeRoundTrip(t *testing.T) {
	for _, c := range []int64{0, 5, -5, 99, 100, 123456, -123405, 1<<53 + 1} {
		b, err := json.Marshal(Money(c))
		if err != nil {
			t.Fatal(err)
		}
		var got Money
		if err := json.Unmarshal(b, &got); err != nil || got != Money(c) {
			t.Errorf("Money %d → %s → %d, %v", c, b, got, err)
		}
	}
	for _, r := range []int64{0, 1, -68, 9231, 10000, -12345, 5000} {
		b, err := json.Marshal(Ratio(r))
		if err != nil {
			t.Fatal(err)
		}
		var got Ratio
		if err := json.Unmarshal(b, &got); err != nil || got != Ratio(r) {
			t.Errorf("Ratio %d → %s → %d, %v", r, b, got, err)
		}
	}
	m := Month{Year: 2026, Month: 3}
	b, _ := json.Marshal(m)
	var gotM Month
	if err := json.Unmarshal(b, &gotM); err != nil || gotM != m {
		t.Errorf("Month %v → %s → %v, %v", m, b, gotM, err)
	}
	var p struct {
		A *Money `json:"a"`
		R *Ratio `json:"r"`
	}
	if err := json.Unmarshal([]byte(`{"a":null,"r":null}`), &p); err != nil || p.A != nil || p.R != nil {
		t.Errorf("nulls: %+v, %v", p, err)
	}
	for _, bad := range []string{`1.234`, `"1.00"`, `1e3`, `.5`, `1.`, `--1`, `12345678901234567890`} {
		var v Money
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Money %s: no error, got %d", bad, v)
		}
	}
	for _, bad := range []string{`0.12345`, `"2026-03"`, `true`} {
		var v Ratio
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Ratio %s: no error, got %d", bad, v)
		}
	}
	for _, bad := range []string{`"2026-3"`, `202603`, `"2026-13"`} {
		var v Month
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Month %s: no error, got %v", bad, v)
		}
	}
}
