// Package ingest is the Ingest function: it receives the storage
// "object finalized" CloudEvent for each uploaded file and hands it to the
// ingestion service, which validates, normalizes and loads it exactly once.
package ingest

import (
	"context"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/uploads"
)

// Service ingests one finalized object (shared/ingest.Service).
type Service interface {
	Object(ctx context.Context, ev uploads.ObjectEvent) error
}

// Deps is what the Ingest function needs.
type Deps struct {
	Log     *slog.Logger
	Service Service
}

// Handler returns the CloudEvent handler. Its error decides redelivery: only
// a retryable error is returned (errs.Retryable), so Eventarc retries
// transient faults and acknowledges permanent ones after recording them.
func Handler(d Deps) func(context.Context, event.Event) error {
	return func(ctx context.Context, e event.Event) error {
		log := d.Log.With("event_id", e.ID(), "event_type", e.Type())
		if e.Type() != uploads.FinalizedEventType {
			log.WarnContext(ctx, "event of an unexpected type ignored")
			return nil
		}
		ev, err := uploads.DecodeObjectEvent(e.Data())
		if err == nil {
			err = d.Service.Object(ctx, ev)
		}
		if err == nil {
			return nil
		}
		if errs.Retryable(err) {
			log.WarnContext(ctx, "event will be retried", "error", err.Error())
			return err
		}
		log.ErrorContext(ctx, "event dropped", "error", err.Error())
		return nil
	}
}
