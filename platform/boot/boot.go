// Package boot is the platform's one start-up sequence. The Cloud Functions
// (the module root package, production.go) and the local platform
// (internal/localplatform) both call Start, so the two modes ensure the same
// datasets, bootstrap the super admin the same way, build the same stores,
// identity provider and meter, and assemble the same handlers. They differ
// only in the adapters they hand Start in Adapters: which Firestore, which
// warehouse, which object store, which token issuer.
//
// The package is part of the deployed build, so it imports no local-only
// part (DuckDB, the emulators, the local issuer): local mode passes those in
// as values.
package boot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	gfirestore "cloud.google.com/go/firestore"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth0"
	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/firestore"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/stripe"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Adapters are what production and local mode do not share: each field is
// one dependency, built by the caller. Adding a dependency is adding a field
// here and using it in Start.
type Adapters struct {
	// Log receives every function's logs.
	Log *slog.Logger
	// Firestore (the default database) holds the upload records, the billing
	// runs and the billing months' settings.
	Firestore *gfirestore.Client
	// Registry is the registry's own Firestore database: clients, users,
	// charge codes and pricing. Only Admin may write it in production.
	Registry *gfirestore.Client
	// Warehouse is BigQuery in production, DuckDB locally.
	Warehouse warehouse.Warehouse
	// Objects is Cloud Storage (or the local storage emulator behind the
	// same client).
	Objects objects.Store
	// Verifier, when set, is how tokens are checked instead of the issuer
	// the configuration names (local mode: its own issuer, when no external
	// one is configured).
	Verifier *auth.Config
	// Identity, when set, opens where people sign in once the super admin is
	// bootstrapped (local mode: its own provider). When nil, Auth0's
	// Management API is used if it is configured, else nobody is invited and
	// users are registered by subject only.
	Identity func(ctx context.Context, st Stores) (tenancy.IdentityProvider, error)
	// BillingCaller authenticates the billing trigger (production: Cloud
	// Scheduler's OIDC token); nil admits a super admin's token.
	BillingCaller func(ctx context.Context, r *http.Request) error
	// BillingConcurrency bounds the billing count statements in flight
	// (0: billing.DefaultConcurrency, tuned for BigQuery).
	BillingConcurrency int
	// Now is the clock (nil: time.Now).
	Now clock.Func
}

// Stores are the Firestore-backed stores Start builds from the adapters'
// Firestore clients.
type Stores struct {
	// Registry keeps clients, users and charge codes.
	Registry *firestore.Registry
	// Uploads keeps the upload records and their ingestion claims.
	Uploads *firestore.Uploads
	// Runs keeps the billing runs' leases and records.
	Runs *firestore.RunStore
	// Settings keeps the price list, client pricing and property lifecycles.
	Settings *firestore.Settings
}

// Platform is what Start built.
type Platform struct {
	Functions *platform.Functions
	Stores    Stores
}

// Close flushes what the functions buffer (the audit trail). The caller
// closes the adapters it built.
func (p *Platform) Close(ctx context.Context) error { return p.Functions.Close(ctx) }

// Start runs the start-up sequence on cfg and a: token verifier, stores,
// shared datasets, the bootstrap super admin, identity provider, meter,
// and the assembled functions. It dials nothing itself beyond what these
// steps need (the dataset check and the bootstrap write).
func Start(ctx context.Context, cfg config.Config, a Adapters) (*Platform, error) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	verifier, err := newVerifier(cfg, a)
	if err != nil {
		return nil, err
	}
	st := newStores(a)
	if err := EnsureSharedDatasets(ctx, a.Warehouse); err != nil {
		return nil, err
	}
	if err := tenancy.Bootstrap(ctx, st.Registry, cfg.BootstrapAdmin, a.Now().UTC()); err != nil {
		return nil, fmt.Errorf("bootstrap super admin: %w", err)
	}
	identity, err := newIdentity(ctx, cfg, a, st)
	if err != nil {
		return nil, err
	}
	meter, err := stripe.Optional(cfg.StripeAPIKey, cfg.StripeMeterEvent)
	if err != nil {
		return nil, err
	}
	fns := platform.Assemble(platform.Services{
		Config: cfg, Log: a.Log, Tokens: platform.Tokens(verifier), Now: a.Now,
		Clients: st.Registry, Users: st.Registry, Uploads: st.Uploads, ChargeCodes: st.Registry,
		Runs: st.Runs, BillingSettings: st.Settings, Meter: meter,
		Warehouse: a.Warehouse, Objects: a.Objects, Identity: identity,
		BillingCaller: a.BillingCaller, BillingConcurrency: a.BillingConcurrency,
	})
	return &Platform{Functions: fns, Stores: st}, nil
}

// newVerifier checks tokens against a.Verifier, or else the issuer the
// configuration names.
func newVerifier(cfg config.Config, a Adapters) (*auth.Verifier, error) {
	vcfg := auth.Config{Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience, JWKSURL: cfg.AuthJWKSURL, ClaimsNamespace: cfg.ClaimsNamespace}
	if a.Verifier != nil {
		vcfg = *a.Verifier
	}
	vcfg.Logger = a.Log
	return auth.NewVerifier(vcfg)
}

// newStores builds the Firestore-backed stores; no call is made.
func newStores(a Adapters) Stores {
	return Stores{
		Registry: firestore.NewRegistry(a.Registry), Uploads: firestore.NewUploads(a.Firestore),
		Runs: firestore.NewRunStore(a.Firestore), Settings: firestore.NewSettings(a.Registry, a.Firestore),
	}
}

// EnsureSharedDatasets makes the datasets every client shares (system and
// super_admin). In production they are Terraform's; ensuring them here is
// cheap and idempotent, and spares a half-provisioned project its first
// failures. Locally it creates them on first start.
func EnsureSharedDatasets(ctx context.Context, w warehouse.Warehouse) error {
	for _, ds := range []warehouse.Dataset{warehouse.System(), warehouse.SuperAdmin()} {
		if err := w.EnsureDataset(ctx, ds); err != nil {
			return err
		}
	}
	return nil
}

// newIdentity opens where people sign in: a.Identity when set, else Auth0's
// Management API when configured (people are invited and blocked through
// it), else none: users can then only be registered by subject.
func newIdentity(ctx context.Context, cfg config.Config, a Adapters, st Stores) (tenancy.IdentityProvider, error) {
	if a.Identity != nil {
		return a.Identity(ctx, st)
	}
	if !cfg.Auth0Configured() {
		a.Log.Warn("RENTROLL_AUTH0_DOMAIN is not set: invitations are off; users can be registered by subject only")
		return nil, nil
	}
	secret, err := cfg.Auth0Secret()
	if err != nil {
		return nil, err
	}
	idp, err := auth0.New(auth0.Config{
		Domain: cfg.Auth0Domain, Connection: cfg.Auth0Connection,
		ClientID: cfg.Auth0MgmtClientID, ClientSecret: secret, Log: a.Log,
	})
	if err != nil {
		return nil, err
	}
	return idp, nil
}
