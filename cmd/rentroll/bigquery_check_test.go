package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	bq "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
)

// dryRunAPI answers BigQuery's jobs.insert for dry-run query jobs, refuses
// statements containing refuse as BigQuery refuses one that does not
// compile, and fails the test on any other request.
type dryRunAPI struct {
	t      *testing.T
	refuse string
	mu     sync.Mutex
	sqls   []string
}

func (a *dryRunAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/projects/staging-proj/jobs" {
		a.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	var job bq.Job
	if err := json.NewDecoder(r.Body).Decode(&job); err != nil || job.Configuration == nil || job.Configuration.Query == nil {
		a.t.Errorf("body is not a query job: %v", err)
		http.Error(w, "bad job", http.StatusBadRequest)
		return
	}
	if !job.Configuration.DryRun {
		a.t.Errorf("statement sent without dryRun: %.80q", job.Configuration.Query.Query)
	}
	a.mu.Lock()
	a.sqls = append(a.sqls, job.Configuration.Query.Query)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if a.refuse != "" && strings.Contains(job.Configuration.Query.Query, a.refuse) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 400, "message": "Unrecognized name: nope",
			"errors": []map[string]any{{"reason": "invalidQuery", "message": "Unrecognized name: nope"}}}})
		return
	}
	job.Status = &bq.JobStatus{State: "DONE"}
	job.Statistics = &bq.JobStatistics{TotalBytesProcessed: 42}
	json.NewEncoder(w).Encode(&job)
}

func TestBigQueryCheck(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name      string
		args      []string
		refuse    string
		wantUsage bool
		wantErr   bool
		wantOut   string
	}{
		{"no subcommand", []string{}, "", true, true, ""},
		{"no project", []string{"check"}, "", true, true, ""},
		{"bad client", []string{"check", "--project", "staging-proj", "--dataset-client", "Bad_Id"}, "", true, true, ""},
		{"bad as-of", []string{"check", "--project", "staging-proj", "--as-of", "March"}, "", true, true, ""},
		{"all accepted", []string{"check", "--project", "staging-proj", "--dataset-client", "acme", "--as-of", "2026-03-31"}, "", false, false, " 0 refused"},
		{"MERGE refused", []string{"check", "--project", "staging-proj", "--dataset-client", "acme", "--as-of", "2026-03-31"}, "MERGE", false, true, "REFUSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &dryRunAPI{t: t, refuse: tt.refuse}
			srv := httptest.NewServer(api)
			defer srv.Close()
			var out bytes.Buffer
			err := checkBigQuery(context.Background(), tt.args, &out, getenv,
				option.WithEndpoint(srv.URL), option.WithoutAuthentication(), option.WithHTTPClient(srv.Client()))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v\n%s", err, tt.wantErr, out.String())
			}
			var ue usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Errorf("err = %v, want a usage error: %v", err, tt.wantUsage)
			}
			if tt.wantUsage {
				if len(api.sqls) != 0 {
					t.Errorf("a usage error sent %d statements", len(api.sqls))
				}
				return
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out.String())
			}
			var merge, clientDS, billingUnits bool
			for _, s := range api.sqls {
				merge = merge || strings.Contains(s, "MERGE")
				clientDS = clientDS || strings.Contains(s, "client_acme.")
				billingUnits = billingUnits || strings.Contains(s, "system.billing_units")
			}
			if len(api.sqls) < 10 || !merge || !clientDS || !billingUnits {
				t.Errorf("%d statements (MERGE %v, client_acme %v, billing_units %v)", len(api.sqls), merge, clientDS, billingUnits)
			}
		})
	}
}
