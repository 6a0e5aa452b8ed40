// Package uploads is the Uploads function: it issues signed upload URLs and
// answers a client's upload history. The file itself never passes through
// the function: the client PUTs it to Cloud Storage, and the storage event
// starts ingestion.
package uploads

import (
	"log/slog"
	"net/http"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Uploads function needs.
type Deps struct {
	Log      *slog.Logger
	Uploads  uploads.Store
	Objects  objects.Store
	Bucket   string        // the uploads bucket
	MaxBytes int64         // the largest file accepted
	URLTTL   time.Duration // signed URL lifetime (≤ 15 min)
	Now      func() time.Time
}

// Routes is the Uploads function's route table.
func Routes(d Deps) []web.Route {
	h := &handlers{d}
	return []web.Route{
		{Name: "uploads.create", Method: http.MethodPost, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, MaxBody: 8 << 10, Handler: h.create},
		{Name: "uploads.list", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, Handler: h.list},
		{Name: "uploads.get", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads/{upload_id}", Access: web.Tenant, Role: tenancy.ClientUser, Handler: h.get},
	}
}

type handlers struct{ Deps }

func (h *handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// createResponse is the answer of POST …/uploads (DESIGN A3).
type createResponse struct {
	UploadID string `json:"upload_id"`
	Object   string `json:"object"`
	objects.SignedPut
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) error {
	p, ok := web.PrincipalFrom(r.Context())
	if !ok {
		return errs.E(errs.Internal, "no principal")
	}
	cid := r.PathValue("cid")
	var req uploads.Request
	if err := web.Decode(r, &req); err != nil {
		return err
	}
	if err := req.Validate(h.MaxBytes); err != nil {
		return err
	}
	now := h.now()
	id := uploads.NewID(now)
	rec := uploads.Upload{
		ID: id, ClientID: cid, Kind: req.Kind, Filename: req.Filename, ContentType: req.ContentType,
		SizeBytes: req.SizeBytes, PropertyID: req.PropertyID, AsOf: req.AsOf, Bucket: h.Bucket,
		Object: uploads.ObjectName(cid, req.Kind, id, req.Filename), Status: uploads.Pending,
		Errors: []uploads.Issue{}, Warnings: []uploads.Issue{},
		CreatedBy: p.Subject, CreatedAt: now, UpdatedAt: now,
	}
	// The record exists before the URL does, so ingestion can always match
	// the object it receives to a request (DESIGN A4).
	if err := h.Uploads.CreateUpload(r.Context(), rec); err != nil {
		return err
	}
	put, err := h.Objects.SignPut(r.Context(), h.Bucket, rec.Object, objects.PutPolicy{
		ContentType: req.ContentType, MaxBytes: h.MaxBytes, Size: req.SizeBytes, TTL: h.URLTTL,
	})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, createResponse{UploadID: id, Object: rec.Object, SignedPut: put})
	return nil
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	page, err := web.PageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := uploads.Filter{Kind: uploads.Kind(q.Get("kind")), Status: uploads.Status(q.Get("status"))}
	if f.Kind != "" && f.Kind != uploads.RentRoll && f.Kind != uploads.Competition {
		return errs.E(errs.Invalid, "kind must be rent_roll or competition")
	}
	switch f.Status {
	case "", uploads.Pending, uploads.Processing, uploads.Loaded, uploads.Rejected, uploads.Failed:
	default:
		return errs.E(errs.Invalid, "status must be pending, processing, loaded, rejected or failed")
	}
	us, next, err := h.Uploads.ListUploads(r.Context(), r.PathValue("cid"), f, page)
	if err != nil {
		return err
	}
	if us == nil {
		us = []uploads.Upload{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"uploads": us, "next_page_token": next})
	return nil
}

func (h *handlers) get(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Uploads.GetUpload(r.Context(), r.PathValue("cid"), r.PathValue("upload_id"))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}
