package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
	"rentroll.ai/rentroll/shared/warehouse"
)

// The fakes below (with uploadstest.Memory for the upload records and
// claims) are in-memory implementations of the stores ingest uses, with one
// hook each to make a write fail, so that each kind of write can be
// refused the way a missing IAM grant refuses it (the adapters map 401/403
// to errs.Internal).

func permissionDenied(what string) error {
	return errs.Wrap(fmt.Errorf("googleapi: Error 403: %s: permission denied", what), errs.Internal, "storage error")
}

type memClients struct {
	err error // returned by GetClient when set
}

func (m memClients) CreateClient(context.Context, tenancy.Client) error { return nil }
func (m memClients) GetClient(_ context.Context, id string) (tenancy.Client, error) {
	if m.err != nil {
		return tenancy.Client{}, m.err
	}
	return tenancy.Client{ID: id, Status: tenancy.Active, Dataset: tenancy.DatasetName(id)}, nil
}
func (m memClients) ListClients(context.Context, tenancy.Page) ([]tenancy.Client, string, error) {
	return nil, "", nil
}
func (m memClients) UpdateClient(context.Context, string, func(*tenancy.Client) error) (tenancy.Client, error) {
	return tenancy.Client{}, errs.E(errs.NotImplemented, "not used by ingest")
}

type memObjects struct {
	mu      sync.Mutex
	objects map[string][]byte // bucket/name
	openErr error
	putErr  error
}

func (m *memObjects) SignPut(context.Context, string, string, objects.PutPolicy) (objects.SignedPut, error) {
	return objects.SignedPut{}, errs.E(errs.NotImplemented, "not used by ingest")
}

func (m *memObjects) Open(_ context.Context, bucket, name string, gen int64) (io.ReadCloser, objects.Attrs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.openErr != nil {
		return nil, objects.Attrs{}, m.openErr
	}
	b, ok := m.objects[bucket+"/"+name]
	if !ok || gen != 1 {
		return nil, objects.Attrs{}, errs.E(errs.NotFound, "no object")
	}
	return io.NopCloser(bytes.NewReader(b)), objects.Attrs{Bucket: bucket, Name: name, Generation: 1, Size: int64(len(b))}, nil
}

func (m *memObjects) Stat(_ context.Context, bucket, name string) (objects.Attrs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[bucket+"/"+name]
	if !ok {
		return objects.Attrs{}, errs.E(errs.NotFound, "no object")
	}
	return objects.Attrs{Bucket: bucket, Name: name, Generation: 1, Size: int64(len(b))}, nil
}

func (m *memObjects) Put(_ context.Context, bucket, name, _ string, data io.Reader, _ bool) (objects.Attrs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.putErr != nil {
		return objects.Attrs{}, m.putErr
	}
	b, err := io.ReadAll(data)
	if err != nil {
		return objects.Attrs{}, err
	}
	m.objects[bucket+"/"+name] = b
	return objects.Attrs{Bucket: bucket, Name: name, Generation: 1, Size: int64(len(b))}, nil
}

func (m *memObjects) Delete(context.Context, string, string) error { return nil }
func (m *memObjects) List(context.Context, string, string) ([]objects.Attrs, error) {
	return nil, nil
}

type memWarehouse struct {
	mu    sync.Mutex
	loads map[string]map[string][]warehouse.Row // load id → table → rows
	calls map[string]int                        // load id → Load calls
	// failLoad, when set, may refuse a load that writes the table.
	failLoad func(table string) error
}

func (m *memWarehouse) Dialect() warehouse.Dialect                             { return warehouse.DuckDB }
func (m *memWarehouse) EnsureDataset(context.Context, warehouse.Dataset) error { return nil }
func (m *memWarehouse) Exec(context.Context, string, map[string]any) error     { return nil }
func (m *memWarehouse) Query(context.Context, string, map[string]any) ([]warehouse.Result, error) {
	return nil, nil
}
func (m *memWarehouse) Close() error { return nil }

func (m *memWarehouse) Load(_ context.Context, l warehouse.Load) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[l.ID]++
	tables := map[string][]warehouse.Row{}
	for _, p := range l.Parts {
		if m.failLoad != nil {
			if err := m.failLoad(p.Table); err != nil {
				return err
			}
		}
		for r, err := range p.All() {
			if err != nil {
				return err
			}
			tables[p.Table] = append(tables[p.Table], r)
		}
	}
	if _, done := m.loads[l.ID]; !done {
		m.loads[l.ID] = tables
	}
	return nil
}

// rows returns every loaded row of table.
func (m *memWarehouse) rows(table string) []warehouse.Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []warehouse.Row
	for _, l := range m.loads {
		out = append(out, l[table]...)
	}
	return out
}

const (
	testBucket = "uploads"
	testClient = "acme-homes"
)

type fixture struct {
	svc *Service
	up  *uploadstest.Memory
	obj *memObjects
	wh  *memWarehouse
	ev  uploads.ObjectEvent
	rec uploads.Upload
}

// newFixture stores file as an upload with its record pending, as the
// Uploads function and the signed PUT leave it.
func newFixture(t *testing.T, file string) *fixture {
	t.Helper()
	data, err := os.ReadFile("../../testdata/rentroll/" + file)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	id := uploads.NewID(now)
	name := uploads.ObjectName(testClient, uploads.RentRoll, id, file)
	rec := uploads.Upload{
		ID: id, ClientID: testClient, Kind: uploads.RentRoll, Filename: file, ContentType: uploads.ContentTypeCSV,
		SizeBytes: int64(len(data)), PropertyID: "prop-1", AsOf: "2026-03-01", Bucket: testBucket, Object: name,
		Status: uploads.Pending, CreatedAt: now, UpdatedAt: now,
	}
	f := &fixture{
		up:  uploadstest.NewMemory(),
		obj: &memObjects{objects: map[string][]byte{testBucket + "/" + name: data}},
		wh:  &memWarehouse{loads: map[string]map[string][]warehouse.Row{}, calls: map[string]int{}},
		rec: rec,
	}
	// The event as Eventarc sends it (numbers as strings).
	if err := json.Unmarshal([]byte(fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"1","metageneration":"1","size":"%d","contentType":%q}`,
		testBucket, name, len(data), uploads.ContentTypeCSV)), &f.ev); err != nil {
		t.Fatal(err)
	}
	if err := f.up.CreateUpload(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	f.svc = &Service{
		Uploads: f.up, Clients: memClients{}, Objects: f.obj, Warehouse: f.wh,
		Bucket: testBucket, MaxBytes: 10 << 20, TempDir: t.TempDir(), Now: func() time.Time { return now },
	}
	return f
}

// deliver hands the event to the service as Eventarc does: again while it
// returns an error, up to limit deliveries. It returns how many it took and
// the last error (nil once acknowledged).
func (f *fixture) deliver(limit int) (int, error) {
	var err error
	for n := 1; n <= limit; n++ {
		if err = f.svc.Object(context.Background(), f.ev); err == nil {
			return n, nil
		}
	}
	return limit, err
}

// TestPermissionErrorsSettle: a write the deployment is not allowed to make
// (record, report, warehouse load, metadata row, or a read of the object or
// client) ends with the event acknowledged after a bounded number of
// deliveries and the upload settled, never retried for the whole redelivery
// window.
func TestPermissionErrorsSettle(t *testing.T) {
	const good, broken = "generic_rent_roll.csv", "broken_bad_values.csv"
	tests := []struct {
		name       string
		file       string
		fault      func(f *fixture)
		wantStatus uploads.Status
		wantMax    int // most deliveries allowed
	}{
		{"no fault, bad file", broken, func(*fixture) {}, uploads.Rejected, 1},
		{"no fault, good file", good, func(*fixture) {}, uploads.Loaded, 1},
		{"report write 403", broken, func(f *fixture) { f.obj.putErr = permissionDenied("storage.objects.create") }, uploads.Rejected, 1},
		{"record write 403", good, func(f *fixture) {
			f.up.FailUpdate = func(n int) error {
				if n == 1 { // marking it processing
					return errs.Wrap(errors.New("rpc error: code = PermissionDenied"), errs.Internal, "Firestore: update upload")
				}
				return nil
			}
		}, uploads.Failed, 1},
		{"warehouse load 403", good, func(f *fixture) {
			f.wh.failLoad = func(string) error { return errs.E(errs.Internal, "bigquery: 403 accessDenied") }
		}, uploads.Failed, 1},
		{"metadata row 403", broken, func(f *fixture) {
			f.wh.failLoad = func(table string) error {
				if table == warehouse.TableUploadMetadata {
					return errs.E(errs.Internal, "bigquery: 403 accessDenied")
				}
				return nil
			}
		}, uploads.Rejected, 1},
		{"object read 403", good, func(f *fixture) { f.obj.openErr = permissionDenied("storage.objects.get") }, uploads.Failed, 1},
		{"client read 403", good, func(f *fixture) {
			f.svc.Clients = memClients{err: errs.E(errs.Internal, "Firestore: permission denied")}
		}, uploads.Failed, 1},
		{"warehouse down for good", good, func(f *fixture) {
			f.wh.failLoad = func(string) error { return errs.E(errs.Transient, "bigquery: 503 backendError") }
		}, uploads.Failed, DefaultMaxAttempts},
		{"report write always 503", broken, func(f *fixture) { f.obj.putErr = errs.E(errs.Transient, "storage: 503") }, uploads.Rejected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.file)
			tt.fault(f)
			n, err := f.deliver(20)
			if err != nil {
				t.Fatalf("after %d deliveries the event is still retried: %v", n, err)
			}
			if n > tt.wantMax {
				t.Errorf("acknowledged after %d deliveries, want at most %d", n, tt.wantMax)
			}
			got, _ := f.up.GetUpload(context.Background(), testClient, f.rec.ID)
			if got.Status != tt.wantStatus {
				t.Errorf("status = %q (%s), want %q", got.Status, got.Message, tt.wantStatus)
			}
			c, _ := f.up.Claim(f.ev.Key())
			if c.Outcome == "" {
				t.Errorf("claim has no outcome: %+v", c)
			}
			// A redelivery after the acknowledgement changes nothing.
			if err := f.svc.Object(context.Background(), f.ev); err != nil {
				t.Errorf("redelivery after settling: %v", err)
			}
			if again, _ := f.up.GetUpload(context.Background(), testClient, f.rec.ID); again.Status != got.Status {
				t.Errorf("redelivery changed status %q to %q", got.Status, again.Status)
			}
		})
	}
}

// TestReportWriteRefusedKeepsIssues: a rejected file whose report cannot be
// written keeps every issue in its upload_metadata row and points at no
// report object.
func TestReportWriteRefusedKeepsIssues(t *testing.T) {
	f := newFixture(t, "broken_bad_values.csv")
	f.obj.putErr = permissionDenied("storage.objects.create")
	if n, err := f.deliver(20); err != nil || n != 1 {
		t.Fatalf("deliveries = %d, err = %v; want 1, nil", n, err)
	}
	got, _ := f.up.GetUpload(context.Background(), testClient, f.rec.ID)
	if got.Report != "" {
		t.Errorf("record names report %q, which was never written", got.Report)
	}
	if got.ErrorCount == 0 || len(got.Errors) == 0 {
		t.Errorf("record keeps no issues: count %d, %d listed", got.ErrorCount, len(got.Errors))
	}
	rows := f.wh.rows(warehouse.TableUploadMetadata)
	if len(rows) != 1 {
		t.Fatalf("upload_metadata rows = %d, want 1", len(rows))
	}
	var issues []uploads.Issue
	if err := json.Unmarshal([]byte(rows[0]["errors"].(string)), &issues); err != nil {
		t.Fatal(err)
	}
	if len(issues) != got.ErrorCount {
		t.Errorf("metadata row keeps %d issues, want all %d", len(issues), got.ErrorCount)
	}
	if rows[0]["status"] != string(uploads.Rejected) {
		t.Errorf("metadata status = %v, want rejected", rows[0]["status"])
	}
}

// TestPoisonedClaimSettled: an upload whose earlier deliveries all died
// mid-way (the claim counts them) is settled as failed by the next one
// instead of being worked on again.
func TestPoisonedClaimSettled(t *testing.T) {
	f := newFixture(t, "generic_rent_roll.csv")
	f.svc.MaxAttempts = 3
	now := f.svc.Now()
	for range 3 { // three deliveries that took the claim and crashed
		if _, held, err := f.up.AcquireClaim(context.Background(), f.ev.Key(), newHolder(), now, now.Add(-time.Minute)); err != nil || !held {
			t.Fatalf("AcquireClaim: held %v, err %v", held, err)
		}
	}
	if n, err := f.deliver(5); err != nil || n != 1 {
		t.Fatalf("deliveries = %d, err = %v; want 1, nil", n, err)
	}
	got, _ := f.up.GetUpload(context.Background(), testClient, f.rec.ID)
	if got.Status != uploads.Failed {
		t.Errorf("status = %q, want failed", got.Status)
	}
	if rows := f.wh.rows(warehouse.TableAnalyticsRentRoll); len(rows) != 0 {
		t.Errorf("a poisoned upload loaded %d rows", len(rows))
	}
	if c, _ := f.up.Claim(f.ev.Key()); c.Outcome != outcomeFailed || !strings.Contains(c.Reason, "attempts") {
		t.Errorf("claim = %+v, want outcome failed for its attempts", c)
	}
}

// TestSizeFromStoredObject: the size that decides is the stored object's,
// never the event's (a forged or stale event cannot reject a good upload or
// slip a large one through), and it must be the size the upload declared.
func TestSizeFromStoredObject(t *testing.T) {
	tests := []struct {
		name      string
		eventSize int64 // 0 = the true size
		declared  int64 // 0 = the true size
		maxBytes  int64 // 0 = 10 MiB
		want      uploads.Status
		wantMsg   string
	}{
		{"true sizes", 0, 0, 0, uploads.Loaded, ""},
		{"event claims more than the limit", 11 << 20, 0, 0, uploads.Loaded, ""},
		{"event claims a tiny size for a file over the limit", 10, 0, 100, uploads.Rejected, "the limit is 100"},
		{"stored size is not the declared size", 0, 5, 0, uploads.Rejected, "declared 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "generic_rent_roll.csv")
			if tt.eventSize != 0 {
				b, _ := json.Marshal(map[string]any{"bucket": f.ev.Bucket, "name": f.ev.Name, "generation": "1", "size": strconv.FormatInt(tt.eventSize, 10)})
				if err := json.Unmarshal(b, &f.ev); err != nil {
					t.Fatal(err)
				}
			}
			if tt.declared != 0 {
				if _, err := f.up.UpdateUpload(context.Background(), testClient, f.rec.ID, func(u *uploads.Upload) error {
					u.SizeBytes = tt.declared
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.maxBytes != 0 {
				f.svc.MaxBytes = tt.maxBytes
			}
			if n, err := f.deliver(3); err != nil || n != 1 {
				t.Fatalf("deliveries = %d, err = %v; want 1, nil", n, err)
			}
			got, _ := f.up.GetUpload(context.Background(), testClient, f.rec.ID)
			if got.Status != tt.want || !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("status %q (%q), want %q (%q)", got.Status, got.Message, tt.want, tt.wantMsg)
			}
		})
	}
}
