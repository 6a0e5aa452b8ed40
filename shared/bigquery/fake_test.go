package bigquery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	bq "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
)

// fakeBQ is an httptest fake of the BigQuery REST API (v2), as much of it as
// the adapter uses: datasets.insert, tables.insert/get/patch, jobs.insert with
// a multipart media upload, jobs.get, jobs.query and jobs.getQueryResults. It
// keeps state like the service does (409 on a repeated dataset, table or job
// ID, etags on tables, rows appended by load jobs), records every request for
// the tests to check, and answers queries from a test hook, since it cannot
// run SQL. Bodies are decoded with the service's own wire types.
type fakeBQ struct {
	t       *testing.T
	project string
	srv     *httptest.Server

	mu       sync.Mutex
	log      []string // "METHOD path" of every request, in order
	datasets map[string]*bq.Dataset
	tables   map[string]*bq.Table // "dataset.table"
	patches  []*bq.Table          // bodies of tables.patch
	jobs     map[string]*bq.Job
	uploads  map[string][]byte           // job ID → uploaded NDJSON
	rows     map[string][]map[string]any // "dataset.table" → rows loaded by jobs
	queries  []*bq.QueryRequest          // bodies of jobs.query
	dryRuns  []*bq.Job                   // bodies of jobs.insert without media (dry runs)
	// dryRunErr, when set, refuses a dry run of the statement with a message.
	dryRunErr func(sql string) string
	// insertIDs are the insertIds of every streamed row, in order.
	insertIDs []string
	results   map[string]*bq.QueryResponse // query job ID → answer
	etagSeq   int
	jobSeq    int

	// failJob, when set, decides the outcome of a new load job: nil succeeds.
	failJob func(id string) *bq.ErrorProto
	// answer, when set, answers a jobs.query request; the fake fills in the
	// job reference. Default: no rows.
	answer func(req *bq.QueryRequest) *bq.QueryResponse
	// queryErr, when set, fails jobs.query with this status and reason.
	queryErr     *bq.ErrorProto
	queryErrCode int
}

func newFake(t *testing.T) *fakeBQ {
	f := &fakeBQ{
		t: t, project: "proj-test",
		datasets: map[string]*bq.Dataset{}, tables: map[string]*bq.Table{}, jobs: map[string]*bq.Job{},
		uploads: map[string][]byte{}, rows: map[string][]map[string]any{}, results: map[string]*bq.QueryResponse{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// warehouse returns a Warehouse talking to the fake.
func (f *fakeBQ) warehouse(t *testing.T, cfg Config) *Warehouse {
	t.Helper()
	w, err := NewWithConfig(context.Background(), f.project, cfg,
		option.WithEndpoint(f.srv.URL), option.WithoutAuthentication(), option.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatalf("NewWithConfig: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func (f *fakeBQ) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeBQ) resetLog() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = nil
}

// apiError writes an error the way Google APIs do.
func apiError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"errors": []map[string]any{{"domain": "global", "reason": reason, "message": msg}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(err)
	}
}

func (f *fakeBQ) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	f.log = append(f.log, r.Method+" "+path)
	projects := "/projects/" + f.project + "/"
	upload := "/upload/bigquery/v2" + projects
	var parts []string
	switch {
	case strings.HasPrefix(path, projects):
		parts = strings.Split(strings.TrimPrefix(path, projects), "/")
	case strings.HasPrefix(path, upload):
		parts = append([]string{"upload"}, strings.Split(strings.TrimPrefix(path, upload), "/")...)
	default:
		f.t.Errorf("fake bigquery: request outside the project: %s %s", r.Method, r.URL)
		apiError(w, http.StatusNotFound, "notFound", "no such project")
		return
	}
	switch {
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "datasets":
		f.insertDataset(w, r)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "datasets" && parts[2] == "tables":
		f.insertTable(w, r, parts[1])
	case r.Method == "GET" && len(parts) == 4 && parts[0] == "datasets" && parts[2] == "tables":
		f.getTable(w, parts[1], parts[3])
	case r.Method == "PATCH" && len(parts) == 4 && parts[0] == "datasets" && parts[2] == "tables":
		f.patchTable(w, r, parts[1], parts[3])
	case r.Method == "POST" && len(parts) == 2 && parts[0] == "upload" && parts[1] == "jobs":
		f.insertJob(w, r)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "jobs":
		f.getJob(w, r, parts[1])
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "jobs":
		f.insertDryRun(w, r)
	case r.Method == "POST" && len(parts) == 1 && parts[0] == "queries":
		f.query(w, r)
	case r.Method == "POST" && len(parts) == 5 && parts[0] == "datasets" && parts[2] == "tables" && parts[4] == "insertAll":
		f.insertAll(w, r, parts[1], parts[3])
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "queries":
		f.getQueryResults(w, parts[1])
	default:
		f.t.Errorf("fake bigquery: unexpected request %s %s", r.Method, r.URL)
		apiError(w, http.StatusNotImplemented, "notImplemented", "not in the fake")
	}
}

func (f *fakeBQ) decode(r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.t.Errorf("fake bigquery: %s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

func (f *fakeBQ) etag() string {
	f.etagSeq++
	return fmt.Sprintf("etag-%d", f.etagSeq)
}

func (f *fakeBQ) insertDataset(w http.ResponseWriter, r *http.Request) {
	var d bq.Dataset
	if !f.decode(r, &d) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	if d.DatasetReference == nil || d.DatasetReference.DatasetId == "" ||
		(d.DatasetReference.ProjectId != "" && d.DatasetReference.ProjectId != f.project) {
		f.t.Errorf("fake bigquery: dataset insert without this project's reference: %+v", d.DatasetReference)
		apiError(w, 400, "invalid", "bad reference")
		return
	}
	id := d.DatasetReference.DatasetId
	if _, ok := f.datasets[id]; ok {
		apiError(w, http.StatusConflict, "duplicate", "Already Exists: Dataset "+f.project+":"+id)
		return
	}
	d.Id = f.project + ":" + id
	d.Etag = f.etag()
	d.Kind = "bigquery#dataset"
	d.CreationTime = 1767225600000
	if d.Location == "" {
		d.Location = "US"
	}
	f.datasets[id] = &d
	writeJSON(w, &d)
}

func (f *fakeBQ) insertTable(w http.ResponseWriter, r *http.Request, dataset string) {
	var t bq.Table
	if !f.decode(r, &t) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	if _, ok := f.datasets[dataset]; !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Dataset "+f.project+":"+dataset)
		return
	}
	if t.TableReference == nil || t.TableReference.DatasetId != dataset {
		f.t.Errorf("fake bigquery: table insert with reference %+v into %s", t.TableReference, dataset)
	}
	key := dataset + "." + t.TableReference.TableId
	if _, ok := f.tables[key]; ok {
		apiError(w, http.StatusConflict, "duplicate", "Already Exists: Table "+f.project+":"+key)
		return
	}
	t.Id = f.project + ":" + key
	t.Etag = f.etag()
	t.Kind = "bigquery#table"
	t.Type = "TABLE"
	t.CreationTime = 1767225600000
	f.tables[key] = &t
	writeJSON(w, &t)
}

func (f *fakeBQ) getTable(w http.ResponseWriter, dataset, table string) {
	t, ok := f.tables[dataset+"."+table]
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Table "+f.project+":"+dataset+"."+table)
		return
	}
	writeJSON(w, t)
}

func (f *fakeBQ) patchTable(w http.ResponseWriter, r *http.Request, dataset, table string) {
	t, ok := f.tables[dataset+"."+table]
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Table")
		return
	}
	if m := r.Header.Get("If-Match"); m != t.Etag {
		apiError(w, http.StatusPreconditionFailed, "conditionNotMet", "Precondition check failed.")
		return
	}
	var p bq.Table
	if !f.decode(r, &p) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	f.patches = append(f.patches, &p)
	if p.Schema != nil {
		// BigQuery only lets a patch add NULLABLE fields at the end.
		old := t.Schema.Fields
		if len(p.Schema.Fields) < len(old) {
			apiError(w, 400, "invalid", "Provided Schema does not match Table: field missing")
			return
		}
		for i, fl := range p.Schema.Fields {
			if i < len(old) && (fl.Name != old[i].Name || fl.Type != old[i].Type) {
				apiError(w, 400, "invalid", "Provided Schema does not match Table: field "+fl.Name+" changed")
				return
			}
			if i >= len(old) && fl.Mode == "REQUIRED" {
				apiError(w, 400, "invalid", "Provided Schema does not match Table: cannot add required field "+fl.Name)
				return
			}
		}
		t.Schema = p.Schema
	}
	t.Etag = f.etag()
	writeJSON(w, t)
}

// insertJob takes a multipart/related upload: the job as JSON, then the media.
func (f *fakeBQ) insertJob(w http.ResponseWriter, r *http.Request) {
	if got := r.URL.Query().Get("uploadType"); got != "multipart" {
		f.t.Errorf("fake bigquery: jobs.insert uploadType = %q, want multipart (resumable is not faked)", got)
		apiError(w, http.StatusNotImplemented, "notImplemented", "upload type")
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		f.t.Errorf("fake bigquery: jobs.insert content type %q", r.Header.Get("Content-Type"))
		apiError(w, 400, "invalid", "content type")
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	meta, err := mr.NextPart()
	if err != nil {
		apiError(w, 400, "invalid", "no metadata part")
		return
	}
	var job bq.Job
	if err := json.NewDecoder(meta).Decode(&job); err != nil {
		apiError(w, 400, "invalid", "bad job JSON")
		return
	}
	media, err := mr.NextPart()
	if err != nil {
		apiError(w, 400, "invalid", "no media part")
		return
	}
	data, err := io.ReadAll(media)
	if err != nil {
		apiError(w, 400, "invalid", "media")
		return
	}
	if job.JobReference == nil || job.JobReference.JobId == "" {
		f.t.Errorf("fake bigquery: load job without a client-chosen job ID")
		apiError(w, 400, "invalid", "no job id")
		return
	}
	id := job.JobReference.JobId
	if _, ok := f.jobs[id]; ok {
		apiError(w, http.StatusConflict, "duplicate", "Already Exists: Job "+f.project+":"+job.JobReference.Location+"."+id)
		return
	}
	job.JobReference.ProjectId = f.project
	job.Id = f.project + ":" + job.JobReference.Location + "." + id
	job.Kind = "bigquery#job"
	job.Status = &bq.JobStatus{State: "DONE"}
	job.Statistics = &bq.JobStatistics{CreationTime: 1767225600000, StartTime: 1767225600001, EndTime: 1767225600002}
	f.uploads[id] = data
	if f.failJob != nil {
		if e := f.failJob(id); e != nil {
			job.Status.ErrorResult = e
			job.Status.Errors = []*bq.ErrorProto{e}
		}
	}
	if job.Status.ErrorResult == nil {
		ld := job.Configuration.Load
		key := ld.DestinationTable.DatasetId + "." + ld.DestinationTable.TableId
		n := 0
		for line := range bytes.Lines(data) {
			var row map[string]any
			if err := json.Unmarshal(line, &row); err != nil {
				f.t.Errorf("fake bigquery: job %s: bad NDJSON line %q: %v", id, line, err)
				continue
			}
			f.rows[key] = append(f.rows[key], row)
			n++
		}
		job.Statistics.Load = &bq.JobStatistics3{OutputRows: int64(n), InputFiles: 1, InputFileBytes: int64(len(data))}
	}
	f.jobs[id] = &job
	writeJSON(w, &job)
}

func (f *fakeBQ) getJob(w http.ResponseWriter, r *http.Request, id string) {
	job, ok := f.jobs[id]
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Job "+f.project+":"+id)
		return
	}
	if loc := r.URL.Query().Get("location"); loc != job.JobReference.Location {
		f.t.Errorf("fake bigquery: jobs.get %s with location %q, job is in %q", id, loc, job.JobReference.Location)
	}
	writeJSON(w, job)
}

func (f *fakeBQ) query(w http.ResponseWriter, r *http.Request) {
	var req bq.QueryRequest
	if !f.decode(r, &req) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	f.queries = append(f.queries, &req)
	if f.queryErr != nil {
		apiError(w, f.queryErrCode, f.queryErr.Reason, f.queryErr.Message)
		return
	}
	resp := &bq.QueryResponse{}
	if f.answer != nil {
		resp = f.answer(&req)
	}
	f.jobSeq++
	id := fmt.Sprintf("job_q%d", f.jobSeq)
	resp.Kind = "bigquery#queryResponse"
	resp.JobComplete = true
	resp.JobReference = &bq.JobReference{ProjectId: f.project, JobId: id, Location: req.Location}
	if resp.TotalRows == 0 {
		resp.TotalRows = uint64(len(resp.Rows))
	}
	f.results[id] = resp
	f.jobs[id] = &bq.Job{
		Kind: "bigquery#job", Id: f.project + ":" + req.Location + "." + id, JobReference: resp.JobReference,
		Configuration: &bq.JobConfiguration{Query: &bq.JobConfigurationQuery{Query: req.Query}},
		Status:        &bq.JobStatus{State: "DONE"},
		Statistics: &bq.JobStatistics{TotalBytesProcessed: resp.TotalBytesProcessed, Query: &bq.JobStatistics2{
			TotalBytesProcessed: resp.TotalBytesProcessed, TotalBytesBilled: resp.TotalBytesProcessed,
			CacheHit: resp.CacheHit, StatementType: "SELECT"}},
	}
	writeJSON(w, resp)
}

func (f *fakeBQ) getQueryResults(w http.ResponseWriter, id string) {
	resp, ok := f.results[id]
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Job "+id)
		return
	}
	writeJSON(w, &bq.GetQueryResultsResponse{
		Kind: "bigquery#getQueryResultsResponse", JobComplete: true, JobReference: resp.JobReference,
		Schema: resp.Schema, Rows: resp.Rows, TotalRows: resp.TotalRows,
	})
}

// insertAll takes streaming inserts (tabledata.insertAll) into an existing
// table, keeping each row with its insertId.
func (f *fakeBQ) insertAll(w http.ResponseWriter, r *http.Request, dataset, table string) {
	var req bq.TableDataInsertAllRequest
	if !f.decode(r, &req) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	key := dataset + "." + table
	if _, ok := f.tables[key]; !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not found: Table "+key)
		return
	}
	for _, row := range req.Rows {
		if row.InsertId == "" {
			f.t.Errorf("fake bigquery: insertAll row without insertId")
		}
		var m map[string]any
		b, _ := json.Marshal(row.Json)
		if err := json.Unmarshal(b, &m); err != nil {
			f.t.Errorf("fake bigquery: insertAll row: %v", err)
		}
		f.rows[key] = append(f.rows[key], m)
		f.insertIDs = append(f.insertIDs, row.InsertId)
	}
	writeJSON(w, &bq.TableDataInsertAllResponse{Kind: "bigquery#tableDataInsertAllResponse"})
}
