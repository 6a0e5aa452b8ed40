package parse

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

func genericRoll(rows []string) []byte {
	return []byte("Property ID,Unit,Unit Type,Sq Ft,Status,Market Rent,Lease Rent\n" + strings.Join(rows, "\n") + "\n")
}

func TestPropertyIDs(t *testing.T) {
	opts := Options{AsOf: day(2026, time.March, 31)}
	tests := []struct {
		name     string
		property string
		wantCode string
	}{
		{"plain", "oak01", ""},
		{"dots and dashes", "oak.north-01_b", ""},
		{"space", "Oak Park 1", "bad_property_id"},
		{"slash", "Zed/../x", "bad_property_id"},
		{"hash", "oak#1", "bad_property_id"},
	}
	for _, tt := range tests {
		rep, _, err := parseRentRoll(t, genericRoll([]string{tt.property + ",101,A1,700,Occupied,1000,990"}), opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := ""
		if len(rep.Errors) > 0 {
			got = rep.Errors[0].Code
		}
		if got != tt.wantCode {
			t.Errorf("%s: first error %q, want %q (%+v)", tt.name, got, tt.wantCode, rep.Errors)
		}
	}
}

func TestTooManyProperties(t *testing.T) {
	rows := make([]string, 0, MaxProperties+1)
	for i := 0; i <= MaxProperties; i++ {
		rows = append(rows, fmt.Sprintf("p%d,101,A1,700,Occupied,1000,990", i))
	}
	start := time.Now()
	_, _, err := parseRentRoll(t, genericRoll(rows), Options{AsOf: day(2026, time.March, 31)})
	if !errs.Is(err, errs.TooLarge) {
		t.Errorf("%d properties: %v, want too_large", MaxProperties+1, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
	// Exactly the limit is fine.
	rep, _, err := parseRentRoll(t, genericRoll(rows[:MaxProperties]), Options{AsOf: day(2026, time.March, 31)})
	if err != nil || len(rep.Properties) != MaxProperties {
		t.Errorf("%d properties: %v, %d kept", MaxProperties, err, len(rep.Properties))
	}
}
