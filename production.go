package rentroll

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	gfirestore "cloud.google.com/go/firestore"
	"cloud.google.com/go/storage"

	fnbilling "rentroll.ai/rentroll/functions/billing"
	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth0"
	"rentroll.ai/rentroll/shared/bigquery"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/firestore"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/logging"
	"rentroll.ai/rentroll/shared/stripe"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// buildProduction wires the functions to Google Cloud: Firestore, BigQuery
// and Cloud Storage with the function's service account, and the Auth0
// JWKS. Client construction does not dial; the first call does.
func buildProduction(ctx context.Context, getenv func(string) string) (*platform.Functions, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Production(); err != nil {
		return nil, err
	}
	log := logging.New(os.Stdout, cfg.LogLevel, cfg.Project)
	verifier, err := auth.NewVerifier(auth.Config{
		Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience, JWKSURL: cfg.AuthJWKSURL,
		ClaimsNamespace: cfg.ClaimsNamespace, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	// The functions outlive the request that built them: their clients get
	// a background context, not the request's.
	bg := context.WithoutCancel(ctx)
	fsClient, err := gfirestore.NewClient(bg, cfg.Project)
	if err != nil {
		return nil, errs.Wrap(err, errs.Transient, "firestore client")
	}
	// The registry has a database of its own, which only Admin's account
	// may write (docs/architecture.md#data-model).
	regClient, err := gfirestore.NewClientWithDatabase(bg, cfg.Project, cfg.RegistryDatabase)
	if err != nil {
		return nil, errs.Wrap(err, errs.Transient, "firestore registry client")
	}
	sc, err := storage.NewClient(bg)
	if err != nil {
		return nil, errs.Wrap(err, errs.Transient, "storage client")
	}
	wh, err := bigquery.NewWithConfig(bg, cfg.Project, bigquery.Config{Location: cfg.BigQueryRegion, Logger: log,
		MaxBytesBilled: cfg.QueryMaxBytesBilled, QueryTimeout: cfg.QueryTimeout})
	if err != nil {
		return nil, err
	}
	store := firestore.NewRegistry(regClient)
	// The shared datasets are Terraform's; ensuring them here is cheap and
	// idempotent, and spares a half-provisioned project its first failures.
	for _, ds := range []warehouse.Dataset{warehouse.System(), warehouse.SuperAdmin()} {
		if err := wh.EnsureDataset(bg, ds); err != nil {
			return nil, err
		}
	}
	if err := tenancy.Bootstrap(bg, store, cfg.BootstrapAdmin, time.Now().UTC()); err != nil {
		return nil, err
	}
	// People are invited and blocked through Auth0's Management API; without
	// it users can only be registered by subject.
	var identity tenancy.IdentityProvider
	if cfg.Auth0Configured() {
		secret, err := cfg.Auth0Secret()
		if err != nil {
			return nil, err
		}
		identity, err = auth0.New(auth0.Config{
			Domain: cfg.Auth0Domain, Connection: cfg.Auth0Connection,
			ClientID: cfg.Auth0MgmtClientID, ClientSecret: secret, Log: log,
		})
		if err != nil {
			return nil, err
		}
	} else {
		log.Warn("RENTROLL_AUTH0_DOMAIN is not set: invitations are off; users can be registered by subject only")
	}
	meter, err := stripe.Optional(cfg.StripeAPIKey, cfg.StripeMeterEvent)
	if err != nil {
		return nil, err
	}
	fns := platform.Assemble(platform.Services{
		Config: cfg, Log: log, Tokens: platform.Tokens(verifier),
		Clients: store, Users: store, Uploads: firestore.NewUploads(fsClient), Warehouse: wh, Runs: firestore.NewRunStore(fsClient), ChargeCodes: store,
		BillingSettings: firestore.NewSettings(regClient, fsClient), Meter: meter,
		BillingCaller: fnbilling.NewOIDCVerifier(cfg.SchedulerAud, cfg.SchedulerSA).Verify,
		Objects:       gcs.New(sc, gcs.SigningConfig{GoogleAccessID: cfg.SignerAccount}),
		Identity:      identity,
	})
	flushOnTerm(fns, log)
	return fns, nil
}

// flushOnTerm writes the queued audit trail when the instance is told to stop
// (Cloud Run sends SIGTERM and allows 10 s), so a clean stop loses nothing.
func flushOnTerm(fns *platform.Functions, log *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		if err := fns.Close(ctx); err != nil {
			log.Error("audit flush at shutdown failed", "error", err.Error())
		}
		// Hand the signal back to its default action: the process exits.
		signal.Stop(sig)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
}
