package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// sink records batches; failFirst fails that many writes first, with
// failWith (a transient error when nil).
type sink struct {
	mu        sync.Mutex
	batches   map[string]int // batch id → entries
	entries   int
	failFirst int
	failWith  error
	ids       []string
}

func (s *sink) WriteAudit(_ context.Context, id string, es []audit.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, id)
	if s.failFirst > 0 {
		s.failFirst--
		if s.failWith != nil {
			return s.failWith
		}
		return errs.E(errs.Transient, "warehouse down")
	}
	if _, dup := s.batches[id]; dup {
		return nil // an idempotent sink loads a batch id once
	}
	s.batches[id] = len(es)
	s.entries += len(es)
	return nil
}

func TestBufferLosesNothing(t *testing.T) {
	s := &sink{batches: map[string]int{}, failFirst: 1}
	b := audit.NewBuffer(s, nil, time.Hour, 7, 0)
	for i := 0; i < 100; i++ {
		b.Record(context.Background(), audit.Entry{Action: fmt.Sprint(i)})
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Record(context.Background(), audit.Entry{Action: "after close"}) // written directly
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries != 101 {
		t.Errorf("%d entries written, want 101", s.entries)
	}
	if s.ids[0] != s.ids[1] {
		t.Errorf("a failed batch was retried under a new id (%s, %s): it could load twice", s.ids[0], s.ids[1])
	}
}

// TestBufferWriteRetries: a transient sink failure is retried under the same
// batch id; a permanent one is not (its entries go to the log at once); and
// a Close whose time runs out stops the retries and logs what is left
// instead of losing it.
func TestBufferWriteRetries(t *testing.T) {
	tests := []struct {
		name        string
		failFirst   int
		failWith    error
		closeWithin time.Duration // 0: no deadline
		wantWrites  int           // calls of the sink
		wantStored  int           // entries the sink kept
		wantLogged  int           // entries written to the log instead
		wantErr     bool          // Close's error
	}{
		{"transient failure retried", 2, nil, 0, 3, 3, 0, false},
		{"permanent failure not retried", 1, errs.E(errs.Invalid, "no such column"), 0, 1, 0, 3, false},
		{"retries end with Close's deadline", 1000, nil, 300 * time.Millisecond, -1, 0, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf syncBuffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			s := &sink{batches: map[string]int{}, failFirst: tt.failFirst, failWith: tt.failWith}
			b := audit.NewBuffer(s, log, time.Hour, 100, 0)
			for i := range 3 {
				b.Record(context.Background(), audit.Entry{Action: fmt.Sprint("action-", i)})
			}
			ctx := context.Background()
			if tt.closeWithin > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.closeWithin)
				defer cancel()
			}
			start := time.Now()
			err := b.Close(ctx)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Close took %v", took)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("Close = %v, want error: %v", err, tt.wantErr)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if tt.wantWrites >= 0 && len(s.ids) != tt.wantWrites {
				t.Errorf("sink called %d times, want %d", len(s.ids), tt.wantWrites)
			}
			for _, id := range s.ids {
				if id != s.ids[0] {
					t.Errorf("batch retried under a new id (%s, %s)", s.ids[0], id)
				}
			}
			if s.entries != tt.wantStored {
				t.Errorf("sink stored %d entries, want %d", s.entries, tt.wantStored)
			}
			if got := strings.Count(logBuf.String(), "action=action-"); got != tt.wantLogged {
				t.Errorf("%d entries logged instead, want %d:\n%s", got, tt.wantLogged, logBuf.String())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// blockingSink never returns until released, like a warehouse that hangs.
type blockingSink struct{ release chan struct{} }

func (s blockingSink) WriteAudit(context.Context, string, []audit.Entry) error {
	<-s.release
	return nil
}

func TestFullQueueDoesNotBlockRequests(t *testing.T) {
	s := blockingSink{release: make(chan struct{})}
	b := audit.NewBuffer(s, nil, time.Millisecond, 1, 4)
	start := time.Now()
	for i := 0; i < 50; i++ {
		b.Record(context.Background(), audit.Entry{Action: "x"})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("50 records took %v with a stuck sink", d)
	}
	if b.Dropped() == 0 {
		t.Error("a full queue dropped nothing to the log")
	}
	close(s.release)
	b.Close(context.Background())
}

func TestFlushMakesEntriesVisible(t *testing.T) {
	s := &sink{batches: map[string]int{}}
	b := audit.NewBuffer(s, nil, time.Hour, 1000, 0)
	defer b.Close(context.Background())
	b.Record(context.Background(), audit.Entry{Action: "x"})
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries != 1 {
		t.Errorf("after Flush %d entries, want 1", s.entries)
	}
}

func TestLogListPages(t *testing.T) {
	ctx := context.Background()
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	l := audit.Log{W: w}
	var es []audit.Entry
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 9; i++ {
		cid := "acme"
		if i%3 == 0 {
			cid = "globex"
		}
		// Pairs of entries share a timestamp, to test the cursor's tie-break.
		es = append(es, audit.Entry{Time: t0.Add(time.Duration(i/2) * time.Second), RequestID: fmt.Sprint(i), ClientID: cid,
			ActorSub: "s", Action: "users.put", Outcome: audit.Allowed, Status: 201})
	}
	if err := l.WriteAudit(ctx, "b1", es); err != nil {
		t.Fatal(err)
	}
	var got []string
	tok := ""
	for {
		page, next, err := l.List(ctx, audit.Filter{ClientID: "acme", Limit: 1, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if e.ClientID != "acme" {
				t.Errorf("filter let through %+v", e)
			}
			got = append(got, e.RequestID)
		}
		if tok = next; tok == "" {
			break
		}
	}
	if fmt.Sprint(got) != "[8 7 5 4 2 1]" {
		t.Errorf("pages gave %v, want newest first [8 7 5 4 2 1]", got)
	}
	if _, _, err := l.List(ctx, audit.Filter{Limit: 1, Token: "%%%"}); err == nil {
		t.Error("a bad page token was accepted")
	}
}

// BenchmarkRecord compares what a request pays to audit through the buffer
// with writing the entry to the warehouse in the request (the baseline).
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	w, err := duckdb.Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if err := w.EnsureDataset(ctx, warehouse.System()); err != nil {
		b.Fatal(err)
	}
	e := audit.Entry{Time: time.Now(), RequestID: "r", ActorSub: "s", Action: "users.put", Outcome: audit.Allowed, Status: 201}
	b.Run("direct-warehouse-write", func(b *testing.B) {
		l := audit.Log{W: w}
		for i := 0; b.Loop(); i++ {
			if err := l.WriteAudit(ctx, fmt.Sprintf("d%d", i), []audit.Entry{e}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("buffered", func(b *testing.B) {
		buf := audit.NewBuffer(audit.Log{W: w}, nil, time.Second, 500, 0)
		for b.Loop() {
			buf.Record(ctx, e)
		}
		b.StopTimer()
		buf.Close(ctx)
	})
}
