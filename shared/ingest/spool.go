package ingest

import (
	"bufio"
	"encoding/gob"
	"io"
	"iter"
	"os"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// spool keeps a stream of parsed values in a temporary file, so that a file
// is validated completely before anything is loaded without holding all its
// rows in memory: memory stays bounded whatever the file's size.
type spool[T any] struct {
	f   *os.File
	w   *bufio.Writer
	enc *gob.Encoder
	n   int
}

func newSpool[T any](dir string) (*spool[T], error) {
	f, err := os.CreateTemp(dir, "rentroll-spool-*")
	if err != nil {
		return nil, errs.Wrap(err, errs.Transient, "create spool file")
	}
	w := bufio.NewWriterSize(f, 256<<10)
	return &spool[T]{f: f, w: w, enc: gob.NewEncoder(w)}, nil
}

func (s *spool[T]) add(v T) error {
	s.n++
	if err := s.enc.Encode(&v); err != nil {
		return errs.Wrap(err, errs.Transient, "write spool")
	}
	return nil
}

// rows yields the spooled values mapped to warehouse rows, from the start,
// each time it is ranged over.
func (s *spool[T]) rows(toRow func(T) warehouse.Row) iter.Seq2[warehouse.Row, error] {
	return func(yield func(warehouse.Row, error) bool) {
		if err := s.w.Flush(); err != nil {
			yield(nil, errs.Wrap(err, errs.Transient, "flush spool"))
			return
		}
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			yield(nil, errs.Wrap(err, errs.Transient, "rewind spool"))
			return
		}
		dec := gob.NewDecoder(bufio.NewReaderSize(s.f, 256<<10))
		for i := 0; i < s.n; i++ {
			var v T
			if err := dec.Decode(&v); err != nil {
				yield(nil, errs.Wrap(err, errs.Internal, "read spool"))
				return
			}
			if !yield(toRow(v), nil) {
				return
			}
		}
		// Leave the file positioned for further adds (none are expected).
		_, _ = s.f.Seek(0, io.SeekEnd)
	}
}

func (s *spool[T]) close() {
	name := s.f.Name()
	_ = s.f.Close()
	_ = os.Remove(name)
}
