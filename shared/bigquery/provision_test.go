package bigquery

import (
	"context"
	"testing"

	bq "google.golang.org/api/bigquery/v2"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestProvisionClient onboards a client through the tenancy service on the
// BigQuery adapter (against the REST fake): its dataset with every A5 table,
// partitioned and clustered as declared, and its system.clients row; a failed
// mirror write is completed by a retry of the same request.
func TestProvisionClient(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	w := f.warehouse(t, Config{Location: "US"})
	if err := w.EnsureDataset(ctx, warehouse.System()); err != nil {
		t.Fatal(err)
	}
	mem := tenancytest.NewMemory()
	svc := &tenancy.Service{Clients: mem, Users: mem, Warehouse: w}

	// The first attempt fails at the mirror load, after the registry write.
	f.mu.Lock()
	f.failJob = func(string) *bq.ErrorProto { return &bq.ErrorProto{Reason: "backendError", Message: "try again"} }
	f.mu.Unlock()
	if _, _, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Acme Homes"}); err == nil {
		t.Fatal("want the injected load failure")
	} else if !errs.Is(err, errs.Transient) {
		t.Errorf("load failure code %q, want transient", errs.CodeOf(err))
	}
	f.mu.Lock()
	f.failJob = nil
	f.mu.Unlock()
	c, created, err := svc.CreateClient(ctx, tenancy.NewClient{Name: "Acme Homes"})
	if err != nil || created || c.Dataset != "client_acme_homes" {
		t.Fatalf("retry: %+v created=%v err=%v (the registry write of the first attempt stands)", c, created, err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.datasets["client_acme_homes"]; !ok {
		t.Fatalf("dataset not created; datasets: %v", f.datasets)
	}
	for _, tb := range warehouse.Client("client_acme_homes").Tables {
		got, ok := f.tables["client_acme_homes."+tb.Name]
		if !ok {
			t.Errorf("table %s not created", tb.Name)
			continue
		}
		if len(got.Schema.Fields) != len(tb.Columns) {
			t.Errorf("%s: %d fields, want %d", tb.Name, len(got.Schema.Fields), len(tb.Columns))
		}
		if tb.PartitionBy != "" && (got.TimePartitioning == nil || got.TimePartitioning.Field != tb.PartitionBy || got.TimePartitioning.Type != "MONTH") {
			t.Errorf("%s: partitioning %+v, want MONTH on %s", tb.Name, got.TimePartitioning, tb.PartitionBy)
		}
		if len(tb.ClusterBy) > 0 && (got.Clustering == nil || len(got.Clustering.Fields) != len(tb.ClusterBy)) {
			t.Errorf("%s: clustering %+v, want %v", tb.Name, got.Clustering, tb.ClusterBy)
		}
	}
	rows := f.rows["system.clients"]
	if len(rows) == 0 || rows[len(rows)-1]["client_id"] != "acme-homes" || rows[len(rows)-1]["name"] != "Acme Homes" {
		t.Errorf("system.clients rows = %v", rows)
	}
	var deletes int
	for _, q := range f.queries {
		if q.Query == "DELETE FROM system.clients WHERE client_id = @id" && len(q.QueryParameters) == 1 && q.QueryParameters[0].ParameterValue.Value == "acme-homes" {
			deletes++
		}
	}
	if deletes != 2 {
		t.Errorf("%d parameterized mirror deletes, want 2 (one per attempt)", deletes)
	}
}
