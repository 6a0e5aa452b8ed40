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
