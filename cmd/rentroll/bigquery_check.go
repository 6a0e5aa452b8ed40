package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"google.golang.org/api/option"

	"rentroll.ai/rentroll/internal/bqcheck"
	"rentroll.ai/rentroll/shared/bigquery"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/tenancy"
)

const bigqueryUsage = `usage: rentroll bigquery check --project P [--dataset-client C] [--location L] [--as-of YYYY-MM-DD]

Dry-runs (free: nothing is read, run or billed) every statement the platform
sends BigQuery - analytics reads, floorplan writes, the stored summary MERGE
and its read, the billing unit count, run reads and cleanup - with
representative parameters against the real datasets of project P: the client
dataset of client C (default "demo"), the system and super-admin datasets. Fails, listing each refused statement, if BigQuery refuses any.
Defaults: --project from RENTROLL_PROJECT/GOOGLE_CLOUD_PROJECT, --location from
RENTROLL_BIGQUERY_LOCATION. Uses Application Default Credentials.`

// runBigQuery implements "rentroll bigquery check".
func runBigQuery(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	return checkBigQuery(ctx, args, stdout, getenv)
}

// checkBigQuery is runBigQuery with the BigQuery client options injected,
// so tests can point it at a fake.
func checkBigQuery(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string, opts ...option.ClientOption) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{bigqueryUsage}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("bigquery check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", cfg.Project, "Google Cloud project whose datasets are checked")
	client := fs.String("dataset-client", "demo", "client whose dataset the client statements are checked against")
	location := fs.String("location", cfg.BigQueryRegion, "BigQuery location of the datasets")
	asOf := fs.String("as-of", "", "the day the statements ask about (default today)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{"bigquery check: " + err.Error() + "\n\n" + bigqueryUsage}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("bigquery check: unexpected argument %q\n\n%s", fs.Arg(0), bigqueryUsage)}
	}
	if *project == "" {
		return usageError{"bigquery check: --project required\n\n" + bigqueryUsage}
	}
	if err := tenancy.ValidateClientID(*client); err != nil {
		return usageError{fmt.Sprintf("bigquery check: --dataset-client: %v", err)}
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if *asOf != "" {
		if day, err = time.Parse("2006-01-02", *asOf); err != nil {
			return usageError{"bigquery check: --as-of must be YYYY-MM-DD"}
		}
	}
	w, err := bigquery.NewWithConfig(ctx, *project, bigquery.Config{Location: *location}, opts...)
	if err != nil {
		return err
	}
	defer w.Close()
	c := &bigquery.Checker{W: w}
	failed := bqcheck.Run(ctx, c, slog.New(slog.DiscardHandler), *client, day)
	for _, ch := range c.Checked() {
		status := fmt.Sprintf("ok    %12d bytes", ch.Bytes)
		if ch.Err != nil {
			status = "REFUSED " + ch.Err.Error()
		}
		fmt.Fprintf(stdout, "%s  %.100q\n", status, ch.SQL)
	}
	for _, err := range failed {
		fmt.Fprintf(stdout, "FAILED %v\n", err)
	}
	n, first := c.Failed()
	fmt.Fprintf(stdout, "%d statements dry-run, %d refused, %d domain calls failed\n", len(c.Checked()), n, len(failed))
	if first != nil {
		return fmt.Errorf("bigquery check: %d of %d statements refused; first: %w", n, len(c.Checked()), first)
	}
	if len(failed) > 0 {
		return fmt.Errorf("bigquery check: %d domain calls failed; first: %w", len(failed), failed[0])
	}
	return nil
}
