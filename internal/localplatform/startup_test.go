package localplatform

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/config"
)

// TestStartFailuresAreMessages: each start-up failure returns an error that
// says what is wrong and what to do, and Start stops what it had started
// instead of panicking on a nil platform.
func TestStartFailuresAreMessages(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())

	lockedDir := t.TempDir()
	unlock, err := lockDataDir(lockedDir) // as a running platform holds it
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	fileNotDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fileNotDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		opts  Options
		setup func(t *testing.T)
		want  []string // every fragment must be in the message
	}{
		{"busy port", Options{Addr: busy.Addr().String(), DataDir: t.TempDir()}, nil,
			[]string{"port " + busyPort + " is in use", "pass --addr"}},
		{"locked data directory", Options{Addr: "127.0.0.1:0", DataDir: lockedDir}, nil,
			[]string{"another rentroll dev is using " + lockedDir, "stop it or pass --data"}},
		{"data directory is a file", Options{Addr: "127.0.0.1:0", DataDir: filepath.Join(fileNotDir, "sub")}, nil,
			[]string{"cannot create the data directory", "pass --data"}},
		{"no Java for the Firestore emulator", Options{Addr: "127.0.0.1:0", DataDir: t.TempDir()}, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("JAVA", "")
			t.Setenv("JAVA_HOME", "")
		}, []string{"Java", "FIRESTORE_EMULATOR_HOST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			tt.opts.Config, tt.opts.Log = cfg, testLog(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var p *Platform
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("Start panicked: %v", v)
					}
				}()
				p, err = Start(ctx, tt.opts)
			}()
			if err == nil {
				p.Close(context.Background())
				t.Fatal("Start succeeded, want an error")
			}
			if p != nil {
				t.Errorf("Start returned a platform with its error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// A failed start releases what it took: the same data directory and a
	// port can be locked again at once.
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Start(ctx, Options{Addr: busy.Addr().String(), DataDir: dir, Config: cfg}); err == nil {
		t.Fatal("Start on a busy port succeeded")
	}
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("the data directory stayed locked after a failed start: %v", err)
	}
	again()
}
