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
	"rentroll.ai/rentroll/platform/boot"
	"rentroll.ai/rentroll/shared/bigquery"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/logging"
)

// buildProduction wires the functions to Google Cloud: Firestore, BigQuery
// and Cloud Storage with the function's service account, and the Auth0
// JWKS. Client construction does not dial; the first call does. The
// start-up sequence itself (datasets, bootstrap, identity, assembly) is
// platform/boot's, shared with the local platform.
func buildProduction(ctx context.Context, getenv func(string) string) (*platform.Functions, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Production(); err != nil {
		return nil, err
	}
	log := logging.New(os.Stdout, cfg.LogLevel, cfg.Project)
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
	p, err := boot.Start(bg, cfg, boot.Adapters{
		Log:           log,
		Firestore:     fsClient,
		Registry:      regClient,
		Warehouse:     wh,
		Objects:       gcs.New(sc, gcs.SigningConfig{GoogleAccessID: cfg.SignerAccount}),
		BillingCaller: fnbilling.NewOIDCVerifier(cfg.SchedulerAud, cfg.SchedulerSA).Verify,
	})
	if err != nil {
		return nil, err
	}
	flushOnTerm(p, log)
	return p.Functions, nil
}

// flushOnTerm writes the queued audit trail when the instance is told to stop
// (Cloud Run sends SIGTERM and allows 10 s), so a clean stop loses nothing.
func flushOnTerm(p *boot.Platform, log *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			log.Error("audit flush at shutdown failed", "error", err.Error())
		}
		// Hand the signal back to its default action: the process exits.
		signal.Stop(sig)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
}
