package tenancy_test

import (
	"context"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

var (
	root = tenancy.Principal{Subject: "root", Role: tenancy.SuperAdmin}
)

func withIdentity(t *testing.T) (*tenancy.Service, *tenancytest.Memory, *tenancytest.Identity) {
	t.Helper()
	svc, _, mem := newService(t)
	id := tenancytest.NewIdentity()
	svc.Identity = id
	return svc, mem, id
}

func TestOnboardInvitesTheFirstAdminAndResumes(t *testing.T) {
	ctx := context.Background()
	svc, mem, id := withIdentity(t)
	req := tenancy.NewClient{Name: "Acme Homes", AdminEmail: "ann@acme.example", AdminName: "Ann", PlanID: "standard"}

	// The provider fails at the invitation: the client exists, the admin is
	// registered, and the request reports the failure.
	id.FailOnce("Invite")
	if _, _, err := svc.Onboard(ctx, root, req); !errs.Is(err, errs.Transient) || !strings.Contains(err.Error(), "repeat the request") {
		t.Fatalf("onboard with a failing provider: %v, want a transient error", err)
	}
	// Repeating it completes the work.
	out, created, err := svc.Onboard(ctx, root, req)
	if err != nil {
		t.Fatal(err)
	}
	if created || out.ID != "acme-homes" || out.Status != tenancy.Active {
		t.Errorf("retry: created=%v client %+v", created, out.Client)
	}
	if out.Invitation == nil || out.Invitation.Email != "ann@acme.example" || out.Invitation.URL == "" {
		t.Fatalf("invitation %+v", out.Invitation)
	}
	users, _, err := mem.ListUsers(ctx, "acme-homes", tenancy.Page{Limit: 10})
	if err != nil || len(users) != 1 {
		t.Fatalf("users %+v %v, want the one admin", users, err)
	}
	u := users[0]
	if u.Role != tenancy.ClientAdmin || u.Email != "ann@acme.example" || u.Name != "Ann" {
		t.Errorf("admin %+v", u)
	}
	if p, _ := id.Person(u.Subject); p.ClientID != "acme-homes" || p.Role != tenancy.ClientAdmin || id.Blocked(u.Subject) {
		t.Errorf("provider holds %+v blocked=%v", p, id.Blocked(u.Subject))
	}

	// A failure before anything is registered also resumes.
	id.FailOnce("EnsurePerson")
	req2 := tenancy.NewClient{Name: "Globex", AdminEmail: "gus@globex.example"}
	if _, _, err := svc.Onboard(ctx, root, req2); err == nil {
		t.Fatal("want an error")
	}
	if out, _, err := svc.Onboard(ctx, root, req2); err != nil || out.Invitation == nil {
		t.Fatalf("retry: %+v %v", out, err)
	}

	// Without an identity provider an admin e-mail cannot be honoured.
	svc.Identity = nil
	if _, _, err := svc.Onboard(ctx, root, tenancy.NewClient{Name: "Initech", AdminEmail: "x@initech.example"}); !errs.Is(err, errs.NotImplemented) {
		t.Errorf("no provider: %v", err)
	}
	if _, _, err := svc.Onboard(ctx, root, tenancy.NewClient{Name: "Initech", AdminEmail: "not an address"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad admin e-mail: %v", err)
	}
}

func TestInvitationsStayWithinTheTenant(t *testing.T) {
	ctx := context.Background()
	svc, mem, id := withIdentity(t)
	for _, r := range []tenancy.NewClient{{Name: "Acme", AdminEmail: "ann@acme.example"}, {Name: "Globex", AdminEmail: "gus@globex.example"}} {
		if _, _, err := svc.Onboard(ctx, root, r); err != nil {
			t.Fatal(err)
		}
	}
	acmeAdmin := tenancy.Principal{Subject: "ann", Role: tenancy.ClientAdmin, ClientID: "acme"}

	// A client admin invites a new person by e-mail.
	u, created, err := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.ClientUser, Name: "Bob"})
	if err != nil || !created || u.Invitation == nil || u.ClientID != "acme" || u.Subject == "" {
		t.Fatalf("invite: %+v created=%v %v", u, created, err)
	}
	// Again: the same person, a fresh invitation, nothing duplicated.
	again, created, err := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Email: "BOB@acme.example", Role: tenancy.ClientAdmin})
	if err != nil || created || again.Subject != u.Subject || again.Role != tenancy.ClientAdmin || id.Invitations(u.Subject) != 2 {
		t.Errorf("re-invite: %+v created=%v %v invitations=%d", again, created, err, id.Invitations(u.Subject))
	}
	// A person who can already sign in gets no link that would reset it.
	id.Add(tenancy.Person{Subject: "fake|known", Email: "kim@acme.example", Activated: true})
	if k, _, err := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Email: "kim@acme.example", Role: tenancy.ClientUser}); err != nil || k.Invitation != nil || k.Subject != "fake|known" {
		t.Errorf("activated person: %+v %v, want registered without an invitation", k, err)
	}

	// Another tenant's person cannot be claimed, and the refusal names
	// neither the tenant nor the subject.
	globex, _, _ := mem.ListUsers(ctx, "globex", tenancy.Page{Limit: 10})
	gus := globex[0]
	_, _, err = svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Email: "gus@globex.example", Role: tenancy.ClientUser})
	code, msg := errs.Public(err)
	if code != "email_unavailable" || strings.Contains(msg, "globex") || strings.Contains(msg, gus.Subject) {
		t.Errorf("claim another tenant's e-mail: %s %q", code, msg)
	}
	if after, _ := mem.GetUser(ctx, gus.Subject); after.ClientID != "globex" || after.Role != tenancy.ClientAdmin {
		t.Errorf("globex's admin changed: %+v", after)
	}
	if p, _ := id.Person(gus.Subject); p.ClientID != "globex" || id.Invitations(gus.Subject) != 1 {
		t.Errorf("provider's globex person changed: %+v, %d invitations", p, id.Invitations(gus.Subject))
	}

	// By subject, a client admin reaches only its own users: an unknown
	// subject and another tenant's answer exactly alike.
	_, _, errUnknown := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Subject: "nobody", Role: tenancy.ClientUser})
	_, _, errForeign := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Subject: gus.Subject, Role: tenancy.ClientUser})
	c1, m1 := errs.Public(errUnknown)
	c2, m2 := errs.Public(errForeign)
	if c1 != "not_found" || c1 != c2 || m1 != m2 {
		t.Errorf("unknown subject: %s %q; another tenant's: %s %q; want the same not_found", c1, m1, c2, m2)
	}
	if _, err := mem.GetUser(ctx, "nobody"); !errs.Is(err, errs.NotFound) {
		t.Errorf("a client admin registered a subject: %v", err)
	}
	// The super admin is told plainly.
	if _, _, err := svc.PutUser(ctx, root, "acme", tenancy.NewUser{Email: "gus@globex.example", Role: tenancy.ClientUser}); !errs.Is(err, errs.Conflict) {
		t.Errorf("super admin: %v, want conflict", err)
	}
	// An e-mail is required without a subject.
	if _, _, err := svc.PutUser(ctx, acmeAdmin, "acme", tenancy.NewUser{Role: tenancy.ClientUser}); !errs.Is(err, errs.Invalid) {
		t.Errorf("no e-mail: %v", err)
	}
}

func TestRemovingDisablingAndSuspendingBlockSignIn(t *testing.T) {
	ctx := context.Background()
	svc, mem, id := withIdentity(t)
	if _, _, err := svc.Onboard(ctx, root, tenancy.NewClient{Name: "Acme", AdminEmail: "ann@acme.example"}); err != nil {
		t.Fatal(err)
	}
	bob, _, err := svc.PutUser(ctx, root, "acme", tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.ClientUser})
	if err != nil {
		t.Fatal(err)
	}
	cat, _, err := svc.PutUser(ctx, root, "acme", tenancy.NewUser{Email: "cat@acme.example", Role: tenancy.ClientUser})
	if err != nil {
		t.Fatal(err)
	}
	users, _, _ := mem.ListUsers(ctx, "acme", tenancy.Page{Limit: 10})
	var ann tenancy.User
	for _, u := range users {
		if u.Role == tenancy.ClientAdmin {
			ann = u
		}
	}

	// Disable and re-enable.
	if _, err := svc.SetUserDisabled(ctx, "acme", bob.Subject, true); err != nil || !id.Blocked(bob.Subject) {
		t.Errorf("disable: %v blocked=%v", err, id.Blocked(bob.Subject))
	}
	if _, err := svc.SetUserDisabled(ctx, "acme", bob.Subject, false); err != nil || id.Blocked(bob.Subject) {
		t.Errorf("enable: %v blocked=%v", err, id.Blocked(bob.Subject))
	}
	if _, err := svc.SetUserDisabled(ctx, "acme", ann.Subject, true); !errs.Is(err, errs.Conflict) || id.Blocked(ann.Subject) {
		t.Errorf("disable the last admin: %v blocked=%v", err, id.Blocked(ann.Subject))
	}

	// Removal: the provider fails first, nothing changes; the retry completes.
	id.FailOnce("SetBlocked")
	if err := svc.RemoveUser(ctx, "acme", bob.Subject); err == nil {
		t.Fatal("want the provider's failure")
	}
	if _, err := mem.GetUser(ctx, bob.Subject); err != nil || id.Blocked(bob.Subject) {
		t.Errorf("after a failed removal: %v blocked=%v", err, id.Blocked(bob.Subject))
	}
	if err := svc.RemoveUser(ctx, "acme", bob.Subject); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.GetUser(ctx, bob.Subject); !errs.Is(err, errs.NotFound) || !id.Blocked(bob.Subject) {
		t.Errorf("removed: %v blocked=%v", err, id.Blocked(bob.Subject))
	}
	// The last admin stays, and stays able to sign in.
	if err := svc.RemoveUser(ctx, "acme", ann.Subject); !errs.Is(err, errs.Conflict) || id.Blocked(ann.Subject) {
		t.Errorf("remove the last admin: %v blocked=%v", err, id.Blocked(ann.Subject))
	}
	// Re-inviting a removed person unblocks them.
	if _, _, err := svc.PutUser(ctx, root, "acme", tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.ClientUser}); err != nil || id.Blocked(bob.Subject) {
		t.Errorf("re-invite: %v blocked=%v", err, id.Blocked(bob.Subject))
	}

	// Suspension blocks every user; reactivation unblocks all but the disabled.
	if _, err := svc.SetUserDisabled(ctx, "acme", cat.Subject, true); err != nil {
		t.Fatal(err)
	}
	suspended, active := tenancy.Suspended, tenancy.Active
	id.FailOnce("SetBlocked")
	if _, err := svc.UpdateClient(ctx, "acme", tenancy.ClientPatch{Status: &suspended}); err == nil {
		t.Fatal("want the provider's failure")
	}
	if _, err := svc.UpdateClient(ctx, "acme", tenancy.ClientPatch{Status: &suspended}); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{ann.Subject, bob.Subject, cat.Subject} {
		if !id.Blocked(sub) {
			t.Errorf("suspended client: %s not blocked", sub)
		}
	}
	if _, err := svc.UpdateClient(ctx, "acme", tenancy.ClientPatch{Status: &active}); err != nil {
		t.Fatal(err)
	}
	if id.Blocked(ann.Subject) || id.Blocked(bob.Subject) || !id.Blocked(cat.Subject) {
		t.Errorf("reactivated: ann=%v bob=%v cat=%v, want only the disabled cat blocked", id.Blocked(ann.Subject), id.Blocked(bob.Subject), id.Blocked(cat.Subject))
	}
}
