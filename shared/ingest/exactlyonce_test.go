package ingest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
)

// loadCalls returns how many Load calls the warehouse fake received and for
// how many distinct load ids.
func (m *memWarehouse) loadCalls() (calls, ids int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.calls {
		calls += n
	}
	return calls, len(m.calls)
}

// TestExactlyOnce: however often and however concurrently one object
// generation's event arrives (Eventarc delivers at least once, and retries
// while a delivery answers an error), the file is loaded by one Load call,
// the after-load refresh runs once, every delivery is finally acknowledged,
// and the claim ends with the outcome.
func TestExactlyOnce(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		deliveries int
		concurrent bool
		wantStatus uploads.Status
		wantLoads  int // Load calls: the rows, or for a rejected file its metadata row
		wantAfter  int64
		wantRows   int // analytics_rent_roll rows
	}{
		{"one delivery", "generic_rent_roll.csv", 1, false, uploads.Loaded, 1, 1, -1},
		{"three duplicates in turn", "generic_rent_roll.csv", 3, false, uploads.Loaded, 1, 1, -1},
		{"eight at once", "generic_rent_roll.csv", 8, true, uploads.Loaded, 1, 1, -1},
		{"rejected file, eight at once", "broken_bad_values.csv", 8, true, uploads.Rejected, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.file)
			var after atomic.Int64
			f.svc.AfterLoad = func(context.Context, uploads.Upload) error { after.Add(1); return nil }

			// deliver acts as Eventarc for one delivery: it hands the event
			// over again while the answer is retryable, a bounded number of
			// times, and reports the last answer.
			deliver := func() error {
				var err error
				for range 200 {
					if err = f.svc.Object(context.Background(), f.ev); err == nil || !errs.Retryable(err) {
						return err
					}
					time.Sleep(time.Millisecond)
				}
				return err
			}
			errc := make(chan error, tt.deliveries)
			if tt.concurrent {
				var wg sync.WaitGroup
				start := make(chan struct{})
				for range tt.deliveries {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errc <- deliver()
					}()
				}
				close(start)
				wg.Wait()
			} else {
				for range tt.deliveries {
					errc <- deliver()
				}
			}
			close(errc)
			for err := range errc {
				if err != nil {
					t.Errorf("a delivery was not acknowledged: %v", err)
				}
			}

			got, err := f.up.GetUpload(context.Background(), testClient, f.rec.ID)
			if err != nil || got.Status != tt.wantStatus {
				t.Fatalf("upload = %q (%s), %v; want %q", got.Status, got.Message, err, tt.wantStatus)
			}
			if calls, ids := f.wh.loadCalls(); calls != tt.wantLoads || ids != tt.wantLoads {
				t.Errorf("warehouse got %d Load calls for %d load ids, want %d", calls, ids, tt.wantLoads)
			}
			if n := after.Load(); n != tt.wantAfter {
				t.Errorf("after-load refresh ran %d times, want %d", n, tt.wantAfter)
			}
			rows := len(f.wh.rows(warehouse.TableAnalyticsRentRoll))
			want := tt.wantRows
			if want < 0 {
				want = int(got.RowsLoaded)
				if want == 0 {
					t.Error("a loaded upload reports no rows")
				}
			}
			if rows != want {
				t.Errorf("%d rent roll rows in the warehouse, want %d", rows, want)
			}
			c, ok := f.up.Claim(f.ev.Key())
			if !ok || c.Outcome != string(tt.wantStatus) || c.Attempts != 1 {
				t.Errorf("claim = %+v, want outcome %q after one attempt", c, tt.wantStatus)
			}
		})
	}
}
