package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"rentroll.ai/rentroll/internal/localplatform"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/logging"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	addr := fs.String("addr", DefaultAddr, "listen address")
	data := fs.String("data", DefaultDataDir, "data directory (kept across restarts)")
	demo := fs.Bool("demo", false, "create a demo client and load the sample files")
	console := fs.String("console", DefaultConsoleDir, "the web console's sources, built when needed and served at / (empty: API only)")
	bench := fs.Bool("bench-client", false, "also add the client "+benchClientID+" with 1.44M generated unit rows (200 properties × 300 units × 24 monthly rolls), to measure the console at that size")
	if err := parseFlags(fs, args, "rentroll dev [--addr 127.0.0.1:8080] [--data .rentroll] [--demo] [--bench-client] [--console web]"); err != nil {
		return err
	}
	consoleDir, err := newConsoleBuilder(*console, stderr).prepare(ctx)
	if err != nil {
		return err
	}
	p, err := startLocalConsole(ctx, *addr, *data, consoleDir, stderr, getenv)
	if err != nil {
		return err
	}
	defer closeLocal(p, stderr)
	if err := writeState(*data, localState{URL: p.URL, Issuer: p.Issuer.Issuer()}); err != nil {
		return err
	}
	if *demo {
		if err := runScenario(ctx, p, stdout, stderr); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if *bench {
		if err := loadBenchClient(ctx, p, time.Now, stdout); err != nil {
			return fmt.Errorf("bench client: %w", err)
		}
	}
	fmt.Fprintf(stdout, "ready %s\n", p.URL)
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "shutting down…")
		return nil
	case err := <-p.Serving():
		return fmt.Errorf("server stopped: %w", err)
	}
}

func startLocal(ctx context.Context, addr, data string, stderr io.Writer, getenv func(string) string) (*localplatform.Platform, error) {
	return startLocalConsole(ctx, addr, data, "", stderr, getenv)
}

// startLocalConsole starts the local platform, serving the built console in
// consoleDir at / when it is not empty.
func startLocalConsole(ctx context.Context, addr, data, consoleDir string, stderr io.Writer, getenv func(string) string) (*localplatform.Platform, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	log := logging.New(stderr, cfg.LogLevel, cfg.Project)
	return localplatform.Start(ctx, localplatform.Options{
		Addr: addr, DataDir: data, Config: cfg, Log: log,
		FirestoreHost: getenv("FIRESTORE_EMULATOR_HOST"), Progress: stderr,
		ConsoleDir: consoleDir,
	})
}

func closeLocal(p *localplatform.Platform, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		fmt.Fprintln(stderr, "shutdown:", err)
	}
}
