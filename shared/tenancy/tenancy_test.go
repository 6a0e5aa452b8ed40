package tenancy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

func TestAuthorize(t *testing.T) {
	super := tenancy.Principal{Subject: "s", Role: tenancy.SuperAdmin}
	adminA := tenancy.Principal{Subject: "a1", Role: tenancy.ClientAdmin, ClientID: "acme"}
	userA := tenancy.Principal{Subject: "u1", Role: tenancy.ClientUser, ClientID: "acme"}
	noRole := tenancy.Principal{Subject: "x", ClientID: "acme"}
	tests := []struct {
		name string
		p    tenancy.Principal
		cid  string
		min  tenancy.Role
		want errs.Code
	}{
		{"super any client", super, "other", tenancy.ClientAdmin, ""},
		{"admin own", adminA, "acme", tenancy.ClientAdmin, ""},
		{"admin own user route", adminA, "acme", tenancy.ClientUser, ""},
		{"user own", userA, "acme", tenancy.ClientUser, ""},
		{"user own admin route", userA, "acme", tenancy.ClientAdmin, errs.Forbidden},
		{"admin other client", adminA, "globex", tenancy.ClientUser, errs.NotFound},
		{"user other client admin route", userA, "globex", tenancy.ClientAdmin, errs.NotFound},
		{"no role", noRole, "acme", tenancy.ClientUser, errs.Forbidden},
		{"client principal with empty client", tenancy.Principal{Role: tenancy.ClientAdmin}, "", tenancy.ClientUser, errs.NotFound},
		{"client admin cannot pass a super-admin-only rule", adminA, "acme", tenancy.SuperAdmin, errs.Forbidden},
	}
	for _, tt := range tests {
		if got := errs.CodeOf(tenancy.Authorize(tt.p, tt.cid, tt.min)); got != tt.want {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestValidateClientID(t *testing.T) {
	good := []string{"acme", "acme-holdings", "a1b", "xyz"}
	bad := []string{"", "ab", "Acme", "1acme", "acme-", "ac--me", "acme_1", "../x", "acme/b", "a234567890123456789012345678901234567890z"}
	for _, id := range good {
		if err := tenancy.ValidateClientID(id); err != nil {
			t.Errorf("ValidateClientID(%q) = %v", id, err)
		}
	}
	for _, id := range bad {
		if err := tenancy.ValidateClientID(id); err == nil {
			t.Errorf("ValidateClientID(%q) = nil, want error", id)
		}
	}
	if got := tenancy.DatasetName("acme-holdings"); got != "client_acme_holdings" {
		t.Errorf("DatasetName = %q", got)
	}
}

type tokens map[string]tenancy.Identity

func (m tokens) VerifyToken(_ context.Context, raw string) (tenancy.Identity, error) {
	id, ok := m[raw]
	if !ok {
		return id, errs.E(errs.Unauthorized, "bad token")
	}
	return id, nil
}

func TestGate(t *testing.T) {
	ctx := context.Background()
	store := tenancytest.NewMemory()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreateClient(ctx, tenancy.Client{ID: "acme", Status: tenancy.Active}))
	must(store.CreateClient(ctx, tenancy.Client{ID: "globex", Status: tenancy.Suspended}))
	must(store.PutUser(ctx, tenancy.User{Subject: "a", Role: tenancy.ClientAdmin, ClientID: "acme"}))
	must(store.PutUser(ctx, tenancy.User{Subject: "g", Role: tenancy.ClientUser, ClientID: "globex"}))
	must(store.PutUser(ctx, tenancy.User{Subject: "d", Role: tenancy.ClientUser, ClientID: "acme", Disabled: true}))
	must(store.PutUser(ctx, tenancy.User{Subject: "s", Role: tenancy.SuperAdmin}))
	toks := tokens{
		"a": {Subject: "a"}, "a-claims": {Subject: "a", Role: "client_admin", ClientID: "acme"},
		"a-stale": {Subject: "a", Role: "client_admin", ClientID: "globex"}, "a-role": {Subject: "a", Role: "super_admin"},
		"g": {Subject: "g"}, "d": {Subject: "d"}, "s": {Subject: "s"}, "nobody": {Subject: "nobody"},
	}
	gate := tenancy.NewGate(toks, store, store, time.Minute)

	tests := []struct {
		token    string
		cid      string
		min      tenancy.Role
		wantAuth errs.Code
		wantAz   errs.Code
	}{
		{"a", "acme", tenancy.ClientAdmin, "", ""},
		{"a-claims", "acme", tenancy.ClientUser, "", ""},
		{"a-stale", "acme", tenancy.ClientUser, errs.Unauthorized, ""},
		{"a-role", "acme", tenancy.ClientUser, errs.Unauthorized, ""},
		{"a", "globex", tenancy.ClientUser, "", errs.NotFound},
		{"a", "nonexistent", tenancy.ClientUser, "", errs.NotFound},
		{"a", "../etc", tenancy.ClientUser, "", errs.NotFound},
		{"g", "globex", tenancy.ClientUser, "", errs.Forbidden}, // suspended
		{"s", "globex", tenancy.ClientAdmin, "", ""},            // super admin reaches a suspended client
		{"s", "nonexistent", tenancy.ClientUser, "", errs.NotFound},
		{"d", "acme", tenancy.ClientUser, errs.Forbidden, ""},
		{"nobody", "acme", tenancy.ClientUser, errs.Forbidden, ""},
		{"forged", "acme", tenancy.ClientUser, errs.Unauthorized, ""},
	}
	for _, tt := range tests {
		p, err := gate.Authenticate(ctx, tt.token)
		if got := errs.CodeOf(err); got != tt.wantAuth {
			t.Errorf("Authenticate(%s) = %v, want code %q", tt.token, err, tt.wantAuth)
			continue
		}
		if err != nil {
			continue
		}
		if got := errs.CodeOf(gate.AuthorizeClient(ctx, p, tt.cid, tt.min, false)); got != tt.wantAz {
			t.Errorf("AuthorizeClient(%s, %s) = %q, want %q", tt.token, tt.cid, got, tt.wantAz)
		}
	}

	// The cache keeps a removed user for up to the TTL, unless this process forgets it.
	must(store.DeleteUser(ctx, "a"))
	if _, err := gate.Authenticate(ctx, "a"); err != nil {
		t.Fatalf("cached user refused before TTL: %v", err)
	}
	gate.ForgetUser("a")
	if _, err := gate.Authenticate(ctx, "a"); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("removed user: %v, want forbidden", err)
	}

	// A failing registry is a transient fault, not a refusal.
	store.Fail = errs.Wrap(errors.New("unavailable"), errs.Transient, "registry")
	gate.ForgetUser("s")
	if _, err := gate.Authenticate(ctx, "s"); errs.CodeOf(err) != errs.Transient {
		t.Errorf("failing registry: %v, want transient", err)
	}
}
