package bqcheck

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
)

// The billing service keeps its run records in Firestore and its export in
// Cloud Storage; the check needs neither, only the SQL. These stores keep
// that state in memory for the length of one check, with the same rules
// (billing.RunRecord's Take, Held and ApplyReport) as the real ones.

// clientList is a registry of fixed clients, read-only.
type clientList []tenancy.Client

var _ tenancy.ClientStore = clientList(nil)

// CreateClient implements tenancy.ClientStore; the check creates nobody.
func (clientList) CreateClient(context.Context, tenancy.Client) error {
	return errs.E(errs.Internal, "bigquery check: the client list is read-only")
}

// GetClient implements tenancy.ClientStore.
func (l clientList) GetClient(_ context.Context, id string) (tenancy.Client, error) {
	for _, c := range l {
		if c.ID == id {
			return c, nil
		}
	}
	return tenancy.Client{}, errs.E(errs.NotFound, "client not found")
}

// ListClients implements tenancy.ClientStore: every client on one page.
func (l clientList) ListClients(context.Context, tenancy.Page) ([]tenancy.Client, string, error) {
	return append([]tenancy.Client(nil), l...), "", nil
}

// UpdateClient implements tenancy.ClientStore; the check changes nobody.
func (clientList) UpdateClient(context.Context, string, func(*tenancy.Client) error) (tenancy.Client, error) {
	return tenancy.Client{}, errs.E(errs.Internal, "bigquery check: the client list is read-only")
}

// runs keeps billing run records in memory.
type runs struct {
	mu   sync.Mutex
	recs map[string]billing.RunRecord
}

var _ billing.RunStore = (*runs)(nil)

func newRuns() *runs { return &runs{recs: map[string]billing.RunRecord{}} }

// Acquire implements billing.RunStore.
func (m *runs) Acquire(_ context.Context, a billing.Attempt) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[a.Month]
	if err := r.Take(a); err != nil {
		return billing.RunRecord{}, err
	}
	m.recs[a.Month] = r
	return r, nil
}

// Renew implements billing.RunStore.
func (m *runs) Renew(_ context.Context, month, runID string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[month]
	if err := r.Held(runID); err != nil {
		return err
	}
	r.LeaseExpiresAt = expires
	m.recs[month] = r
	return nil
}

// Finish implements billing.RunStore.
func (m *runs) Finish(_ context.Context, month, runID string, fn func(*billing.RunRecord)) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[month]
	if err := r.Held(runID); err != nil {
		return billing.RunRecord{}, err
	}
	fn(&r)
	r.Release()
	m.recs[month] = r
	return r, nil
}

// Get implements billing.RunStore.
func (m *runs) Get(_ context.Context, month string) (billing.RunRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[month]
	if !ok {
		return billing.RunRecord{}, errs.E(errs.NotFound, "no billing run of %s", month)
	}
	return r, nil
}

// SetReport implements billing.RunStore.
func (m *runs) SetReport(_ context.Context, month, runID string, rep billing.Report) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[month]
	if err := r.ApplyReport(runID, rep); err != nil {
		return err
	}
	m.recs[month] = r
	return nil
}

// memObjects keeps the objects the billing export writes, in memory.
type memObjects struct {
	mu   sync.Mutex
	objs map[string]memObject
}

type memObject struct {
	data  []byte
	attrs objects.Attrs
}

var _ objects.Store = (*memObjects)(nil)

func newObjects() *memObjects { return &memObjects{objs: map[string]memObject{}} }

// SignPut implements objects.Store; the check signs nothing.
func (*memObjects) SignPut(context.Context, string, string, objects.PutPolicy) (objects.SignedPut, error) {
	return objects.SignedPut{}, errs.E(errs.Internal, "bigquery check: no signed URLs")
}

// Open implements objects.Store (the latest generation only).
func (m *memObjects) Open(ctx context.Context, bucket, object string, _ int64) (io.ReadCloser, objects.Attrs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[bucket+"/"+object]
	if !ok {
		return nil, objects.Attrs{}, errs.E(errs.NotFound, "no object %s", object)
	}
	return io.NopCloser(bytes.NewReader(o.data)), o.attrs, nil
}

// Stat implements objects.Store.
func (m *memObjects) Stat(ctx context.Context, bucket, object string) (objects.Attrs, error) {
	rc, a, err := m.Open(ctx, bucket, object, 0)
	if err == nil {
		rc.Close()
	}
	return a, err
}

// Put implements objects.Store.
func (m *memObjects) Put(_ context.Context, bucket, object, contentType string, data io.Reader, onlyIfAbsent bool) (objects.Attrs, error) {
	b, err := io.ReadAll(data)
	if err != nil {
		return objects.Attrs{}, errs.Wrap(err, errs.Internal, "read %s", object)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := bucket + "/" + object
	prev, exists := m.objs[key]
	if exists && onlyIfAbsent {
		return objects.Attrs{}, errs.E(errs.Conflict, "object %s exists", object)
	}
	a := objects.Attrs{Bucket: bucket, Name: object, ContentType: contentType, Size: int64(len(b)), Generation: prev.attrs.Generation + 1}
	m.objs[key] = memObject{data: b, attrs: a}
	return a, nil
}

// Delete implements objects.Store; the check deletes nothing.
func (*memObjects) Delete(context.Context, string, string) error {
	return errs.E(errs.Internal, "bigquery check: nothing is deleted")
}

// List implements objects.Store; the check lists nothing.
func (*memObjects) List(context.Context, string, string) ([]objects.Attrs, error) {
	return nil, errs.E(errs.Internal, "bigquery check: nothing is listed")
}
