// Package rentroll is the Cloud Functions entry point of the RentRoll
// platform: it registers the five functions of docs/architecture.md#functions with
// functions-framework-go. Registration is all that happens at start-up; each
// function's dependencies (Firestore, BigQuery, Cloud Storage, the JWKS
// verifier) are built on its first request, so a cold start never fails on
// the network, and a failed build is reported to that request and retried on
// the next. This package and everything it imports never link the local-only
// parts (DuckDB, the emulators).
package rentroll

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/logging"
	"rentroll.ai/rentroll/shared/web"
)

func init() {
	d := &deployment{build: buildProduction, getenv: os.Getenv}
	for _, name := range platform.HTTPFunctions() {
		functions.HTTP(name, d.serveHTTP(name))
	}
	functions.CloudEvent(platform.Ingest, d.ingest)
}

// deployment builds the functions once, on first use.
type deployment struct {
	build  func(ctx context.Context, getenv func(string) string) (*platform.Functions, error)
	getenv func(string) string

	mu       sync.Mutex
	fns      *platform.Functions
	handlers map[string]http.Handler
}

func (d *deployment) functions(ctx context.Context) (*platform.Functions, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fns != nil {
		return d.fns, nil
	}
	fns, err := d.build(ctx, d.getenv)
	if err != nil {
		return nil, err
	}
	d.fns = fns
	d.handlers = map[string]http.Handler{}
	for _, name := range platform.HTTPFunctions() {
		d.handlers[name] = fns.Handler(name)
	}
	return fns, nil
}

// startupLog reports a failed build before any configured logger exists.
func startupLog() *slog.Logger { return logging.New(os.Stderr, slog.LevelInfo, "") }

func (d *deployment) serveHTTP(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := d.functions(r.Context()); err != nil {
			startupLog().ErrorContext(r.Context(), "function start-up failed", "function", name, "error", err.Error())
			web.WriteError(w, r, errs.E(errs.Transient, "the service is starting or misconfigured; try again shortly").WithReason("unavailable"))
			return
		}
		d.mu.Lock()
		h := d.handlers[name]
		d.mu.Unlock()
		h.ServeHTTP(w, r)
	}
}

func (d *deployment) ingest(ctx context.Context, e event.Event) error {
	fns, err := d.functions(ctx)
	if err != nil {
		startupLog().ErrorContext(ctx, "function start-up failed", "function", platform.Ingest, "error", err.Error())
		// Returning the error makes Eventarc redeliver once the build succeeds.
		return fmt.Errorf("start-up: %w", errs.Wrap(err, errs.Transient, "start-up failed"))
	}
	return fns.Ingest(ctx, e)
}
