// Package admin is the Admin function: the caller's own identity (/v1/me),
// client management for the super admin, a client's users, its billing units,
// usage and the audit trail. It decodes, relies on the route table's access
// rule, calls the domain and encodes; it holds no state of its own.
package admin

import (
	"context"
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// AuditReader lists the audit trail.
type AuditReader interface {
	List(ctx context.Context, f audit.Filter) ([]audit.Entry, string, error)
}

// Flusher makes queued audit entries visible before a read.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Deps is what the Admin function needs.
type Deps struct {
	Log      *slog.Logger
	Clients  tenancy.ClientStore
	Users    tenancy.UserStore
	Tenancy  *tenancy.Service
	Audit    AuditReader
	Recorder Flusher // may be nil
	Summary  SummaryReader
	Billing  BillingDeps
	// ChargeCodes keeps the clients' charge-code overrides.
	ChargeCodes chargecodes.Store
}

func ownRoutes(d Deps) []web.Route {
	h := &handlers{d}
	return []web.Route{
		{Name: "me", Method: http.MethodGet, Path: "/v1/me", Access: web.Authenticated, Handler: h.me},
		{Name: "clients.create", Method: http.MethodPost, Path: "/v1/admin/clients", Access: web.SuperAdminOnly, MaxBody: 16 << 10, Handler: h.createClient},
		{Name: "clients.list", Method: http.MethodGet, Path: "/v1/admin/clients", Access: web.SuperAdminOnly, Handler: h.listClients},
		{Name: "clients.get", Method: http.MethodGet, Path: "/v1/admin/clients/{cid}", Access: web.SuperAdminOnly, Handler: h.getClient},
		{Name: "clients.update", Method: http.MethodPatch, Path: "/v1/admin/clients/{cid}", Access: web.SuperAdminOnly, MaxBody: 16 << 10, Handler: h.updateClient},
		{Name: "admin.summary", Method: http.MethodGet, Path: "/v1/admin/summary", Access: web.SuperAdminOnly, Handler: h.summary},
		{Name: "admin.audit", Method: http.MethodGet, Path: "/v1/admin/audit", Access: web.SuperAdminOnly, Handler: h.audit},
		{Name: "users.list", Method: http.MethodGet, Path: "/v1/clients/{cid}/users", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: h.listUsers},
		{Name: "users.put", Method: http.MethodPost, Path: "/v1/clients/{cid}/users", Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: 16 << 10, Handler: h.putUser},
		{Name: "users.delete", Method: http.MethodDelete, Path: "/v1/clients/{cid}/users/{sub}", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: h.deleteUser},
		{Name: "users.update", Method: http.MethodPatch, Path: "/v1/clients/{cid}/users/{sub}", Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: 16 << 10, Handler: h.updateUser},
	}
}

// Routes is the Admin function's route table: its own routes and the billing
// and usage routes of billing.go.
func Routes(d Deps) []web.Route {
	return append(append(ownRoutes(d), BillingRoutes(d.Billing)...), ChargeCodeRoutes(d.ChargeCodes)...)
}

type handlers struct{ Deps }

func principal(r *http.Request) (tenancy.Principal, error) {
	p, ok := web.PrincipalFrom(r.Context())
	if !ok {
		return p, errs.E(errs.Internal, "no principal on an authenticated route")
	}
	return p, nil
}

// me answers the principal as the platform resolved it (docs/architecture.md#http-api).
func (h *handlers) me(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h *handlers) createClient(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var req tenancy.NewClient
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	c, created, err := h.Tenancy.Onboard(r.Context(), p, req)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // a retry of a create that already happened
	}
	web.WriteJSON(w, status, c)
	return nil
}

func (h *handlers) listClients(w http.ResponseWriter, r *http.Request) error {
	page, err := web.PageOf(r)
	if err != nil {
		return err
	}
	cs, next, err := h.Clients.ListClients(r.Context(), page)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.ClientList{Items: cs, NextPageToken: next})
	return nil
}

func (h *handlers) getClient(w http.ResponseWriter, r *http.Request) error {
	cid := r.PathValue("cid")
	if tenancy.ValidateClientID(cid) != nil {
		return errs.E(errs.NotFound, "client not found")
	}
	c, err := h.Clients.GetClient(r.Context(), cid)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h *handlers) updateClient(w http.ResponseWriter, r *http.Request) error {
	cid := r.PathValue("cid")
	if tenancy.ValidateClientID(cid) != nil {
		return errs.E(errs.NotFound, "client not found")
	}
	var patch api.ClientUpdate // registry and pricing fields: billing.go
	if err := web.Decode(r, &patch); err != nil {
		return err
	}
	return h.applyClientPatch(w, r, cid, patch)
}

func (h *handlers) listUsers(w http.ResponseWriter, r *http.Request) error {
	page, err := web.PageOf(r)
	if err != nil {
		return err
	}
	us, next, err := h.Users.ListUsers(r.Context(), r.PathValue("cid"), page)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.UserList{Items: us, NextPageToken: next})
	return nil
}

func (h *handlers) putUser(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var req tenancy.NewUser
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	u, created, err := h.Tenancy.PutUser(r.Context(), p, r.PathValue("cid"), req)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, u)
	return nil
}

func (h *handlers) updateUser(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	var patch api.UserPatch
	if err := web.Decode(r, &patch); err != nil {
		return err
	}
	if patch.Role == nil && patch.Disabled == nil {
		return errs.E(errs.Invalid, "nothing to change: send role or disabled")
	}
	cid, sub := r.PathValue("cid"), r.PathValue("sub")
	var u tenancy.User
	if patch.Role != nil {
		if u, err = h.Tenancy.ChangeRole(r.Context(), p, cid, sub, *patch.Role); err != nil {
			return err
		}
	}
	if patch.Disabled != nil {
		if u, err = h.Tenancy.SetUserDisabled(r.Context(), cid, sub, *patch.Disabled); err != nil {
			return err
		}
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

func (h *handlers) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.Tenancy.RemoveUser(r.Context(), r.PathValue("cid"), r.PathValue("sub")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handlers) audit(w http.ResponseWriter, r *http.Request) error {
	page, err := web.PageOf(r)
	if err != nil {
		return err
	}
	cid := r.URL.Query().Get("client_id")
	if cid != "" && tenancy.ValidateClientID(cid) != nil {
		return errs.E(errs.Invalid, "client_id is not a valid client id")
	}
	if h.Recorder != nil {
		if err := h.Recorder.Flush(r.Context()); err != nil {
			return errs.Wrap(err, errs.Transient, "audit trail is catching up; try again")
		}
	}
	entries, next, err := h.Audit.List(r.Context(), audit.Filter{ClientID: cid, Limit: page.Limit, Token: page.Token})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.AuditList{Items: entries, NextPageToken: next})
	return nil
}
