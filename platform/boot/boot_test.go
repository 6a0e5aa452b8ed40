package boot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/platform/boot"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// idp is an identity provider that invites nobody; the test only checks it
// is the one wired.
type idp struct{ tenancy.IdentityProvider }

// TestStart runs the shared start-up sequence on real stores (the Firestore
// emulator, an in-memory DuckDB): it ensures the shared datasets,
// bootstraps the super admin before the identity provider opens, and wires
// what the adapters say, or fails with the configuration named.
func TestStart(t *testing.T) {
	ctx := context.Background()
	host := firestoreemu.ForTest(t)
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	verifier := &auth.Config{Issuer: "https://issuer.test/", Audience: "https://api.test", JWKSURL: "https://issuer.test/jwks.json"}
	tests := []struct {
		name        string
		cfg         func(*config.Config)
		adapters    func(*boot.Adapters)
		hook        bool // set an Identity hook
		wantErr     string
		wantBilling int // the billing service's Concurrency (0: its default)
	}{
		{name: "local-style adapters", hook: true, adapters: func(a *boot.Adapters) { a.Verifier, a.BillingConcurrency = verifier, 2 }, wantBilling: 2},
		{name: "production-style: issuer from the configuration, no Auth0", cfg: func(c *config.Config) {
			c.AuthIssuer, c.AuthAudience, c.AuthJWKSURL = verifier.Issuer, verifier.Audience, verifier.JWKSURL
		}, wantBilling: 0}, // billing.DefaultConcurrency
		{name: "no issuer anywhere", wantErr: "issuer, audience and JWKS URL are required"},
		{name: "Auth0 without its secret", adapters: func(a *boot.Adapters) { a.Verifier = verifier }, cfg: func(c *config.Config) {
			c.Auth0Domain, c.Auth0Connection, c.Auth0MgmtClientID = "acme.auth0.test", "people", "mgmt"
		}, wantErr: "RENTROLL_AUTH0_MGMT_CLIENT_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := firestoreemu.NewProjectID(t)
			fs, err := firestoreemu.NewClient(ctx, host, project)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			reg, err := firestoreemu.NewDatabaseClient(ctx, host, project, config.DefaultRegistryDatabase)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			wh, err := duckdb.Open("")
			if err != nil {
				t.Fatal(err)
			}
			defer wh.Close()
			cfg, err := config.Load(func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			cfg.Project, cfg.BootstrapAdmin = project, "local|root"
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			a := boot.Adapters{Firestore: fs, Registry: reg, Warehouse: wh, Now: func() time.Time { return at }}
			if tt.adapters != nil {
				tt.adapters(&a)
			}
			hookCalls := 0
			if tt.hook {
				a.Identity = func(ctx context.Context, st boot.Stores) (tenancy.IdentityProvider, error) {
					hookCalls++
					u, err := st.Registry.GetUser(ctx, "local|root")
					if err != nil || u.Role != tenancy.SuperAdmin {
						t.Errorf("identity opened before the bootstrap: %+v, %v", u, err)
					}
					return idp{}, nil
				}
			}
			p, err := boot.Start(ctx, cfg, a)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Start = %v, want an error naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(ctx)
			if tt.hook && hookCalls != 1 {
				t.Errorf("identity hook called %d times, want 1", hookCalls)
			}
			u, err := p.Stores.Registry.GetUser(ctx, "local|root")
			if err != nil || u.Role != tenancy.SuperAdmin {
				t.Errorf("bootstrap super admin: %+v, %v", u, err)
			}
			for _, table := range []string{warehouse.SystemDataset + "." + warehouse.TableBillingUnits, warehouse.SuperAdminDataset + "." + warehouse.TableAllClientsSummary} {
				if _, err := wh.Query(ctx, "SELECT COUNT(*) AS n FROM "+table, nil); err != nil {
					t.Errorf("shared table %s: %v", table, err)
				}
			}
			if got := p.Functions.Billing.Concurrency; got != tt.wantBilling {
				t.Errorf("billing concurrency = %d, want %d", got, tt.wantBilling)
			}
			if _, err := p.Functions.Gate.Authenticate(ctx, "not-a-token"); !errs.Is(err, errs.Unauthorized) {
				t.Errorf("gate with the configured verifier: %v, want unauthorized", err)
			}
		})
	}
}
