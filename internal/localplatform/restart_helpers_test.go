package localplatform

import (
	"context"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/firestoreemu"
)

// restartable is a local platform that a test starts, stops and starts again
// on the same data directory and emulator project, to check what a restart
// keeps.
type restartable struct {
	host string
	cfg  config.Config
	dir  string
}

func newRestartable(t *testing.T) restartable {
	t.Helper()
	host := firestoreemu.ForTest(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Project = firestoreemu.NewProjectID(t)
	return restartable{host: host, cfg: cfg, dir: t.TempDir()}
}

// start starts the platform on r's data directory.
func (r restartable) start(t *testing.T) *Platform {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := Start(ctx, Options{Addr: "127.0.0.1:0", DataDir: r.dir, Config: r.cfg, FirestoreHost: r.host, Log: testLog(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return p
}
