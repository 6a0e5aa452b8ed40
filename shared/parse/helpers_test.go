package parse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// memSink keeps everything the parser emits.
type memSink struct {
	raw   []RawRow
	units []Unit
	comps []Comp
}

func (m *memSink) Raw(r RawRow) error { m.raw = append(m.raw, r); return nil }
func (m *memSink) Unit(u Unit) error  { m.units = append(m.units, u); return nil }
func (m *memSink) Comp(c Comp) error  { m.comps = append(m.comps, c); return nil }

// countSink counts rows only, for benchmarks and big files.
type countSink struct{ raw, units, comps int }

func (c *countSink) Raw(RawRow) error { c.raw++; return nil }
func (c *countSink) Unit(Unit) error  { c.units++; return nil }
func (c *countSink) Comp(Comp) error  { c.comps++; return nil }

func sampleBytes(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseRentRoll(t testing.TB, data []byte, opts Options) (*Report, *memSink, error) {
	t.Helper()
	s := &memSink{}
	rep, err := RentRoll(context.Background(), bytes.NewReader(data), int64(len(data)), opts, s)
	return rep, s, err
}

func parseCompetition(t testing.TB, data []byte, opts Options) (*Report, *memSink, error) {
	t.Helper()
	s := &memSink{}
	rep, err := Competition(context.Background(), bytes.NewReader(data), int64(len(data)), opts, s)
	return rep, s, err
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
