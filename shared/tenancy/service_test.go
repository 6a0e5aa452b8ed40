package tenancy_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
)

// flaky fails the chosen warehouse call once, to simulate a crash half-way.
type flaky struct {
	warehouse.Warehouse
	mu       sync.Mutex
	failLoad bool
	failDDL  bool
}

func (f *flaky) EnsureDataset(ctx context.Context, ds warehouse.Dataset) error {
	f.mu.Lock()
	fail := f.failDDL
	f.failDDL = false
	f.mu.Unlock()
	if fail {
		return errs.Wrap(errors.New("boom"), errs.Transient, "warehouse down")
	}
	return f.Warehouse.EnsureDataset(ctx, ds)
}

func (f *flaky) Load(ctx context.Context, l warehouse.Load) error {
	f.mu.Lock()
	fail := f.failLoad
	f.failLoad = false
	f.mu.Unlock()
	if fail {
		return errs.Wrap(errors.New("boom"), errs.Transient, "warehouse down")
	}
	return f.Warehouse.Load(ctx, l)
}

func newService(t *testing.T) (*tenancy.Service, *flaky, *tenancytest.Memory) {
	t.Helper()
	wh, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	if err := wh.EnsureDataset(context.Background(), warehouse.System()); err != nil {
		t.Fatal(err)
	}
	f := &flaky{Warehouse: wh}
	mem := tenancytest.NewMemory()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return &tenancy.Service{Clients: mem, Users: mem, Warehouse: f, Now: func() time.Time { return now }}, f, mem
}

func clientRows(t *testing.T, w warehouse.Warehouse, id string) int {
	t.Helper()
	rows, err := w.Query(context.Background(), "SELECT name FROM system.clients WHERE client_id = @id", map[string]any{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func TestCreateClientIdempotentAndResumable(t *testing.T) {
	ctx := context.Background()
	svc, f, mem := newService(t)

	// A crash before the registry record: the retry completes everything.
	f.failDDL = true
	if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Acme Homes"}); !errs.Is(err, errs.Transient) {
		t.Fatalf("first attempt: %v, want transient", err)
	}
	if _, err := mem.GetClient(ctx, "acme-homes"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("client exists after a failed provisioning: %v", err)
	}
	c, created, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Acme Homes"})
	if err != nil || !created || c.ID != "acme-homes" || c.Dataset != "client_acme_homes" || c.Status != tenancy.Active {
		t.Fatalf("retry: %+v, %v, %v", c, created, err)
	}

	// A crash after the registry record but before the mirror row: a retry
	// of the same request completes the mirror and reports created=false.
	f.failLoad = true
	if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Globex"}); err == nil {
		t.Fatal("want the injected failure")
	}
	if got := clientRows(t, f, "globex"); got != 0 {
		t.Fatalf("mirror rows after failure = %d", got)
	}
	if _, created, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Globex"}); err != nil || created {
		t.Fatalf("retry after registry write: created=%v err=%v", created, err)
	}
	if got := clientRows(t, f, "globex"); got != 1 {
		t.Errorf("mirror rows = %d, want 1", got)
	}
	// Every table of the client's dataset exists.
	for _, tb := range warehouse.Client("client_globex").Tables {
		if _, err := f.Query(ctx, "SELECT count(*) AS n FROM client_globex."+tb.Name, nil); err != nil {
			t.Errorf("table %s: %v", tb.Name, err)
		}
	}
	// Repeats are idempotent; the same id under another name is a conflict.
	if _, created, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Globex"}); err != nil || created || clientRows(t, f, "globex") != 1 {
		t.Errorf("repeat: created=%v err=%v rows=%d", created, err, clientRows(t, f, "globex"))
	}
	if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{ID: "globex", Name: "Someone Else"}); !errs.Is(err, errs.Conflict) {
		t.Errorf("id taken: %v, want conflict", err)
	}
}

func TestCreateClientValidation(t *testing.T) {
	svc, _, _ := newService(t)
	for _, req := range []tenancy.NewClient{
		{Name: ""}, {Name: "   "}, {Name: "bad\x00name"}, {Name: string(make([]byte, 300))},
		{Name: "Ok", ID: "Bad_ID"}, {Name: "Ok", BillingEmail: "not an email"},
	} {
		if _, _, err := svc.CreateClient(context.Background(), req); !errs.Is(err, errs.Invalid) {
			t.Errorf("CreateClient(%+v) = %v, want invalid", req, err)
		}
	}
	if got := tenancy.SlugID("  123 Maple Court, LLC!  "); got != "maple-court-llc" {
		t.Errorf("SlugID = %q", got)
	}
}

func TestUsersRules(t *testing.T) {
	ctx := context.Background()
	svc, _, mem := newService(t)
	for _, name := range []string{"Acme", "Globex"} {
		if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	super := tenancy.Principal{Subject: "root", Role: tenancy.SuperAdmin}
	admin := tenancy.Principal{Subject: "alice", Role: tenancy.ClientAdmin, ClientID: "acme"}
	steps := []struct {
		name    string
		actor   tenancy.Principal
		cid     string
		req     tenancy.NewUser
		created bool
		want    errs.Code
	}{
		{"super adds first admin", super, "acme", tenancy.NewUser{Subject: "alice", Role: tenancy.ClientAdmin}, true, ""},
		{"super registers a subject", super, "acme", tenancy.NewUser{Subject: "bob", Role: tenancy.ClientUser, Email: "bob@acme.example"}, true, ""},
		{"admin cannot register a new subject", admin, "acme", tenancy.NewUser{Subject: "mallory", Role: tenancy.ClientUser}, false, errs.NotFound},
		{"admin promotes the user", admin, "acme", tenancy.NewUser{Subject: "bob", Role: tenancy.ClientAdmin}, false, ""},
		{"no identity provider to invite with", admin, "acme", tenancy.NewUser{Email: "new@acme.example", Role: tenancy.ClientUser}, false, errs.NotImplemented},
		{"admin cannot grant super_admin", admin, "acme", tenancy.NewUser{Subject: "carol", Role: tenancy.SuperAdmin}, false, errs.Forbidden},
		{"super_admin is no client role", super, "acme", tenancy.NewUser{Subject: "carol", Role: tenancy.SuperAdmin}, false, errs.Invalid},
		{"unknown role", admin, "acme", tenancy.NewUser{Subject: "carol", Role: "owner"}, false, errs.Invalid},
		{"bad subject", admin, "acme", tenancy.NewUser{Subject: "a/b", Role: tenancy.ClientUser}, false, errs.Invalid},
		{"bad email", admin, "acme", tenancy.NewUser{Subject: "carol", Role: tenancy.ClientUser, Email: "x"}, false, errs.Invalid},
		{"subject of another client", super, "globex", tenancy.NewUser{Subject: "bob", Role: tenancy.ClientUser}, false, errs.Conflict},
	}
	for _, s := range steps {
		_, created, err := svc.PutUser(ctx, s.actor, s.cid, s.req)
		if errs.CodeOf(err) != s.want || (err == nil && created != s.created) {
			t.Errorf("%s: created=%v err=%v, want created=%v code %q", s.name, created, err, s.created, s.want)
		}
	}
	// Two admins: one may go; the last may neither go nor be demoted.
	if err := svc.RemoveUser(ctx, "acme", "bob"); err != nil {
		t.Fatalf("remove one of two admins: %v", err)
	}
	if err := svc.RemoveUser(ctx, "acme", "alice"); !errs.Is(err, errs.Conflict) {
		t.Errorf("remove last admin: %v, want conflict", err)
	}
	if _, _, err := svc.PutUser(ctx, super, "acme", tenancy.NewUser{Subject: "alice", Role: tenancy.ClientUser}); !errs.Is(err, errs.Conflict) {
		t.Errorf("demote last admin: %v, want conflict", err)
	}
	// Another client's user is not found through this client.
	if _, _, err := svc.PutUser(ctx, super, "globex", tenancy.NewUser{Subject: "gina", Role: tenancy.ClientAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveUser(ctx, "acme", "gina"); !errs.Is(err, errs.NotFound) {
		t.Errorf("remove other client's user: %v, want not found", err)
	}
	if u, err := mem.GetUser(ctx, "gina"); err != nil || u.ClientID != "globex" {
		t.Errorf("gina changed: %+v %v", u, err)
	}
}

func TestUpdateClient(t *testing.T) {
	ctx := context.Background()
	svc, f, _ := newService(t)
	if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	suspended := tenancy.Suspended
	name := "Acme Holdings"
	c, err := svc.UpdateClient(ctx, "acme", tenancy.ClientPatch{Name: &name, Status: &suspended})
	if err != nil || c.Name != name || c.Status != tenancy.Suspended {
		t.Fatalf("UpdateClient = %+v, %v", c, err)
	}
	rows, err := f.Query(ctx, "SELECT name, status FROM system.clients WHERE client_id = 'acme'", nil)
	if err != nil || len(rows) != 1 || rows[0]["status"] != "suspended" || rows[0]["name"] != name {
		t.Errorf("mirror = %v, %v", rows, err)
	}
	bad := tenancy.ClientStatus("deleted")
	for _, p := range []tenancy.ClientPatch{{}, {Status: &bad}} {
		if _, err := svc.UpdateClient(ctx, "acme", p); !errs.Is(err, errs.Invalid) {
			t.Errorf("UpdateClient(%+v) = %v, want invalid", p, err)
		}
	}
	if _, err := svc.UpdateClient(ctx, "nobody", tenancy.ClientPatch{Name: &name}); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown client: %v", err)
	}
}
