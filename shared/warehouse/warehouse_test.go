package warehouse

import "testing"

func TestCentsString(t *testing.T) {
	tests := map[Cents]string{0: "0.00", 5: "0.05", -5: "-0.05", 10: "0.10", 123456: "1234.56", -100: "-1.00", 9999999999: "99999999.99"}
	for c, want := range tests {
		if got := c.String(); got != want {
			t.Errorf("Cents(%d).String() = %q, want %q", int64(c), got, want)
		}
	}
	if got := Cents(-9223372036854775808).String(); got != "-92233720368547758.08" {
		t.Errorf("MinInt64 = %q", got)
	}
}
