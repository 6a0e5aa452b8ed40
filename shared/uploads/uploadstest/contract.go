package uploadstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
)

// Contract runs the rules every uploads.Store keeps against stores made by
// newStore, one fresh store per subtest: records are per client, listed
// newest first and paged; updates are atomic; and of concurrent deliveries
// exactly one holds an idempotency claim until its lease runs out, while a
// finished claim is never taken again.
func Contract(t *testing.T, newStore func(t *testing.T) uploads.Store) {
	t.Run("Uploads", func(t *testing.T) { testUploads(t, newStore(t)) })
	t.Run("Claims", func(t *testing.T) { testClaims(t, newStore(t)) })
}

// Upload returns a well-formed pending upload record of client cid, the i-th
// second of 2026-03-01, so that a larger i is a newer upload.
func Upload(cid string, i int, kind uploads.Kind, status uploads.Status) uploads.Upload {
	at := time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC)
	id := uploads.NewID(at)
	name := fmt.Sprintf("f%d.csv", i)
	return uploads.Upload{
		ID: id, ClientID: cid, Kind: kind, Filename: name, ContentType: uploads.ContentTypeCSV,
		SizeBytes: 10, Object: uploads.ObjectName(cid, kind, id, name), Status: status,
		CreatedAt: at, UpdatedAt: at,
	}
}

func wantCode(t *testing.T, what string, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Errorf("%s: error %v, want code %v", what, err, code)
	}
}

func testUploads(t *testing.T, s uploads.Store) {
	ctx := context.Background()
	var all []uploads.Upload
	for i := 0; i < 7; i++ {
		kind, status := uploads.RentRoll, uploads.Loaded
		if i%3 == 0 {
			kind = uploads.Competition
		}
		if i%2 == 0 {
			status = uploads.Pending
		}
		u := Upload("acme", i, kind, status)
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		all = append(all, u)
	}
	other := Upload("globex", 99, uploads.RentRoll, uploads.Pending)
	if err := s.CreateUpload(ctx, other); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "duplicate create", s.CreateUpload(ctx, all[0]), errs.Conflict)
	bad := Upload("acme", 50, uploads.RentRoll, uploads.Pending)
	bad.ID = "not-an-id"
	wantCode(t, "create with a malformed id", s.CreateUpload(ctx, bad), errs.Invalid)

	// Newest first, paged, this client's only.
	var got []string
	tok := ""
	for page := 0; page < 5; page++ {
		us, next, err := s.ListUploads(ctx, "acme", uploads.Filter{}, tenancy.Page{Limit: 3, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		if len(us) > 3 {
			t.Errorf("page %d has %d uploads, limit 3", page, len(us))
		}
		for _, u := range us {
			got = append(got, u.ID)
		}
		if tok = next; tok == "" {
			break
		}
	}
	var want []string
	for i := len(all) - 1; i >= 0; i-- {
		want = append(want, all[i].ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listing = %v, want %v", got, want)
	}
	_, _, err := s.ListUploads(ctx, "acme", uploads.Filter{}, tenancy.Page{Limit: -1})
	wantCode(t, "negative limit", err, errs.Invalid)

	filters := []struct {
		f    uploads.Filter
		want int
	}{
		{uploads.Filter{Kind: uploads.RentRoll, Status: uploads.Loaded}, 2}, // i = 1, 5
		{uploads.Filter{Kind: uploads.Competition}, 3},                      // i = 0, 3, 6
		{uploads.Filter{Status: uploads.Pending}, 4},                        // i = 0, 2, 4, 6
	}
	for _, tc := range filters {
		us, _, err := s.ListUploads(ctx, "acme", tc.f, tenancy.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if (tc.f.Kind != "" && u.Kind != tc.f.Kind) || (tc.f.Status != "" && u.Status != tc.f.Status) || u.ClientID != "acme" {
				t.Errorf("filter %+v let through %+v", tc.f, u)
			}
		}
		if len(us) != tc.want {
			t.Errorf("filter %+v: %d uploads, want %d", tc.f, len(us), tc.want)
		}
	}

	// Another client's upload is not found under this client.
	_, err = s.GetUpload(ctx, "acme", other.ID)
	wantCode(t, "cross-client get", err, errs.NotFound)
	_, err = s.GetUpload(ctx, "acme", "../../users/x")
	wantCode(t, "malformed id", err, errs.NotFound)
	_, err = s.UpdateUpload(ctx, "acme", other.ID, func(*uploads.Upload) error { return nil })
	wantCode(t, "cross-client update", err, errs.NotFound)

	u, err := s.UpdateUpload(ctx, "acme", all[2].ID, func(u *uploads.Upload) error {
		u.Status, u.RowsLoaded = uploads.Loaded, 12
		u.Errors = []uploads.Issue{{Row: 3, Column: "Unit", Code: "missing_unit", Message: "no unit id"}}
		return nil
	})
	if err != nil || u.Status != uploads.Loaded || u.RowsLoaded != 12 {
		t.Fatalf("UpdateUpload = %+v, %v", u, err)
	}
	back, err := s.GetUpload(ctx, "acme", all[2].ID)
	if err != nil || back.RowsLoaded != 12 || len(back.Errors) != 1 || back.Errors[0].Code != "missing_unit" {
		t.Errorf("GetUpload after update = %+v, %v", back, err)
	}

	// An update whose function fails changes nothing.
	_, err = s.UpdateUpload(ctx, "acme", all[2].ID, func(u *uploads.Upload) error {
		u.RowsLoaded = 99
		return errs.E(errs.Conflict, "refused")
	})
	wantCode(t, "refused update", err, errs.Conflict)
	back, err = s.GetUpload(ctx, "acme", all[2].ID)
	if err != nil || back.RowsLoaded != 12 {
		t.Errorf("after a refused update rows_loaded = %d, %v; want 12", back.RowsLoaded, err)
	}
}

func testClaims(t *testing.T, s uploads.Store) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := "bucket/clients/acme/rent_roll/x/f.csv#17"

	// Concurrent deliveries: exactly one holds the claim.
	var mu sync.Mutex
	var holders []string
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := fmt.Sprintf("h%d", i)
			_, held, err := s.AcquireClaim(ctx, key, h, now, now.Add(time.Minute))
			if err != nil {
				t.Errorf("AcquireClaim: %v", err)
				return
			}
			if held {
				mu.Lock()
				holders = append(holders, h)
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if len(holders) != 1 {
		t.Fatalf("%d concurrent holders, want 1", len(holders))
	}
	first := holders[0]

	// The holder may take its own claim again (a redelivery to it); another
	// may not while the lease lives.
	if _, held, err := s.AcquireClaim(ctx, key, "other", now.Add(30*time.Second), now.Add(time.Minute)); err != nil || held {
		t.Fatalf("take of a live lease = %v, %v; want not held", held, err)
	}

	// After the lease expires another delivery takes over; the old holder can
	// no longer finish.
	c, held, err := s.AcquireClaim(ctx, key, "late", now.Add(2*time.Minute), now.Add(3*time.Minute))
	if err != nil || !held || c.Attempts != 2 || c.Holder != "late" {
		t.Fatalf("takeover = %+v, %v, %v", c, held, err)
	}
	wantCode(t, "finish by the old holder", s.FinishClaim(ctx, key, first, uploads.Claim{Outcome: "loaded"}), errs.Conflict)
	if err := s.FinishClaim(ctx, key, "late", uploads.Claim{Outcome: "loaded", ClientID: "acme"}); err != nil {
		t.Fatal(err)
	}
	// Done: nobody holds it again, whatever the lease.
	c, held, err = s.AcquireClaim(ctx, key, "again", now.Add(time.Hour), now.Add(2*time.Hour))
	if err != nil || held || c.Outcome != "loaded" || c.ClientID != "acme" || c.Attempts != 2 {
		t.Errorf("after finish = %+v, %v, %v", c, held, err)
	}
}
