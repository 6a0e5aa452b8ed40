package localplatform

import (
	"context"
	"os"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/firestoreemu"
)

// TestRestartKeepsData starts the platform with its own Firestore emulator on
// a data directory, writes to every store, stops it, starts it again on the
// same directory and reads everything back (issue: "a second dev on the same
// data directory sees the earlier data").
func TestRestartKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two Firestore emulators")
	}
	firestoreemu.ForTest(t) // skips (or fails under RENTROLL_REQUIRE_EMULATORS) when no emulator can run
	dir := t.TempDir()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	start := func() *Platform {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		p, err := Start(ctx, Options{Addr: "127.0.0.1:0", DataDir: dir, Config: cfg, Log: testLog(t)})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		return p
	}
	stop := func(p *Platform) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	p := start()
	admin := setupClient(t, p)
	id := upload(t, admin, "rentroll/appfolio_rent_roll.csv", nil)
	if rec := wait(t, admin, id); rec["status"] != "loaded" {
		t.Fatalf("upload: %v", rec)
	}
	key, err := os.ReadFile(dir + "/auth/issuer-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	stop(p)

	p = start()
	defer stop(p)
	admin = p.as(t, "ingest-admin", "client_admin", testClient) // the same key signs: the issuer key survived
	rec := admin.must(200, "GET", "/v1/clients/"+testClient+"/uploads/"+id, nil).json(t)
	if rec["status"] != "loaded" {
		t.Errorf("upload record after restart: %v", rec)
	}
	if got := count(t, p, "analytics_rent_roll", id); got != 8 {
		t.Errorf("warehouse rows after restart: %d, want 8", got)
	}
	if _, err := p.Objects.Stat(context.Background(), p.Config.UploadsBucket, rec["object"].(string)); err != nil {
		t.Errorf("uploaded object after restart: %v", err)
	}
	if key2, _ := os.ReadFile(dir + "/auth/issuer-key.pem"); string(key2) != string(key) {
		t.Error("issuer key changed across restarts")
	}
}
