package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/scheduler/apiv1/schedulerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/scheduler/schedulertest"
)

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
	f, c := schedulertest.Start(t)
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
		calls, j := f.Take(name)
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
	f, c := schedulertest.Start(t)
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
		f.SetFail(tt.fail)
		f.Take("")
		// The client retries Unavailable for up to 10 minutes: bound it.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := Sync(cctx, c, tt.spec)
		cancel()
		if errs.CodeOf(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
		if calls, _ := f.Take(spec().JobName()); tt.fail == nil && len(calls) != 0 {
			t.Errorf("%s: an invalid spec made calls %q", tt.name, calls)
		}
	}
}
