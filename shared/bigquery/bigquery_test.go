package bigquery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/civil"
	bq "google.golang.org/api/bigquery/v2"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/warehouse/warehousetest"
)

// wantType is the BigQuery REST type of each warehouse type.
var wantType = map[warehouse.Type]string{
	warehouse.String: "STRING", warehouse.Int64: "INTEGER", warehouse.Float64: "FLOAT",
	warehouse.Money: "NUMERIC", warehouse.Bool: "BOOLEAN", warehouse.Date: "DATE", warehouse.Timestamp: "TIMESTAMP",
}

func provision(t *testing.T, w *Warehouse) {
	t.Helper()
	for _, ds := range warehousetest.Datasets() {
		if err := w.EnsureDataset(context.Background(), ds); err != nil {
			t.Fatalf("EnsureDataset(%s): %v", ds.Name, err)
		}
	}
}

func TestEnsureDataset(t *testing.T) {
	f := newFake(t)
	w := f.warehouse(t, Config{Location: "europe-west1"})
	provision(t, w)

	// One dataset insert per dataset, in the configured location.
	for _, ds := range warehousetest.Datasets() {
		d, ok := f.datasets[ds.Name]
		if !ok {
			t.Errorf("dataset %s not created", ds.Name)
			continue
		}
		if d.Location != "europe-west1" {
			t.Errorf("dataset %s location = %q, want europe-west1", ds.Name, d.Location)
		}
		// Every table with the declared schema, partitioning and clustering.
		for _, tb := range ds.Tables {
			got, ok := f.tables[ds.Name+"."+tb.Name]
			if !ok {
				t.Errorf("table %s.%s not created", ds.Name, tb.Name)
				continue
			}
			checkTable(t, ds.Name, tb, got)
		}
	}
	declared := 0
	for _, ds := range warehousetest.Datasets() {
		declared += len(ds.Tables)
	}
	if n := len(f.tables); n != declared {
		t.Errorf("%d tables created, want the %d declared", n, declared)
	}

	// Again, sequentially and concurrently: 409s are fine, nothing is patched.
	f.resetLog()
	provision(t, w)
	var wg sync.WaitGroup
	errc := make(chan error, 6)
	for range 2 {
		for _, ds := range warehousetest.Datasets() {
			wg.Go(func() {
				if err := w.EnsureDataset(context.Background(), ds); err != nil {
					errc <- err
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent EnsureDataset: %v", err)
	}
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "PATCH") {
			t.Errorf("idempotent EnsureDataset sent %s", r)
		}
	}
	if len(f.patches) != 0 {
		t.Errorf("%d patches, want 0", len(f.patches))
	}
}

func checkTable(t *testing.T, dataset string, tb warehouse.Table, got *bq.Table) {
	t.Helper()
	name := dataset + "." + tb.Name
	if got.TableReference.ProjectId != "proj-test" || got.TableReference.DatasetId != dataset || got.TableReference.TableId != tb.Name {
		t.Errorf("%s: table reference %+v", name, got.TableReference)
	}
	if len(got.Schema.Fields) != len(tb.Columns) {
		t.Fatalf("%s: %d fields, want %d", name, len(got.Schema.Fields), len(tb.Columns))
	}
	for i, c := range tb.Columns {
		f := got.Schema.Fields[i]
		wantMode := "NULLABLE"
		if c.Required {
			wantMode = "REQUIRED"
		}
		if f.Name != c.Name || f.Type != wantType[c.Type] || (f.Mode != wantMode && !(f.Mode == "" && wantMode == "NULLABLE")) {
			t.Errorf("%s field %d = {%s %s %s}, want {%s %s %s}", name, i, f.Name, f.Type, f.Mode, c.Name, wantType[c.Type], wantMode)
		}
	}
	switch {
	case tb.PartitionBy == "" && got.TimePartitioning != nil:
		t.Errorf("%s: partitioned %+v, want not", name, got.TimePartitioning)
	case tb.PartitionBy != "" && (got.TimePartitioning == nil || got.TimePartitioning.Type != "MONTH" || got.TimePartitioning.Field != tb.PartitionBy):
		t.Errorf("%s: partitioning %+v, want MONTH on %s", name, got.TimePartitioning, tb.PartitionBy)
	}
	var clustered []string
	if got.Clustering != nil {
		clustered = got.Clustering.Fields
	}
	if !slices.Equal(clustered, tb.ClusterBy) {
		t.Errorf("%s: clustering %v, want %v", name, clustered, tb.ClusterBy)
	}
}

func TestEnsureDatasetAddsColumns(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	v1 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.String, Required: true},
	}}}}
	v2 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.String, Required: true},
		{Name: "amount", Type: warehouse.Money, Required: true},
	}}}}
	if err := w.EnsureDataset(ctx, v1); err != nil {
		t.Fatalf("EnsureDataset v1: %v", err)
	}
	etag := f.tables["evolve.t"].Etag
	if err := w.EnsureDataset(ctx, v2); err != nil {
		t.Fatalf("EnsureDataset v2: %v", err)
	}
	if len(f.patches) != 1 {
		t.Fatalf("%d patches, want 1", len(f.patches))
	}
	fields := f.patches[0].Schema.Fields
	if len(fields) != 2 || fields[1].Name != "amount" || fields[1].Type != "NUMERIC" || fields[1].Mode == "REQUIRED" {
		t.Errorf("patched schema = %s, want id then a NULLABLE NUMERIC amount", fieldsString(fields))
	}
	if f.tables["evolve.t"].Etag == etag {
		t.Error("table etag unchanged: the patch was not applied")
	}
	// Applying v2 again changes nothing.
	if err := w.EnsureDataset(ctx, v2); err != nil {
		t.Fatalf("EnsureDataset v2 again: %v", err)
	}
	if len(f.patches) != 1 {
		t.Errorf("%d patches after repeating v2, want 1", len(f.patches))
	}
	v3 := warehouse.Dataset{Name: "evolve", Tables: []warehouse.Table{{Name: "t", Columns: []warehouse.Column{
		{Name: "id", Type: warehouse.Int64},
	}}}}
	if err := w.EnsureDataset(ctx, v3); err == nil {
		t.Error("EnsureDataset with a changed column type = nil, want error")
	}
	if err := w.EnsureDataset(ctx, warehouse.Dataset{Name: "bad-name"}); err == nil {
		t.Error("EnsureDataset(bad-name) = nil, want error")
	}
}

func fieldsString(fs []*bq.TableFieldSchema) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Name+" "+f.Type+" "+f.Mode)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

var loadedAt = time.Date(2026, time.February, 3, 4, 5, 6, 123456789, time.FixedZone("EST", -5*3600))

func testLoad(id string) warehouse.Load {
	return warehouse.Load{ID: id, Dataset: "client_acme", Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Rows: []warehouse.Row{
			{"client_id": "acme", "upload_id": "up-1", "property_id": "p1", "as_of_date": warehouse.DateOf(2026, 1, 31),
				"month_start": warehouse.DateOf(2026, 1, 1), "unit_id": "101", "status": "occupied",
				"beds": 2.0, "sqft": int64(850), "market_rent": warehouse.Cents(123450), "lease_rent": warehouse.Cents(-1),
				"concessions": warehouse.Cents(10), "other_charges": warehouse.Cents(9999999999),
				"building": nil, "loaded_at": loadedAt, "lease_end": civil.Date{Year: 2026, Month: 2, Day: 28}},
			{"client_id": "acme", "upload_id": "up-1", "property_id": "p1", "as_of_date": warehouse.DateOf(2026, 1, 31),
				"month_start": warehouse.DateOf(2026, 1, 1), "unit_id": "102 \"B\"", "status": "vacant"},
		}},
		{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{
			{"client_id": "acme", "upload_id": "up-1", "status": "loaded", "rows_loaded": int64(2)},
		}},
	}}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{Location: "US"})
	provision(t, w)
	f.resetLog()

	if err := w.Load(ctx, testLoad("bucket/clients/acme/rent_roll/u1/file.csv#1700000000")); err != nil {
		t.Fatalf("Load: %v", err)
	}
	rrID := jobID("bucket/clients/acme/rent_roll/u1/file.csv#1700000000", "client_acme", warehouse.TableAnalyticsRentRoll)
	mdID := jobID("bucket/clients/acme/rent_roll/u1/file.csv#1700000000", "client_acme", warehouse.TableUploadMetadata)

	// The tables' schemas are read first (validation), then one job per table.
	wantLog := []string{
		"GET /projects/proj-test/datasets/client_acme/tables/analytics_rent_roll",
		"GET /projects/proj-test/datasets/client_acme/tables/upload_metadata",
		"POST /upload/bigquery/v2/projects/proj-test/jobs",
		"POST /upload/bigquery/v2/projects/proj-test/jobs",
	}
	if got := f.requests(); !slices.Equal(got, wantLog) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}
	for _, c := range []struct{ id, table string }{
		{rrID, warehouse.TableAnalyticsRentRoll}, {mdID, warehouse.TableUploadMetadata},
	} {
		job, ok := f.jobs[c.id]
		if !ok {
			t.Fatalf("no job %s; jobs: %v", c.id, keys(f.jobs))
		}
		ld := job.Configuration.Load
		if job.JobReference.Location != "US" {
			t.Errorf("job %s location = %q, want US", c.id, job.JobReference.Location)
		}
		if ld.DestinationTable.ProjectId != "proj-test" || ld.DestinationTable.DatasetId != "client_acme" || ld.DestinationTable.TableId != c.table {
			t.Errorf("job %s destination = %+v", c.id, ld.DestinationTable)
		}
		if ld.SourceFormat != "NEWLINE_DELIMITED_JSON" || ld.WriteDisposition != "WRITE_APPEND" || ld.CreateDisposition != "CREATE_NEVER" {
			t.Errorf("job %s: format %q, write %q, create %q; want NEWLINE_DELIMITED_JSON, WRITE_APPEND, CREATE_NEVER",
				c.id, ld.SourceFormat, ld.WriteDisposition, ld.CreateDisposition)
		}
		if ld.IgnoreUnknownValues || ld.MaxBadRecords != 0 {
			t.Errorf("job %s tolerates bad data: ignoreUnknown %v, maxBad %d", c.id, ld.IgnoreUnknownValues, ld.MaxBadRecords)
		}
	}

	// The uploaded NDJSON, line by line, exactly.
	wantNDJSON := `{"client_id":"acme","upload_id":"up-1","property_id":"p1","as_of_date":"2026-01-31","month_start":"2026-01-01","unit_id":"101","beds":2,"sqft":850,"status":"occupied","market_rent":"1234.50","lease_rent":"-0.01","concessions":"0.10","other_charges":"99999999.99","lease_end":"2026-02-28","loaded_at":"2026-02-03T09:05:06.123456Z"}
{"client_id":"acme","upload_id":"up-1","property_id":"p1","as_of_date":"2026-01-31","month_start":"2026-01-01","unit_id":"102 \"B\"","status":"vacant"}
`
	if got := string(f.uploads[rrID]); got != wantNDJSON {
		t.Errorf("uploaded NDJSON:\n%s\nwant:\n%s", got, wantNDJSON)
	}
	if got, want := string(f.uploads[mdID]), `{"client_id":"acme","upload_id":"up-1","status":"loaded","rows_loaded":2}`+"\n"; got != want {
		t.Errorf("uploaded NDJSON:\n%s\nwant:\n%s", got, want)
	}

	// A repeat (a retry, or a redelivered event) meets 409s and adopts the jobs.
	f.resetLog()
	if err := w.Load(ctx, testLoad("bucket/clients/acme/rent_roll/u1/file.csv#1700000000")); err != nil {
		t.Fatalf("repeated Load: %v", err)
	}
	wantRepeat := []string{
		"GET /projects/proj-test/datasets/client_acme/tables/analytics_rent_roll",
		"GET /projects/proj-test/datasets/client_acme/tables/upload_metadata",
		"POST /upload/bigquery/v2/projects/proj-test/jobs", // 409
		"GET /projects/proj-test/jobs/" + rrID,
		"POST /upload/bigquery/v2/projects/proj-test/jobs", // 409
		"GET /projects/proj-test/jobs/" + mdID,
	}
	if got := f.requests(); !slices.Equal(got, wantRepeat) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRepeat, "\n"))
	}
	if n := len(f.rows["client_acme.analytics_rent_roll"]); n != 2 {
		t.Errorf("after repeated load: %d rows, want 2", n)
	}

	// Concurrent loads of one new ID: one job per table, rows once.
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			if err := w.Load(ctx, testLoad("second")); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent Load: %v", err)
	}
	if n := len(f.rows["client_acme.analytics_rent_roll"]); n != 4 {
		t.Errorf("after concurrent loads: %d rows, want 4", n)
	}
	if n := len(f.rows["client_acme.upload_metadata"]); n != 2 {
		t.Errorf("after concurrent loads: %d metadata rows, want 2", n)
	}
}

// TestLoadRetryAfterCrash: a load whose first table's job ran but whose
// process died before the second completes on retry, without duplicates.
func TestLoadRetryAfterCrash(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	provision(t, w)
	first := testLoad("crash")
	first.Parts = first.Parts[:1] // as if it died after the first job
	if err := w.Load(ctx, first); err != nil {
		t.Fatalf("partial Load: %v", err)
	}
	if err := w.Load(ctx, testLoad("crash")); err != nil {
		t.Fatalf("retried Load: %v", err)
	}
	if got, want := len(f.rows["client_acme.analytics_rent_roll"]), 2; got != want {
		t.Errorf("rent roll rows = %d, want %d", got, want)
	}
	if got, want := len(f.rows["client_acme.upload_metadata"]), 1; got != want {
		t.Errorf("metadata rows = %d, want %d", got, want)
	}
}

func TestLoadValidatesBeforeLoading(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	provision(t, w)
	// Each case breaks one value of the last part; the first part is good.
	tests := []struct {
		name string
		bad  func(r warehouse.Row)
		code errs.Code
	}{
		{"not null violation", func(r warehouse.Row) { r["client_id"] = nil }, errs.Invalid},
		{"unknown column", func(r warehouse.Row) { r["no_such_column"] = "x" }, errs.Invalid},
		{"string for int", func(r warehouse.Row) { r["rows_total"] = "12" }, errs.Invalid},
		{"string for date", func(r warehouse.Row) { r["as_of_date"] = "2026-01-01" }, errs.Invalid},
		{"int for string", func(r warehouse.Row) { r["status"] = int64(1) }, errs.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := testLoad("validate-" + tc.name)
			bad := warehouse.Row{"client_id": "acme", "upload_id": "u", "status": "loaded"}
			tc.bad(bad)
			l.Parts[1].Rows = append(l.Parts[1].Rows, bad)
			f.resetLog()
			err := w.Load(ctx, l)
			if got := errs.CodeOf(err); got != tc.code {
				t.Errorf("Load error = %v (code %s), want code %s", err, got, tc.code)
			}
			for _, r := range f.requests() {
				if strings.Contains(r, "/jobs") {
					t.Errorf("a job was started for an invalid load: %s", r)
				}
			}
		})
	}
	// Money must be Cents; floats must be finite.
	for name, v := range map[string]any{"market_rent": 1234.5, "beds": math.NaN()} {
		l := testLoad("bad-" + name)
		l.Parts[0].Rows[0][name] = v
		if err := w.Load(ctx, l); !errs.Is(err, errs.Invalid) {
			t.Errorf("Load with %s = %v: err = %v, want code %s", name, v, err, errs.Invalid)
		}
	}
	// An unknown table is not found, before any job.
	l := testLoad("no-table")
	l.Parts[1].Table = "no_such_table"
	if err := w.Load(ctx, l); !errs.Is(err, errs.NotFound) {
		t.Errorf("Load into a missing table: err = %v, want code %s", err, errs.NotFound)
	}
	if len(f.jobs) != 0 {
		t.Errorf("%d jobs created by invalid loads, want 0", len(f.jobs))
	}
}

func TestLoadJobFailure(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	provision(t, w)
	base := jobID("flaky", "client_acme", warehouse.TableAnalyticsRentRoll)

	// A transient failure of the first job: the next attempt ID loads it.
	f.failJob = func(id string) *bq.ErrorProto {
		if id == base {
			return &bq.ErrorProto{Reason: "backendError", Message: "try again"}
		}
		return nil
	}
	if err := w.Load(ctx, testLoad("flaky")); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, ok := f.jobs[base+"_a1"]; !ok {
		t.Errorf("no retry job %s_a1; jobs: %v", base, keys(f.jobs))
	}
	// Repeating finds the failed base job and the successful retry: no new rows.
	if err := w.Load(ctx, testLoad("flaky")); err != nil {
		t.Fatalf("repeated Load: %v", err)
	}
	if n := len(f.rows["client_acme.analytics_rent_roll"]); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}

	// A permanent failure is reported as such, and repeating reports it again.
	f.failJob = func(string) *bq.ErrorProto {
		return &bq.ErrorProto{Reason: "invalid", Message: "Error while reading data"}
	}
	for range 2 {
		err := w.Load(ctx, testLoad("bad-data"))
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("Load with a failing job: err = %v, want code %s", err, errs.Invalid)
		}
	}
}

func TestJobID(t *testing.T) {
	long := strings.Repeat("x/y", 2000)
	tests := []struct {
		name                 string
		load, dataset, table string
		wantPrefix           string
	}{
		{"plain", "abc-123_X", "client_acme", "t", "rentroll_load_client_acme_t_abc-123_X_"},
		{"sanitized", "b/c#1 é", "client_acme", "t", "rentroll_load_client_acme_t_b_c_1___"},
		{"long", long, "client_acme", "t", "rentroll_load_client_acme_t_x_yx_y"},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		got := jobID(tc.load, tc.dataset, tc.table)
		if !strings.HasPrefix(got, tc.wantPrefix) {
			t.Errorf("%s: jobID = %q, want prefix %q", tc.name, got, tc.wantPrefix)
		}
		if len(got) > 1024 {
			t.Errorf("%s: len = %d, want ≤ 1024", tc.name, len(got))
		}
		for _, c := range got {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				t.Errorf("%s: jobID has %q", tc.name, c)
				break
			}
		}
		if got != jobID(tc.load, tc.dataset, tc.table) {
			t.Errorf("%s: jobID not deterministic", tc.name)
		}
		seen[got] = true
	}
	// Inputs that sanitize alike still get different IDs; so do other tables.
	for _, id := range []string{jobID("a/b", "d", "t"), jobID("a#b", "d", "t"), jobID("a/b", "d", "u"), jobID("a/b", "e", "t")} {
		if seen[id] {
			t.Errorf("jobID collision: %s", id)
		}
		seen[id] = true
	}
}

func TestQuery(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	var logs bytes.Buffer
	w := f.warehouse(t, Config{Location: "US", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	f.answer = func(req *bq.QueryRequest) *bq.QueryResponse {
		return &bq.QueryResponse{
			Schema: &bq.TableSchema{Fields: []*bq.TableFieldSchema{
				{Name: "unit_id", Type: "STRING"}, {Name: "sqft", Type: "INTEGER"}, {Name: "rent", Type: "NUMERIC"},
				{Name: "as_of", Type: "DATE"}, {Name: "at", Type: "TIMESTAMP"}, {Name: "occ", Type: "FLOAT"},
				{Name: "ok", Type: "BOOLEAN"}, {Name: "missing", Type: "STRING"},
			}},
			Rows: []*bq.TableRow{{F: []*bq.TableCell{
				{V: "101"}, {V: "850"}, {V: "99999999.99"}, {V: "2026-01-31"}, {V: "1770109506123456"},
				{V: "0.95"}, {V: "true"}, {V: nil},
			}}},
			TotalBytesProcessed: 10485760, CacheHit: false,
		}
	}
	const sql = `SELECT unit_id, sqft, rent, as_of, at, occ, ok, missing FROM client_acme.analytics_rent_roll
		WHERE property_id = @p AND sqft >= @min AND as_of_date <= @d AND market_rent > @m AND loaded_at < @t
		AND unit_id != @inj AND beds > @beds AND @flag`
	params := map[string]any{
		"p": "p1", "min": 1000, "d": civil.Date{Year: 2025, Month: 12, Day: 31}, "m": warehouse.Cents(100050),
		"t": time.Date(2026, 2, 1, 0, 0, 0, 0, time.FixedZone("X", 3600)), "inj": warehousetest.Injection,
		"beds": 1.5, "flag": true,
	}
	got, err := w.Query(ctx, sql, params)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d rows, want 1", len(got))
	}
	warehousetest.CompareResult(t, "row", got[0], warehouse.Result{
		"unit_id": "101", "sqft": int64(850), "rent": warehousetest.Amount(9999999999),
		"as_of": warehouse.DateOf(2026, 1, 31), "at": time.Date(2026, 2, 3, 9, 5, 6, 123456000, time.UTC),
		"occ": 0.95, "ok": true, "missing": nil,
	})

	if len(f.queries) != 1 {
		t.Fatalf("%d query requests, want 1", len(f.queries))
	}
	req := f.queries[0]
	if req.Query != sql {
		t.Errorf("query text was changed:\n%s\nwant:\n%s", req.Query, sql)
	}
	if req.UseLegacySql == nil || *req.UseLegacySql {
		t.Errorf("useLegacySql = %v, want false", req.UseLegacySql)
	}
	// The client leaves parameterMode empty; the service takes parameters
	// that all carry a name as NAMED. POSITIONAL would be wrong.
	if req.ParameterMode != "" && req.ParameterMode != "NAMED" {
		t.Errorf("parameterMode = %q, want NAMED or unset", req.ParameterMode)
	}
	for _, p := range req.QueryParameters {
		if p.Name == "" {
			t.Errorf("unnamed parameter %+v", p)
		}
	}
	if req.Location != "US" {
		t.Errorf("location = %q, want US", req.Location)
	}
	wantParams := map[string][2]string{
		"p": {"STRING", "p1"}, "min": {"INT64", "1000"}, "d": {"DATE", "2025-12-31"},
		"m": {"NUMERIC", "1000.500000000"}, "t": {"TIMESTAMP", "2026-01-31 23:00:00+00:00"},
		"inj": {"STRING", warehousetest.Injection}, "beds": {"FLOAT64", "1.5"}, "flag": {"BOOL", "true"},
	}
	gotParams := map[string][2]string{}
	for _, p := range req.QueryParameters {
		gotParams[p.Name] = [2]string{p.ParameterType.Type, p.ParameterValue.Value}
	}
	for name, want := range wantParams {
		if gotParams[name] != want {
			t.Errorf("parameter %s = %v, want %v", name, gotParams[name], want)
		}
	}
	if len(gotParams) != len(wantParams) {
		t.Errorf("parameters = %v, want %v", gotParams, wantParams)
	}

	// One log record with what the query cost.
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if rec["bytes_processed"] != float64(10485760) || rec["cache_hit"] != false || rec["job_id"] != "job_q1" || rec["rows"] != float64(1) {
		t.Errorf("log record = %v, want bytes_processed 10485760, cache_hit false, job_id job_q1, rows 1", rec)
	}
}

func TestExecAndEmptyResult(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	f.answer = func(req *bq.QueryRequest) *bq.QueryResponse {
		return &bq.QueryResponse{NumDmlAffectedRows: 1, TotalBytesProcessed: 100}
	}
	const sql = `DELETE FROM system.billing_units WHERE client_id = @c AND month = @m`
	if err := w.Exec(ctx, sql, map[string]any{"c": "acme", "m": "2026-01"}); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if len(f.queries) != 1 || f.queries[0].Query != sql || len(f.queries[0].QueryParameters) != 2 {
		t.Errorf("requests = %+v, want one parameterized query", f.queries)
	}
	f.answer = func(req *bq.QueryRequest) *bq.QueryResponse {
		return &bq.QueryResponse{Schema: &bq.TableSchema{Fields: []*bq.TableFieldSchema{{Name: "n", Type: "INTEGER"}}}}
	}
	got, err := w.Query(ctx, `SELECT 1 AS n FROM system.users WHERE sub = @s`, map[string]any{"s": "nobody"})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("got %v, want no rows", got)
	}
}

func TestQueryErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		code   int
		reason string
		want   errs.Code
	}{
		{"bad SQL is our bug", 400, "invalidQuery", errs.Internal},
		{"missing table", 404, "notFound", errs.NotFound},
		{"permission", 403, "accessDenied", errs.Internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			w := f.warehouse(t, Config{})
			f.queryErr = &bq.ErrorProto{Reason: tc.reason, Message: "boom"}
			f.queryErrCode = tc.code
			_, err := w.Query(ctx, `SELECT 1`, nil)
			if got := errs.CodeOf(err); got != tc.want {
				t.Errorf("code = %s (%v), want %s", got, err, tc.want)
			}
		})
	}
	// Parameters of unsupported types never reach the service.
	f := newFake(t)
	w := f.warehouse(t, Config{})
	for _, v := range []any{nil, []int{1}, struct{}{}} {
		if _, err := w.Query(ctx, `SELECT @x`, map[string]any{"x": v}); !errs.Is(err, errs.Internal) {
			t.Errorf("Query with parameter %T: err = %v, want code %s", v, err, errs.Internal)
		}
	}
	if len(f.queries) != 0 {
		t.Errorf("%d queries sent with bad parameters, want 0", len(f.queries))
	}
}

func TestResultValue(t *testing.T) {
	tests := []struct {
		in   any
		want any
	}{
		{centsRat(10), 0.1}, {centsRat(-1), -0.01}, {centsRat(9999999999), 99999999.99},
		{civil.Date{Year: 2026, Month: 1, Day: 2}, warehouse.DateOf(2026, 1, 2)},
		{int64(5), int64(5)}, {"s", "s"}, {nil, nil},
	}
	for _, tc := range tests {
		got := resultValue(tc.in)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", tc.want) {
			t.Errorf("resultValue(%v) = %T %v, want %T %v", tc.in, got, got, tc.want, tc.want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestLoadStream(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{})
	provision(t, w)
	rows := testLoad("x").Parts[0].Rows
	ranged := 0
	stream := func(yield func(warehouse.Row, error) bool) {
		ranged++
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
	l := warehouse.Load{ID: "streamed", Dataset: "client_acme", Parts: []warehouse.Part{
		{Table: warehouse.TableAnalyticsRentRoll, Stream: stream},
	}}
	if err := w.Load(ctx, l); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if ranged != 2 {
		t.Errorf("stream ranged %d times, want 2 (check, then upload)", ranged)
	}
	// The same NDJSON as from Rows.
	if err := w.Load(ctx, testLoad("from-rows")); err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := string(f.uploads[jobID("streamed", "client_acme", warehouse.TableAnalyticsRentRoll)])
	want := string(f.uploads[jobID("from-rows", "client_acme", warehouse.TableAnalyticsRentRoll)])
	if got == "" || got != want {
		t.Errorf("streamed NDJSON:\n%s\nwant:\n%s", got, want)
	}

	// A stream that fails starts no job and keeps its error's code.
	jobs := len(f.jobs)
	bad := warehouse.Load{ID: "stream-bad", Dataset: "client_acme", Parts: []warehouse.Part{
		{Table: warehouse.TableUploadMetadata, Rows: testLoad("x").Parts[1].Rows},
		{Table: warehouse.TableAnalyticsRentRoll, Stream: warehousetest.Stream(rows, errs.E(errs.Transient, "spool read"))},
	}}
	if err := w.Load(ctx, bad); !errs.Is(err, errs.Transient) {
		t.Errorf("Load with a failing stream: err = %v, want code %s", err, errs.Transient)
	}
	if len(f.jobs) != jobs {
		t.Errorf("%d jobs started by a failing load, want 0", len(f.jobs)-jobs)
	}
}
