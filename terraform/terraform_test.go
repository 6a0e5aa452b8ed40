// Package terraform_test proves, offline, that the Terraform in this
// directory agrees with the Go code it deploys: the entry points the root
// package registers, the environment variables config.Load reads and
// Config.Production requires, the billing cron, the upload trigger and the
// load balancer's routes. `terraform validate` needs the google provider,
// which cannot be downloaded everywhere; these checks need only the HCL.
//
// The Terraform is parsed with hcl/v2 and the expressions that matter
// (locals, function arguments) are evaluated with a small evaluation context:
// input variables come from testVars, resource attributes (bucket names,
// service account e-mails) are unknown until apply and stand in as a
// non-empty placeholder.
package terraform_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/config"
)

// testVars are the inputs of a plausible production environment, like a
// <environment>.tfvars file.
func testVars() map[string]cty.Value {
	return map[string]cty.Value{
		"project":                  cty.StringVal("rentroll-prod"),
		"region":                   cty.StringVal("us-central1"),
		"environment":              cty.StringVal("prod"),
		"auth_issuer":              cty.StringVal("https://rentroll.us.auth0.com/"),
		"auth_audience":            cty.StringVal("https://api.rentroll.ai"),
		"auth_jwks_url":            cty.StringVal("https://rentroll.us.auth0.com/.well-known/jwks.json"),
		"allowed_origins":          cty.ListVal([]cty.Value{cty.StringVal("https://app.rentroll.ai")}),
		"api_domain":               cty.StringVal("api.rentroll.ai"),
		"alert_email":              cty.StringVal("oncall@rentroll.ai"),
		"console_domain":           cty.StringVal("app.rentroll.ai"),
		"console_client_id":        cty.StringVal("spa-client-id"),
		"build_repository":         cty.StringVal("projects/rentroll-prod/locations/us-central1/connections/github/repositories/rentroll"),
		"deployer_service_account": cty.StringVal("deployer@rentroll-prod.iam.gserviceaccount.com"),
		"tf_state_bucket":          cty.StringVal("rentroll-prod-tfstate"),
		"auth0_domain":             cty.StringVal("rentroll.us.auth0.com"),
	}
}

// unknownPlaceholder stands in for a value known only after apply (a bucket
// name, a service account e-mail): non-empty, as the real value will be.
const unknownPlaceholder = "<known after apply>"

// uploadFinalized is the event Ingest consumes (docs/architecture.md#uploads-storage-and-events).
const uploadFinalized = "google.cloud.storage.object.v1.finalized"

// envAliases are variables config.Load reads that Terraform deliberately does
// not set, with the reason.
var envAliases = map[string]string{
	"GOOGLE_CLOUD_PROJECT": "fallback for RENTROLL_PROJECT, which Terraform sets",
	// Mapped from Secret Manager (secret_environment_variables), into Admin only.
	"RENTROLL_AUTH0_MGMT_CLIENT_SECRET": "the Auth0 Management API secret, from Secret Manager (auth0.tf)",
	// Optional; mapped from Secret Manager into Billing and Admin when
	// var.stripe_api_key_secret names one (functions.tf).
	"RENTROLL_STRIPE_API_KEY": "the Stripe API key, from Secret Manager (functions.tf)",
	// Set on Admin only (local.admin_env): bootstrapping writes users/{sub},
	// which no other function may write.
	"RENTROLL_BOOTSTRAP_SUPER_ADMIN": "the bootstrap super admin, on Admin only (main.tf admin_env)",
}

// readTerraform returns the *.tf files of this directory by name.
func readTerraform(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob("*.tf")
	if err != nil || len(names) == 0 {
		t.Fatalf("no *.tf files here (err %v)", err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return files
}

// codeFacts is what the Go code says production needs.
type codeFacts struct {
	entryPoints []string              // every registered function
	envRead     []string              // every variable config.Load reads
	routes      map[string][]httpPath // HTTP function -> its routes
}

type httpPath struct{ method, path string }

// readCode derives the facts from the code itself: the registered function
// names, config.Load run with a recording getenv, and the assembled route
// tables.
func readCode(t *testing.T) codeFacts {
	t.Helper()
	f := codeFacts{entryPoints: append(platform.HTTPFunctions(), platform.Ingest)}

	seen := map[string]bool{}
	if _, err := config.Load(func(k string) string { seen[k] = true; return "" }); err != nil {
		t.Fatalf("config.Load with an empty environment: %v", err)
	}
	for k := range seen {
		f.envRead = append(f.envRead, k)
	}
	sort.Strings(f.envRead)
	if len(f.envRead) == 0 {
		t.Fatal("config.Load read no variables: the recording getenv is not wired")
	}

	// Route tables only: no adapter is called while assembling.
	fns := platform.Assemble(platform.Services{Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = fns.Close(t.Context()) })
	f.routes = map[string][]httpPath{}
	for _, name := range platform.HTTPFunctions() {
		for _, r := range fns.Routes[name] {
			f.routes[name] = append(f.routes[name], httpPath{r.Method, r.Path})
		}
	}
	return f
}

func TestTerraformAgreesWithCode(t *testing.T) {
	code := readCode(t)
	files := readTerraform(t)
	if problems := check(files, code); len(problems) > 0 {
		t.Errorf("terraform/ disagrees with the code:\n  %s", strings.Join(problems, "\n  "))
	}
	// Guard against a vacuous pass: the check saw every function, a full
	// environment and every route.
	m, _ := load(files, testVars())
	if m == nil {
		t.Fatal("the Terraform does not load")
	}
	fns := m.functions()
	if got, want := len(fns), len(code.entryPoints); got != want {
		t.Errorf("found %d functions, want %d", got, want)
	}
	routes := 0
	for _, name := range platform.HTTPFunctions() {
		if len(code.routes[name]) == 0 {
			t.Errorf("the code assembles no routes for %s", name)
		}
		routes += len(code.routes[name])
	}
	for ep, fn := range fns {
		if len(fn.env) < len(code.envRead)-len(envAliases) {
			t.Errorf("%s: %d environment variables, want %d", ep, len(fn.env), len(code.envRead)-len(envAliases))
		}
	}
	t.Logf("checked %d functions, %d environment variables read by config.Load, %d routes", len(fns), len(code.envRead), routes)
}

// TestCheckCatchesBreakage feeds deliberately broken Terraform (the real
// files with one edit) and asserts that the check fails for the right
// reason, so the agreement test above can fail.
func TestCheckCatchesBreakage(t *testing.T) {
	code := readCode(t)
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantIssue string
	}{
		{"renamed entry point", "functions.tf",
			`entry_point     = "Ingest"`, `entry_point     = "Ingester"`,
			`entry point "Ingester" is not registered by the code`},
		{"function missing", "main.tf",
			"    Analytics = {\n", "    Analytic = {\n",
			`function "Analytics" has no google_cloudfunctions2_function`},
		{"missing env var", "main.tf",
			"    RENTROLL_AUTH_JWKS_URL                = var.auth_jwks_url\n", "",
			"RENTROLL_AUTH_JWKS_URL"},
		{"misspelled env var", "main.tf",
			"RENTROLL_AUTH_ISSUER    ", "RENTROLL_AUTH_ISSUR     ",
			`sets RENTROLL_AUTH_ISSUR, which config.Load does not read`},
		{"wrong cron", "main.tf",
			`billing_schedule = "0 6 1 * *"`, `billing_schedule = "0 7 1 * *"`,
			`schedule "0 7 1 * *", want config.DefaultBillingSchedule`},
		{"wrong event type", "functions.tf",
			`"google.cloud.storage.object.v1.finalized"`, `"google.cloud.storage.object.v1.deleted"`,
			`event_type "google.cloud.storage.object.v1.deleted"`},
		{"trigger on the finance bucket", "functions.tf",
			"value     = google_storage_bucket.uploads.name", "value     = google_storage_bucket.finance.name",
			"trigger's bucket filter is google_storage_bucket.finance"},
		{"retries off", "functions.tf",
			`"RETRY_POLICY_RETRY"`, `"RETRY_POLICY_DO_NOT_RETRY"`,
			"retry_policy"},
		{"route to the wrong function", "loadbalancer.tf",
			"\"/v1/clients/*/properties\",\n      \"/v1/clients/*/properties/**\",", `"/v1/clients/*/propertiez",`,
			"GET /v1/clients/{cid}/properties reaches Admin, want Analytics"},
		{"scheduler audience differs", "scheduler.tf",
			"audience = local.billing_url", `audience = "https://example.com"`,
			"audience"},
		{"billing invokable by everyone", "functions.tf",
			"for_each = { for k, v in local.http_functions : k => v if v.public }",
			"for_each = local.http_functions",
			`google_cloudfunctions2_function.http["Billing"]: run.invoker granted to`},
		{"scheduler token for another account", "scheduler.tf",
			"service_account_email = google_service_account.scheduler.email",
			"service_account_email = google_service_account.trigger.email",
			"but Billing accepts only RENTROLL_SCHEDULER_SERVICE_ACCOUNT"},
		{"signer is another account", "main.tf",
			`google_service_account.fn["Uploads"].email`, `google_service_account.fn["Admin"].email`,
			"it may only sign as itself"},
		{"unparsable", "main.tf",
			"locals {", "locals {{",
			"main.tf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := readTerraform(t)
			src := string(files[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s no longer contains %q: update this case", tc.file, tc.old)
			}
			files[tc.file] = []byte(strings.Replace(src, tc.old, tc.new, 1))
			problems := check(files, code)
			if len(problems) == 0 {
				t.Fatalf("check passed broken Terraform; want a problem mentioning %q", tc.wantIssue)
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.wantIssue) }) {
				t.Errorf("problems = %q\nwant one mentioning %q", problems, tc.wantIssue)
			}
		})
	}
}

// check returns every disagreement between the Terraform files and the code.
func check(files map[string][]byte, code codeFacts) []string {
	m, problems := load(files, testVars())
	if m == nil {
		return problems
	}

	// Functions: one per registered entry point, none unknown, runtime go126.
	fns := m.functions()
	for _, ep := range code.entryPoints {
		if _, ok := fns[ep]; !ok {
			problems = append(problems, fmt.Sprintf("function %q has no google_cloudfunctions2_function with that entry_point", ep))
		}
	}
	for ep, fn := range fns {
		if !slices.Contains(code.entryPoints, ep) {
			problems = append(problems, fmt.Sprintf("%s: entry point %q is not registered by the code (platform.HTTPFunctions() + Ingest)", fn.addr, ep))
		}
		if fn.runtime != "go126" {
			problems = append(problems, fmt.Sprintf("%s: runtime %q, want go126 (go.mod says go 1.26)", fn.addr, fn.runtime))
		}
		problems = append(problems, checkEnv(fn, code.envRead)...)
	}

	// The upload trigger.
	if in, ok := fns[platform.Ingest]; ok {
		problems = append(problems, checkTrigger(in, fns)...)
	}

	// The scheduler job, who may invoke what, and who signs upload URLs.
	problems = append(problems, m.checkScheduler(fns)...)
	problems = append(problems, m.checkInvokers(fns)...)
	if up, ok := fns[platform.Uploads]; ok && (up.serviceAccount == "" || up.env["RENTROLL_SIGNER_SERVICE_ACCOUNT"] != up.serviceAccount) {
		problems = append(problems, fmt.Sprintf("%s signs upload URLs as %q but runs as %q: it may only sign as itself",
			up.addr, up.env["RENTROLL_SIGNER_SERVICE_ACCOUNT"], up.serviceAccount))
	}

	// The load balancer's routes.
	problems = append(problems, m.checkRoutes(code.routes)...)
	return problems
}

// checkEnv proves the function's environment satisfies the code: every
// variable it sets is one config.Load reads, every variable config.Load reads
// is set (but documented aliases), and with exactly this environment
// config.Load and Config.Production succeed.
func checkEnv(fn function2, read []string) []string {
	var problems []string
	if fn.env == nil {
		return []string{fn.addr + ": service_config.environment_variables is missing or not a map"}
	}
	for k := range fn.env {
		if !slices.Contains(read, k) {
			problems = append(problems, fmt.Sprintf("%s sets %s, which config.Load does not read", fn.addr, k))
		}
	}
	for _, k := range read {
		if _, ok := fn.env[k]; !ok && envAliases[k] == "" {
			problems = append(problems, fmt.Sprintf("%s does not set %s, which config.Load reads", fn.addr, k))
		}
	}
	cfg, err := config.Load(func(k string) string { return fn.env[k] })
	if err != nil {
		return append(problems, fmt.Sprintf("%s: config.Load with its environment: %v", fn.addr, err))
	}
	if err := cfg.Production(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: Config.Production() with its environment: %v", fn.addr, err))
	}
	if got := fn.env["RENTROLL_BILLING_SCHEDULE"]; got != "" && got != config.DefaultBillingSchedule {
		problems = append(problems, fmt.Sprintf("%s: RENTROLL_BILLING_SCHEDULE %q, want %q", fn.addr, got, config.DefaultBillingSchedule))
	}
	return problems
}

// checkTrigger proves Ingest is triggered by object finalization in the
// uploads bucket, the bucket the functions are told about, with retries on.
func checkTrigger(in function2, fns map[string]function2) []string {
	var problems []string
	if in.trigger == nil {
		return []string{in.addr + ": no event_trigger"}
	}
	if in.trigger.eventType != uploadFinalized {
		problems = append(problems, fmt.Sprintf("%s: event_type %q, want %q", in.addr, in.trigger.eventType, uploadFinalized))
	}
	if in.trigger.retryPolicy != "RETRY_POLICY_RETRY" {
		problems = append(problems, fmt.Sprintf("%s: retry_policy %q, want RETRY_POLICY_RETRY (transient faults must be redelivered)", in.addr, in.trigger.retryPolicy))
	}
	if in.trigger.bucketRef == "" {
		problems = append(problems, in.addr+": event_trigger has no bucket event_filter naming a google_storage_bucket")
	}
	for _, fn := range fns {
		if fn.uploadsBucketRef != in.trigger.bucketRef {
			problems = append(problems, fmt.Sprintf("%s: the trigger's bucket filter is %s but %s gets RENTROLL_UPLOADS_BUCKET from %s",
				in.addr, in.trigger.bucketRef, fn.addr, fn.uploadsBucketRef))
		}
	}
	return problems
}

// checkScheduler proves the billing job runs on the code's cron, in the
// configured time zone, against the Billing function's route, with an OIDC
// audience the Billing function expects.
func (m *module) checkScheduler(fns map[string]function2) []string {
	jobs := m.blocks("resource", "google_cloud_scheduler_job")
	if len(jobs) != 1 {
		return []string{fmt.Sprintf("want exactly one google_cloud_scheduler_job, found %d", len(jobs))}
	}
	job := jobs[0]
	addr := "google_cloud_scheduler_job." + job.Labels[1]
	ctx := m.evalContext(nil)
	var problems []string
	if got := m.str(job.Body, "schedule", ctx); got != config.DefaultBillingSchedule {
		problems = append(problems, fmt.Sprintf("%s: schedule %q, want config.DefaultBillingSchedule %q", addr, got, config.DefaultBillingSchedule))
	}
	billing := fns[platform.Billing]
	if got, want := m.str(job.Body, "time_zone", ctx), billing.env["RENTROLL_BILLING_TIMEZONE"]; got != want {
		problems = append(problems, fmt.Sprintf("%s: time_zone %q, but Billing's RENTROLL_BILLING_TIMEZONE is %q", addr, got, want))
	}
	target := child(job.Body, "http_target")
	if target == nil {
		return append(problems, addr+": no http_target")
	}
	uri := m.str(target.Body, "uri", ctx)
	if !strings.HasSuffix(uri, "/v1/billing/runs") {
		problems = append(problems, fmt.Sprintf("%s: uri %q does not call POST /v1/billing/runs", addr, uri))
	}
	if got := m.str(target.Body, "http_method", ctx); got != http.MethodPost {
		problems = append(problems, fmt.Sprintf("%s: http_method %q, want POST", addr, got))
	}
	oidc := child(target.Body, "oidc_token")
	if oidc == nil {
		return append(problems, addr+": no oidc_token: Billing accepts only the scheduler's Google token")
	}
	aud, want := m.str(oidc.Body, "audience", ctx), billing.env["RENTROLL_SCHEDULER_AUDIENCE"]
	if aud != want {
		problems = append(problems, fmt.Sprintf("%s: OIDC audience %q, but Billing expects RENTROLL_SCHEDULER_AUDIENCE %q", addr, aud, want))
	}
	if got, want := m.str(oidc.Body, "service_account_email", ctx), billing.env["RENTROLL_SCHEDULER_SERVICE_ACCOUNT"]; got == "" || got != want {
		problems = append(problems, fmt.Sprintf("%s: token for %q, but Billing accepts only RENTROLL_SCHEDULER_SERVICE_ACCOUNT %q", addr, got, want))
	}
	if !strings.HasPrefix(uri, aud) {
		problems = append(problems, fmt.Sprintf("%s: uri %q is not under the audience %q", addr, uri, aud))
	}
	return problems
}

// checkInvokers proves who may invoke each function (roles/run.invoker):
// Billing only the account the scheduler's token is for, Ingest only the
// trigger's account, the public functions everyone (they authenticate each
// request themselves; ingress admits only the load balancer).
func (m *module) checkInvokers(fns map[string]function2) []string {
	invokers := map[string][]string{} // service -> members
	for _, b := range m.blocks("resource", "google_cloud_run_v2_service_iam_member") {
		for _, each := range m.instances(b) {
			ctx := m.evalContext(each)
			if m.str(b.Body, "role", ctx) != "roles/run.invoker" {
				continue
			}
			svc := m.str(b.Body, "name", ctx)
			invokers[svc] = append(invokers[svc], m.str(b.Body, "member", ctx))
		}
	}
	var problems []string
	for ep, fn := range fns {
		var want []string
		switch ep {
		case platform.Billing:
			want = []string{"serviceAccount:" + fn.env["RENTROLL_SCHEDULER_SERVICE_ACCOUNT"]}
		case platform.Ingest:
			if fn.trigger == nil || fn.trigger.serviceAccount == "" {
				problems = append(problems, fn.addr+": the trigger has no service_account_email")
				continue
			}
			want = []string{"serviceAccount:" + fn.trigger.serviceAccount}
		default:
			want = []string{"allUsers"}
		}
		got := invokers[fn.service]
		sort.Strings(got)
		if !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("%s: run.invoker granted to %q, want %q", fn.addr, got, want))
		}
	}
	sort.Strings(problems)
	return problems
}

// checkRoutes proves every route of every public function reaches that
// function through the URL map (local.routes), and that Billing's routes are
// not public.
func (m *module) checkRoutes(routes map[string][]httpPath) []string {
	v, ok := m.locals["routes"]
	if !ok || !v.IsWhollyKnown() || !v.CanIterateElements() {
		return []string{"local.routes (the URL map's path templates) is missing or not known"}
	}
	table := map[string][]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, list := it.Element()
		for it2 := list.ElementIterator(); it2.Next(); {
			_, p := it2.Element()
			table[k.AsString()] = append(table[k.AsString()], p.AsString())
		}
	}
	const defaultFn = platform.Admin // the URL map's default service
	var problems []string
	for fn, rs := range routes {
		for _, r := range rs {
			path := samplePath(r.path)
			got := route(table, path)
			switch {
			case fn == platform.Billing && got != "":
				problems = append(problems, fmt.Sprintf("%s %s (private to Cloud Scheduler) is routed publicly to %s", r.method, r.path, got))
			case fn == platform.Billing:
			case got == "" && fn != defaultFn:
				problems = append(problems, fmt.Sprintf("%s %s reaches %s, want %s", r.method, r.path, defaultFn, fn))
			case got != "" && got != fn:
				problems = append(problems, fmt.Sprintf("%s %s reaches %s, want %s", r.method, r.path, got, fn))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// samplePath fills a net/http pattern's wildcards ({cid}, {rest...}) with a
// sample segment.
func samplePath(pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "x1"
		}
	}
	return strings.Join(segs, "/")
}

// route returns the function whose path template matches path, in the URL
// map's priority order (sorted function names), or "" for the default.
func route(table map[string][]string, path string) string {
	names := make([]string, 0, len(table))
	for k := range table {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, fn := range names {
		for _, tmpl := range table[fn] {
			if templateMatch(tmpl, path) {
				return fn
			}
		}
	}
	return ""
}

// templateMatch implements the URL map's pathTemplateMatch for the operators
// used here: `*` is one segment, a final `**` is zero or more segments.
func templateMatch(tmpl, path string) bool {
	ts, ps := strings.Split(strings.Trim(tmpl, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	for i, t := range ts {
		if t == "**" {
			return i == len(ts)-1
		}
		if i >= len(ps) || (t != "*" && t != ps[i]) {
			return false
		}
	}
	return len(ts) == len(ps)
}

// --- a small Terraform reader ----------------------------------------------

// module is the parsed directory with its input variables and evaluated
// locals.
type module struct {
	bodies []*hclsyntax.Body
	src    map[string][]byte // file name -> contents, for source text of expressions
	roots  map[string]bool   // every variable root the files name (computed once)
	vars   map[string]cty.Value
	locals map[string]cty.Value
	funcs  map[string]function.Function
	// standIns give the attributes the checks compare (service account
	// e-mails, function service names) recognizable values; every other
	// resource attribute is unknown.
	standIns map[string]cty.Value
}

// function2 is one google_cloudfunctions2_function instance.
type function2 struct {
	addr             string
	service          string // the Cloud Run service (stand-in name)
	serviceAccount   string // service_config.service_account_email
	runtime          string
	env              map[string]string // nil when not a known map
	uploadsBucketRef string            // the resource RENTROLL_UPLOADS_BUCKET comes from
	trigger          *trigger
}

type trigger struct {
	eventType, retryPolicy string
	serviceAccount         string // the identity Eventarc delivers as
	bucketRef              string // e.g. google_storage_bucket.uploads
}

// load parses the files and evaluates variables and locals.
func load(files map[string][]byte, vars map[string]cty.Value) (*module, []string) {
	p := hclparse.NewParser()
	m := &module{vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, src: files}
	var problems []string
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, diags := p.ParseHCL(files[n], n)
		if diags.HasErrors() {
			problems = append(problems, diags.Error())
			continue
		}
		m.bodies = append(m.bodies, f.Body.(*hclsyntax.Body))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	m.funcs = m.functions2()

	for _, b := range m.blocks("variable") {
		name := b.Labels[0]
		given, isGiven := vars[name]
		switch def, ok := b.Body.Attributes["default"]; {
		case isGiven:
			m.vars[name] = given
		case ok:
			v, diags := def.Expr.Value(nil)
			if diags.HasErrors() {
				problems = append(problems, fmt.Sprintf("variable %q default: %s", name, diags.Error()))
			}
			m.vars[name] = v
		default:
			m.vars[name] = cty.DynamicVal
		}
	}

	// Locals first with every resource unknown, then again once the
	// resource stand-ins (whose for_each may use locals) exist.
	m.evalLocals()
	m.standIns = m.buildStandIns()
	problems = append(problems, m.evalLocals()...)
	return m, problems
}

// evalLocals evaluates every local in rounds: a local once every local it
// names is known.
func (m *module) evalLocals() []string {
	var problems []string
	m.locals = map[string]cty.Value{}
	pending := map[string]*hclsyntax.Attribute{}
	for _, b := range m.blocks("locals") {
		for name, a := range b.Body.Attributes {
			pending[name] = a
		}
	}
	for len(pending) > 0 {
		progress := false
		for name, a := range pending {
			if !m.localsReady(a.Expr, pending) {
				continue
			}
			v, diags := a.Expr.Value(m.evalContext(nil))
			if diags.HasErrors() {
				problems = append(problems, fmt.Sprintf("local.%s: %s", name, diags.Error()))
				v = cty.DynamicVal
			}
			m.locals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			for name := range pending {
				problems = append(problems, fmt.Sprintf("local.%s: refers to an undefined local or a cycle", name))
			}
			break
		}
	}
	sort.Strings(problems)
	return problems
}

// instances expands a block's for_each: instance key -> each (nil for a
// block without for_each, under key "").
func (m *module) instances(b *hclsyntax.Block) map[string]map[string]cty.Value {
	fe, ok := b.Body.Attributes["for_each"]
	if !ok {
		return map[string]map[string]cty.Value{"": nil}
	}
	out := map[string]map[string]cty.Value{}
	v, diags := fe.Expr.Value(m.evalContext(nil))
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() || !v.CanIterateElements() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		if v.Type().IsSetType() {
			k = ev
		}
		out[k.AsString()] = map[string]cty.Value{"key": k, "value": ev}
	}
	return out
}

// standInName is the recognizable value given to a resource instance's
// attribute, e.g. "google_service_account.fn[Uploads]".
func standInName(typ, name, key string) string {
	if key == "" {
		return typ + "." + name
	}
	return fmt.Sprintf("%s.%s[%s]", typ, name, key)
}

// buildStandIns gives service accounts an e-mail and functions a service
// name that say which resource they come from.
func (m *module) buildStandIns() map[string]cty.Value {
	standIn := func(typ string, attrs func(id string) map[string]cty.Value) cty.Value {
		byName := map[string]cty.Value{}
		for _, b := range m.blocks("resource", typ) {
			name := b.Labels[1]
			insts := m.instances(b)
			if _, single := insts[""]; single && len(insts) == 1 {
				byName[name] = cty.ObjectVal(attrs(standInName(typ, name, "")))
				continue
			}
			per := map[string]cty.Value{}
			for key := range insts {
				per[key] = cty.ObjectVal(attrs(standInName(typ, name, key)))
			}
			byName[name] = cty.ObjectVal(per)
		}
		return cty.ObjectVal(byName)
	}
	return map[string]cty.Value{
		"google_service_account": standIn("google_service_account", func(id string) map[string]cty.Value {
			email := cty.StringVal(id + "@sa.test")
			return map[string]cty.Value{"email": email, "name": email, "id": email, "member": cty.StringVal("serviceAccount:" + id + "@sa.test")}
		}),
		// Bucket names say which bucket they are, so grants can be matched
		// to buckets through locals.
		"google_storage_bucket": standIn("google_storage_bucket", func(id string) map[string]cty.Value {
			return map[string]cty.Value{"name": cty.StringVal(id)}
		}),
		"google_project_iam_custom_role": standIn("google_project_iam_custom_role", func(id string) map[string]cty.Value {
			return map[string]cty.Value{"name": cty.StringVal("customrole:" + id), "id": cty.StringVal("customrole:" + id)}
		}),
		// The project number names Google-managed buckets
		// (gcf-v2-sources-<number>-<region>).
		"data": cty.ObjectVal(map[string]cty.Value{
			"google_project": cty.ObjectVal(map[string]cty.Value{
				"this": cty.ObjectVal(map[string]cty.Value{"number": cty.StringVal("123456789012")}),
			}),
		}),
		"google_cloudfunctions2_function": standIn("google_cloudfunctions2_function", func(id string) map[string]cty.Value {
			return map[string]cty.Value{
				"name":           cty.StringVal(id),
				"service_config": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"service": cty.StringVal("svc:" + id)})}),
			}
		}),
	}
}

func (m *module) localsReady(e hclsyntax.Expression, pending map[string]*hclsyntax.Attribute) bool {
	for _, tr := range e.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if a, ok := tr[1].(hcl.TraverseAttr); ok && pending[a.Name] != nil {
			return false
		}
	}
	return true
}

// blocks returns the top-level blocks of a type, optionally of a first label.
func (m *module) blocks(typ string, label ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range m.bodies {
		for _, blk := range b.Blocks {
			if blk.Type == typ && (len(label) == 0 || (len(blk.Labels) > 0 && blk.Labels[0] == label[0])) {
				out = append(out, blk)
			}
		}
	}
	return out
}

// evalContext exposes var, local, path and, for a for_each instance, each.
// Any other root (resources, data sources) is unknown until apply.
func (m *module) evalContext(each map[string]cty.Value) *hcl.EvalContext {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   cty.ObjectVal(m.vars),
			"local": cty.ObjectVal(m.locals),
			"path":  cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal(".")}),
		},
		Functions: m.funcs,
	}
	if each != nil {
		ctx.Variables["each"] = cty.ObjectVal(each)
	}
	for k, v := range m.standIns {
		ctx.Variables[k] = v
	}
	if m.roots == nil {
		m.roots = map[string]bool{}
		for _, b := range m.bodies {
			hclsyntax.VisitAll(b, func(n hclsyntax.Node) hcl.Diagnostics {
				if e, ok := n.(hclsyntax.Expression); ok {
					for _, tr := range e.Variables() {
						m.roots[tr.RootName()] = true
					}
				}
				return nil
			})
		}
	}
	for root := range m.roots {
		if _, known := ctx.Variables[root]; !known {
			ctx.Variables[root] = cty.DynamicVal
		}
	}
	return ctx
}

// functions2 is the cty standard library under Terraform's names, plus
// tostring/toset; any other function the files call evaluates to unknown.
func (m *module) functions2() map[string]function.Function {
	fs := map[string]function.Function{
		"concat": stdlib.ConcatFunc, "format": stdlib.FormatFunc, "join": stdlib.JoinFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc,
		"lower": stdlib.LowerFunc, "merge": stdlib.MergeFunc, "replace": stdlib.ReplaceFunc,
		"sort": stdlib.SortFunc, "split": stdlib.SplitFunc, "upper": stdlib.UpperFunc,
		"values": stdlib.ValuesFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"tostring": convertFunc(cty.String), "toset": convertFunc(cty.Set(cty.DynamicPseudoType)),
		"tolist": convertFunc(cty.List(cty.DynamicPseudoType)),
	}
	for k, f := range validationFuncs() {
		fs[k] = f
	}
	unknown := function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowDynamicType: true},
		Type:     function.StaticReturnType(cty.DynamicPseudoType),
		Impl:     func([]cty.Value, cty.Type) (cty.Value, error) { return cty.DynamicVal, nil },
	})
	for _, b := range m.bodies {
		hclsyntax.VisitAll(b, func(n hclsyntax.Node) hcl.Diagnostics {
			if c, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				if _, known := fs[c.Name]; !known {
					fs[c.Name] = unknown
				}
			}
			return nil
		})
	}
	return fs
}

func convertFunc(want cty.Type) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if want == cty.String {
				return cty.String, nil
			}
			return cty.DynamicPseudoType, nil
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return convert.Convert(args[0], want)
		},
	})
}

// str evaluates a string attribute; "" when absent or not a known string.
func (m *module) str(body *hclsyntax.Body, name string, ctx *hcl.EvalContext) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return ""
	}
	if v, err := convert.Convert(v, cty.String); err == nil {
		return v.AsString()
	}
	return ""
}

func child(body *hclsyntax.Body, typ string) *hclsyntax.Block {
	for _, b := range body.Blocks {
		if b.Type == typ {
			return b
		}
	}
	return nil
}

// functions returns every google_cloudfunctions2_function instance by entry
// point, expanding for_each.
func (m *module) functions() map[string]function2 {
	const typ = "google_cloudfunctions2_function"
	out := map[string]function2{}
	for _, b := range m.blocks("resource", typ) {
		for key, each := range m.instances(b) {
			fn := m.function(b, each)
			fn.addr = typ + "." + b.Labels[1]
			if key != "" {
				fn.addr = fmt.Sprintf("%s[%q]", fn.addr, key)
			}
			fn.service = "svc:" + standInName(typ, b.Labels[1], key)
			build := child(b.Body, "build_config")
			if build == nil {
				continue
			}
			ctx := m.evalContext(each)
			fn.runtime = m.str(build.Body, "runtime", ctx)
			out[m.str(build.Body, "entry_point", ctx)] = fn
		}
	}
	return out
}

// function reads one instance's environment and trigger.
func (m *module) function(b *hclsyntax.Block, each map[string]cty.Value) function2 {
	ctx := m.evalContext(each)
	var fn function2
	if svc := child(b.Body, "service_config"); svc != nil {
		fn.serviceAccount = m.str(svc.Body, "service_account_email", ctx)
		if a, ok := svc.Body.Attributes["environment_variables"]; ok {
			v, diags := a.Expr.Value(ctx)
			if !diags.HasErrors() && v.IsKnown() && !v.IsNull() && (v.Type().IsObjectType() || v.Type().IsMapType()) {
				fn.env = map[string]string{}
				for it := v.ElementIterator(); it.Next(); {
					k, ev := it.Element()
					fn.env[k.AsString()] = stringOf(ev)
				}
			}
			fn.uploadsBucketRef = m.envSource(a.Expr, "RENTROLL_UPLOADS_BUCKET")
		}
	}
	if et := child(b.Body, "event_trigger"); et != nil {
		fn.trigger = &trigger{
			eventType:      m.str(et.Body, "event_type", ctx),
			retryPolicy:    m.str(et.Body, "retry_policy", ctx),
			serviceAccount: m.str(et.Body, "service_account_email", ctx),
		}
		for _, f := range et.Body.Blocks {
			if f.Type == "event_filters" && m.str(f.Body, "attribute", ctx) == "bucket" {
				if a, ok := f.Body.Attributes["value"]; ok {
					fn.trigger.bucketRef = bucketRef(a.Expr)
				}
			}
		}
	}
	return fn
}

// envSource follows an environment expression (an object literal, or a local
// holding one, possibly inside merge) to the google_storage_bucket the
// variable key is taken from.
func (m *module) envSource(e hclsyntax.Expression, key string) string {
	var found string
	var visit func(hclsyntax.Expression, int)
	visit = func(e hclsyntax.Expression, depth int) {
		if depth > 5 || found != "" {
			return
		}
		switch x := e.(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, item := range x.Items {
				if k, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && k.Type() == cty.String && k.AsString() == key {
					found = bucketRef(item.ValueExpr)
					return
				}
			}
		case *hclsyntax.FunctionCallExpr:
			for _, a := range x.Args {
				visit(a, depth+1)
			}
		case *hclsyntax.ScopeTraversalExpr:
			if x.Traversal.RootName() == "local" && len(x.Traversal) == 2 {
				name := x.Traversal[1].(hcl.TraverseAttr).Name
				for _, b := range m.blocks("locals") {
					if a, ok := b.Body.Attributes[name]; ok {
						visit(a.Expr, depth+1)
					}
				}
			}
		}
	}
	visit(e, 0)
	return found
}

// bucketRef names the google_storage_bucket an expression reads, e.g.
// "google_storage_bucket.uploads", or "".
func bucketRef(e hclsyntax.Expression) string {
	for _, tr := range e.Variables() {
		if tr.RootName() == "google_storage_bucket" && len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				return "google_storage_bucket." + a.Name
			}
		}
	}
	return ""
}

// stringOf renders an environment value as the function will see it; a value
// known only after apply becomes a non-empty placeholder.
func stringOf(v cty.Value) string {
	if !v.IsKnown() {
		return unknownPlaceholder
	}
	if v.IsNull() {
		return ""
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return unknownPlaceholder
	}
	return s.AsString()
}
