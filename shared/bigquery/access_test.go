package bigquery

import (
	"context"
	"testing"

	"rentroll.ai/rentroll/shared/warehouse"
)

// TestDatasetAccessIsExplicit checks that a created dataset carries an
// explicit access list naming only the project's owners, so that the
// creating account (the Admin function) does not become its owner.
func TestDatasetAccessIsExplicit(t *testing.T) {
	f := newFake(t)
	w := f.warehouse(t, Config{Location: "US"})
	if err := w.EnsureDataset(context.Background(), warehouse.Client("client_acme")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ds, ok := f.datasets["client_acme"]
	if !ok {
		t.Fatalf("dataset not created; datasets: %v", f.datasets)
	}
	if len(ds.Access) != 1 {
		t.Fatalf("access = %+v, want exactly one entry (project owners)", ds.Access)
	}
	if got := ds.Access[0]; got.Role != "OWNER" || got.SpecialGroup != "projectOwners" || got.UserByEmail != "" {
		t.Errorf("access entry = %+v, want OWNER for specialGroup projectOwners", got)
	}
}
