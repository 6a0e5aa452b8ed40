// Package uploads is the Uploads function: it issues signed upload URLs,
// answers a client's upload history and each upload's full report, and
// withdraws a loaded upload. The file itself never passes through the
// function: the client PUTs it to Cloud Storage, and the storage event starts
// ingestion.
package uploads

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/clock"
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
	Now      clock.Func
	// Withdraw takes a loaded upload back out of analytics (ingest.Service.Withdraw).
	Withdraw func(ctx context.Context, clientID, uploadID, by string) (uploads.Upload, error)
}

// Routes is the Uploads function's route table.
func Routes(d Deps) []web.Route {
	h := &handlers{d}
	return []web.Route{
		{Name: "uploads.create", Method: http.MethodPost, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, MaxBody: 8 << 10, Handler: h.create},
		{Name: "uploads.list", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, Handler: h.list},
		{Name: "uploads.get", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads/{upload_id}", Access: web.Tenant, Role: tenancy.ClientUser, Handler: h.get},
		{Name: "uploads.withdraw", Method: http.MethodDelete, Path: "/v1/clients/{cid}/uploads/{upload_id}", Access: web.Tenant, Role: tenancy.ClientAdmin, Handler: h.withdraw},
		{Name: "uploads.report", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads/{upload_id}/report", Access: web.Tenant, Role: tenancy.ClientUser, Handler: h.report},
	}
}

type handlers struct{ Deps }

func (h *handlers) now() time.Time {
	return h.Now.UTC()
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
	// the object it receives to a request (docs/architecture.md#uploads-storage-and-events).
	if err := h.Uploads.CreateUpload(r.Context(), rec); err != nil {
		return err
	}
	put, err := h.Objects.SignPut(r.Context(), h.Bucket, rec.Object, objects.PutPolicy{
		ContentType: req.ContentType, MaxBytes: h.MaxBytes, Size: req.SizeBytes, TTL: h.URLTTL,
	})
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, api.UploadTicket{UploadID: id, Object: rec.Object, SignedPut: put})
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
	if f.Status != "" && !f.Status.Valid() {
		return errs.E(errs.Invalid, "status must be pending, processing, loaded, rejected, failed or withdrawn")
	}
	us, next, err := h.Uploads.ListUploads(r.Context(), r.PathValue("cid"), f, page)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, api.UploadList{Items: us, NextPageToken: next})
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

// upload reads the upload the path names. An id that NewID cannot have made
// is not found without a store read.
func (h *handlers) upload(r *http.Request) (uploads.Upload, error) {
	id := r.PathValue("upload_id")
	if !uploads.ValidID(id) {
		return uploads.Upload{}, errs.E(errs.NotFound, "no such upload")
	}
	return h.Uploads.GetUpload(r.Context(), r.PathValue("cid"), id)
}

func (h *handlers) withdraw(w http.ResponseWriter, r *http.Request) error {
	p, ok := web.PrincipalFrom(r.Context())
	if !ok {
		return errs.E(errs.Internal, "no principal")
	}
	if h.Withdraw == nil {
		return errs.E(errs.Internal, "withdrawal is not wired")
	}
	if !uploads.ValidID(r.PathValue("upload_id")) {
		return errs.E(errs.NotFound, "no such upload")
	}
	u, err := h.Withdraw(r.Context(), r.PathValue("cid"), r.PathValue("upload_id"), p.Subject)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, u)
	return nil
}

// report answers the upload's full report: JSON, or ?format=csv for a
// spreadsheet. The stored object is read on the client's behalf (it lives
// outside the client's upload prefix, where no signed URL reaches).
func (h *handlers) report(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return errs.E(errs.Invalid, "format must be json or csv")
	}
	u, err := h.upload(r)
	if err != nil {
		return err
	}
	var stored io.Reader
	if u.Report != "" {
		rc, _, err := h.Objects.Open(r.Context(), h.Bucket, u.Report, 0)
		switch {
		case errs.Is(err, errs.NotFound):
			// The record is still the best account there is.
			h.Log.WarnContext(r.Context(), "report object missing", "client_id", u.ClientID, "upload_id", u.ID)
		case err != nil:
			return err
		default:
			defer rc.Close()
			stored = rc
		}
	}
	rep, err := uploads.BuildReport(u, stored)
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="upload-`+u.ID+`-report.csv"`)
		w.WriteHeader(http.StatusOK)
		return rep.WriteCSV(w)
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}
