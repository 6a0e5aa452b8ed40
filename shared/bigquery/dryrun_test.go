package bigquery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	bq "google.golang.org/api/bigquery/v2"

	"rentroll.ai/rentroll/internal/bqcheck"
	"rentroll.ai/rentroll/shared/warehouse"
)

// insertDryRun answers jobs.insert of a query job, which the adapter sends
// only for dry runs: anything else is a test failure. A refused statement is
// a 400 invalidQuery, as BigQuery answers a dry run that does not compile.
func (f *fakeBQ) insertDryRun(w http.ResponseWriter, r *http.Request) {
	var job bq.Job
	if !f.decode(r, &job) {
		apiError(w, 400, "invalid", "bad body")
		return
	}
	f.dryRuns = append(f.dryRuns, &job)
	if job.Configuration == nil || job.Configuration.Query == nil || !job.Configuration.DryRun {
		f.t.Errorf("fake bigquery: jobs.insert of something other than a dry-run query: %+v", job.Configuration)
		apiError(w, 400, "invalid", "only dry runs here")
		return
	}
	if f.dryRunErr != nil {
		if msg := f.dryRunErr(job.Configuration.Query.Query); msg != "" {
			apiError(w, 400, "invalidQuery", msg)
			return
		}
	}
	job.Status = &bq.JobStatus{State: "DONE"}
	job.Statistics = &bq.JobStatistics{TotalBytesProcessed: 1234, Query: &bq.JobStatistics2{TotalBytesProcessed: 1234, StatementType: "SELECT"}}
	writeJSON(w, &job)
}

// sqlRecorder is a warehouse that records the statements it is handed.
type sqlRecorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *sqlRecorder) Dialect() warehouse.Dialect                             { return warehouse.BigQuery }
func (r *sqlRecorder) EnsureDataset(context.Context, warehouse.Dataset) error { return nil }
func (r *sqlRecorder) Load(context.Context, warehouse.Load) error             { return nil }
func (r *sqlRecorder) Close() error                                           { return nil }
func (r *sqlRecorder) Exec(_ context.Context, sql string, _ map[string]any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, sql)
	return nil
}
func (r *sqlRecorder) Query(ctx context.Context, sql string, p map[string]any) ([]warehouse.Result, error) {
	return []warehouse.Result{{}}, r.Exec(ctx, sql, p) // as the Checker answers
}

// TestCheckDryRunsEveryStatement: `rentroll bigquery check` sends BigQuery
// every statement the domain calls send, each as a dry run (never run, never
// billed) with every parameter typed, and reports a refused statement.
func TestCheckDryRunsEveryStatement(t *testing.T) {
	ctx := context.Background()
	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// What the domain services send, statement by statement.
	rec := &sqlRecorder{}
	if failed := bqcheck.Run(ctx, rec, log, "acme", asOf); len(failed) != 0 {
		t.Fatalf("domain calls failed on a recording warehouse: %v", failed)
	}
	if len(rec.sql) < len(bqcheck.Steps("acme", asOf)) {
		t.Fatalf("%d statements for %d steps: some step sends nothing", len(rec.sql), len(bqcheck.Steps("acme", asOf)))
	}
	t.Logf("%d statements from %d domain calls", len(rec.sql), len(bqcheck.Steps("acme", asOf)))
	var merge bool
	for _, s := range rec.sql {
		merge = merge || strings.HasPrefix(strings.TrimSpace(s), "MERGE")
	}
	if !merge {
		t.Error("no MERGE among the statements: the stored summary refresh is not checked")
	}
	// Every billing statement is among them: the unit count, the read of a
	// completed run, the cleanup of superseded rows and a client's history.
	billingSQL := map[string]string{
		"unit count":      "COUNT(DISTINCT r.unit_id) AS units",
		"completed run":   "WHERE month_start = @month_start AND run_id = @run_id",
		"cleanup":         "DELETE FROM system.billing_units",
		"billing history": "WHERE client_id = @client_id AND month_start >= @from",
	}
	for name, frag := range billingSQL {
		n := 0
		for _, s := range rec.sql {
			if strings.Contains(s, frag) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("billing %s (%q) is not among the statements checked", name, frag)
		}
	}

	tests := []struct {
		name       string
		refuse     string // a statement containing this is refused
		wantFailed bool
	}{
		{"all accepted", "", false},
		{"MERGE refused", "MERGE", true},
		{"billing cleanup refused", "DELETE FROM system.billing_units", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			if tt.refuse != "" {
				f.dryRunErr = func(sql string) string {
					if strings.Contains(sql, tt.refuse) {
						return "Unrecognized name: no_such_column at [3:5]"
					}
					return ""
				}
			}
			c := &Checker{W: f.warehouse(t, Config{})}
			if failed := bqcheck.Run(ctx, c, log, "acme", asOf); len(failed) != 0 {
				t.Fatalf("domain calls failed on the checker: %v", failed)
			}
			checked := c.Checked()
			if len(checked) != len(rec.sql) {
				t.Fatalf("dry-ran %d statements, the services send %d", len(checked), len(rec.sql))
			}
			for i, ch := range checked {
				if ch.SQL != rec.sql[i] {
					t.Errorf("statement %d dry-ran %.60q, the service sends %.60q", i, ch.SQL, rec.sql[i])
				}
			}
			for _, r := range f.requests() {
				if r != "POST /projects/proj-test/jobs" {
					t.Errorf("request %s: a check sends dry-run jobs only", r)
				}
			}
			if len(f.dryRuns) != len(rec.sql) {
				t.Errorf("fake saw %d dry runs, want %d", len(f.dryRuns), len(rec.sql))
			}
			// The billing statements' parameters carry BigQuery's types
			// (a DATE compared with a DATE column, not a string).
			wantTypes := map[string]map[string]string{
				"COUNT(DISTINCT r.unit_id) AS units":           {"next_month_start": "DATE"},
				"WHERE month_start = @month_start AND run_id":  {"month_start": "DATE", "run_id": "STRING"},
				"DELETE FROM system.billing_units":             {"month_start": "DATE", "keep": "STRING", "previous": "STRING"},
				"WHERE client_id = @client_id AND month_start": {"client_id": "STRING", "from": "DATE", "to": "DATE"},
			}
			seen := map[string]bool{}
			for _, j := range f.dryRuns {
				q := j.Configuration.Query
				if !j.Configuration.DryRun {
					t.Errorf("statement sent without dryRun: %.60q", q.Query)
				}
				types := map[string]string{}
				for _, p := range q.QueryParameters {
					if p.ParameterType == nil || p.ParameterType.Type == "" {
						t.Errorf("parameter %s of %.60q is untyped", p.Name, q.Query)
						continue
					}
					types[p.Name] = p.ParameterType.Type
				}
				for frag, want := range wantTypes {
					if !strings.Contains(q.Query, frag) {
						continue
					}
					seen[frag] = true
					for name, typ := range want {
						if types[name] != typ {
							t.Errorf("parameter %s of %.60q is %q, want %s", name, q.Query, types[name], typ)
						}
					}
				}
			}
			for frag := range wantTypes {
				if !seen[frag] {
					t.Errorf("no dry run of the billing statement %q", frag)
				}
			}
			n, err := c.Failed()
			if (err != nil) != tt.wantFailed || (n > 0) != tt.wantFailed {
				t.Errorf("Failed() = %d, %v; want failures: %v", n, err, tt.wantFailed)
			}
			if tt.wantFailed && !strings.Contains(err.Error(), "no_such_column") {
				t.Errorf("error %q does not carry BigQuery's message", err)
			}
		})
	}
}
