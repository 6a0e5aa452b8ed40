// Package admin is the Admin function: the caller's own identity (/v1/me),
// client management for the super admin, a client's users, its billing units,
// usage and the audit trail. It decodes, relies on the route table's access
// rule, calls the domain and encodes; it holds no state of its own.
package admin

import (
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Admin function needs.
type Deps struct {
	Log     *slog.Logger
	Clients tenancy.ClientStore
	Users   tenancy.UserStore
}

// Routes is the Admin function's route table.
func Routes(d Deps) []web.Route {
	h := &handlers{d}
	return []web.Route{
		{Name: "me", Method: http.MethodGet, Path: "/v1/me", Access: web.Authenticated, Handler: h.me},
		{Name: "clients.create", Method: http.MethodPost, Path: "/v1/admin/clients", Access: web.SuperAdminOnly, Handler: web.NotImplemented("client creation")},
		{Name: "clients.list", Method: http.MethodGet, Path: "/v1/admin/clients", Access: web.SuperAdminOnly, Handler: web.NotImplemented("client listing")},
		{Name: "clients.get", Method: http.MethodGet, Path: "/v1/admin/clients/{cid}", Access: web.SuperAdminOnly, Handler: web.NotImplemented("client reading")},
		{Name: "clients.update", Method: http.MethodPatch, Path: "/v1/admin/clients/{cid}", Access: web.SuperAdminOnly, Handler: web.NotImplemented("client updates")},
		{Name: "admin.summary", Method: http.MethodGet, Path: "/v1/admin/summary", Access: web.SuperAdminOnly, Handler: web.NotImplemented("the cross-client summary")},
		{Name: "admin.usage", Method: http.MethodGet, Path: "/v1/admin/usage", Access: web.SuperAdminOnly, Handler: web.NotImplemented("usage")},
		{Name: "admin.audit", Method: http.MethodGet, Path: "/v1/admin/audit", Access: web.SuperAdminOnly, Handler: web.NotImplemented("the audit trail")},
		{Name: "billing.run", Method: http.MethodPost, Path: "/v1/admin/billing/runs", Access: web.SuperAdminOnly, Handler: web.NotImplemented("billing runs")},
		{Name: "billing.run.get", Method: http.MethodGet, Path: "/v1/admin/billing/runs/{month}", Access: web.SuperAdminOnly, Handler: web.NotImplemented("billing runs")},
		{Name: "billing.run.export", Method: http.MethodGet, Path: "/v1/admin/billing/runs/{month}/export.csv", Access: web.SuperAdminOnly, Handler: web.NotImplemented("billing exports")},
		{Name: "users.list", Method: http.MethodGet, Path: "/v1/clients/{cid}/users", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: web.NotImplemented("user listing")},
		{Name: "users.create", Method: http.MethodPost, Path: "/v1/clients/{cid}/users", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: web.NotImplemented("user management")},
		{Name: "users.delete", Method: http.MethodDelete, Path: "/v1/clients/{cid}/users/{sub}", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: web.NotImplemented("user management")},
		{Name: "billing.units", Method: http.MethodGet, Path: "/v1/clients/{cid}/billing/units", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: web.NotImplemented("billed units")},
	}
}

type handlers struct{ Deps }

// me answers the principal as the platform resolved it (DESIGN A3).
func (h *handlers) me(w http.ResponseWriter, r *http.Request) error {
	p, ok := web.PrincipalFrom(r.Context())
	if !ok {
		return errs.E(errs.Internal, "no principal on an authenticated route")
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}
