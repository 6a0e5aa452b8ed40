package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// billingRunsCollection keeps one document per billed month (docs/architecture.md#data-model).
const billingRunsCollection = "billing_runs"

// RunStore is the Firestore billing.RunStore: billing_runs/{YYYY-MM}, whose
// lease is taken, renewed and released in transactions, so two runs of a
// month can never both believe they hold it.
type RunStore struct {
	c *firestore.Client
}

var _ billing.RunStore = (*RunStore)(nil)

// NewRunStore returns a RunStore on client, a client of the operational
// database (Billing and Admin both run months). The client is the caller's
// to close.
func NewRunStore(client *firestore.Client) *RunStore { return &RunStore{c: client} }

func (s *RunStore) doc(month string) (*firestore.DocumentRef, error) {
	if _, err := billing.ParseMonth(month); err != nil {
		return nil, err
	}
	return s.c.Collection(billingRunsCollection).Doc(month), nil
}

// Acquire implements billing.RunStore: the lease rule is billing.RunRecord.Take,
// applied to the document read in the same transaction.
func (s *RunStore) Acquire(ctx context.Context, a billing.Attempt) (billing.RunRecord, error) {
	ref, err := s.doc(a.Month)
	if err != nil {
		return billing.RunRecord{}, err
	}
	a.Now, a.Expires = normalizeTime(a.Now), normalizeTime(a.Expires)
	var out billing.RunRecord
	err = s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		r, err := readRun(tx, ref)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err := r.Take(a); err != nil {
			return err
		}
		out = r
		return tx.Set(ref, normalizeRun(r))
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return billing.RunRecord{}, mapErr(err, "acquire billing run %s", a.Month)
	}
	return normalizeRun(out), nil
}

// Renew implements billing.RunStore.
func (s *RunStore) Renew(ctx context.Context, month, runID string, expires time.Time) error {
	_, err := s.update(ctx, month, runID, func(r *billing.RunRecord) { r.LeaseExpiresAt = normalizeTime(expires) }, false)
	return err
}

// Finish implements billing.RunStore.
func (s *RunStore) Finish(ctx context.Context, month, runID string, fn func(*billing.RunRecord)) (billing.RunRecord, error) {
	return s.update(ctx, month, runID, fn, true)
}

// update applies fn to the record in a transaction if runID holds its lease,
// releasing the lease when release is set.
func (s *RunStore) update(ctx context.Context, month, runID string, fn func(*billing.RunRecord), release bool) (billing.RunRecord, error) {
	ref, err := s.doc(month)
	if err != nil {
		return billing.RunRecord{}, err
	}
	var out billing.RunRecord
	err = s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		r, err := readRun(tx, ref)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Conflict, "no billing run of %s", month)
		}
		if err != nil {
			return err
		}
		if err := r.Held(runID); err != nil {
			return err
		}
		fn(&r)
		if release {
			r.Release()
		}
		out = normalizeRun(r)
		return tx.Set(ref, out)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return billing.RunRecord{}, mapErr(err, "update billing run %s", month)
	}
	return out, nil
}

// SetReport implements billing.RunStore: the report is set in a transaction
// only while runID is the month's completed run.
func (s *RunStore) SetReport(ctx context.Context, month, runID string, rep billing.Report) error {
	ref, err := s.doc(month)
	if err != nil {
		return err
	}
	rep.UpdatedAt = normalizeTime(rep.UpdatedAt)
	err = s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		r, err := readRun(tx, ref)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Conflict, "no billing run of %s", month)
		}
		if err != nil {
			return err
		}
		if err := r.ApplyReport(runID, rep); err != nil {
			return err
		}
		return tx.Set(ref, normalizeRun(r))
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return mapErr(err, "set the usage report of billing run %s", month)
	}
	return nil
}

// Get implements billing.RunStore.
func (s *RunStore) Get(ctx context.Context, month string) (billing.RunRecord, error) {
	ref, err := s.doc(month)
	if err != nil {
		return billing.RunRecord{}, err
	}
	snap, err := ref.Get(ctx)
	if err != nil {
		return billing.RunRecord{}, mapErr(err, "billing run %s", month)
	}
	return decodeRun(snap)
}

func readRun(tx *firestore.Transaction, ref *firestore.DocumentRef) (billing.RunRecord, error) {
	snap, err := tx.Get(ref)
	if status.Code(err) == codes.NotFound {
		return billing.RunRecord{}, errs.Wrap(err, errs.NotFound, "billing run %s not found", ref.ID)
	}
	if err != nil {
		return billing.RunRecord{}, mapErr(err, "billing run %s", ref.ID)
	}
	return decodeRun(snap)
}

func decodeRun(snap *firestore.DocumentSnapshot) (billing.RunRecord, error) {
	var r billing.RunRecord
	if err := snap.DataTo(&r); err != nil {
		return billing.RunRecord{}, errs.Wrap(err, errs.Internal, "decode billing run %s", snap.Ref.ID)
	}
	return normalizeRun(r), nil
}

// normalizeRun keeps times as Firestore stores them (UTC, microseconds), so
// what a write returns equals what a later Get reads.
func normalizeRun(r billing.RunRecord) billing.RunRecord {
	r.StartedAt, r.FinishedAt = normalizeTime(r.StartedAt), normalizeTime(r.FinishedAt)
	r.LeaseExpiresAt = normalizeTime(r.LeaseExpiresAt)
	r.Report.UpdatedAt = normalizeTime(r.Report.UpdatedAt)
	return r
}
