package firestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"cloud.google.com/go/firestore"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
)

// Collections of upload records and ingestion claims.
const (
	uploadsCollection = "uploads"       // clients/{client_id}/uploads/{upload_id} (docs/architecture.md#data-model)
	claimsCollection  = "ingest_claims" // ingest_claims/{sha256 of bucket/name#generation}
	uploadsTokenKind  = "uploads"
)

// Uploads is the Firestore uploads.Store: upload records and ingestion
// claims, in the operational database. Upload records keep the path they had
// when everything lived in one database, clients/{cid}/uploads/{id}, under a
// clients/{cid} document that does not exist in this database (Firestore
// allows that), so an existing project's records need no move.
type Uploads struct {
	c *firestore.Client
}

var _ uploads.Store = (*Uploads)(nil)

// NewUploads returns Uploads on client, a client of the operational
// database. The client is the caller's to close.
func NewUploads(client *firestore.Client) *Uploads { return &Uploads{c: client} }

func (s *Uploads) uploadDoc(clientID, id string) *firestore.DocumentRef {
	return s.uploadsOf(clientID).Doc(id)
}

func (s *Uploads) uploadsOf(clientID string) *firestore.CollectionRef {
	return s.c.Collection(clientsCollection).Doc(clientID).Collection(uploadsCollection)
}

// CreateUpload implements uploads.Store.
func (s *Uploads) CreateUpload(ctx context.Context, u uploads.Upload) error {
	if tenancy.ValidateClientID(u.ClientID) != nil || !uploads.ValidID(u.ID) {
		return errs.E(errs.Invalid, "malformed client or upload id")
	}
	_, err := s.uploadDoc(u.ClientID, u.ID).Create(ctx, normalizeUpload(u))
	return mapErr(err, "upload %s", u.ID)
}

// GetUpload implements uploads.Store. Malformed ids are NotFound: path
// segments from requests are not trusted.
func (s *Uploads) GetUpload(ctx context.Context, clientID, id string) (uploads.Upload, error) {
	if tenancy.ValidateClientID(clientID) != nil || !uploads.ValidID(id) {
		return uploads.Upload{}, errs.E(errs.NotFound, "upload not found")
	}
	snap, err := s.uploadDoc(clientID, id).Get(ctx)
	if err != nil {
		return uploads.Upload{}, mapErr(err, "upload %s", id)
	}
	return decodeUpload(snap)
}

// ListUploads implements uploads.Store: newest first (upload ids are
// time-ordered), filtered by kind and status. In production the filtered
// listings need the composite indexes declared in terraform/firestore.tf.
func (s *Uploads) ListUploads(ctx context.Context, clientID string, f uploads.Filter, p tenancy.Page) ([]uploads.Upload, string, error) {
	if tenancy.ValidateClientID(clientID) != nil {
		return nil, "", errs.E(errs.Invalid, "malformed client id")
	}
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, "", err
	}
	q := s.uploadsOf(clientID).Query
	if f.Kind != "" {
		q = q.Where("kind", "==", string(f.Kind))
	}
	if f.Status != "" {
		q = q.Where("status", "==", string(f.Status))
	}
	// Ordered by the upload_id field, not the document key: Firestore (the
	// emulator at least) does not scan keys in descending order.
	q = q.OrderBy("upload_id", firestore.Desc)
	if p.Token != "" {
		after, err := decodeToken(p.Token, uploadsTokenKind)
		if err != nil {
			return nil, "", err
		}
		q = q.StartAfter(after)
	}
	docs, err := q.Limit(limit + 1).Documents(ctx).GetAll()
	if err != nil {
		return nil, "", mapErr(err, "list uploads")
	}
	next := ""
	if len(docs) > limit {
		docs = docs[:limit]
		next = encodeToken(uploadsTokenKind, docs[len(docs)-1].Ref.ID)
	}
	out := make([]uploads.Upload, 0, len(docs))
	for _, d := range docs {
		u, err := decodeUpload(d)
		if err != nil {
			return nil, "", err
		}
		out = append(out, u)
	}
	return out, next, nil
}

// UpdateUpload implements uploads.Store in a transaction.
func (s *Uploads) UpdateUpload(ctx context.Context, clientID, id string, fn func(*uploads.Upload) error) (uploads.Upload, error) {
	if tenancy.ValidateClientID(clientID) != nil || !uploads.ValidID(id) {
		return uploads.Upload{}, errs.E(errs.NotFound, "upload not found")
	}
	ref := s.uploadDoc(clientID, id)
	var out uploads.Upload
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if err != nil {
			return mapErr(err, "upload %s", id)
		}
		u, err := decodeUpload(snap)
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		u.ID, u.ClientID = id, clientID
		out = normalizeUpload(u)
		return tx.Set(ref, out)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return uploads.Upload{}, mapErr(err, "update upload %s", id)
	}
	return out, nil
}

func claimDoc(s *Uploads, key string) *firestore.DocumentRef {
	sum := sha256.Sum256([]byte(key))
	return s.c.Collection(claimsCollection).Doc(hex.EncodeToString(sum[:]))
}

// AcquireClaim implements uploads.Store in a transaction, so that of two
// concurrent deliveries exactly one holds the claim.
func (s *Uploads) AcquireClaim(ctx context.Context, key, holder string, now, leaseUntil time.Time) (uploads.Claim, bool, error) {
	ref := claimDoc(s, key)
	var out uploads.Claim
	var held bool
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		held = false
		snap, err := tx.Get(ref)
		var c uploads.Claim
		switch {
		case err == nil:
			if err := snap.DataTo(&c); err != nil {
				return errs.Wrap(err, errs.Internal, "decode claim")
			}
		case errs.Is(mapErr(err, "claim"), errs.NotFound):
			c = uploads.Claim{Key: key}
		default:
			return mapErr(err, "claim")
		}
		out = c
		if c.Outcome != "" || (c.Holder != "" && c.Holder != holder && now.Before(c.LeaseUntil)) {
			return nil
		}
		c.Holder, c.LeaseUntil, c.UpdatedAt = holder, leaseUntil.UTC(), now.UTC()
		c.Attempts++
		out, held = c, true
		return tx.Set(ref, c)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return uploads.Claim{}, false, mapErr(err, "acquire claim")
	}
	return out, held, nil
}

// FinishClaim implements uploads.Store. A holder whose lease was taken over
// (it ran past its lease) gets Conflict, and its outcome is not recorded.
func (s *Uploads) FinishClaim(ctx context.Context, key, holder string, c uploads.Claim) error {
	ref := claimDoc(s, key)
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		var cur uploads.Claim
		switch {
		case err == nil:
			if err := snap.DataTo(&cur); err != nil {
				return errs.Wrap(err, errs.Internal, "decode claim")
			}
		case errs.Is(mapErr(err, "claim"), errs.NotFound):
		default:
			return mapErr(err, "claim")
		}
		if cur.Holder != "" && cur.Holder != holder {
			return errs.E(errs.Conflict, "claim on %s is held by another delivery", key)
		}
		c.Key, c.Holder = key, holder
		c.Attempts = cur.Attempts
		c.UpdatedAt = time.Now().UTC()
		return tx.Set(ref, c)
	}, firestore.MaxAttempts(txAttempts))
	return mapErr(err, "finish claim")
}

func decodeUpload(snap *firestore.DocumentSnapshot) (uploads.Upload, error) {
	var u uploads.Upload
	if err := snap.DataTo(&u); err != nil {
		return uploads.Upload{}, errs.Wrap(err, errs.Internal, "decode upload %s", snap.Ref.ID)
	}
	return u, nil
}

func normalizeUpload(u uploads.Upload) uploads.Upload {
	u.CreatedAt, u.UpdatedAt = normalizeTime(u.CreatedAt), normalizeTime(u.UpdatedAt)
	u.ReceivedAt, u.FinishedAt = normalizeTime(u.ReceivedAt), normalizeTime(u.FinishedAt)
	return u
}
