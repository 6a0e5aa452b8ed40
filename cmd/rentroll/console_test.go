package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsoleBuilder checks when `rentroll dev` builds the console, what it
// runs, and what it says when it cannot.
func TestConsoleBuilder(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	type layout struct {
		web, installed, built, staleSource bool
	}
	tests := []struct {
		name      string
		layout    layout
		npm       bool
		failBuild bool
		wantServe bool
		wantRuns  []string
		wantSays  string
	}{
		{name: "no web directory", layout: layout{}, npm: true, wantSays: "serving the API only"},
		{name: "fresh build is served as is", layout: layout{web: true, installed: true, built: true}, npm: true, wantServe: true, wantSays: "up to date"},
		{name: "fresh clone installs and builds", layout: layout{web: true}, npm: true, wantServe: true, wantRuns: []string{"npm ci --no-audit --no-fund", "npm run build"}, wantSays: "built "},
		{name: "changed source rebuilds without reinstalling", layout: layout{web: true, installed: true, built: true, staleSource: true}, npm: true, wantServe: true, wantRuns: []string{"npm run build"}},
		{name: "no npm and no build", layout: layout{web: true}, npm: false, wantSays: "npm is not installed"},
		{name: "no npm, old build still served", layout: layout{web: true, built: true, staleSource: true}, npm: false, wantServe: true, wantSays: "older than its sources"},
		{name: "failed build is reported", layout: layout{web: true, installed: true}, npm: true, failBuild: true, wantRuns: []string{"npm run build"}, wantSays: "npm run build failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			web := filepath.Join(root, "web")
			write := func(rel, body string, mod time.Time) {
				t.Helper()
				p := filepath.Join(root, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, mod, mod); err != nil {
					t.Fatal(err)
				}
			}
			if tt.layout.web {
				write("web/package.json", "{}", old)
				write("web/package-lock.json", "{}", old)
				write("web/src/main.tsx", "x", old)
				write("platform/openapi.json", "{}", old)
			}
			if tt.layout.installed {
				write("web/node_modules/.package-lock.json", "{}", old.Add(time.Minute))
			}
			if tt.layout.built {
				write("web/dist/index.html", "<html>", old.Add(2*time.Minute))
			}
			if tt.layout.staleSource {
				write("web/src/main.tsx", "changed", old.Add(3*time.Minute))
			}
			var stderr bytes.Buffer
			var runs []string
			b := &consoleBuilder{dir: web, stderr: &stderr,
				lookPath: func(string) (string, error) {
					if tt.npm {
						return "/usr/bin/npm", nil
					}
					return "", errors.New("not found")
				},
				run: func(_ context.Context, dir, name string, args ...string) ([]byte, error) {
					if dir != web {
						t.Errorf("ran in %s, want %s", dir, web)
					}
					runs = append(runs, strings.Join(append([]string{name}, args...), " "))
					if args[0] == "run" {
						if tt.failBuild {
							return []byte("src/x.tsx: error TS2322"), errors.New("exit status 2")
						}
						write("web/dist/index.html", "<html>", time.Now())
					}
					return nil, nil
				}}
			got, err := b.prepare(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(web, "dist"); tt.wantServe != (got == want) {
				t.Errorf("serve dir = %q, want served %v", got, tt.wantServe)
			}
			if !tt.wantServe && got != "" {
				t.Errorf("serve dir = %q, want none", got)
			}
			if strings.Join(runs, "; ") != strings.Join(tt.wantRuns, "; ") {
				t.Errorf("ran %q, want %q", runs, tt.wantRuns)
			}
			if !strings.Contains(stderr.String(), tt.wantSays) {
				t.Errorf("said %q, want it to contain %q", stderr.String(), tt.wantSays)
			}
		})
	}
}
