// Package scheduler is the Cloud Scheduler adapter: schedules as code. Sync
// makes one Cloud Scheduler job say exactly what a JobSpec says (an HTTP
// target called with a Google-signed OIDC token), creating or updating it,
// and leaves a job that already says so untouched, so running it on every
// deploy is safe.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	scheduler "cloud.google.com/go/scheduler/apiv1"
	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"rentroll.ai/rentroll/shared/errs"
)

// JobSpec is the desired state of one HTTP job.
type JobSpec struct {
	Project  string
	Location string // e.g. us-central1
	Name     string // the job id, e.g. billing-monthly
	// Schedule is a unix-cron spec, e.g. "0 6 1 * *"; TimeZone an IANA zone.
	Schedule string
	TimeZone string
	// URI is the HTTPS endpoint the job POSTs {} to.
	URI string
	// ServiceAccount signs the OIDC token; Audience is its aud claim
	// (default URI).
	ServiceAccount string
	Audience       string
	Description    string
}

// Result says what Sync did.
type Result string

// Sync outcomes.
const (
	Created   Result = "created"
	Updated   Result = "updated"
	Unchanged Result = "unchanged"
)

// The job's delivery policy. A run over every client may take minutes on
// BigQuery: the attempt deadline is Cloud Scheduler's maximum for HTTP
// targets, so a slow run is not retried while it still runs. A failed run
// (or a 409 while another holds the month) is retried with backoff.
const (
	attemptDeadline = 30 * time.Minute
	retryCount      = 5
	minBackoff      = 5 * time.Minute
	maxBackoff      = time.Hour
	maxDoublings    = 3
	maxRetryWindow  = 12 * time.Hour
)

var (
	idPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	jobPattern      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,500}$`)
	locationPattern = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
)

// Validate checks the spec before any call is made.
func (s JobSpec) Validate() error {
	var problems []string
	if !idPattern.MatchString(s.Project) {
		problems = append(problems, "project")
	}
	if !locationPattern.MatchString(s.Location) {
		problems = append(problems, "location")
	}
	if !jobPattern.MatchString(s.Name) {
		problems = append(problems, "job name")
	}
	if s.Schedule == "" {
		problems = append(problems, "schedule")
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		problems = append(problems, "time zone")
	}
	if u, err := url.Parse(s.URI); err != nil || u.Scheme != "https" || u.Host == "" {
		problems = append(problems, "uri (https required)")
	}
	if s.ServiceAccount == "" {
		problems = append(problems, "service account")
	}
	if len(problems) > 0 {
		return errs.E(errs.Invalid, "scheduler job spec: missing or malformed %v", problems)
	}
	return nil
}

// JobName is the job's full resource name.
func (s JobSpec) JobName() string {
	return fmt.Sprintf("projects/%s/locations/%s/jobs/%s", s.Project, s.Location, s.Name)
}

// Job is the job the spec describes, in the fields Sync manages.
func (s JobSpec) Job() *schedulerpb.Job {
	aud := s.Audience
	if aud == "" {
		aud = s.URI
	}
	return &schedulerpb.Job{
		Name:        s.JobName(),
		Description: s.Description,
		Schedule:    s.Schedule,
		TimeZone:    s.TimeZone,
		Target: &schedulerpb.Job_HttpTarget{HttpTarget: &schedulerpb.HttpTarget{
			Uri:        s.URI,
			HttpMethod: schedulerpb.HttpMethod_POST,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       []byte("{}"),
			AuthorizationHeader: &schedulerpb.HttpTarget_OidcToken{OidcToken: &schedulerpb.OidcToken{
				ServiceAccountEmail: s.ServiceAccount, Audience: aud,
			}},
		}},
		RetryConfig: &schedulerpb.RetryConfig{
			RetryCount:         retryCount,
			MaxRetryDuration:   durationpb.New(maxRetryWindow),
			MinBackoffDuration: durationpb.New(minBackoff),
			MaxBackoffDuration: durationpb.New(maxBackoff),
			MaxDoublings:       maxDoublings,
		},
		AttemptDeadline: durationpb.New(attemptDeadline),
	}
}

// managedPaths are the fields Sync owns, as an update mask.
var managedPaths = []string{"description", "schedule", "time_zone", "http_target", "retry_config", "attempt_deadline"}

// managed projects a job onto the fields Sync owns. Headers the service adds
// on its own (it may add User-Agent) are not ours to compare.
func managed(j *schedulerpb.Job, want *schedulerpb.Job) *schedulerpb.Job {
	out := &schedulerpb.Job{
		Name: j.GetName(), Description: j.GetDescription(), Schedule: j.GetSchedule(), TimeZone: j.GetTimeZone(),
		RetryConfig: j.GetRetryConfig(), AttemptDeadline: j.GetAttemptDeadline(),
	}
	if ht := j.GetHttpTarget(); ht != nil {
		ht = proto.Clone(ht).(*schedulerpb.HttpTarget)
		headers := map[string]string{}
		for k := range want.GetHttpTarget().GetHeaders() {
			if v, ok := ht.Headers[k]; ok {
				headers[k] = v
			}
		}
		ht.Headers = headers
		out.Target = &schedulerpb.Job_HttpTarget{HttpTarget: ht}
	}
	return out
}

// Sync creates the job, or updates the fields it manages when they differ,
// or does nothing when the job already matches the spec.
func Sync(ctx context.Context, client *scheduler.CloudSchedulerClient, spec JobSpec) (Result, error) {
	if err := spec.Validate(); err != nil {
		return "", err
	}
	want := spec.Job()
	have, err := client.GetJob(ctx, &schedulerpb.GetJobRequest{Name: want.Name})
	if status.Code(err) == codes.NotFound {
		parent := fmt.Sprintf("projects/%s/locations/%s", spec.Project, spec.Location)
		_, err = client.CreateJob(ctx, &schedulerpb.CreateJobRequest{Parent: parent, Job: want})
		if err == nil {
			return Created, nil
		}
		if status.Code(err) != codes.AlreadyExists {
			return "", wrap(err, "create job %s", want.Name)
		}
		// Created meanwhile by a concurrent sync: compare with that one.
		have, err = client.GetJob(ctx, &schedulerpb.GetJobRequest{Name: want.Name})
	}
	if err != nil {
		return "", wrap(err, "get job %s", want.Name)
	}
	if proto.Equal(managed(have, want), managed(want, want)) {
		return Unchanged, nil
	}
	_, err = client.UpdateJob(ctx, &schedulerpb.UpdateJobRequest{Job: want, UpdateMask: &fieldmaskpb.FieldMask{Paths: managedPaths}})
	if err != nil {
		return "", wrap(err, "update job %s", want.Name)
	}
	return Updated, nil
}

// wrap gives a Cloud Scheduler failure its errs code.
func wrap(err error, format string, args ...any) error {
	var code errs.Code
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		code = errs.Invalid
	case codes.PermissionDenied:
		code = errs.Forbidden
	case codes.Unauthenticated:
		code = errs.Unauthorized
	case codes.NotFound:
		code = errs.NotFound
	case codes.AlreadyExists, codes.Aborted:
		code = errs.Conflict
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		code = errs.Transient
	default:
		code = errs.Internal
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			code = errs.Transient
		}
	}
	return errs.Wrap(err, code, "Cloud Scheduler: "+format, args...)
}
