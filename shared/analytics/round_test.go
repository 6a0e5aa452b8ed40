package analytics

import (
	"math/big"
	"testing"
)

func TestDivRoundHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		num, den, scale int64
		want            int64
		ok              bool
	}{
		{5, 2, 1, 3, true},         // 2.5 → 3
		{-5, 2, 1, -3, true},       // -2.5 → -3
		{5, -2, 1, -3, true},       // sign in the denominator
		{7, 3, 1, 2, true},         // 2.33 → 2
		{1, 20000, 10000, 1, true}, // 0.00005 → 0.0001
		{-1, 20000, 10000, -1, true},
		{1, 3, 10000, 3333, true},
		{2, 3, 10000, 6667, true},
		{1, 8, 10000, 1250, true},
		{0, 9, 10000, 0, true},
		{1, 0, 10000, 0, false}, // no denominator: null
		{1 << 50, 3, 10000, 3752999689475413333, true},
	}
	for _, tt := range tests {
		got, ok := divRound(big.NewInt(tt.num), big.NewInt(tt.den), tt.scale)
		if got != tt.want || ok != tt.ok {
			t.Errorf("divRound(%d, %d, %d) = %d, %v; want %d, %v", tt.num, tt.den, tt.scale, got, ok, tt.want, tt.ok)
		}
	}
}
