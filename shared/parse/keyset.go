package parse

// keySet is a set of 64-bit unit-key hashes: open addressing with linear
// probing, one probe sequence per insert. It stays at most half full, so a
// million units cost 16 MiB at worst, and it is kinder to the cache than a
// general map for this one-lookup-per-unit workload.
type keySet struct {
	slots []uint64 // 0 marks an empty slot
	n     int
}

// add inserts h and reports whether it was already present.
func (s *keySet) add(h uint64) bool {
	if h == 0 {
		h = 1 // 0 is the empty marker
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			s.slots[i] = h
			s.n++
			return false
		}
	}
}

// reserve sizes an empty set for about n keys, so a large file does not
// rehash its way up: each doubling allocates a fresh table, and inserting
// into cold memory cost more than the probes themselves.
func (s *keySet) reserve(n int) {
	if s.n > 0 {
		return
	}
	size := 1024
	for size < 2*(n+1) {
		size *= 2
	}
	s.slots = make([]uint64, size)
}

func (s *keySet) grow() {
	old := s.slots
	size := max(1024, 2*len(old))
	s.slots, s.n = make([]uint64, size), 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}
