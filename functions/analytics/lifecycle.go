package analytics

import (
	"context"
	"net/http"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// lifecycleRoute is PATCH /v1/clients/{cid}/properties/{pid}: a client admin
// (or the super admin) makes a property active or inactive from a month on;
// an inactive property is neither billed nor carried forward.
func lifecycleRoute(h handlers) web.Route {
	return web.Route{Name: "properties.update", Method: http.MethodPatch, Path: "/v1/clients/{cid}/properties/{pid}",
		Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: 4 << 10, Handler: h.updateProperty}
}

func (h handlers) updateProperty(w http.ResponseWriter, r *http.Request) error {
	if h.d.Billing == nil {
		return errs.E(errs.Internal, "billing is not configured")
	}
	p, ok := web.PrincipalFrom(r.Context())
	if !ok {
		return errs.E(errs.Internal, "no principal on an authenticated route")
	}
	pid := r.PathValue("pid")
	if pid == "" || analytics.ValidatePropertyID(pid) != nil {
		return errs.E(errs.NotFound, "property not found")
	}
	var req api.PropertyStatusPatch
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	cid := r.PathValue("cid")
	// Only a property the client's rolls name can be changed: an unknown id
	// is a typo, not a new property.
	svc, err := h.service()
	if err != nil {
		return err
	}
	props, err := svc.Properties(r.Context(), cid)
	if err != nil {
		return err
	}
	var last *analytics.Property
	for i := range props {
		if props[i].PropertyID == pid {
			last = &props[i]
		}
	}
	if last == nil {
		return errs.E(errs.NotFound, "property not found")
	}
	l, err := h.d.Billing.SetPropertyStatus(r.Context(), cid, pid, p.Subject, req.Status, req.EffectiveMonth)
	if err != nil {
		return err
	}
	st, err := h.statuses(r.Context(), cid, []analytics.Property{*last})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.PropertyLifecycle{PropertyID: pid, Status: st[pid], Changes: l.Changes})
	return nil
}

// statuses returns the billing status this month of each property.
func (h handlers) statuses(ctx context.Context, cid string, props []analytics.Property) (map[string]string, error) {
	last := make(map[string]time.Time, len(props))
	for _, p := range props {
		at, err := time.Parse(time.DateOnly, p.AsOf)
		if err != nil {
			continue // no roll date: nothing to judge staleness by
		}
		last[p.PropertyID] = at
	}
	return h.d.Billing.PropertyStatuses(ctx, cid, last)
}

// withStatus adds each property's status and last roll to a page of the
// property list; without billing wired (tests of analytics alone) every
// property is active.
func (h handlers) withStatus(ctx context.Context, cid string, props []analytics.Property) ([]api.PropertyWithStatus, error) {
	st := map[string]string{}
	if h.d.Billing != nil {
		var err error
		if st, err = h.statuses(ctx, cid, props); err != nil {
			return nil, err
		}
	}
	out := make([]api.PropertyWithStatus, len(props))
	for i, p := range props {
		s := st[p.PropertyID]
		if s == "" {
			s = billing.PropertyActive
		}
		out[i] = api.PropertyWithStatus{Property: p, Status: s, LastRoll: p.AsOf}
	}
	return out, nil
}
