package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	cloudscheduler "cloud.google.com/go/scheduler/apiv1"

	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/scheduler"
)

// billingJobName is the Cloud Scheduler job of the monthly unit count.
const billingJobName = "rentroll-billing-monthly"

const schedulesUsage = `usage: rentroll schedules sync --project P --location L [--uri U] [--service-account SA] [--audience A]

Creates or updates the Cloud Scheduler job that triggers the monthly unit count
(schedule RENTROLL_BILLING_SCHEDULE, default "` + config.DefaultBillingSchedule + `", in RENTROLL_BILLING_TIMEZONE).
Defaults: --project from RENTROLL_PROJECT/GOOGLE_CLOUD_PROJECT, --service-account from
RENTROLL_SCHEDULER_SERVICE_ACCOUNT, --uri https://L-P.cloudfunctions.net/Billing/v1/billing/runs,
--audience RENTROLL_SCHEDULER_AUDIENCE or else the Billing function's URL. Uses Application Default Credentials.`

// runSchedules implements "rentroll schedules sync": schedules as code.
func runSchedules(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	return syncSchedules(ctx, args, stdout, getenv, func(ctx context.Context) (*cloudscheduler.CloudSchedulerClient, error) {
		return cloudscheduler.NewCloudSchedulerClient(ctx)
	})
}

// syncSchedules is runSchedules with the client's construction injected, so
// tests can point it at a fake Cloud Scheduler.
func syncSchedules(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string,
	newClient func(context.Context) (*cloudscheduler.CloudSchedulerClient, error)) error {
	if len(args) == 0 || args[0] != "sync" {
		return groupUsage(args, schedulesUsage)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("schedules sync", flag.ContinueOnError)
	project := fs.String("project", cfg.Project, "Google Cloud project")
	location := fs.String("location", "", "Cloud Scheduler and Cloud Functions region, e.g. us-central1")
	uri := fs.String("uri", "", "the Billing function's /v1/billing/runs URL")
	account := fs.String("service-account", cfg.SchedulerSA, "service account whose OIDC token the job sends")
	audience := fs.String("audience", cfg.SchedulerAud, "the OIDC token's audience")
	if err := parseFlags(fs, args[1:], strings.TrimPrefix(strings.SplitN(schedulesUsage, "\n", 2)[0], "usage: ")); err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"--project": *project, "--location": *location, "--service-account": *account} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Sprintf("schedules sync: %s required\n\n%s", strings.Join(slices.Sorted(slices.Values(missing)), ", "), schedulesUsage)}
	}
	// Cloud Functions (2nd gen) answer on https://REGION-PROJECT.cloudfunctions.net/NAME,
	// passing the rest of the path to the function; the token's audience is
	// the function's URL.
	function := fmt.Sprintf("https://%s-%s.cloudfunctions.net/Billing", *location, *project)
	if *uri == "" {
		*uri = function + "/v1/billing/runs"
	}
	if *audience == "" {
		*audience = function
	}
	spec := scheduler.JobSpec{
		Project: *project, Location: *location, Name: billingJobName,
		Schedule: cfg.BillingSchedule, TimeZone: cfg.BillingTimeZone,
		URI: *uri, ServiceAccount: *account, Audience: *audience,
		Description: "RentRoll monthly billable unit count (docs/metrics.md); managed by rentroll schedules sync",
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	client, err := newClient(ctx)
	if err != nil {
		return fmt.Errorf("Cloud Scheduler client: %w", err)
	}
	defer client.Close()
	res, err := scheduler.Sync(ctx, client, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (%q %s -> %s)\n", res, spec.JobName(), spec.Schedule, spec.TimeZone, spec.URI)
	return nil
}
