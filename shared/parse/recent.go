package parse

// recent is a small direct-mapped cache in front of a memo map keyed by a
// cell's text: a file repeats a handful of statuses, designations and unit
// types on every row, and comparing one string is cheaper than a map
// lookup. A slot holds the last key that hashed to it; a miss falls back
// to the map, so the cache never changes an answer.
type recent[V any] struct {
	keys [recentSlots]string
	vals [recentSlots]V
	used [recentSlots]bool
}

const recentSlots = 16

// recentSlot spreads keys by length and first and last bytes: enough to
// tell "Occupied" from "Occupied-NTV", "Vacant" and "Model" apart.
func recentSlot(s string) int {
	if s == "" {
		return 0
	}
	return (len(s)*5 + int(s[0]) + 3*int(s[len(s)-1])) & (recentSlots - 1)
}

func (r *recent[V]) get(s string) (V, bool) {
	i := recentSlot(s)
	if r.used[i] && r.keys[i] == s {
		return r.vals[i], true
	}
	var zero V
	return zero, false
}

func (r *recent[V]) put(s string, v V) {
	i := recentSlot(s)
	r.keys[i], r.vals[i], r.used[i] = s, v, true
}
