// Package billing is the Billing function: the monthly unit count that Cloud
// Scheduler triggers with a Google-signed OIDC token. It is private: only the
// scheduler's service account may invoke it.
package billing

import (
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Billing function needs.
type Deps struct {
	Log *slog.Logger
}

// Routes is the Billing function's route table. The trigger authenticates its
// caller itself (a Google OIDC token, not a user token).
func Routes(d Deps) []web.Route {
	return []web.Route{
		{Name: "billing.scheduled_run", Method: http.MethodPost, Path: "/v1/billing/runs", Access: web.SelfAuthenticated, Handler: web.NotImplemented("the scheduled unit count")},
	}
}
