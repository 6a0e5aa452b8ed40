// Command rentroll runs the RentRoll platform locally and talks to any
// deployment of it.
//
//	rentroll dev [--addr 127.0.0.1:8080] [--data .rentroll] [--demo]
//	rentroll demo
//	rentroll token --sub S --role R [--client C] [--ttl 1h] [--data DIR]
//	rentroll clients create --name N [--id ID] [--admin-email E [--admin-name N]] [--api URL --token T]
//	rentroll upload FILE --client C --kind rent_roll|competition [--property P] [--api URL --token T]
//	rentroll uploads list|show ID|delete ID|report ID --client C [--api URL --token T]
//	rentroll analytics summary --client C [--api URL --token T]
//	rentroll billing run --month YYYY-MM [--json] [--api URL --token T]
//	rentroll billing sync [--month YYYY-MM] [--api URL --token T]
//	rentroll schedules sync --project P --location L [--uri U --service-account SA --audience A]
//
// It is the composition root of local mode: only here are the local-only
// parts (DuckDB, the storage emulator, the Firestore emulator launcher) wired.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Every signal that ends a process by default ends the command cleanly,
	// so `dev` stops its parts and exports Firestore: Ctrl-C, kill, a closed
	// terminal (SIGHUP, e.g. after `dev &`) and Ctrl-\ (SIGQUIT).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "rentroll:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: rentroll <command> [flags]   (rentroll <command> --help: its flags and an example)

commands:
  dev        run the whole platform locally (--addr, --data, --demo)
  demo       one end-to-end run in a fresh temporary data directory
  token      mint a local access token (--sub, --role, --client, --ttl, --data)
  clients    clients create --name N [--admin-email E]: prints the admin's invitation link
  upload     upload FILE --client C [--kind rent_roll|competition] [--property P]
  uploads    uploads list | show ID | delete ID | report ID --client C
  analytics  analytics summary|competition|changes --client C [--property P --from D --to D]
  billing    billing run --month YYYY-MM [--json]; billing sync [--month YYYY-MM]
  schedules  schedules sync --project P --location L: create or update the Cloud Scheduler job
  bigquery   bigquery check --project P [--dataset-client C]: dry-run every BigQuery statement

Client commands take --token T (or RENTROLL_TOKEN) and find the API in --api URL, else
RENTROLL_API, else the URL a running "rentroll dev" recorded in --data (default .rentroll).`

// run dispatches a command; main is only process plumbing, so commands are
// testable in-process. Help, asked for with -h or --help anywhere, goes to
// stdout and is not an error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	err := dispatch(ctx, args, stdout, stderr, getenv)
	var h helpRequested
	if errors.As(err, &h) {
		fmt.Fprintln(stdout, h.text)
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, stdout, stderr, getenv)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr, getenv)
	case "token":
		return runToken(rest, stdout, getenv)
	case "schedules":
		return runSchedules(ctx, rest, stdout, getenv)
	case "bigquery":
		return runBigQuery(ctx, rest, stdout, getenv)
	case "clients", "upload", "uploads", "analytics", "billing":
		return runClient(ctx, cmd, rest, stdout, stderr, getenv)
	case "help", "-h", "--help":
		if len(rest) > 0 && rest[0] != "help" && rest[0] != "-h" && rest[0] != "--help" { // rentroll help upload
			return dispatch(ctx, append(rest, "--help"), stdout, stderr, getenv)
		}
		return helpRequested{usage}
	}
	return usageError{fmt.Sprintf("unknown command %q\n\n%s", cmd, usage)}
}
