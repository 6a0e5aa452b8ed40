package admin

import (
	"net/http"
	"strings"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// BillingDeps is what the Admin function's billing routes need.
type BillingDeps struct {
	Billing *billing.Service
}

// BillingRoutes are the Admin function's billing and usage routes (docs/architecture.md#http-api).
func BillingRoutes(d BillingDeps) []web.Route {
	h := &billingHandlers{d}
	return []web.Route{
		{Name: "admin.usage", Method: http.MethodGet, Path: "/v1/admin/usage", Access: web.SuperAdminOnly, Handler: h.usage},
		{Name: "billing.run", Method: http.MethodPost, Path: "/v1/admin/billing/runs", Access: web.SuperAdminOnly, MaxBody: 4 << 10, Handler: h.run},
		{Name: "billing.run.get", Method: http.MethodGet, Path: "/v1/admin/billing/runs/{month}", Access: web.SuperAdminOnly, Handler: h.getRun},
		{Name: "billing.run.export", Method: http.MethodGet, Path: "/v1/admin/billing/runs/{month}/export.csv", Access: web.SuperAdminOnly, Handler: h.export},
		{Name: "billing.units", Method: http.MethodGet, Path: "/v1/clients/{cid}/billing/units", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: h.units},
		{Name: "billing.plans.get", Method: http.MethodGet, Path: "/v1/admin/plans", Access: web.SuperAdminOnly, Handler: h.plans},
		{Name: "billing.plans.put", Method: http.MethodPut, Path: "/v1/admin/plans", Access: web.SuperAdminOnly, MaxBody: 64 << 10, Handler: h.putPlans},
		{Name: "billing.sync", Method: http.MethodPost, Path: "/v1/admin/billing/sync", Access: web.SuperAdminOnly, MaxBody: 4 << 10, Handler: h.sync},
	}
}

// plans answers the price list {plans: [...]}.
func (h *billingHandlers) plans(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	plans, err := svc.Plans(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.PlanList{Plans: plans})
	return nil
}

// putPlans replaces the price list; months already billed keep their prices.
func (h *billingHandlers) putPlans(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	var req api.PlanList
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	plans, err := svc.PutPlans(r.Context(), req.Plans)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.PlanList{Plans: plans})
	return nil
}

// sync completes pending Stripe usage reports: of {month} when given, else
// of every month of the last year left pending. A month still failing
// answers 503 after every month was tried.
func (h *billingHandlers) sync(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	var req api.BillingSyncRequest
	if r.ContentLength != 0 {
		if err := web.Decode(r, &req); err != nil {
			return err
		}
	}
	months, err := svc.Sync(r.Context(), req.Month)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.BillingSync{Months: months})
	return nil
}

type billingHandlers struct{ BillingDeps }

func (h *billingHandlers) service() (*billing.Service, error) {
	if h.Billing == nil {
		return nil, errs.E(errs.Internal, "billing is not configured")
	}
	return h.Billing, nil
}

// run counts a month now (idempotent: unchanged data keeps the completed
// run). A run of the month in progress answers 409.
func (h *billingHandlers) run(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	p, err := principal(r)
	if err != nil {
		return err
	}
	var req api.BillingRunRequest
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	if req.Month == "" {
		return errs.E(errs.Invalid, "month is required (YYYY-MM)")
	}
	rec, err := svc.Run(r.Context(), req.Month, "admin:"+p.Subject)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rec.View())
	return nil
}

func (h *billingHandlers) getRun(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	rec, err := svc.Record(r.Context(), r.PathValue("month"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rec.View())
	return nil
}

// export serves the month's finance CSV, as stored and checked against the
// sha256 its run recorded.
func (h *billingHandlers) export(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	month := r.PathValue("month")
	b, rec, err := svc.ExportCSV(r.Context(), month)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="billing_units_`+month+`.csv"`)
	w.Header().Set("X-Run-Id", rec.CompletedRunID)
	w.Header().Set("X-Content-Sha256", rec.Export.SHA256)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client may have gone; nothing useful to do about it
	return nil
}

// usage answers {month, total_units, clients: [...]}; month defaults to the
// previous calendar month in the billing time zone.
func (h *billingHandlers) usage(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	month := strings.TrimSpace(r.URL.Query().Get("month"))
	if month == "" {
		month = svc.DefaultMonth()
	}
	u, err := svc.Usage(r.Context(), month)
	if err != nil {
		return err
	}
	if u.Clients == nil {
		u.Clients = []billing.UnitsRow{}
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

// units answers a client's billed months {months: [...]}: to defaults to the
// previous calendar month, from to eleven months before to.
func (h *billingHandlers) units(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.service()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	to := q.Get("to")
	if to == "" {
		to = svc.DefaultMonth()
	}
	from := q.Get("from")
	if from == "" {
		t, err := billing.ParseMonth(to)
		if err != nil {
			return errs.E(errs.Invalid, "to: month must be YYYY-MM")
		}
		from = t.AddDate(0, -11, 0).Format("2006-01")
	}
	months, err := svc.ClientUnits(r.Context(), r.PathValue("cid"), from, to)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.ClientBillingUnits{Months: months})
	return nil
}

// applyClientPatch applies the pricing part of a client PATCH (billing),
// then the registry part (tenancy), and answers the client with its
// pricing. A body with neither is refused.
func (h *handlers) applyClientPatch(w http.ResponseWriter, r *http.Request, cid string, patch api.ClientUpdate) error {
	reg := patch.ClientPatch
	hasReg := reg.Name != nil || reg.Status != nil || reg.BillingEmail != nil
	var pricing *billing.PricingView
	if !patch.PricingPatch.Empty() {
		if h.Billing.Billing == nil {
			return errs.E(errs.Internal, "billing is not configured")
		}
		p, err := principal(r)
		if err != nil {
			return err
		}
		v, err := h.Billing.Billing.SetPricing(r.Context(), cid, p.Subject, patch.PricingPatch)
		if err != nil {
			return err
		}
		pricing = &v
	}
	var c tenancy.Client
	var err error
	switch {
	case hasReg || pricing == nil:
		// A body without registry fields and without pricing fields gets
		// tenancy's "nothing to change".
		c, err = h.Tenancy.UpdateClient(r.Context(), cid, reg)
	default:
		c, err = h.Clients.GetClient(r.Context(), cid)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.ClientWithPricing{Client: c, Pricing: pricing})
	return nil
}
