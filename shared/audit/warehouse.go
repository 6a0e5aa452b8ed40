package audit

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Log keeps the audit trail in system.audit_logs.
type Log struct {
	W warehouse.Warehouse
}

// RowInserter is a warehouse that appends rows without a load job (BigQuery's
// streaming inserts; shared/bigquery implements it). Load jobs have a daily
// quota that ingestion needs, and every instance of every function writes
// the audit trail every few seconds, so where the warehouse can stream, the
// trail is streamed. insertIDs (one per row) let a retried batch be dropped.
type RowInserter interface {
	InsertRows(ctx context.Context, dataset, table string, rows []warehouse.Row, insertIDs []string) error
}

// WriteAudit implements Sink: one streaming insert per batch where the
// warehouse can (RowInserter, each row's insert id derived from the batch
// id), else one idempotent load (DuckDB, which has no quota).
func (l Log) WriteAudit(ctx context.Context, batchID string, entries []Entry) error {
	rows := make([]warehouse.Row, len(entries))
	for i, e := range entries {
		t := e.Time.UTC()
		rows[i] = warehouse.Row{
			"time": t, "day": warehouse.DateOf(t.Year(), t.Month(), t.Day()), "request_id": e.RequestID,
			"actor_sub": e.ActorSub, "actor_role": e.ActorRole, "client_id": e.ClientID, "action": e.Action,
			"resource": e.Resource, "outcome": string(e.Outcome), "status": int64(e.Status), "remote_addr": e.RemoteAddr,
		}
	}
	if ins, ok := l.W.(RowInserter); ok {
		ids := make([]string, len(rows))
		for i := range ids {
			ids[i] = batchID + "-" + strconv.Itoa(i)
		}
		return ins.InsertRows(ctx, warehouse.SystemDataset, warehouse.TableAuditLogs, rows, ids)
	}
	return l.W.Load(ctx, warehouse.Load{ID: batchID, Dataset: warehouse.SystemDataset,
		Parts: []warehouse.Part{{Table: warehouse.TableAuditLogs, Rows: rows}}})
}

// Filter selects audit entries, newest first.
type Filter struct {
	ClientID string // "" for all clients
	Limit    int
	Token    string // from a previous page
}

// List returns entries newest first and the token of the next page.
func (l Log) List(ctx context.Context, f Filter) ([]Entry, string, error) {
	// The cursor is the last entry's (time, request_id): entries that share
	// a timestamp are neither skipped nor repeated across pages.
	before, beforeID := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	if f.Token != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Token)
		ts, id, ok := strings.Cut(string(b), "|")
		n, perr := strconv.ParseInt(ts, 10, 64)
		if err != nil || perr != nil || !ok {
			return nil, "", errs.E(errs.Invalid, "page_token is not valid")
		}
		before, beforeID = time.Unix(0, n).UTC(), id
	}
	rows, err := l.W.Query(ctx, `SELECT time, request_id, actor_sub, actor_role, client_id, action, resource, outcome, status, remote_addr
FROM system.audit_logs
WHERE (@client_id = '' OR client_id = @client_id)
  AND (time < @before OR (time = @before AND request_id < @before_id))
ORDER BY time DESC, request_id DESC
LIMIT @limit`, map[string]any{"client_id": f.ClientID, "before": before, "before_id": beforeID, "limit": int64(f.Limit + 1)})
	if err != nil {
		return nil, "", err
	}
	var out []Entry
	for _, r := range rows {
		e := Entry{Outcome: Outcome(str(r["outcome"]))}
		e.Time, _ = r["time"].(time.Time)
		e.RequestID, e.ActorSub, e.ActorRole = str(r["request_id"]), str(r["actor_sub"]), str(r["actor_role"])
		e.ClientID, e.Action, e.Resource, e.RemoteAddr = str(r["client_id"]), str(r["action"]), str(r["resource"]), str(r["remote_addr"])
		if n, ok := r["status"].(int64); ok {
			e.Status = int(n)
		}
		out = append(out, e)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.Time.UnixNano(), 10) + "|" + last.RequestID))
	}
	return out, next, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
