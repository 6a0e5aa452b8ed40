// Package ingest is the Ingest function: it receives the storage
// "object finalized" CloudEvent for each uploaded file and validates,
// normalizes and loads it exactly once.
package ingest

import (
	"context"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/shared/errs"
)

// Deps is what the Ingest function needs.
type Deps struct {
	Log *slog.Logger
}

// Handler returns the CloudEvent handler. Its error decides redelivery: only a
// retryable error is returned (errs.Retryable), so Eventarc retries transient
// faults and acknowledges permanent ones.
func Handler(d Deps) func(context.Context, event.Event) error {
	return func(ctx context.Context, e event.Event) error {
		err := errs.E(errs.NotImplemented, "ingestion is not implemented yet")
		d.Log.WarnContext(ctx, "event not processed", "event_id", e.ID(), "type", e.Type(), "error", err.Error())
		if errs.Retryable(err) {
			return err
		}
		return nil
	}
}
