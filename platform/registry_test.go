package platform

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/ingest"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

// writes reports the methods of t that change something, by name.
func writes(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumMethod(); i++ {
		n := t.Method(i).Name
		for _, verb := range []string{"Create", "Put", "Update", "Delete", "Set", "Remove"} {
			if strings.HasPrefix(n, verb) {
				out = append(out, n)
			}
		}
	}
	return out
}

// TestOnlyAdminGetsRegistryWriters: the registry handles of the gate, of
// Ingest (and so Uploads' withdraw, which runs through it) and of the
// billing service shared by Analytics and Billing are read interfaces: a
// write is a compile error there, not a runtime refusal. Only Admin's
// tenancy.Service holds the writers.
func TestOnlyAdminGetsRegistryWriters(t *testing.T) {
	field := func(v any, name string) reflect.Type {
		f, ok := reflect.TypeOf(v).FieldByName(name)
		if !ok {
			t.Fatalf("%T has no field %s", v, name)
		}
		return f.Type
	}
	gate := reflect.TypeOf(tenancy.NewGate)
	readOnly := map[string]reflect.Type{
		"tenancy.NewGate users":     gate.In(1),
		"tenancy.NewGate clients":   gate.In(2),
		"ingest.Service.Clients":    field(ingest.Service{}, "Clients"),
		"billing.Service.Clients":   field(billing.Service{}, "Clients"),
		"the reader Assemble makes": reflect.TypeOf(readRegistry(Services{})),
	}
	for name, typ := range readOnly {
		if w := writes(typ); len(w) > 0 {
			t.Errorf("%s (%v) can write the registry: %v", name, typ, w)
		}
		if typ.NumMethod() == 0 {
			t.Errorf("%s (%v) has no methods: the check saw nothing", name, typ)
		}
	}
	// And the check does see writers where they are.
	if w := writes(field(tenancy.Service{}, "Users")); len(w) == 0 {
		t.Error("tenancy.Service.Users has no write methods: the check is blind")
	}
}

// TestRegistryReaderReadsAndHidesWriters: the view reads what the writers
// hold, and no type assertion turns it back into a writer.
func TestRegistryReaderReadsAndHidesWriters(t *testing.T) {
	ctx := context.Background()
	mem := tenancytest.NewMemory()
	codes := &chargecodes.Memory{}
	if err := mem.CreateClient(ctx, tenancy.Client{ID: "acme", Name: "Acme", Status: tenancy.Active}); err != nil {
		t.Fatal(err)
	}
	if err := mem.PutUser(ctx, tenancy.User{Subject: "u1", ClientID: "acme", Role: tenancy.ClientUser}); err != nil {
		t.Fatal(err)
	}
	if err := codes.PutChargeCodes(ctx, "acme", []chargecodes.Override{{Code: "HAP", Category: "subsidy"}}); err != nil {
		t.Fatal(err)
	}
	r := readRegistry(Services{Clients: mem, Users: mem, ChargeCodes: codes})
	if c, err := r.GetClient(ctx, "acme"); err != nil || c.Name != "Acme" {
		t.Errorf("GetClient = %+v, %v", c, err)
	}
	if cs, _, err := r.ListClients(ctx, tenancy.Page{}); err != nil || len(cs) != 1 {
		t.Errorf("ListClients = %+v, %v", cs, err)
	}
	if u, err := r.GetUser(ctx, "u1"); err != nil || u.ClientID != "acme" {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	if us, _, err := r.ListUsers(ctx, "acme", tenancy.Page{}); err != nil || len(us) != 1 {
		t.Errorf("ListUsers = %+v, %v", us, err)
	}
	if cc, err := r.ChargeCodes(ctx, "acme"); err != nil || len(cc) != 1 {
		t.Errorf("ChargeCodes = %+v, %v", cc, err)
	}
	if cc, err := readRegistry(Services{Clients: mem, Users: mem}).ChargeCodes(ctx, "acme"); err != nil || cc != nil {
		t.Errorf("without a charge-code store: %+v, %v; want none", cc, err)
	}
	var v any = r
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
