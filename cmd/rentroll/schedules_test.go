package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	cloudscheduler "cloud.google.com/go/scheduler/apiv1"
	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeScheduler stores created jobs; the scheduler package tests updates.
type fakeScheduler struct {
	schedulerpb.UnimplementedCloudSchedulerServer
	mu   sync.Mutex
	jobs map[string]*schedulerpb.Job
}

func (f *fakeScheduler) GetJob(_ context.Context, r *schedulerpb.GetJobRequest) (*schedulerpb.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[r.GetName()]; ok {
		return proto.Clone(j).(*schedulerpb.Job), nil
	}
	return nil, status.Error(codes.NotFound, "no job")
}

func (f *fakeScheduler) CreateJob(_ context.Context, r *schedulerpb.CreateJobRequest) (*schedulerpb.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[r.GetJob().GetName()] = proto.Clone(r.GetJob()).(*schedulerpb.Job)
	return r.GetJob(), nil
}

func (f *fakeScheduler) job(name string) *schedulerpb.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[name]
}

func TestSchedulesSync(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeScheduler{jobs: map[string]*schedulerpb.Job{}}
	srv := grpc.NewServer()
	schedulerpb.RegisterCloudSchedulerServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	dial := func(ctx context.Context) (*cloudscheduler.CloudSchedulerClient, error) {
		return cloudscheduler.NewCloudSchedulerClient(ctx, option.WithEndpoint(lis.Addr().String()),
			option.WithoutAuthentication(), option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
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
		j := fake.job(name)
		if j.GetSchedule() != "0 6 1 * *" || j.GetTimeZone() != "America/New_York" ||
			j.GetHttpTarget().GetUri() != tt.wantURI || j.GetHttpTarget().GetOidcToken().GetAudience() != tt.wantAud {
			t.Errorf("%s: job %v", tt.name, j)
		}
	}
}
