package admin

import (
	"net/http"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// ChargeCodeRoutes read and replace a client's charge-code overrides
// (docs/charge-codes.md), which later rent roll uploads are read with.
func ChargeCodeRoutes(store chargecodes.Store) []web.Route {
	h := &chargeCodeHandlers{store: store}
	return []web.Route{
		{Name: "charge_codes.get", Method: http.MethodGet, Path: "/v1/clients/{cid}/charge-codes", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: h.get},
		{Name: "charge_codes.put", Method: http.MethodPut, Path: "/v1/clients/{cid}/charge-codes", Access: web.Tenant, Role: tenancy.ClientAdmin, MaxBody: 256 << 10, Handler: h.put},
	}
}

type chargeCodeHandlers struct{ store chargecodes.Store }

func (h *chargeCodeHandlers) service() (chargecodes.Store, error) {
	if h.store == nil {
		return nil, errs.E(errs.Internal, "charge codes are not configured")
	}
	return h.store, nil
}

func (h *chargeCodeHandlers) get(w http.ResponseWriter, r *http.Request) error {
	s, err := h.service()
	if err != nil {
		return err
	}
	codes, err := s.ChargeCodes(r.Context(), r.PathValue("cid"))
	if err != nil {
		return err
	}
	if codes == nil {
		codes = []chargecodes.Override{}
	}
	web.WriteJSON(w, http.StatusOK, api.ChargeCodes{ChargeCodes: codes})
	return nil
}

func (h *chargeCodeHandlers) put(w http.ResponseWriter, r *http.Request) error {
	s, err := h.service()
	if err != nil {
		return err
	}
	var req api.ChargeCodes
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	if req.ChargeCodes == nil {
		return errs.E(errs.Invalid, "charge_codes is required (an empty list clears the overrides)")
	}
	codes, err := chargecodes.Normalize(req.ChargeCodes)
	if err != nil {
		return err
	}
	if err := s.PutChargeCodes(r.Context(), r.PathValue("cid"), codes); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.ChargeCodes{ChargeCodes: codes})
	return nil
}
