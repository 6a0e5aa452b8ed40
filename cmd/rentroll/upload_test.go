package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is the platform as the upload command sees it: it issues an upload
// URL on itself, takes the PUT, and answers the record's statuses in turn.
// Every request is checked; an unexpected one fails the test.
type fakeAPI struct {
	t        *testing.T
	statuses []string // answered by successive GETs; the last repeats
	final    map[string]any
	mu       sync.Mutex
	gets     int
	put      []byte
	srv      *httptest.Server
}

const fakeID = "20260331t120000abcdef01234"

func newFakeAPI(t *testing.T, statuses []string, final map[string]any) *fakeAPI {
	f := &fakeAPI{t: t, statuses: statuses, final: final}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/put" && r.Header.Get("Authorization") != "Bearer tok" {
		f.t.Errorf("%s %s without the token", r.Method, r.URL.Path)
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/clients/acme/uploads":
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req["kind"] != "rent_roll" || req["filename"] != "roll.csv" ||
			req["content_type"] != "text/csv" || req["property_id"] != "cr02" {
			f.t.Errorf("upload request %v (%v)", req, err)
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"upload_id": fakeID, "object": "clients/acme/rent_roll/" + fakeID + "/roll.csv",
			"upload_url": f.srv.URL + "/put", "method": "PUT", "headers": map[string]string{"Content-Type": "text/csv"}})
	case r.Method == http.MethodPut && r.URL.Path == "/put":
		if r.Header.Get("Content-Type") != "text/csv" {
			f.t.Errorf("PUT without the pinned Content-Type")
		}
		f.put, _ = io.ReadAll(r.Body)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/clients/acme/uploads/"+fakeID:
		st := f.statuses[min(f.gets, len(f.statuses)-1)]
		f.gets++
		rec := map[string]any{"upload_id": fakeID, "status": st}
		if st != "pending" && st != "processing" {
			for k, v := range f.final {
				rec[k] = v
			}
		}
		json.NewEncoder(w).Encode(rec)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/clients/acme/uploads/"+fakeID+"/report":
		if got := r.URL.Query().Get("format"); got != "csv" {
			f.t.Errorf("report format %q, want csv", got)
		}
		io.WriteString(w, "severity,row,column,code,message\r\nerror,4,Rent,negative_rent,x\r\n")
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func writeFile(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "roll.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The wait shows each status it goes through, with the time; the outcome
// follows on stdout.
func TestUploadShowsProgress(t *testing.T) {
	f := newFakeAPI(t, []string{"pending", "pending", "processing", "loaded"}, map[string]any{
		"kind": "rent_roll", "rows_total": 25, "rows_loaded": 12, "properties": []string{"cr02"}, "as_of": "2026-03-31",
		"format": "onesite", "excluded": map[string]int{"applicant": 1}})
	file := writeFile(t, "unit,rent\n101,1000\n")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"upload", file, "--client", "acme", "--property", "cr02", "--api", f.srv.URL, "--token", "tok"}, &out, &errOut, noEnv)
	if err != nil {
		t.Fatalf("upload: %v\n%s%s", err, out.String(), errOut.String())
	}
	if string(f.put) != "unit,rent\n101,1000\n" {
		t.Errorf("PUT body %q", f.put)
	}
	if !strings.Contains(errOut.String(), "ingestion: pending → processing → loaded") {
		t.Errorf("stderr lacks the status trail:\n%q", errOut.String())
	}
	for _, want := range []string{"upload " + fakeID + ": roll.csv", "loaded: 12 units of cr02 as of 2026-03-31 (onesite)", "25 rows in the file: 12 loaded, 1 applicant, 12 headers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}

// Stopped while waiting, the command says the upload goes on and how to
// look at it later.
func TestUploadInterruptedSaysHowToCheckLater(t *testing.T) {
	f := newFakeAPI(t, []string{"pending"}, nil)
	file := writeFile(t, "unit\n1\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(800*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"upload", file, "--client", "acme", "--property", "cr02", "--api", f.srv.URL, "--token", "tok"}, &out, &errOut, noEnv)
	want := "rentroll uploads show " + fakeID + " --client acme"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("interrupted upload: %v; want it to say %q", err, want)
	}
}

// A rejected upload exits non-zero with its errors; --json prints the record.
func TestUploadRejectedJSON(t *testing.T) {
	f := newFakeAPI(t, []string{"processing", "rejected"}, map[string]any{
		"message": "the file has 1 error(s); nothing was loaded", "error_count": 1,
		"errors": []map[string]any{{"row": 4, "column": "Rent", "code": "negative_rent", "message": "rent is negative"}}})
	file := writeFile(t, "unit\n1\n")
	var out bytes.Buffer
	err := run(context.Background(), []string{"upload", file, "--client", "acme", "--property", "cr02", "--json", "--api", f.srv.URL, "--token", "tok"}, &out, io.Discard, noEnv)
	if err == nil || !strings.Contains(err.Error(), "was rejected") {
		t.Errorf("rejected upload: %v", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec["status"] != "rejected" || rec["upload_id"] != fakeID {
		t.Errorf("--json output %q (%v)", out.String(), err)
	}
}

func TestUploadsReportCSV(t *testing.T) {
	f := newFakeAPI(t, []string{"rejected"}, nil)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"uploads", "report", fakeID, "--client", "acme", "--csv", "--api", f.srv.URL, "--token", "tok"}, &out, io.Discard, noEnv); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "severity,row,column,code,message\r\nerror,4,Rent,negative_rent,x\r\n"; got != want {
		t.Errorf("report = %q, want %q", got, want)
	}
}

// Creating a client that exists says so (the API answers 200, not 201).
func TestClientsCreateSaysItExists(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusCreated, "client acme-homes created (dataset client_acme_homes, status active)"},
		{http.StatusOK, "client acme-homes already exists (dataset client_acme_homes, status active); nothing was changed"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req map[string]string
			if r.Method != http.MethodPost || r.URL.Path != "/v1/admin/clients" || json.NewDecoder(r.Body).Decode(&req) != nil || req["name"] != "Acme Homes" {
				t.Errorf("unexpected %s %s %v", r.Method, r.URL, req)
			}
			w.WriteHeader(tc.status)
			json.NewEncoder(w).Encode(map[string]any{"client_id": "acme-homes", "dataset": "client_acme_homes", "status": "active"})
		}))
		var out bytes.Buffer
		err := run(context.Background(), []string{"clients", "create", "--name", "Acme Homes", "--api", srv.URL, "--token", "tok"}, &out, io.Discard, noEnv)
		srv.Close()
		if err != nil || strings.TrimSpace(out.String()) != tc.want {
			t.Errorf("HTTP %d: %q, %v; want %q", tc.status, out.String(), err, tc.want)
		}
	}
}
