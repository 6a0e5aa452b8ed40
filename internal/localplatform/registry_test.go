package localplatform

import (
	"context"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/firestore"
	"rentroll.ai/rentroll/shared/firestoreemu"
)

// TestDataWrittenBeforeTheRegistrySplitStillBoots: a data directory whose
// Firestore state has the registry (clients, users) in the default database,
// as every local platform wrote it before the registry had a database of its
// own, starts with its users and clients intact, and they end up in the
// registry database only.
func TestDataWrittenBeforeTheRegistrySplitStillBoots(t *testing.T) {
	r := newRestartable(t)
	cfg := r.cfg
	start := func() *Platform {
		p := r.start(t)
		return p
	}
	stop := func(p *Platform) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	p := start()
	admin := setupClient(t, p)
	id := upload(t, admin, "rentroll/appfolio_rent_roll.csv", nil)
	if rec := wait(t, admin, id); rec["status"] != "loaded" {
		t.Fatalf("upload: %v", rec)
	}
	stop(p)

	// Put the registry back where it used to be: the default database.
	ctx := context.Background()
	ops := firestoreemu.DatabaseClientForTest(t, cfg.Project, "(default)")
	reg := firestoreemu.DatabaseClientForTest(t, cfg.Project, config.DefaultRegistryDatabase)
	if n, err := firestore.MoveRegistry(ctx, reg, ops); err != nil || n < 3 {
		t.Fatalf("rewinding to the old layout moved %d documents: %v", n, err)
	}
	if _, err := ops.Collection("users").Doc("ingest-admin").Get(ctx); err != nil {
		t.Fatalf("the old layout has no users/ingest-admin in (default): %v", err)
	}

	p = start()
	defer stop(p)
	admin = p.as(t, "ingest-admin", "client_admin", testClient)
	me := admin.must(200, "GET", "/v1/me", nil).json(t)
	if me["client_id"] != testClient || me["role"] != "client_admin" {
		t.Errorf("/v1/me after the move = %v", me)
	}
	if rec := admin.must(200, "GET", "/v1/clients/"+testClient+"/uploads/"+id, nil).json(t); rec["status"] != "loaded" {
		t.Errorf("the upload record after the move: %v", rec)
	}
	if _, err := reg.Collection("users").Doc("ingest-admin").Get(ctx); err != nil {
		t.Errorf("users/ingest-admin is not in the registry database: %v", err)
	}
	left, err := ops.Collection("users").Documents(ctx).GetAll()
	if err != nil || len(left) != 0 {
		t.Errorf("the default database still holds %d users (%v)", len(left), err)
	}
}
