package parse

// recent is a small cache in front of a memo map keyed by a cell's text: a
// file repeats a handful of statuses, designations and unit types on every
// row, and comparing a string or two is cheaper than a map lookup. It has
// recentSets sets of two entries, the last used first; a miss falls back
// to the map, so the cache never changes an answer.
type recent[V any] struct {
	keys [recentSets][2]string
	vals [recentSets][2]V
	used [recentSets][2]bool
}

const recentSets = 8

// recentSet spreads keys by length and first, middle and last bytes.
func recentSet(s string) int {
	if s == "" {
		return 0
	}
	return (len(s) + int(s[0]) + int(s[len(s)/2]) + int(s[len(s)-1])) & (recentSets - 1)
}

func (r *recent[V]) get(s string) (V, bool) {
	i := recentSet(s)
	if r.used[i][0] && r.keys[i][0] == s {
		return r.vals[i][0], true
	}
	if r.used[i][1] && r.keys[i][1] == s {
		// the last used goes first
		r.keys[i][0], r.keys[i][1] = r.keys[i][1], r.keys[i][0]
		r.vals[i][0], r.vals[i][1] = r.vals[i][1], r.vals[i][0]
		r.used[i][0], r.used[i][1] = r.used[i][1], r.used[i][0]
		return r.vals[i][0], true
	}
	var zero V
	return zero, false
}

// put adds s as the set's first entry, moving the first to second.
func (r *recent[V]) put(s string, v V) {
	i := recentSet(s)
	r.keys[i][1], r.vals[i][1], r.used[i][1] = r.keys[i][0], r.vals[i][0], r.used[i][0]
	r.keys[i][0], r.vals[i][0], r.used[i][0] = s, v, true
}
