package firestore

import (
	"context"
	"reflect"
	"testing"

	"rentroll.ai/rentroll/shared/chargecodes"
)

func TestChargeCodesRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	got, err := s.ChargeCodes(ctx, "acme")
	if err != nil || len(got) != 0 {
		t.Fatalf("no overrides yet: %v %v", got, err)
	}
	want := []chargecodes.Override{{Code: "HAP", Category: "subsidy"}, {Code: "xfee", Category: "other"}}
	if err := s.PutChargeCodes(ctx, "acme", want); err != nil {
		t.Fatal(err)
	}
	if got, err = s.ChargeCodes(ctx, "acme"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ChargeCodes = %v %v, want %v", got, err, want)
	}
	if err := s.PutChargeCodes(ctx, "acme", want[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ChargeCodes(ctx, "acme"); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("after replace = %v, want %v", got, want[:1])
	}
	if other, _ := s.ChargeCodes(ctx, "other"); len(other) != 0 {
		t.Errorf("another client sees %v", other)
	}
}
