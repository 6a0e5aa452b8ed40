package admin

import (
	"context"
	"net/http"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// SummaryReader answers the cross-client summary (shared/analytics.Service).
type SummaryReader interface {
	StoredSummary(ctx context.Context, clients []tenancy.Client) (analytics.AllClients, error)
}

// maxSummaryClients bounds one summary page's registry read.
const maxSummaryClients = 100_000

// summary answers GET /v1/admin/summary: per client units, occupancy, GPR,
// last upload and uploads this month, and the totals, in one response.
func (h *handlers) summary(w http.ResponseWriter, r *http.Request) error {
	var clients []tenancy.Client
	page := tenancy.Page{Limit: web.MaxLimit}
	for len(clients) < maxSummaryClients {
		cs, next, err := h.Clients.ListClients(r.Context(), page)
		if err != nil {
			return err
		}
		clients = append(clients, cs...)
		if next == "" {
			break
		}
		page.Token = next
	}
	out, err := h.Summary.StoredSummary(r.Context(), clients)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
