package bigquery

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestAuditStreamsWithoutLoadJobs: the audit trail on BigQuery is written
// with streaming inserts, one insertId per row derived from the batch id,
// and no load job, so instances writing it cannot use up the load-job
// quota that ingestion needs.
func TestAuditStreamsWithoutLoadJobs(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	if err := w.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 5, 10, 30, 0, 123456789, time.UTC)
	entries := []audit.Entry{
		{Time: at, RequestID: "r1", ActorSub: "s1", ActorRole: "super_admin", Action: "clients.create", Resource: "/v1/admin/clients", Outcome: audit.Allowed, Status: 201, RemoteAddr: "203.0.113.7"},
		{Time: at.Add(time.Second), RequestID: "r2", ActorSub: "s2", ClientID: "acme", Action: "users.create", Outcome: audit.Denied, Status: 403},
	}
	if err := (audit.Log{W: w}).WriteAudit(ctx, "batch-7", entries); err != nil {
		t.Fatalf("WriteAudit: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, req := range f.log {
		if strings.Contains(req, "/jobs") {
			t.Errorf("audit write made a job request: %s", req)
		}
	}
	if got, want := fmt.Sprint(f.insertIDs), "[batch-7-0 batch-7-1]"; got != want {
		t.Errorf("insertIds = %s, want %s", got, want)
	}
	rows := f.rows["system.audit_logs"]
	if len(rows) != 2 {
		t.Fatalf("%d rows streamed, want 2", len(rows))
	}
	want := map[string]any{"time": "2026-03-05T10:30:00.123456Z", "day": "2026-03-05", "request_id": "r1", "status": float64(201),
		"outcome": "allowed", "remote_addr": "203.0.113.7", "client_id": ""}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("row 0 %s = %#v, want %#v", k, rows[0][k], v)
		}
	}
}

// TestInsertRowsRefusesBadRows: rows are checked against the schema before
// anything is sent.
func TestInsertRowsRefusesBadRows(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	if err := w.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rows []warehouse.Row
		ids  []string
		want errs.Code
	}{
		{"unknown column", []warehouse.Row{{"time": time.Now(), "day": time.Now(), "nope": 1}}, []string{"a"}, errs.Invalid},
		{"missing required", []warehouse.Row{{"request_id": "x"}}, []string{"a"}, errs.Invalid},
		{"ids do not match rows", []warehouse.Row{{"time": time.Now(), "day": time.Now()}}, nil, errs.Internal},
		{"no such table", []warehouse.Row{{"x": 1}}, []string{"a"}, errs.NotFound},
	}
	for _, tt := range tests {
		table := warehouse.TableAuditLogs
		if tt.name == "no such table" {
			table = "missing"
		}
		if err := w.InsertRows(ctx, warehouse.SystemDataset, table, tt.rows, tt.ids); errs.CodeOf(err) != tt.want {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.want)
		}
	}
	if len(f.insertIDs) != 0 {
		t.Errorf("refused rows were sent: %v", f.insertIDs)
	}
}

// The audit trail finds the streaming path by this interface.
var _ audit.RowInserter = (*Warehouse)(nil)
