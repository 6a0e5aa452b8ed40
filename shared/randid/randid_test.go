package randid

import (
	"fmt"
	"regexp"
	"testing"
)

func TestHex(t *testing.T) {
	for _, n := range []int{1, 6, 8, 12} {
		seen := map[string]bool{}
		want := regexp.MustCompile(fmt.Sprintf("^[0-9a-f]{%d}$", 2*n))
		for range 100 {
			id := Hex(n)
			if !want.MatchString(id) {
				t.Fatalf("Hex(%d) = %q, want %d hex characters", n, id, 2*n)
			}
			seen[id] = true
		}
		if n >= 6 && len(seen) != 100 {
			t.Errorf("Hex(%d): %d distinct ids of 100", n, len(seen))
		}
	}
}

func TestURLSafe(t *testing.T) {
	for _, n := range []int{1, 16, 24, 32} {
		seen := map[string]bool{}
		want := regexp.MustCompile(fmt.Sprintf("^[A-Za-z0-9_-]{%d}$", (4*n+2)/3))
		for range 100 {
			id := URLSafe(n)
			if !want.MatchString(id) {
				t.Fatalf("URLSafe(%d) = %q, want %d URL-safe characters", n, id, (4*n+2)/3)
			}
			seen[id] = true
		}
		if n >= 16 && len(seen) != 100 {
			t.Errorf("URLSafe(%d): %d distinct ids of 100", n, len(seen))
		}
	}
}
