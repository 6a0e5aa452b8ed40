package ingest

import (
	"errors"
	"testing"
)

// TestStager: every value reaches fn once, in order; after fn fails, add
// reports the failure (which stops the parser) without ever blocking, and
// wait returns it.
func TestStager(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		n       int
		failAt  int // -1: never
		wantErr error
	}{
		{"none", 0, -1, nil},
		{"less than a batch", 3, -1, nil},
		{"several batches", 5*stagerBatch + 7, -1, nil},
		{"fails in the first batch", 5 * stagerBatch, 2, boom},
		{"fails in a later batch", 50 * stagerBatch, 3*stagerBatch + 1, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			s := startStager(func(v int) error {
				if v == tt.failAt {
					return boom
				}
				got = append(got, v)
				return nil
			})
			addErr := error(nil)
			for i := range tt.n {
				if err := s.add(i); err != nil {
					addErr = err
					break
				}
			}
			err := s.wait()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("wait = %v, want %v", err, tt.wantErr)
			}
			if again := s.wait(); !errors.Is(again, tt.wantErr) {
				t.Fatalf("second wait = %v, want %v", again, tt.wantErr)
			}
			if tt.wantErr == nil {
				if addErr != nil {
					t.Fatalf("add = %v", addErr)
				}
				if len(got) != tt.n {
					t.Fatalf("fn saw %d values, want %d", len(got), tt.n)
				}
				for i, v := range got {
					if v != i {
						t.Fatalf("value %d is %d: out of order", i, v)
					}
				}
				return
			}
			if len(got) != tt.failAt {
				t.Fatalf("fn saw %d values before failing, want %d", len(got), tt.failAt)
			}
			if tt.n > tt.failAt+4*stagerBatch && addErr == nil {
				t.Fatalf("add never reported the failure over %d values", tt.n)
			}
		})
	}
}
