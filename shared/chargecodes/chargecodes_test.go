package chargecodes

import (
	"context"
	"reflect"
	"testing"

	"rentroll.ai/rentroll/shared/errs"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   []Override
		want []Override
		bad  bool
	}{
		{"trimmed, lower-case category, sorted", []Override{{" XSUB ", "Subsidy"}, {"amen  fee", "other"}},
			[]Override{{"amen fee", "other"}, {"XSUB", "subsidy"}}, false},
		{"a duplicate that agrees is kept once", []Override{{"hap", "subsidy"}, {"HAP", "subsidy"}}, []Override{{"HAP", "subsidy"}}, false},
		{"a duplicate that disagrees", []Override{{"hap", "subsidy"}, {"HAP", "rent"}}, nil, true},
		{"unknown category", []Override{{"x", "fees"}}, nil, true},
		{"empty code", []Override{{"  ", "rent"}}, nil, true},
		{"none", nil, []Override{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.bad {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("err = %v, want invalid", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalize = %v %v, want %v", got, err, tt.want)
			}
		})
	}
	if _, err := Normalize(make([]Override, MaxCodes+1)); !errs.Is(err, errs.Invalid) {
		t.Errorf("too many codes: err = %v", err)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	var s Memory
	if got, err := s.ChargeCodes(ctx, "c1"); err != nil || len(got) != 0 {
		t.Fatalf("empty store = %v %v", got, err)
	}
	in := []Override{{"HAP", "subsidy"}}
	if err := s.PutChargeCodes(ctx, "c1", in); err != nil {
		t.Fatal(err)
	}
	in[0].Category = "rent" // the store keeps its own copy
	got, _ := s.ChargeCodes(ctx, "c1")
	if want := []Override{{"HAP", "subsidy"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if other, _ := s.ChargeCodes(ctx, "c2"); len(other) != 0 {
		t.Errorf("another client sees %v", other)
	}
	if tab := Table(got); tab["HAP"] != "subsidy" || len(tab) != 1 {
		t.Errorf("Table = %v", tab)
	}
}
