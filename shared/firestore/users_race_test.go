package firestore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// TestUserRulesUnderConcurrency: two admins removing each other at once
// leave exactly one; two clients granting the same new subject at once give
// it to exactly one, and the other is told so.
func TestUserRulesUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	svc := &tenancy.Service{Clients: s, Users: s}
	super := tenancy.Principal{Subject: "root", Role: tenancy.SuperAdmin}
	for round := 0; round < 3; round++ {
		a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
		for _, sub := range []string{a, b} {
			if _, _, err := svc.PutUser(ctx, super, "acme", tenancy.NewUser{Subject: sub, Role: tenancy.ClientAdmin}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i, sub := range []string{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = svc.RemoveUser(ctx, "acme", sub) }()
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.Conflict):
				conflicts++
			default:
				t.Fatalf("RemoveUser: %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Errorf("round %d: %d removals succeeded, %d refused; want 1 and 1", round, ok, conflicts)
		}
		// Clean up the survivor for the next round (now not the last admin).
		users, _, _ := s.ListUsers(ctx, "acme", tenancy.Page{})
		for _, u := range users {
			_ = s.DeleteUser(ctx, u.Subject)
		}

		shared := fmt.Sprintf("shared%d", round)
		created := make([]bool, 2)
		errsOut := make([]error, 2)
		for i, cid := range []string{"acme", "globex"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, created[i], errsOut[i] = svc.PutUser(ctx, super, cid, tenancy.NewUser{Subject: shared, Role: tenancy.ClientUser})
			}()
		}
		wg.Wait()
		wins := 0
		for i := range created {
			if errsOut[i] == nil && created[i] {
				wins++
			} else if !errs.Is(errsOut[i], errs.Conflict) {
				t.Errorf("round %d: grant %d: created=%v err=%v", round, i, created[i], errsOut[i])
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d clients got the subject, want 1", round, wins)
		}
	}
}
