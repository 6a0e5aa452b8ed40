package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/scheduler/schedulertest"
)

func TestSchedulesSync(t *testing.T) {
	fake, _ := schedulertest.Start(t)
	dial := fake.Dial
	env := map[string]string{
		"RENTROLL_PROJECT":                   "rr-prod",
		"RENTROLL_SCHEDULER_SERVICE_ACCOUNT": "sched@rr-prod.iam.gserviceaccount.com",
	}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()

	tests := []struct {
		name    string
		args    []string
		out     string
		usage   bool
		wantURI string
		wantAud string
	}{
		{"no subcommand", nil, "", true, "", ""},
		{"no location", []string{"sync"}, "", true, "", ""},
		{"defaults", []string{"sync", "--location", "us-central1"},
			"created projects/rr-prod/locations/us-central1/jobs/rentroll-billing-monthly",
			false, "https://us-central1-rr-prod.cloudfunctions.net/Billing/v1/billing/runs", "https://us-central1-rr-prod.cloudfunctions.net/Billing"},
		{"again", []string{"sync", "--location", "us-central1"}, "unchanged projects/rr-prod/locations/us-central1/jobs/rentroll-billing-monthly", false,
			"https://us-central1-rr-prod.cloudfunctions.net/Billing/v1/billing/runs", "https://us-central1-rr-prod.cloudfunctions.net/Billing"},
		{"explicit", []string{"sync", "--project", "rr-stage", "--location", "europe-west1", "--uri", "https://b.example/v1/billing/runs",
			"--service-account", "x@rr-stage.iam.gserviceaccount.com", "--audience", "https://b.example"},
			"created projects/rr-stage/locations/europe-west1/jobs/rentroll-billing-monthly", false, "https://b.example/v1/billing/runs", "https://b.example"},
		{"stray argument", []string{"sync", "--location", "us-central1", "extra"}, "", true, "", ""},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := syncSchedules(ctx, tt.args, &out, getenv, dial)
		var u usageError
		if tt.usage {
			if !errors.As(err, &u) {
				t.Errorf("%s: %v, want a usage error", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !strings.HasPrefix(out.String(), tt.out) {
			t.Errorf("%s: output %q, want prefix %q", tt.name, out.String(), tt.out)
		}
		name := strings.Fields(tt.out)[1]
		j := fake.Job(name)
		if j.GetSchedule() != "0 6 1 * *" || j.GetTimeZone() != "America/New_York" ||
			j.GetHttpTarget().GetUri() != tt.wantURI || j.GetHttpTarget().GetOidcToken().GetAudience() != tt.wantAud {
			t.Errorf("%s: job %v", tt.name, j)
		}
	}
}
