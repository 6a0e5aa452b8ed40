// Package platform assembles the five functions from their dependencies. The
// Cloud Functions entry points (the module root package) and the local
// platform (internal/localplatform) both reach Assemble through one start-up
// sequence, platform/boot, so production and local mode serve the very same
// handlers and differ only in the adapters they pass in.
package platform

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/functions/admin"
	fnanalytics "rentroll.ai/rentroll/functions/analytics"
	fnbilling "rentroll.ai/rentroll/functions/billing"
	fningest "rentroll.ai/rentroll/functions/ingest"
	fnuploads "rentroll.ai/rentroll/functions/uploads"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/ingest"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

// The function names (Cloud Functions entry points, docs/architecture.md#functions).
const (
	Uploads   = "Uploads"
	Ingest    = "Ingest"
	Analytics = "Analytics"
	Admin     = "Admin"
	Billing   = "Billing"
)

// HTTPFunctions lists the HTTP functions in a stable order.
func HTTPFunctions() []string { return []string{Uploads, Analytics, Admin, Billing} }

// Services are the adapters the functions run on.
type Services struct {
	Config    config.Config
	Log       *slog.Logger
	Tokens    tenancy.TokenVerifier
	Clients   tenancy.ClientStore // with Users and ChargeCodes, the registry's writers: Admin's alone (readRegistry)
	Users     tenancy.UserStore
	Uploads   uploads.Store
	Warehouse warehouse.Warehouse
	Objects   objects.Store
	Runs      billing.RunStore
	// ChargeCodes keeps the clients' charge-code overrides (nil: none).
	ChargeCodes chargecodes.Store
	// BillingCaller authenticates the Cloud Scheduler trigger: a Google OIDC
	// check in production; nil admits a super admin's token (local mode).
	BillingCaller func(ctx context.Context, r *http.Request) error
	Now           clock.Func
	// Identity is where people sign in (Auth0, or the local provider); nil
	// registers users by subject only and invites nobody.
	Identity tenancy.IdentityProvider
	// BillingSettings keeps the price list, client pricing and property
	// lifecycle; Meter, when set, receives every billing run's units (Stripe).
	BillingSettings billing.Settings
	Meter           billing.Meter
	// BillingConcurrency bounds the billing count statements in flight
	// (0: billing.DefaultConcurrency).
	BillingConcurrency int
}

// Functions are the assembled handlers.
type Functions struct {
	// Routes holds each HTTP function's route table.
	Routes map[string][]web.Route
	// Ingest is the CloudEvent handler.
	Ingest func(context.Context, event.Event) error
	// Gate resolves principals; callers that change users or clients tell it to forget them.
	Gate *tenancy.Gate
	// Audit queues the audit trail; Close flushes it.
	Audit *audit.Buffer
	// Billing runs the monthly unit count (the local platform schedules it).
	Billing *billing.Service
	server  *web.Server
}

// userCacheTTL bounds how long a registry read is reused (docs/architecture.md#authentication: ≤ 60 s).
const userCacheTTL = 30 * time.Second

// Assemble builds every function from s. The caller must Close the result
// to flush the audit trail.
func Assemble(s Services) *Functions {
	if s.Now == nil {
		s.Now = time.Now
	}
	// Only Admin is given the registry's writers (s.Clients, s.Users,
	// s.ChargeCodes); the gate and every other function read through reg.
	reg := readRegistry(s)
	gate := tenancy.NewGate(s.Tokens, reg, reg, userCacheTTL)
	auditLog := audit.Log{W: s.Warehouse}
	// Every 10 s or 500 entries: at most 8,640 load jobs a day per instance
	// on the partitioned audit table; GET /v1/admin/audit flushes first.
	recorder := audit.NewBuffer(auditLog, s.Log, 10*time.Second, 500, 10000)
	// Each client's analytics queries are bounded, so one tenant cannot
	// take the warehouse from the others.
	queryRate := s.Config.ClientQueryRate
	if queryRate <= 0 {
		queryRate = config.DefaultClientQueryRate
	}
	queries := web.NewClientLimiter(web.DefaultClientConcurrent, queryRate, int(burstFactor*queryRate))
	ten := &tenancy.Service{Clients: s.Clients, Users: s.Users, Warehouse: s.Warehouse, Cache: gate, Now: s.Now, Identity: s.Identity}
	an := &analytics.Service{W: s.Warehouse, Log: s.Log, Now: s.Now}
	ing := &ingest.Service{
		Uploads: s.Uploads, Clients: reg, Objects: s.Objects, Warehouse: s.Warehouse,
		Bucket: s.Config.UploadsBucket, MaxBytes: s.Config.MaxUploadBytes, Log: s.Log, Now: s.Now,
		// Keep super_admin.all_clients_summary current after each load.
		AfterLoad: func(ctx context.Context, u uploads.Upload) error {
			c, err := reg.GetClient(ctx, u.ClientID)
			if err != nil {
				return err
			}
			return an.RefreshClientSummary(ctx, c)
		},
		// Later rent rolls are read with the client's charge-code overrides.
		ChargeCodes: func(ctx context.Context, clientID string) (map[string]string, error) {
			codes, err := reg.ChargeCodes(ctx, clientID)
			return chargecodes.Table(codes), err
		},
		// A survey may name its subject by property name.
		Properties: func(ctx context.Context, clientID string) (map[string]string, error) {
			ps, err := an.Properties(ctx, clientID)
			if err != nil {
				return nil, err
			}
			out := make(map[string]string, len(ps))
			for _, p := range ps {
				out[p.PropertyID] = p.PropertyName
			}
			return out, nil
		},
	}
	loc, err := time.LoadLocation(s.Config.BillingTimeZone)
	if err != nil {
		loc = time.UTC // config.Load has validated it; an empty zone means UTC
	}
	bill := &billing.Service{
		Warehouse: s.Warehouse, Clients: reg, Runs: s.Runs, Objects: s.Objects,
		FinanceBucket: s.Config.FinanceBucket, Now: s.Now, Log: s.Log, Location: loc,
		Settings: s.BillingSettings, Meter: s.Meter, CarryForwardMonths: s.Config.BillingCarryForward,
		Concurrency: s.BillingConcurrency,
	}
	billingCaller := s.BillingCaller
	if billingCaller == nil {
		billingCaller = superAdminCaller(gate)
	}
	f := &Functions{
		Gate:    gate,
		Audit:   recorder,
		Billing: bill,
		server: &web.Server{
			Log: s.Log, Guard: gate, Audit: recorder, Now: s.Now, AllowedOrigins: s.Config.AllowedOrigins,
			Limiter: web.NewRateLimiter(rateLimit(s.Config.RateLimit), int(burstFactor*rateLimit(s.Config.RateLimit))),

			TrustedProxyHops: s.Config.TrustedProxyHops, // whose X-Forwarded-For entry is the client
		},
		Routes: map[string][]web.Route{
			Uploads: fnuploads.Routes(fnuploads.Deps{
				Log: s.Log, Uploads: s.Uploads, Objects: s.Objects, Bucket: s.Config.UploadsBucket,
				MaxBytes: s.Config.MaxUploadBytes, URLTTL: s.Config.UploadURLTTL, Now: s.Now,
				Withdraw: ing.Withdraw,
			}),
			Analytics: queries.Wrap(fnanalytics.Routes(fnanalytics.Deps{Log: s.Log, Analytics: an, Now: s.Now, Billing: bill})),
			Admin: append(admin.Routes(admin.Deps{
				Log: s.Log, Clients: s.Clients, Users: s.Users, Tenancy: ten, Audit: auditLog, Recorder: recorder,
				Summary: an, Billing: admin.BillingDeps{Billing: bill},
				ChargeCodes: s.ChargeCodes,
			}), OpenAPIRoute()),
			Billing: fnbilling.Routes(fnbilling.Deps{Log: s.Log, Billing: bill, Verify: billingCaller}),
		},
		Ingest: fningest.Handler(fningest.Deps{Log: s.Log, Service: ing}),
	}
	return f
}

// superAdminCaller admits the billing trigger for a super admin's user token:
// the local platform's stand-in for Cloud Scheduler's OIDC token.
func superAdminCaller(gate *tenancy.Gate) func(ctx context.Context, r *http.Request) error {
	return func(ctx context.Context, r *http.Request) error {
		tok, err := auth.BearerToken(r.Header)
		if err != nil {
			return err
		}
		p, err := gate.Authenticate(ctx, tok)
		if err != nil {
			return err
		}
		if p.Role != tenancy.SuperAdmin {
			return errs.E(errs.Forbidden, "only the scheduler or a super admin may trigger billing runs")
		}
		return nil
	}
}

// burstFactor sizes the rate limiters' token buckets: a principal or a
// client may burst to this many seconds' worth of its rate (a console page
// load fires several requests at once).
const burstFactor = 4

// rateLimit is the configured per-principal rate, or the default when unset.
func rateLimit(perSecond float64) float64 {
	if perSecond <= 0 {
		return config.DefaultRateLimit
	}
	return perSecond
}

// Close flushes the audit trail.
func (f *Functions) Close(ctx context.Context) error {
	return f.Audit.Close(ctx)
}

func health(w http.ResponseWriter, _ *http.Request) error {
	web.WriteJSON(w, http.StatusOK, api.Health{Status: "ok"})
	return nil
}

// healthRoute is served by every function and by the local platform.
func healthRoute() web.Route {
	return web.Route{Name: "healthz", Method: http.MethodGet, Path: "/healthz", Access: web.Public, Handler: health}
}

// Handler serves one HTTP function's routes, as its Cloud Function does.
func (f *Functions) Handler(name string) http.Handler {
	return f.server.Handler(append([]web.Route{healthRoute()}, f.Routes[name]...))
}

// APIHandler serves every HTTP function's routes on one mux, as the local
// platform and a single public address do. extra routes (such as the local
// issuer's JWKS) are added in front.
func (f *Functions) APIHandler(extra ...web.Route) http.Handler {
	routes := append([]web.Route{healthRoute()}, extra...)
	for _, name := range HTTPFunctions() {
		routes = append(routes, f.Routes[name]...)
	}
	return f.server.Handler(routes)
}
