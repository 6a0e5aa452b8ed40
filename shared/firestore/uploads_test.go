package firestore

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

func upload(cid string, i int, kind uploads.Kind, status uploads.Status) uploads.Upload {
	at := time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC)
	id := uploads.NewID(at)
	return uploads.Upload{
		ID: id, ClientID: cid, Kind: kind, Filename: fmt.Sprintf("f%d.csv", i), ContentType: uploads.ContentTypeCSV,
		SizeBytes: 10, Object: uploads.ObjectName(cid, kind, id, fmt.Sprintf("f%d.csv", i)), Status: status,
		CreatedAt: at, UpdatedAt: at,
	}
}

func TestUploads(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var all []uploads.Upload
	for i := 0; i < 7; i++ {
		kind, status := uploads.RentRoll, uploads.Loaded
		if i%3 == 0 {
			kind = uploads.Competition
		}
		if i%2 == 0 {
			status = uploads.Pending
		}
		u := upload("acme", i, kind, status)
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		all = append(all, u)
	}
	if err := s.CreateUpload(ctx, upload("globex", 99, uploads.RentRoll, uploads.Pending)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "duplicate create", s.CreateUpload(ctx, all[0]), errs.Conflict)

	// Newest first, paged.
	var got []string
	tok := ""
	for page := 0; page < 5; page++ {
		us, next, err := s.ListUploads(ctx, "acme", uploads.Filter{}, tenancy.Page{Limit: 3, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			got = append(got, u.ID)
		}
		if tok = next; tok == "" {
			break
		}
	}
	if len(got) != 7 || got[0] != all[6].ID || got[6] != all[0].ID {
		t.Errorf("listing order %v", got)
	}
	filtered, _, err := s.ListUploads(ctx, "acme", uploads.Filter{Kind: uploads.RentRoll, Status: uploads.Loaded}, tenancy.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range filtered {
		if u.Kind != uploads.RentRoll || u.Status != uploads.Loaded || u.ClientID != "acme" {
			t.Errorf("filter let through %+v", u)
		}
	}
	if len(filtered) != 2 { // i = 1, 5
		t.Errorf("filtered %d uploads, want 2", len(filtered))
	}

	// Another client's upload is not found under this client.
	_, err = s.GetUpload(ctx, "acme", upload("globex", 99, uploads.RentRoll, "").ID)
	wantCode(t, "cross-client get", err, errs.NotFound)
	_, err = s.GetUpload(ctx, "acme", "../../users/x")
	wantCode(t, "malformed id", err, errs.NotFound)

	u, err := s.UpdateUpload(ctx, "acme", all[2].ID, func(u *uploads.Upload) error {
		u.Status, u.RowsLoaded = uploads.Loaded, 12
		u.Errors = []uploads.Issue{{Row: 3, Column: "Unit", Code: "missing_unit", Message: "no unit id"}}
		return nil
	})
	if err != nil || u.Status != uploads.Loaded {
		t.Fatalf("UpdateUpload = %+v, %v", u, err)
	}
	back, err := s.GetUpload(ctx, "acme", all[2].ID)
	if err != nil || back.RowsLoaded != 12 || len(back.Errors) != 1 || back.Errors[0].Code != "missing_unit" {
		t.Errorf("GetUpload after update = %+v, %v", back, err)
	}
}

func TestClaims(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := "bucket/clients/acme/rent_roll/x/f.csv#17"

	// Concurrent deliveries: exactly one holds the claim.
	var mu sync.Mutex
	holders := 0
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, held, err := s.AcquireClaim(ctx, key, fmt.Sprintf("h%d", i), now, now.Add(time.Minute))
			if err != nil {
				t.Errorf("AcquireClaim: %v", err)
				return
			}
			if held {
				mu.Lock()
				holders++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if holders != 1 {
		t.Fatalf("%d concurrent holders, want 1", holders)
	}

	// After the lease expires another delivery takes over; the old holder can no longer finish.
	c, held, err := s.AcquireClaim(ctx, key, "late", now.Add(2*time.Minute), now.Add(3*time.Minute))
	if err != nil || !held || c.Attempts != 2 {
		t.Fatalf("takeover = %+v, %v, %v", c, held, err)
	}
	wantCode(t, "finish by the old holder", s.FinishClaim(ctx, key, "h0", uploads.Claim{Outcome: "loaded"}), errs.Conflict)
	if err := s.FinishClaim(ctx, key, "late", uploads.Claim{Outcome: "loaded", ClientID: "acme"}); err != nil {
		t.Fatal(err)
	}
	// Done: nobody holds it again, whatever the lease.
	c, held, err = s.AcquireClaim(ctx, key, "again", now.Add(time.Hour), now.Add(2*time.Hour))
	if err != nil || held || c.Outcome != "loaded" {
		t.Errorf("after finish = %+v, %v, %v", c, held, err)
	}
}
