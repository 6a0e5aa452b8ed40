// Package billing is the Billing function: the monthly unit count that Cloud
// Scheduler triggers with a Google-signed OIDC token. It is private: only the
// scheduler's service account may invoke it (Deps.Verify).
package billing

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/web"
)

// maxBody bounds the trigger's body: {"month": "YYYY-MM"} at most.
const maxBody = 4 << 10

// Deps is what the Billing function needs.
type Deps struct {
	Log     *slog.Logger
	Billing *billing.Service
	// Verify authenticates the caller: OIDCVerifier.Verify in production;
	// locally a check of a super admin's token.
	Verify func(ctx context.Context, r *http.Request) error
}

// Routes is the Billing function's route table. The trigger's caller is
// authenticated by Deps.Verify (a Google OIDC token, not a user token), which
// the route table applies before the handler, so a refusal is audited as a
// denial like any other.
func Routes(d Deps) []web.Route {
	h := &handlers{d}
	verify := d.Verify
	if verify == nil {
		verify = func(context.Context, *http.Request) error {
			return errs.E(errs.Internal, "no caller verifier configured")
		}
	}
	return []web.Route{
		{Name: "billing.scheduled_run", Method: http.MethodPost, Path: "/v1/billing/runs", Access: web.SelfAuthenticated, MaxBody: maxBody, Handler: h.run, Verify: verify},
	}
}

type handlers struct{ Deps }

// run counts the requested month, or the previous calendar month in the
// billing time zone. A run of the month already in progress answers 409
// (the scheduler's retry comes back later); it does not wait.
func (h *handlers) run(w http.ResponseWriter, r *http.Request) error {
	if h.Billing == nil {
		return errs.E(errs.Internal, "billing is not configured")
	}
	req, err := decodeOptional(r)
	if err != nil {
		return err
	}
	month := req.Month
	if month == "" {
		month = h.Billing.DefaultMonth()
	}
	rec, err := h.Billing.Run(r.Context(), month, "scheduler")
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rec.View())
	return nil
}

// decodeOptional reads an optional JSON body: Cloud Scheduler may send none.
func decodeOptional(r *http.Request) (api.BillingRunRequest, error) {
	var req api.BillingRunRequest
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return req, errs.E(errs.TooLarge, "request body exceeds %d bytes", maxErr.Limit)
		}
		return req, errs.Wrap(err, errs.Invalid, "could not read the request body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return req, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err := web.Decode(r, &req); err != nil {
		return req, err
	}
	return req, nil
}
