package tenancytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// IdentityContract checks what tenancy.Service relies on from every
// tenancy.IdentityProvider: people are found by e-mail whatever its case
// and created once, found again by subject, invited with a link that has
// not expired, and unknown subjects are nothing to block or update.
// Adapters run it against their real implementation (or a fake of the
// service behind it).
func IdentityContract(t *testing.T, id tenancy.IdentityProvider) {
	t.Helper()
	ctx := context.Background()
	p, err := id.EnsurePerson(ctx, tenancy.Person{Email: "contract.person@example.com", Name: "Casey", ClientID: "acme", Role: tenancy.ClientUser})
	if err != nil {
		t.Fatalf("EnsurePerson (create): %v", err)
	}
	if p.Subject == "" || !strings.EqualFold(p.Email, "contract.person@example.com") || p.Activated {
		t.Errorf("created person %+v: want a subject, the e-mail, not activated", p)
	}
	again, err := id.EnsurePerson(ctx, tenancy.Person{Email: "Contract.Person@Example.com", ClientID: "acme", Role: tenancy.ClientUser})
	if err != nil || again.Subject != p.Subject {
		t.Errorf("EnsurePerson (find, other case) = %+v, %v; want subject %s", again, err, p.Subject)
	}
	bySub, err := id.EnsurePerson(ctx, tenancy.Person{Subject: p.Subject})
	if err != nil || bySub.Subject != p.Subject || !strings.EqualFold(bySub.Email, p.Email) {
		t.Errorf("EnsurePerson (by subject) = %+v, %v", bySub, err)
	}
	if err := id.SetClaims(ctx, tenancy.Person{Subject: p.Subject, ClientID: "acme", Role: tenancy.ClientAdmin}); err != nil {
		t.Errorf("SetClaims: %v", err)
	}
	inv, err := id.Invite(ctx, p)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if !strings.HasPrefix(inv.URL, "http") || !inv.ExpiresAt.After(time.Now()) || !strings.EqualFold(inv.Email, p.Email) {
		t.Errorf("invitation %+v: want a link, a future expiry and the e-mail", inv)
	}
	for _, blocked := range []bool{true, false} {
		if err := id.SetBlocked(ctx, p.Subject, blocked); err != nil {
			t.Errorf("SetBlocked(%v): %v", blocked, err)
		}
	}
	if err := id.SetBlocked(ctx, "nobody|0", true); err != nil {
		t.Errorf("SetBlocked(unknown) = %v, want nil", err)
	}
	if err := id.SetClaims(ctx, tenancy.Person{Subject: "nobody|0", ClientID: "acme", Role: tenancy.ClientUser}); err != nil {
		t.Errorf("SetClaims(unknown) = %v, want nil", err)
	}
	if _, err := id.EnsurePerson(ctx, tenancy.Person{Subject: "nobody|0"}); err != nil && !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Invalid) {
		t.Errorf("EnsurePerson(unknown subject) = %v, want NotFound (or Invalid without an e-mail)", err)
	}
}
