package clock

import (
	"testing"
	"time"
)

func TestFunc(t *testing.T) {
	fixed := time.Date(2026, 3, 1, 7, 0, 0, 0, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name    string
		f       Func
		wantUTC time.Time // zero: the system clock
	}{
		{"fixed", func() time.Time { return fixed }, fixed.UTC()},
		{"nil is the system clock", nil, time.Time{}},
		{"time.Now", time.Now, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			got, gotUTC := tt.f.Time(), tt.f.UTC()
			after := time.Now()
			if gotUTC.Location() != time.UTC {
				t.Errorf("UTC() in %v, want UTC", gotUTC.Location())
			}
			if !tt.wantUTC.IsZero() {
				if !gotUTC.Equal(tt.wantUTC) || !got.Equal(fixed) || got.Location() != fixed.Location() {
					t.Errorf("Time() = %v, UTC() = %v; want %v and %v", got, gotUTC, fixed, tt.wantUTC)
				}
				return
			}
			for _, g := range []time.Time{got, gotUTC} {
				if g.Before(before) || g.After(after) {
					t.Errorf("system clock read %v, not within [%v, %v]", g, before, after)
				}
			}
		})
	}
}
