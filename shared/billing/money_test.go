package billing_test

import (
	"encoding/json"
	"testing"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// TestMoney: dollars in JSON are read exactly (no float) and written with
// two decimals; anything else is invalid.
func TestMoney(t *testing.T) {
	good := []struct {
		in   string
		want billing.Money
		out  string
	}{
		{"0", 0, "0.00"}, {"0.29", 29, "0.29"}, {"1.5", 150, "1.50"}, {"12.50", 1250, "12.50"},
		{"1234567.89", 123456789, "1234567.89"}, {"0.07", 7, "0.07"},
	}
	for _, tt := range good {
		var m billing.Money
		if err := json.Unmarshal([]byte(tt.in), &m); err != nil || m != tt.want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", tt.in, m, err, tt.want)
			continue
		}
		if b, _ := json.Marshal(m); string(b) != tt.out {
			t.Errorf("Marshal(%d) = %s, want %s", m, b, tt.out)
		}
	}
	for _, in := range []string{`"1.50"`, "1.505", "-1", "1e2", ".5", "1.", "null0", "99999999999999", "0x10"} {
		var m billing.Money
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("Unmarshal(%s) = %d, want an error", in, m)
		}
	}
	if _, err := billing.ParseMoney("1.555"); !errs.Is(err, errs.Invalid) {
		t.Errorf("ParseMoney(1.555) = %v, want Invalid", err)
	}
}
