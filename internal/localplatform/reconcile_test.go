package localplatform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/firestore"

	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/uploads"
)

// TestRestartReconciles leaves the stores the way a kill -9 between two
// Firestore exports can — a loaded upload whose record is gone (file kept),
// one whose record and file are both gone (rows kept), one left processing —
// and checks that the next start reports each, restores and re-ingests the
// first, removes the rows of the second (so billing cannot count them), and
// finishes the third.
func TestRestartReconciles(t *testing.T) {
	r := newRestartable(t)
	host, cfg := r.host, r.cfg
	start := func() *Platform {
		p := r.start(t)
		t.Cleanup(func() { p.Close(context.Background()) })
		return p
	}
	p := start()
	admin := setupClient(t, p)
	ids, claims := map[string]string{}, map[string]string{}
	for _, name := range []string{"restored", "removed", "resumed"} {
		file := map[string]string{"restored": "rentroll/appfolio_rent_roll.csv", "removed": "rentroll/mri_rent_roll.csv", "resumed": "rentroll/yardi_rent_roll_lease_charges.csv"}[name]
		ids[name] = upload(t, admin, file, nil)
		rec := wait(t, admin, ids[name])
		if rec["status"] != "loaded" {
			t.Fatalf("%s upload: %v", name, rec)
		}
		// The claim's document, as shared/firestore names it.
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s#%d", p.Config.UploadsBucket, rec["object"], int64(rec["generation"].(float64)))))
		claims[name] = hex.EncodeToString(sum[:])
	}
	ctx := context.Background()
	fs, err := firestoreemu.NewClient(ctx, host, cfg.Project)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	// Claims are written after their records, so an export that lost a
	// record lost its claim too; an upload left processing has a claim
	// without outcome, held by the dead process with a lease still running.
	for _, name := range []string{"restored", "removed"} {
		if _, err := fs.Collection("clients").Doc(testClient).Collection("uploads").Doc(ids[name]).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Collection("ingest_claims").Doc(claims[name]).Delete(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.Collection("ingest_claims").Doc(claims["resumed"]).Set(ctx, map[string]any{
		"outcome": "", "holder": "dead-process", "lease_until": time.Now().Add(9 * time.Minute), "attempts": 1,
	}, firestore.MergeAll); err != nil {
		t.Fatal(err)
	}
	removedRec := uploads.ObjectName(testClient, uploads.RentRoll, ids["removed"], "mri_rent_roll.csv")
	if err := p.Objects.Delete(ctx, p.Config.UploadsBucket, removedRec); err != nil {
		t.Fatal(err)
	}
	if _, err := p.uploads.UpdateUpload(ctx, testClient, ids["resumed"], func(u *uploads.Upload) error {
		u.Status = uploads.Processing
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, p, "analytics_rent_roll", ids["removed"]); got == 0 {
		t.Fatal("the removed upload has no rows to begin with")
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	p = start()
	rec := p.Reconciliation()
	for _, c := range []struct {
		name string
		list []string
	}{{"restored", rec.Restored}, {"removed", rec.Removed}, {"resumed", rec.Resumed}} {
		if want := testClient + "/" + ids[c.name]; !slices.Equal(c.list, []string{want}) {
			t.Errorf("%s = %v, want [%s]", c.name, c.list, want)
		}
	}
	admin = p.as(t, "ingest-admin", "client_admin", testClient)
	for _, name := range []string{"restored", "resumed"} {
		if r := wait(t, admin, ids[name]); r["status"] != "loaded" {
			t.Errorf("%s after restart: %v", name, r)
		}
	}
	admin.must(404, "GET", "/v1/clients/"+testClient+"/uploads/"+ids["removed"], nil)
	for _, table := range []string{"analytics_rent_roll", "rent_roll_uploads", "upload_metadata"} {
		if got := count(t, p, table, ids["removed"]); got != 0 {
			t.Errorf("%s keeps %d rows of the upload without record or file", table, got)
		}
	}
	// Re-ingesting the restored upload loaded nothing twice (its load id).
	if got, want := count(t, p, "analytics_rent_roll", ids["restored"]), int64(8); got != want {
		t.Errorf("restored upload has %d rows, want %d", got, want)
	}
}
