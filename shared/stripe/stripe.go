// Package stripe is the Stripe adapter of billing.Meter: each client's units
// of a completed billing run become one Stripe Billing meter event
// (POST /v1/billing/meter_events, through stripe-go).
//
// Idempotency: the event's identifier is billing.EventIdentifier(run,
// client), sent both as the meter event identifier (Stripe drops a second
// event with the same identifier) and as the request's Idempotency-Key (a
// retried request returns the first answer). A re-run of a month with
// unchanged data keeps its run id, so it can never add units twice. A re-run
// with changed data has a new run id and reports the month's new total; the
// meter is therefore configured with the "last" aggregation, so that the
// newest report of a period supersedes the earlier one instead of adding to
// it (docs/billing.md, "Stripe").
package stripe

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	stripego "github.com/stripe/stripe-go/v85"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// Config configures the Meter.
type Config struct {
	// APIKey is the secret key (sk_…); it goes only into the Authorization
	// header and is never logged.
	APIKey string
	// EventName is the meter's event name.
	EventName string
	// APIURL replaces https://api.stripe.com (tests point it at a fake).
	APIURL string
	// HTTPClient is the client requests go through; nil is a client with a
	// 30-second timeout.
	HTTPClient *http.Client
	// MaxRetries is how often stripe-go retries a transient failure (with
	// the same Idempotency-Key); negative means none, 0 the default of 2.
	MaxRetries int
}

// Meter reports units to Stripe Billing meter events.
type Meter struct {
	client *stripego.Client
	event  string
}

var _ billing.Meter = (*Meter)(nil)

// New returns a Meter for cfg.
func New(cfg Config) (*Meter, error) {
	if cfg.APIKey == "" || cfg.EventName == "" {
		return nil, errs.E(errs.Internal, "stripe: an API key and a meter event name are required")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	retries := int64(2)
	switch {
	case cfg.MaxRetries < 0:
		retries = 0
	case cfg.MaxRetries > 0:
		retries = int64(cfg.MaxRetries)
	}
	bc := &stripego.BackendConfig{
		HTTPClient: hc, MaxNetworkRetries: stripego.Int64(retries),
		// stripe-go's own logging would go to stderr outside the platform's
		// structured log; failures are returned and logged by the caller.
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	if cfg.APIURL != "" {
		bc.URL = stripego.String(cfg.APIURL)
	}
	return &Meter{
		client: stripego.NewClient(cfg.APIKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc))),
		event:  cfg.EventName,
	}, nil
}

// Report implements billing.Meter: one meter event with the client's
// Stripe customer, its units as the value, and e.Time as the timestamp.
func (m *Meter) Report(ctx context.Context, e billing.MeterEvent) error {
	if e.CustomerID == "" || e.Identifier == "" {
		return errs.E(errs.Invalid, "stripe: a meter event needs a customer and an identifier")
	}
	p := &stripego.BillingMeterEventCreateParams{
		EventName:  stripego.String(m.event),
		Identifier: stripego.String(e.Identifier),
		Payload: map[string]string{
			"stripe_customer_id": e.CustomerID,
			"value":              strconv.FormatInt(e.Units, 10),
		},
		Timestamp: stripego.Int64(e.Time.Unix()),
	}
	p.SetIdempotencyKey(e.Identifier)
	_, err := m.client.V1BillingMeterEvents.Create(ctx, p)
	if err != nil {
		return classify(err, e)
	}
	return nil
}

// classify maps a Stripe failure to an errs code: an outage, a rate limit
// or a network failure is Transient (a later run or sync retries it); a
// refusal of the event is Invalid; a refused key is Internal (configuration).
func classify(err error, e billing.MeterEvent) error {
	var se *stripego.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500 || se.HTTPStatusCode == http.StatusConflict:
			return errs.Wrap(err, errs.Transient, "Stripe is unavailable (%d); the report stays pending", se.HTTPStatusCode)
		case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
			return errs.Wrap(err, errs.Internal, "Stripe refused the API key")
		default:
			return errs.Wrap(err, errs.Invalid, "Stripe refused the meter event of client %s: %s", e.ClientID, se.Msg)
		}
	}
	return errs.Wrap(err, errs.Transient, "Stripe is unreachable; the report stays pending")
}

// Optional returns the Meter for apiKey, or a nil billing.Meter (nothing is
// reported) when apiKey is empty, so that the composition roots wire Stripe
// only when it is configured.
func Optional(apiKey, eventName string) (billing.Meter, error) {
	if apiKey == "" {
		return nil, nil
	}
	return New(Config{APIKey: apiKey, EventName: eventName})
}
