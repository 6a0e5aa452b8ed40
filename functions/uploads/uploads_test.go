package uploads_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	fn "rentroll.ai/rentroll/functions/uploads"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/ingest"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

const (
	cid    = "acme-homes"
	bucket = "uploads"
	admin  = "alice|client_admin|acme-homes"
	user   = "bob|client_user|acme-homes"
	other  = "eve|client_admin|other-co"
	super  = "root|super_admin|"
)

// memObjects is an in-memory object store holding what the tests put in it.
type memObjects struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *memObjects) SignPut(_ context.Context, b, o string, p objects.PutPolicy) (objects.SignedPut, error) {
	return objects.SignedPut{URL: "https://storage.test/" + b + "/" + o, Method: http.MethodPut, Headers: map[string]string{}}, nil
}

func (m *memObjects) Open(_ context.Context, b, o string, _ int64) (io.ReadCloser, objects.Attrs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objs[b+"/"+o]
	if !ok {
		return nil, objects.Attrs{}, errs.E(errs.NotFound, "no object")
	}
	return io.NopCloser(bytes.NewReader(data)), objects.Attrs{Bucket: b, Name: o, Size: int64(len(data))}, nil
}

func (m *memObjects) Stat(_ context.Context, b, o string) (objects.Attrs, error) {
	_, a, err := m.Open(context.Background(), b, o, 0)
	return a, err
}

func (m *memObjects) Put(_ context.Context, b, o, _ string, data io.Reader, _ bool) (objects.Attrs, error) {
	d, err := io.ReadAll(data)
	if err != nil {
		return objects.Attrs{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[b+"/"+o] = d
	return objects.Attrs{Bucket: b, Name: o, Size: int64(len(d))}, nil
}

func (m *memObjects) Delete(_ context.Context, b, o string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[b+"/"+o]; !ok {
		return errs.E(errs.NotFound, "no object")
	}
	delete(m.objs, b+"/"+o)
	return nil
}

func (m *memObjects) List(context.Context, string, string) ([]objects.Attrs, error) { return nil, nil }

// auditLog keeps what the server records.
type auditLog struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *auditLog) Record(_ context.Context, e audit.Entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
}

type env struct {
	t       *testing.T
	h       http.Handler
	store   *uploadstest.Memory
	objs    *memObjects
	w       *duckdb.Warehouse
	ds      string
	audit   *auditLog
	an      *analytics.Service
	at      time.Time
	nextSeq int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ctx := context.Background()
	clients := tenancytest.NewMemory()
	if err := clients.CreateClient(ctx, tenancy.Client{ID: cid, Name: "Acme Homes", Status: tenancy.Active, Dataset: tenancy.DatasetName(cid)}); err != nil {
		t.Fatal(err)
	}
	ds := tenancy.DatasetName(cid)
	if err := w.EnsureDataset(ctx, warehouse.Client(ds)); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: uploadstest.NewMemory(), objs: &memObjects{objs: map[string][]byte{}}, w: w, ds: ds,
		audit: &auditLog{}, an: &analytics.Service{W: w}, at: time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)}
	log := slog.New(slog.DiscardHandler)
	refreshed := 0
	ing := &ingest.Service{Uploads: e.store, Clients: clients, Objects: e.objs, Warehouse: w, Bucket: bucket, Log: log,
		AfterLoad: func(context.Context, uploads.Upload) error { refreshed++; return nil }}
	srv := &web.Server{Guard: tenancytest.PipeGuard{}, Audit: e.audit, Log: log}
	e.h = srv.Handler(fn.Routes(fn.Deps{Log: log, Uploads: e.store, Objects: e.objs, Bucket: bucket, MaxBytes: 1 << 20,
		URLTTL: time.Minute, Withdraw: ing.Withdraw}))
	return e
}

// roll stores an upload record and, when loaded, its rows as ingestion
// would: units of one property at one date, then the metadata row.
func (e *env) roll(status uploads.Status, property, asOf string, units int) uploads.Upload {
	e.t.Helper()
	e.nextSeq++
	created := e.at.Add(time.Duration(e.nextSeq) * time.Minute)
	id := fmt.Sprintf("%s%011x", created.Format("20060102t150405"), e.nextSeq)
	u := uploads.Upload{ID: id, ClientID: cid, Kind: uploads.RentRoll, Filename: "roll.csv", ContentType: uploads.ContentTypeCSV,
		SizeBytes: 10, Object: uploads.ObjectName(cid, uploads.RentRoll, id, "roll.csv"), Status: status, AsOf: asOf,
		Properties: []string{property}, RowsTotal: int64(units + 3), CreatedBy: "alice", CreatedAt: created, UpdatedAt: created}
	if status == uploads.Loaded {
		u.RowsLoaded = int64(units)
		d, _ := time.Parse(time.DateOnly, asOf)
		var rows []warehouse.Row
		for i := range units {
			rows = append(rows, warehouse.Row{"client_id": cid, "upload_id": id, "property_id": property, "as_of_date": d,
				"month_start": warehouse.DateOf(d.Year(), d.Month(), 1), "unit_id": fmt.Sprint(100 + i), "status": "occupied",
				"market_rent": warehouse.Cents(100000), "lease_rent": warehouse.Cents(95000), "loaded_at": created})
		}
		err := e.w.Load(context.Background(), warehouse.Load{ID: "load_" + id, Dataset: e.ds, Parts: []warehouse.Part{
			{Table: warehouse.TableAnalyticsRentRoll, Rows: rows},
			{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{"client_id": cid, "upload_id": id, "kind": "rent_roll",
				"status": "loaded", "property_id": property, "as_of_date": d, "rows_loaded": int64(units), "loaded_at": created}}},
		}})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.store.CreateUpload(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) call(method, token, target string) (int, []byte, http.Header) {
	e.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

func (e *env) count(sql string, id string) int64 {
	e.t.Helper()
	rows, err := e.w.Query(context.Background(), strings.ReplaceAll(sql, "{ds}", e.ds), map[string]any{"u": id})
	if err != nil {
		e.t.Fatal(err)
	}
	return rows[0]["n"].(int64)
}

func TestWithdraw(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	feb := e.roll(uploads.Loaded, "p1", "2026-02-28", 4)
	mar := e.roll(uploads.Loaded, "p1", "2026-03-31", 6)
	pending := e.roll(uploads.Pending, "p1", "", 0)
	processing := e.roll(uploads.Processing, "p1", "", 0)
	rejected := e.roll(uploads.Rejected, "p1", "", 0)
	base := "/v1/clients/" + cid + "/uploads/"

	// March 2026 was billed before the withdrawal: 10 units.
	if err := e.w.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Load(ctx, warehouse.Load{ID: "billed_2026_03", Dataset: warehouse.SystemDataset, Parts: []warehouse.Part{{
		Table: warehouse.TableBillingUnits, Rows: []warehouse.Row{{"client_id": cid, "month": "2026-03",
			"month_start": warehouse.DateOf(2026, time.March, 1), "units": int64(10), "run_id": "r1"}}}}}); err != nil {
		t.Fatal(err)
	}

	// Before: March is the roll in force, with 6 units.
	s, err := e.an.Summary(ctx, cid, analytics.SummaryQuery{PropertyID: "p1"})
	if err != nil || s.Totals.Units != 6 {
		t.Fatalf("summary before: %d units, %v; want 6", s.Totals.Units, err)
	}

	tests := []struct {
		name       string
		token, id  string
		wantStatus int
		wantCode   string
	}{
		{"no token", "", mar.ID, http.StatusUnauthorized, "unauthorized"},
		{"client_user may not withdraw", user, mar.ID, http.StatusForbidden, "forbidden"},
		{"another client's admin does not see it", other, mar.ID, http.StatusNotFound, "not_found"},
		{"malformed id", admin, "..%2F..%2Fx", http.StatusNotFound, "not_found"},
		{"unknown id", admin, "20260101t000000aaaaaaaaaaa", http.StatusNotFound, "not_found"},
		{"pending upload", admin, pending.ID, http.StatusConflict, "upload_not_finished"},
		{"processing upload", admin, processing.ID, http.StatusConflict, "upload_not_finished"},
		{"rejected upload loaded nothing", admin, rejected.ID, http.StatusConflict, "upload_not_loaded"},
		{"client_admin withdraws", admin, mar.ID, http.StatusOK, ""},
		{"again: idempotent", admin, mar.ID, http.StatusOK, ""},
		{"super_admin, idempotent too", super, mar.ID, http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := e.call(http.MethodDelete, tc.token, base+tc.id)
			if code != tc.wantStatus {
				t.Fatalf("DELETE: %d %s, want %d", code, body, tc.wantStatus)
			}
			if tc.wantCode != "" {
				var got struct{ Error struct{ Code string } }
				if err := json.Unmarshal(body, &got); err != nil || got.Error.Code != tc.wantCode {
					t.Errorf("error code %q (%s), want %q", got.Error.Code, body, tc.wantCode)
				}
				return
			}
			var u struct {
				Status      string `json:"status"`
				WithdrawnBy string `json:"withdrawn_by"`
			}
			if err := json.Unmarshal(body, &u); err != nil || u.Status != "withdrawn" || u.WithdrawnBy != "alice" {
				t.Errorf("answer %s: want status withdrawn by alice", body)
			}
		})
	}

	// After: March's rows left analytics, its metadata says withdrawn, and
	// February is in force again. February itself is untouched.
	if n := e.count(`SELECT COUNT(*) AS n FROM {ds}.analytics_rent_roll WHERE upload_id = @u`, mar.ID); n != 0 {
		t.Errorf("withdrawn upload still has %d analytics rows", n)
	}
	if n := e.count(`SELECT COUNT(*) AS n FROM {ds}.upload_metadata WHERE upload_id = @u AND status = 'withdrawn'`, mar.ID); n != 1 {
		t.Errorf("metadata rows marked withdrawn: %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) AS n FROM {ds}.analytics_rent_roll WHERE upload_id = @u`, feb.ID); n != 4 {
		t.Errorf("the earlier roll has %d rows, want 4", n)
	}
	s, err = e.an.Summary(ctx, cid, analytics.SummaryQuery{PropertyID: "p1"})
	if err != nil || s.Totals.Units != 4 || s.AsOf == nil || *s.AsOf != "2026-02-28" {
		t.Errorf("summary after: %d units as of %v (%v); want 4 as of 2026-02-28", s.Totals.Units, s.AsOf, err)
	}
	// The billed month is not rewritten.
	billed, err := e.w.Query(ctx, `SELECT units, run_id FROM system.billing_units WHERE client_id = @c AND month = '2026-03'`, map[string]any{"c": cid})
	if err != nil || len(billed) != 1 || billed[0]["units"] != int64(10) || billed[0]["run_id"] != "r1" {
		t.Errorf("billed month after the withdrawal: %v %v; want 10 units of run r1", billed, err)
	}
	rec, err := e.store.GetUpload(ctx, cid, mar.ID)
	if err != nil || rec.Status != uploads.Withdrawn || rec.WithdrawnAt.IsZero() {
		t.Errorf("record after: %+v %v", rec, err)
	}
	// The file is kept, and the listing filters by the new status.
	code, body, _ := e.call(http.MethodGet, user, "/v1/clients/"+cid+"/uploads?status=withdrawn")
	if code != http.StatusOK || !strings.Contains(string(body), mar.ID) || strings.Contains(string(body), feb.ID) {
		t.Errorf("list ?status=withdrawn: %d %s", code, body)
	}

	// Every withdrawal attempt is in the audit trail, refusals included.
	var withdrawals, denied int
	for _, en := range e.audit.entries {
		if en.Action == "uploads.withdraw" {
			withdrawals++
			if en.Outcome != audit.Allowed {
				denied++
			}
		}
	}
	if withdrawals < 4 || denied < 2 {
		t.Errorf("audit: %d withdrawal entries (%d denied), want ≥ 4 and ≥ 2", withdrawals, denied)
	}
}

func TestReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A rejected upload with 150 errors: the record keeps 100, the report all.
	var all []uploads.Issue
	for i := range 150 {
		all = append(all, uploads.Issue{Row: i + 2, Column: "lease_rent", Code: "negative_rent", Message: fmt.Sprintf("lease rent %d is negative", -i)})
	}
	all[1].Message = "=HYPERLINK(\"http://evil\")"
	all[2] = uploads.Issue{Row: 0, Code: "missing_header", Message: "no header row, the file says: a;b"}
	up := e.roll(uploads.Rejected, "p1", "2026-03-31", 0)
	stored, _ := json.Marshal(map[string]any{"errors": all, "error_count": 150, "warnings": []uploads.Issue{},
		"warning_count": 0, "excluded": map[string]int{"non_residential": 2, "summary_row": 1}, "format": "yardi"})
	report := uploads.ReportObject(cid, up.ID)
	if _, err := e.objs.Put(ctx, bucket, report, "application/json", bytes.NewReader(stored), false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateUpload(ctx, cid, up.ID, func(u *uploads.Upload) error {
		u.Errors, u.ErrorCount, u.Report = all[:uploads.MaxIssuesOnRecord], 150, report
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	clean := e.roll(uploads.Loaded, "p2", "2026-03-31", 3)
	base := "/v1/clients/" + cid + "/uploads/"

	// The record says its list was cut.
	code, body, _ := e.call(http.MethodGet, user, base+up.ID)
	var rec struct {
		Errors          []uploads.Issue `json:"errors"`
		ErrorCount      int             `json:"error_count"`
		ErrorsTruncated bool            `json:"errors_truncated"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &rec) != nil || len(rec.Errors) != 100 || rec.ErrorCount != 150 || !rec.ErrorsTruncated {
		t.Errorf("record: %d, %d errors of %d, truncated %v", code, len(rec.Errors), rec.ErrorCount, rec.ErrorsTruncated)
	}

	tests := []struct {
		name       string
		token, id  string
		query      string
		wantStatus int
		check      func(t *testing.T, body []byte, h http.Header)
	}{
		{"whole report as JSON", user, up.ID, "", http.StatusOK, func(t *testing.T, body []byte, _ http.Header) {
			var r uploads.Report
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) != 150 || r.ErrorCount != 150 || r.Excluded["non_residential"] != 2 || r.Status != uploads.Rejected {
				t.Errorf("report: %d errors, count %d, excluded %v, status %s", len(r.Errors), r.ErrorCount, r.Excluded, r.Status)
			}
		}},
		{"CSV, escaped", user, up.ID, "?format=csv", http.StatusOK, func(t *testing.T, body []byte, h http.Header) {
			lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
			if got, want := len(lines), 151; got != want {
				t.Errorf("%d lines, want %d", got, want)
			}
			wantLines := []string{
				"severity,row,column,code,message",
				"error,2,lease_rent,negative_rent,lease rent 0 is negative",
				`error,3,lease_rent,negative_rent,"'=HYPERLINK(""http://evil"")"`,
				`error,,,missing_header,"no header row, the file says: a;b"`,
			}
			for i, want := range wantLines {
				if i < len(lines) && lines[i] != want {
					t.Errorf("line %d = %q, want %q", i, lines[i], want)
				}
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type %q", ct)
			}
		}},
		{"an upload with no stored report answers from its record", super, clean.ID, "", http.StatusOK, func(t *testing.T, body []byte, _ http.Header) {
			var r uploads.Report
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if r.RowsLoaded != 3 || r.Errors == nil || len(r.Errors) != 0 || r.Status != uploads.Loaded {
				t.Errorf("report: %+v", r)
			}
		}},
		{"unknown format", user, up.ID, "?format=xml", http.StatusBadRequest, nil},
		{"another client", other, up.ID, "", http.StatusNotFound, nil},
		{"unknown upload", user, "20260101t000000aaaaaaaaaaa", "", http.StatusNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := e.call(http.MethodGet, tc.token, base+tc.id+"/report"+tc.query)
			if code != tc.wantStatus {
				t.Fatalf("GET report: %d %s, want %d", code, body, tc.wantStatus)
			}
			if tc.check != nil {
				tc.check(t, body, h)
			}
		})
	}
}
