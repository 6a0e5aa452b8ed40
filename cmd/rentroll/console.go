package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultConsoleDir is where `rentroll dev` looks for the web console's
// sources, relative to the working directory (the repository root).
const DefaultConsoleDir = "web"

// consoleBuilder brings the web console's build (web/dist) up to date so
// that a newcomer's one `go run ./cmd/rentroll dev` serves it: it installs
// the npm packages and builds when the build is missing or older than its
// sources, and says plainly what it does and what is missing.
type consoleBuilder struct {
	dir      string // web/
	stderr   io.Writer
	lookPath func(string) (string, error)
	// run runs a command in dir and returns its combined output.
	run func(ctx context.Context, dir, name string, args ...string) ([]byte, error)
}

func newConsoleBuilder(dir string, stderr io.Writer) *consoleBuilder {
	return &consoleBuilder{dir: dir, stderr: stderr, lookPath: exec.LookPath,
		run: func(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Dir = dir
			return cmd.CombinedOutput()
		}}
}

// consoleSources are what the build reads: a change to any of them (or to
// the API contract the console's types are generated from) makes the build
// stale.
var consoleSources = []string{"src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "../platform/openapi.json"}

// prepare returns the directory to serve the console from, or "" (with a
// message) when there is no console to serve; the platform then serves the
// API alone. Only a cancelled context is an error.
func (b *consoleBuilder) prepare(ctx context.Context) (string, error) {
	say := func(format string, args ...any) { fmt.Fprintf(b.stderr, "console: "+format+"\n", args...) }
	if b.dir == "" {
		return "", nil
	}
	if _, err := os.Stat(filepath.Join(b.dir, "package.json")); err != nil {
		say("no %s/package.json here: serving the API only (run from the repository root, or pass --console DIR)", b.dir)
		return "", nil
	}
	dist := filepath.Join(b.dir, "dist")
	built, builtErr := os.Stat(filepath.Join(dist, "index.html"))
	newest, err := newestModTime(b.dir, consoleSources)
	if err != nil {
		return "", fmt.Errorf("console sources: %w", err)
	}
	if builtErr == nil && !built.ModTime().Before(newest) {
		say("serving %s (up to date)", dist)
		return dist, nil
	}
	if _, err := b.lookPath("npm"); err != nil {
		if builtErr == nil {
			say("npm is not installed: serving the existing build in %s, older than its sources", dist)
			return dist, nil
		}
		say("npm is not installed, so the web console cannot be built; serving the API only. Install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm) and run this command again.")
		return "", nil
	}
	start := time.Now()
	if needInstall(b.dir) {
		say("installing the console's npm packages (npm ci; about a minute the first time)…")
		if out, err := b.run(ctx, b.dir, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
			return b.failed(ctx, "npm ci", out, err, dist, builtErr == nil)
		}
	}
	say("building the console (npm run build)…")
	if out, err := b.run(ctx, b.dir, "npm", "run", "build"); err != nil {
		return b.failed(ctx, "npm run build", out, err, dist, builtErr == nil)
	}
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		say("the build wrote no %s: serving the API only", filepath.Join(dist, "index.html"))
		return "", nil
	}
	say("built %s in %s", dist, time.Since(start).Round(100*time.Millisecond))
	return dist, nil
}

// failed reports a failed step with the end of its output.
func (b *consoleBuilder) failed(ctx context.Context, step string, out []byte, err error, dist string, haveOld bool) (string, error) {
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	fmt.Fprintf(b.stderr, "console: %s failed (%v):\n%s\n", step, err, tail(out, 20))
	if haveOld {
		fmt.Fprintf(b.stderr, "console: serving the previous build in %s\n", dist)
		return dist, nil
	}
	fmt.Fprintln(b.stderr, "console: serving the API only")
	return "", nil
}

// needInstall reports whether node_modules is missing or older than the lock.
func needInstall(dir string) bool {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return true
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	return err != nil || installed.ModTime().Before(lock.ModTime())
}

// newestModTime is the latest modification time among names (files or
// directories, walked) under dir; missing names are skipped.
func newestModTime(dir string, names []string) (time.Time, error) {
	var newest time.Time
	for _, n := range names {
		err := filepath.WalkDir(filepath.Join(dir, n), func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.ModTime().After(newest) {
				newest = info.ModTime()
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, err
		}
	}
	return newest, nil
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(string(bytes.TrimRight(out, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
