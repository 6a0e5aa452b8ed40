// Package schedulertest provides a fake Cloud Scheduler: a gRPC server the
// real client talks to, so the scheduler adapter and the CLI that syncs the
// billing job are tested on the wire without a cloud project.
package schedulertest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	scheduler "cloud.google.com/go/scheduler/apiv1"
	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Fake is a Cloud Scheduler gRPC server that keeps jobs in a map and
// records the calls it serves. Like the service, it adds a User-Agent header
// to stored HTTP targets, refuses a job named outside its parent, and
// applies only the fields an update mask names.
type Fake struct {
	schedulerpb.UnimplementedCloudSchedulerServer
	addr  string
	mu    sync.Mutex
	jobs  map[string]*schedulerpb.Job
	calls []string
	fail  error // returned by every call when set
}

// SetFail makes every later call fail with err (a status error, as the
// service's); nil restores service.
func (f *Fake) SetFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// Job returns a copy of the named job, or nil.
func (f *Fake) Job(name string) *schedulerpb.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[name]
	if !ok {
		return nil
	}
	return proto.Clone(j).(*schedulerpb.Job)
}

// Dial returns a new real client connected to the fake; the caller closes it.
func (f *Fake) Dial(ctx context.Context) (*scheduler.CloudSchedulerClient, error) {
	return scheduler.NewCloudSchedulerClient(ctx,
		option.WithEndpoint(f.addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
}

func (f *Fake) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.fail
}

func (f *Fake) GetJob(_ context.Context, r *schedulerpb.GetJobRequest) (*schedulerpb.Job, error) {
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

func (f *Fake) CreateJob(_ context.Context, r *schedulerpb.CreateJobRequest) (*schedulerpb.Job, error) {
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

func (f *Fake) UpdateJob(_ context.Context, r *schedulerpb.UpdateJobRequest) (*schedulerpb.Job, error) {
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

// Take returns and clears the recorded calls ("get", "create", "update
// PATHS"), and returns a copy of the named job.
func (f *Fake) Take(name string) ([]string, *schedulerpb.Job) {
	f.mu.Lock()
	calls := f.calls
	f.calls = nil
	f.mu.Unlock()
	return calls, f.Job(name)
}

// Start serves a Fake on a loopback listener until the test ends and returns
// it with a real client connected to it.
func Start(t testing.TB) (*Fake, *scheduler.CloudSchedulerClient) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{addr: lis.Addr().String(), jobs: map[string]*schedulerpb.Job{}}
	srv := grpc.NewServer()
	schedulerpb.RegisterCloudSchedulerServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := f.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}
