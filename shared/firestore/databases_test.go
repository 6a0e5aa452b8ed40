package firestore

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"cloud.google.com/go/firestore"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
)

// twoDatabases returns clients of the registry database and of the
// operational (default) database of one new project.
func twoDatabases(t *testing.T) (registry, ops *firestore.Client) {
	t.Helper()
	project := firestoreemu.NewProjectID(t)
	return firestoreemu.DatabaseClientForTest(t, project, testRegistryDB), firestoreemu.ClientForTest(t, project)
}

// paths lists every document of a database by its path, walking every
// collection and subcollection (documents that only hold subcollections are
// walked, not listed).
func paths(t *testing.T, c *firestore.Client) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	var walk func(cols *firestore.CollectionIterator)
	walk = func(cols *firestore.CollectionIterator) {
		all, err := cols.GetAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range all {
			refs, err := col.DocumentRefs(ctx).GetAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range refs {
				if _, err := ref.Get(ctx); err == nil {
					out = append(out, relativePath(ref))
				}
				walk(ref.Collections(ctx))
			}
		}
	}
	walk(c.Collections(ctx))
	sort.Strings(out)
	return out
}

// TestStoresKeepToTheirDatabases: what Admin alone writes lands in the
// registry database, what the data path writes in the operational one, and
// neither database holds the other's documents. This is what makes the IAM
// split (write on the registry for Admin only) the rule "only Admin writes
// the registry".
func TestStoresKeepToTheirDatabases(t *testing.T) {
	ctx := context.Background()
	reg, ops := twoDatabases(t)
	r, up := NewRegistry(reg), NewUploads(ops)
	runs, settings := NewRunStore(ops), NewSettings(reg, ops)

	if err := r.CreateClient(ctx, client("acme")); err != nil {
		t.Fatal(err)
	}
	if err := r.PutUser(ctx, tenancy.User{Subject: "auth0|a", ClientID: "acme", Role: tenancy.ClientAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := r.PutChargeCodes(ctx, "acme", []chargecodes.Override{{Code: "HAP", Category: "subsidy"}}); err != nil {
		t.Fatal(err)
	}
	if err := settings.PutPlans(ctx, billing.DefaultPlans()); err != nil {
		t.Fatal(err)
	}
	if _, err := settings.UpdateClientPricing(ctx, "acme", func(cp *billing.ClientPricing) error {
		cp.StripeCustomerID = "cus_1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := settings.UpdateLifecycle(ctx, "acme", "p1", func(l *billing.PropertyLifecycle) error {
		l.Changes = append(l.Changes, billing.StatusChange{Status: billing.PropertyInactive, EffectiveMonth: "2026-01"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	u := uploadstest.Upload("acme", 1, uploads.RentRoll, uploads.Pending)
	if err := up.CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, _, err := up.AcquireClaim(ctx, "bucket/obj#1", "h", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Acquire(ctx, billing.Attempt{Month: "2026-01", RunID: "r1", Trigger: "test", Now: now, Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	wantReg := []string{
		"billing_config/plans", "clients/acme", "clients/acme/billing/pricing",
		"clients/acme/settings/charge_codes", "users/auth0|a",
	}
	if got := paths(t, reg); !reflect.DeepEqual(got, wantReg) {
		t.Errorf("registry database holds\n  %v\nwant\n  %v", got, wantReg)
	}
	gotOps := paths(t, ops)
	wantOps := []string{"billing_runs/2026-01", "clients/acme/property_lifecycle/p-p1", "clients/acme/uploads/" + u.ID}
	// The claim's id is a hash: compare everything but it, then count it.
	var claims int
	var rest []string
	for _, p := range gotOps {
		if len(p) > len(claimsCollection) && p[:len(claimsCollection)+1] == claimsCollection+"/" {
			claims++
			continue
		}
		rest = append(rest, p)
	}
	if !reflect.DeepEqual(rest, wantOps) || claims != 1 {
		t.Errorf("operational database holds\n  %v\nwant\n  %v and one claim", gotOps, wantOps)
	}

	// Reads come back through the reader, from the registry database.
	rd := r.Reader()
	if c, err := rd.GetClient(ctx, "acme"); err != nil || c.ID != "acme" {
		t.Errorf("Reader.GetClient = %+v, %v", c, err)
	}
	if us, _, err := rd.ListUsers(ctx, "acme", tenancy.Page{}); err != nil || len(us) != 1 || us[0].Subject != "auth0|a" {
		t.Errorf("Reader.ListUsers = %+v, %v", us, err)
	}
	if cc, err := rd.ChargeCodes(ctx, "acme"); err != nil || len(cc) != 1 {
		t.Errorf("Reader.ChargeCodes = %+v, %v", cc, err)
	}
}

// TestRegistryReaderCannotWrite: the reader handed to every function but
// Admin has no method that writes, so no type assertion recovers one.
func TestRegistryReaderCannotWrite(t *testing.T) {
	var got []string
	rt := reflect.TypeOf(&RegistryReader{})
	for i := 0; i < rt.NumMethod(); i++ {
		got = append(got, rt.Method(i).Name)
	}
	want := []string{"ChargeCodes", "GetClient", "GetUser", "ListClients", "ListUsers"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RegistryReader methods = %v, want only the reads %v", got, want)
	}
	var v any = (&Registry{}).Reader()
	if _, ok := v.(tenancy.ClientStore); ok {
		t.Error("the reader is a tenancy.ClientStore")
	}
	if _, ok := v.(tenancy.UserStore); ok {
		t.Error("the reader is a tenancy.UserStore")
	}
	if _, ok := v.(chargecodes.Store); ok {
		t.Error("the reader is a chargecodes.Store")
	}
}

// TestMoveRegistry: a project written before the split (everything in the
// default database) has its registry moved, once, without losing the
// operational documents or overwriting what the registry already holds.
func TestMoveRegistry(t *testing.T) {
	ctx := context.Background()
	reg, ops := twoDatabases(t)
	// The layout before the split, written through the adapters on the
	// default database.
	old := NewRegistry(ops)
	if err := old.CreateClient(ctx, client("acme")); err != nil {
		t.Fatal(err)
	}
	for _, u := range []tenancy.User{
		{Subject: "root", Role: tenancy.SuperAdmin},
		{Subject: "auth0|a", ClientID: "acme", Role: tenancy.ClientAdmin},
		{Subject: "auth0|b", ClientID: "acme", Role: tenancy.ClientUser},
	} {
		if err := old.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.PutChargeCodes(ctx, "acme", []chargecodes.Override{{Code: "HAP", Category: "subsidy"}}); err != nil {
		t.Fatal(err)
	}
	oldSettings := NewSettings(ops, ops)
	if err := oldSettings.PutPlans(ctx, billing.DefaultPlans()); err != nil {
		t.Fatal(err)
	}
	if _, err := oldSettings.UpdateClientPricing(ctx, "acme", func(cp *billing.ClientPricing) error {
		cp.StripeCustomerID = "cus_1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := oldSettings.UpdateLifecycle(ctx, "acme", "p1", func(l *billing.PropertyLifecycle) error {
		l.Changes = append(l.Changes, billing.StatusChange{Status: billing.PropertyInactive, EffectiveMonth: "2026-01"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	u := uploadstest.Upload("acme", 1, uploads.RentRoll, uploads.Pending)
	if err := NewUploads(ops).CreateUpload(ctx, u); err != nil {
		t.Fatal(err)
	}
	// A settings collection elsewhere is not the registry's.
	if _, err := ops.Collection("other").Doc("x").Collection("settings").Doc("y").Set(ctx, map[string]any{"k": 1}); err != nil {
		t.Fatal(err)
	}
	// The registry already knows auth0|b as disabled: a newer state that the
	// move must keep.
	r := NewRegistry(reg)
	if err := r.PutUser(ctx, tenancy.User{Subject: "auth0|b", ClientID: "acme", Role: tenancy.ClientUser, Disabled: true}); err != nil {
		t.Fatal(err)
	}

	n, err := MoveRegistry(ctx, ops, reg)
	if err != nil {
		t.Fatalf("MoveRegistry: %v", err)
	}
	if n != 6 { // acme, root, auth0|a, charge codes, plans, pricing
		t.Errorf("moved %d documents, want 6", n)
	}
	wantReg := []string{
		"billing_config/plans", "clients/acme", "clients/acme/billing/pricing",
		"clients/acme/settings/charge_codes", "users/auth0|a", "users/auth0|b", "users/root",
	}
	if got := paths(t, reg); !reflect.DeepEqual(got, wantReg) {
		t.Errorf("registry after the move holds\n  %v\nwant\n  %v", got, wantReg)
	}
	wantOps := []string{"clients/acme/property_lifecycle/p-p1", "clients/acme/uploads/" + u.ID, "other/x/settings/y"}
	if got := paths(t, ops); !reflect.DeepEqual(got, wantOps) {
		t.Errorf("operational database after the move holds\n  %v\nwant\n  %v", got, wantOps)
	}
	// The moved documents read back as what was written.
	if c, err := r.GetClient(ctx, "acme"); err != nil || !reflect.DeepEqual(c, normalizeClient(client("acme"))) {
		t.Errorf("moved client = %+v, %v", c, err)
	}
	if b, err := r.GetUser(ctx, "auth0|b"); err != nil || !b.Disabled {
		t.Errorf("the registry's newer auth0|b was overwritten: %+v, %v", b, err)
	}
	if root, err := r.GetUser(ctx, "root"); err != nil || root.Role != tenancy.SuperAdmin {
		t.Errorf("moved root = %+v, %v", root, err)
	}
	if cp, err := NewSettings(reg, ops).ClientPricing(ctx, "acme"); err != nil || cp.StripeCustomerID != "cus_1" {
		t.Errorf("moved pricing = %+v, %v", cp, err)
	}
	if got, err := NewUploads(ops).GetUpload(ctx, "acme", u.ID); err != nil || got.ID != u.ID {
		t.Errorf("the upload record did not stay: %+v, %v", got, err)
	}

	// A second run has nothing left to move.
	if n, err := MoveRegistry(ctx, ops, reg); err != nil || n != 0 {
		t.Errorf("second MoveRegistry = %d, %v; want 0, nil", n, err)
	}
}

func TestRelativePath(t *testing.T) {
	c := &firestore.Client{}
	tests := []struct {
		ref  *firestore.DocumentRef
		want string
	}{
		{c.Collection("users").Doc("a"), "users/a"},
		{c.Collection("clients").Doc("acme").Collection("settings").Doc("charge_codes"), "clients/acme/settings/charge_codes"},
	}
	for _, tt := range tests {
		if got := relativePath(tt.ref); got != tt.want {
			t.Errorf("relativePath = %q, want %q", got, tt.want)
		}
	}
}
