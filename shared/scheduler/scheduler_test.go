package scheduler

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	scheduler "cloud.google.com/go/scheduler/apiv1"
	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"rentroll.ai/rentroll/shared/errs"
)

// fakeServer keeps jobs in a map and records the calls it serves. Like the
// service, it adds a User-Agent header to stored HTTP targets.
type fakeServer struct {
	schedulerpb.UnimplementedCloudSchedulerServer
	mu    sync.Mutex
	jobs  map[string]*schedulerpb.Job
	calls []string
	fail  error // returned by every call when set
}

func (f *fakeServer) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.fail
}

func (f *fakeServer) GetJob(_ context.Context, r *schedulerpb.GetJobRequest) (*schedulerpb.Job, error) {
	if err := f.record("get"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[r.GetName()]
	if !ok {
		return nil, status.Error(codes.NotFound, "no job")
	}
	return proto.Clone(j).(*schedulerpb.Job), nil
}

func (f *fakeServer) CreateJob(_ context.Context, r *schedulerpb.CreateJobRequest) (*schedulerpb.Job, error) {
	if err := f.record("create"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j := proto.Clone(r.GetJob()).(*schedulerpb.Job)
	if !strings.HasPrefix(j.GetName(), r.GetParent()+"/jobs/") {
		return nil, status.Error(codes.InvalidArgument, "job name outside parent")
	}
	if _, ok := f.jobs[j.GetName()]; ok {
		return nil, status.Error(codes.AlreadyExists, "exists")
	}
	if ht := j.GetHttpTarget(); ht != nil {
		ht.Headers["User-Agent"] = "Google-Cloud-Scheduler"
	}
	j.State = schedulerpb.Job_ENABLED
	f.jobs[j.GetName()] = j
	return proto.Clone(j).(*schedulerpb.Job), nil
}

func (f *fakeServer) UpdateJob(_ context.Context, r *schedulerpb.UpdateJobRequest) (*schedulerpb.Job, error) {
	if err := f.record("update " + strings.Join(r.GetUpdateMask().GetPaths(), ",")); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.jobs[r.GetJob().GetName()]
	if !ok {
		return nil, status.Error(codes.NotFound, "no job")
	}
	j := proto.Clone(old).(*schedulerpb.Job)
	in := r.GetJob()
	for _, p := range r.GetUpdateMask().GetPaths() {
		switch p {
		case "description":
			j.Description = in.Description
		case "schedule":
			j.Schedule = in.Schedule
		case "time_zone":
			j.TimeZone = in.TimeZone
		case "http_target":
			j.Target = proto.Clone(in).(*schedulerpb.Job).Target
		case "retry_config":
			j.RetryConfig = in.RetryConfig
		case "attempt_deadline":
			j.AttemptDeadline = in.AttemptDeadline
		default:
			return nil, status.Errorf(codes.InvalidArgument, "unknown path %s", p)
		}
	}
	f.jobs[j.GetName()] = j
	return proto.Clone(j).(*schedulerpb.Job), nil
}

// take returns and clears the recorded calls, and returns the named job.
func (f *fakeServer) take(name string) ([]string, *schedulerpb.Job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.calls
	f.calls = nil
	return calls, proto.Clone(f.jobs[name]).(*schedulerpb.Job)
}

// startFake serves a fake Cloud Scheduler on a local listener and returns a
// real client connected to it.
func startFake(t *testing.T) (*fakeServer, *scheduler.CloudSchedulerClient) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{jobs: map[string]*schedulerpb.Job{}}
	srv := grpc.NewServer()
	schedulerpb.RegisterCloudSchedulerServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := scheduler.NewCloudSchedulerClient(context.Background(),
		option.WithEndpoint(lis.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}

func spec() JobSpec {
	return JobSpec{
		Project: "rentroll-prod", Location: "us-central1", Name: "billing-monthly",
		Schedule: "0 6 1 * *", TimeZone: "America/New_York",
		URI:            "https://billing-abc.a.run.app/v1/billing/runs",
		ServiceAccount: "scheduler@rentroll-prod.iam.gserviceaccount.com",
		Description:    "monthly unit count",
	}
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	f, c := startFake(t)
	name := spec().JobName()

	changed := spec()
	changed.Schedule = "0 7 1 * *"
	newAudience := changed
	newAudience.Audience = "https://api.rentroll.ai/billing"

	steps := []struct {
		name  string
		spec  JobSpec
		want  Result
		calls []string
	}{
		{"first sync creates", spec(), Created, []string{"get", "create"}},
		{"same spec leaves it", spec(), Unchanged, []string{"get"}},
		{"new schedule updates", changed, Updated, []string{"get", "update description,schedule,time_zone,http_target,retry_config,attempt_deadline"}},
		{"again unchanged", changed, Unchanged, []string{"get"}},
		{"new audience updates", newAudience, Updated, []string{"get", "update description,schedule,time_zone,http_target,retry_config,attempt_deadline"}},
	}
	for _, st := range steps {
		got, err := Sync(ctx, c, st.spec)
		if err != nil || got != st.want {
			t.Fatalf("%s: Sync = %q, %v; want %q", st.name, got, err, st.want)
		}
		calls, j := f.take(name)
		if strings.Join(calls, ";") != strings.Join(st.calls, ";") {
			t.Errorf("%s: calls %q, want %q", st.name, calls, st.calls)
		}
		ht := j.GetHttpTarget()
		aud := st.spec.Audience
		if aud == "" {
			aud = st.spec.URI
		}
		if j.GetSchedule() != st.spec.Schedule || j.GetTimeZone() != "America/New_York" || ht.GetUri() != st.spec.URI ||
			ht.GetHttpMethod() != schedulerpb.HttpMethod_POST || string(ht.GetBody()) != "{}" ||
			ht.GetOidcToken().GetServiceAccountEmail() != st.spec.ServiceAccount || ht.GetOidcToken().GetAudience() != aud ||
			j.GetAttemptDeadline().AsDuration() != attemptDeadline || j.GetRetryConfig().GetRetryCount() != retryCount {
			t.Errorf("%s: stored job %v", st.name, j)
		}
	}
}

func TestSyncErrors(t *testing.T) {
	ctx := context.Background()
	f, c := startFake(t)
	bad := func(mod func(*JobSpec)) JobSpec { s := spec(); mod(&s); return s }
	tests := []struct {
		name string
		spec JobSpec
		fail error
		want errs.Code
	}{
		{"no project", bad(func(s *JobSpec) { s.Project = "" }), nil, errs.Invalid},
		{"bad location", bad(func(s *JobSpec) { s.Location = "../x" }), nil, errs.Invalid},
		{"http uri", bad(func(s *JobSpec) { s.URI = "http://x.example/run" }), nil, errs.Invalid},
		{"bad zone", bad(func(s *JobSpec) { s.TimeZone = "Mars/Olympus" }), nil, errs.Invalid},
		{"no account", bad(func(s *JobSpec) { s.ServiceAccount = "" }), nil, errs.Invalid},
		{"permission denied", spec(), status.Error(codes.PermissionDenied, "no"), errs.Forbidden},
		{"unavailable", spec(), status.Error(codes.Unavailable, "down"), errs.Transient},
	}
	for _, tt := range tests {
		f.mu.Lock()
		f.fail, f.calls = tt.fail, nil
		f.mu.Unlock()
		// The client retries Unavailable for up to 10 minutes: bound it.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := Sync(cctx, c, tt.spec)
		cancel()
		if errs.CodeOf(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
		if calls, _ := f.take(spec().JobName()); tt.fail == nil && len(calls) != 0 {
			t.Errorf("%s: an invalid spec made calls %q", tt.name, calls)
		}
	}
}
