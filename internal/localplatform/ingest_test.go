package localplatform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/uploads"
)

const testClient = "ingest-co"

// setupClient creates the client and its admin, and returns the admin.
func setupClient(t *testing.T, p *Platform) caller {
	t.Helper()
	super := p.as(t, p.Config.BootstrapAdmin, "super_admin", "")
	super.must(201, "POST", "/v1/admin/clients", map[string]string{"client_id": testClient, "name": "Ingest Co"})
	super.must(201, "POST", "/v1/clients/"+testClient+"/users", map[string]string{"sub": "ingest-admin", "role": "client_admin"})
	return p.as(t, "ingest-admin", "client_admin", testClient)
}

// upload requests a URL for a sample file and PUTs it, as a browser would.
func upload(t *testing.T, c caller, file string, extra map[string]any) (id string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	ct := uploads.ContentTypeCSV
	if strings.HasSuffix(file, ".xlsx") {
		ct = uploads.ContentTypeXLSX
	}
	kind := "rent_roll"
	if strings.HasPrefix(file, "competition/") {
		kind = "competition"
	}
	req := map[string]any{"kind": kind, "filename": filepath.Base(file), "content_type": ct, "size_bytes": len(data)}
	for k, v := range extra {
		req[k] = v
	}
	r := c.must(201, "POST", "/v1/clients/"+testClient+"/uploads", req).json(t)
	if st := putSigned(t, r, data); st != 200 {
		t.Fatalf("PUT %s: %d", file, st)
	}
	return r["upload_id"].(string)
}

// putSigned PUTs data to the signed URL of an upload ticket with the headers
// it pins, as a browser would, and returns the status.
func putSigned(t *testing.T, ticket map[string]any, data []byte) int {
	t.Helper()
	put, err := http.NewRequest(http.MethodPut, ticket["upload_url"].(string), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ticket["headers"].(map[string]any) {
		put.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// wait polls the upload until it is final.
func wait(t *testing.T, c caller, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := c.must(200, "GET", "/v1/clients/"+testClient+"/uploads/"+id, nil).json(t)
		if uploads.Status(fmt.Sprint(r["status"])).Final() {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("upload %s not final after 60 s", id)
	return nil
}

func count(t *testing.T, p *Platform, table, uploadID string) int64 {
	t.Helper()
	rows, err := p.Warehouse.Query(context.Background(),
		"SELECT count(*) AS n FROM client_ingest_co."+table+" WHERE upload_id = @id", map[string]any{"id": uploadID})
	if err != nil {
		t.Fatal(err)
	}
	return rows[0]["n"].(int64)
}

// deliver POSTs a finalized CloudEvent to /Ingest in binary mode, as Eventarc
// does, and like Eventarc redelivers while the answer is 500 (another delivery
// holds the object), up to a bound. It returns the last status.
func deliver(t *testing.T, p *Platform, a objects.Attrs, numbers bool) int {
	t.Helper()
	var st int
	for attempt := 0; attempt < 50; attempt++ {
		if st = deliverOnce(t, p, a, numbers); st != http.StatusInternalServerError {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	return st
}

func deliverOnce(t *testing.T, p *Platform, a objects.Attrs, numbers bool) int {
	t.Helper()
	data := map[string]any{"bucket": a.Bucket, "name": a.Name, "contentType": "text/csv", "kind": "storage#object", "unknownField": []int{1}}
	if numbers {
		data["generation"], data["size"], data["metageneration"] = a.Generation, a.Size, 1
	} else {
		data["generation"], data["size"], data["metageneration"] = strconv.FormatInt(a.Generation, 10), strconv.FormatInt(a.Size, 10), "1"
	}
	body, _ := json.Marshal(data)
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/Ingest", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-id", fmt.Sprintf("evt-%d", time.Now().UnixNano()))
	req.Header.Set("ce-source", "//storage.googleapis.com/projects/_/buckets/"+a.Bucket)
	req.Header.Set("ce-type", uploads.FinalizedEventType)
	req.Header.Set("ce-subject", "objects/"+a.Name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestUploadToRows(t *testing.T) {
	p := startForTest(t)
	admin := setupClient(t, p)

	tests := []struct {
		file       string
		extra      map[string]any
		status     string
		rows       int64
		dataTable  string
		wantFormat string
	}{
		{"rentroll/yardi_rent_roll_lease_charges.csv", nil, "loaded", 12, "analytics_rent_roll", "yardi_voyager"},
		{"rentroll/yardi_rent_roll_lease_charges.xlsx", nil, "loaded", 12, "analytics_rent_roll", "yardi_voyager"},
		{"rentroll/onesite_rent_roll_detail.csv", map[string]any{"property_id": "cr02"}, "loaded", 12, "analytics_rent_roll", "onesite"},
		{"rentroll/appfolio_rent_roll.csv", nil, "loaded", 8, "analytics_rent_roll", "appfolio"},
		{"rentroll/generic_rent_roll.csv", map[string]any{"as_of": "2026-03-31"}, "loaded", 8, "analytics_rent_roll", "generic"},
		{"competition/market_survey.csv", nil, "loaded", 7, "analytics_competition", ""},
		{"rentroll/broken_negative_rent.csv", nil, "rejected", 0, "analytics_rent_roll", ""},
		{"rentroll/broken_total_mismatch.csv", nil, "rejected", 0, "analytics_rent_roll", ""},
	}
	for _, tt := range tests {
		id := upload(t, admin, tt.file, tt.extra)
		rec := wait(t, admin, id)
		if rec["status"] != tt.status {
			t.Errorf("%s: status %v, want %s: %v", tt.file, rec["status"], tt.status, rec)
			continue
		}
		if got := count(t, p, tt.dataTable, id); got != tt.rows {
			t.Errorf("%s: %d analytics rows, want %d", tt.file, got, tt.rows)
		}
		if tt.status == "rejected" {
			errs, _ := rec["errors"].([]any)
			if len(errs) == 0 || count(t, p, "upload_metadata", id) != 1 || count(t, p, "rent_roll_uploads", id) != 0 {
				t.Errorf("%s: rejected without row-level errors, or with rows loaded: %v", tt.file, rec)
			}
			e := errs[0].(map[string]any)
			if e["row"] == nil || e["code"] == "" || e["message"] == "" {
				t.Errorf("%s: error lacks row/code/message: %v", tt.file, e)
			}
			continue
		}
		if rec["rows_loaded"].(float64) != float64(tt.rows) || (tt.wantFormat != "" && rec["format"] != tt.wantFormat) {
			t.Errorf("%s: record %v", tt.file, rec)
		}
		if count(t, p, "upload_metadata", id) != 1 {
			t.Errorf("%s: upload_metadata rows != 1", tt.file)
		}
	}
	// History, newest first, filtered.
	list := admin.must(200, "GET", "/v1/clients/"+testClient+"/uploads?status=rejected", nil).json(t)
	if n := len(list["uploads"].([]any)); n != 2 {
		t.Errorf("rejected uploads listed: %d, want 2", n)
	}
}

func TestDeliveries(t *testing.T) {
	p := startForTest(t)
	admin := setupClient(t, p)
	id := upload(t, admin, "rentroll/appfolio_rent_roll.csv", nil)
	rec := wait(t, admin, id)
	attrs, err := p.Objects.Stat(context.Background(), p.Config.UploadsBucket, rec["object"].(string))
	if err != nil {
		t.Fatal(err)
	}
	units := count(t, p, "analytics_rent_roll", id)

	// Repeated deliveries, numbers or strings, one at a time and concurrently: nothing loads twice.
	if st := deliver(t, p, attrs, false); st != 200 {
		t.Errorf("duplicate delivery answered %d", st)
	}
	if st := deliver(t, p, attrs, true); st != 200 {
		t.Errorf("duplicate delivery with number fields answered %d", st)
	}
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st := deliver(t, p, attrs, i%2 == 0); st != 200 {
				t.Errorf("concurrent duplicate answered %d", st)
			}
		}()
	}
	wg.Wait()
	if got := count(t, p, "analytics_rent_roll", id); got != units || count(t, p, "upload_metadata", id) != 1 {
		t.Errorf("after repeated deliveries: %d units (want %d), %d metadata rows", got, units, count(t, p, "upload_metadata", id))
	}

	// A fresh upload with concurrent deliveries racing the automatic one.
	id2 := upload(t, admin, "rentroll/yardi_rent_roll_lease_charges.csv", nil)
	name := uploads.ObjectName(testClient, uploads.RentRoll, id2, "yardi_rent_roll_lease_charges.csv")
	a2, err := p.Objects.Stat(context.Background(), p.Config.UploadsBucket, name)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st := deliver(t, p, a2, false); st != 200 {
				t.Errorf("concurrent delivery answered %d", st)
			}
		}()
	}
	wg.Wait()
	if r := wait(t, admin, id2); r["status"] != "loaded" || count(t, p, "analytics_rent_roll", id2) != 12 {
		t.Errorf("concurrent deliveries: %v, %d rows", r["status"], count(t, p, "analytics_rent_roll", id2))
	}

	// Objects that are not uploads are acknowledged and touch nothing.
	for _, stray := range []objects.Attrs{
		{Bucket: p.Config.UploadsBucket, Name: "elsewhere/x.csv", Generation: 1, Size: 1},
		{Bucket: p.Config.UploadsBucket, Name: uploads.ObjectName(testClient, uploads.RentRoll, uploads.NewID(time.Now()), "x.csv"), Generation: 1, Size: 1},
		{Bucket: "another-bucket", Name: rec["object"].(string), Generation: 5, Size: 1},
	} {
		if st := deliver(t, p, stray, false); st != 200 {
			t.Errorf("stray %s answered %d", stray.Name, st)
		}
	}
	// The recorded payloads: structured mode, and binary mode with number fields.
	for _, tc := range []struct{ file, contentType string }{
		{"finalized_structured.json", "application/cloudevents+json"},
		{"finalized_data_numbers.json", "application/json"},
	} {
		if st := postEventFile(t, p, tc.file, tc.contentType, attrs); st != 200 {
			t.Errorf("%s answered %d", tc.file, st)
		}
	}
	if got := count(t, p, "analytics_rent_roll", id); got != units {
		t.Errorf("after recorded payloads: %d units, want %d", got, units)
	}

	// Not a CloudEvent: 400, as functions-framework answers.
	resp, err := http.Post(p.URL+"/Ingest", "application/json", strings.NewReader(`{"bucket":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a plain POST to /Ingest answered %d, want 400", resp.StatusCode)
	}
}

func TestSuspendedClientUploadNotIngested(t *testing.T) {
	p := startForTest(t)
	admin := setupClient(t, p)
	super := p.as(t, p.Config.BootstrapAdmin, "super_admin", "")
	data, _ := os.ReadFile("../../testdata/rentroll/appfolio_rent_roll.csv")
	r := admin.must(201, "POST", "/v1/clients/"+testClient+"/uploads",
		map[string]any{"kind": "rent_roll", "filename": "a.csv", "content_type": "text/csv", "size_bytes": len(data)}).json(t)
	super.must(200, "PATCH", "/v1/admin/clients/"+testClient, map[string]string{"status": "suspended"})
	// The client's users are refused at once.
	if got := admin.do("GET", "/v1/clients/"+testClient+"/uploads", nil); got.status != 403 || !strings.Contains(string(got.body), "client_suspended") {
		t.Errorf("suspended client read: %d %s", got.status, got.body)
	}
	if st := putSigned(t, r, data); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	id := r["upload_id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	var rec map[string]any
	for time.Now().Before(deadline) {
		rec = super.must(200, "GET", "/v1/clients/"+testClient+"/uploads/"+id, nil).json(t)
		if rec["status"] != "pending" && rec["status"] != "processing" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec["status"] != "rejected" || count(t, p, "analytics_rent_roll", id) != 0 {
		t.Errorf("upload of a suspended client: %v", rec)
	}
	super.must(200, "PATCH", "/v1/admin/clients/"+testClient, map[string]string{"status": "active"})
	admin.must(200, "GET", "/v1/clients/"+testClient+"/uploads", nil)
}

// postEventFile fills a recorded payload of testdata/events with an object's
// attributes and POSTs it to /Ingest.
func postEventFile(t *testing.T, p *Platform, file, contentType string, a objects.Attrs) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer("{{bucket}}", a.Bucket, "{{name}}", a.Name,
		"{{generation}}", strconv.FormatInt(a.Generation, 10), "{{size}}", strconv.FormatInt(a.Size, 10)).Replace(string(b))
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/Ingest", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if contentType == "application/json" {
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", "recorded-1")
		req.Header.Set("ce-source", "//storage.googleapis.com/projects/_/buckets/"+a.Bucket)
		req.Header.Set("ce-type", uploads.FinalizedEventType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestForgedGenerationLeavesUploadAlone: an event for a generation that does
// not exist is acknowledged and ignored; the real upload still loads.
func TestForgedGenerationLeavesUploadAlone(t *testing.T) {
	p := startForTest(t)
	admin := setupClient(t, p)
	data, _ := os.ReadFile("../../testdata/rentroll/appfolio_rent_roll.csv")
	r := admin.must(201, "POST", "/v1/clients/"+testClient+"/uploads",
		map[string]any{"kind": "rent_roll", "filename": "a.csv", "content_type": "text/csv", "size_bytes": len(data)}).json(t)
	forged := objects.Attrs{Bucket: p.Config.UploadsBucket, Name: r["object"].(string), Generation: 12345, Size: int64(len(data))}
	if st := deliver(t, p, forged, false); st != 200 {
		t.Fatalf("forged event answered %d", st)
	}
	rec := admin.must(200, "GET", "/v1/clients/"+testClient+"/uploads/"+r["upload_id"].(string), nil).json(t)
	if rec["status"] != "pending" {
		t.Fatalf("after a forged event the upload is %v", rec["status"])
	}
	if st := putSigned(t, r, data); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	if got := wait(t, admin, r["upload_id"].(string)); got["status"] != "loaded" {
		t.Errorf("the real upload ended %v", got["status"])
	}
}
