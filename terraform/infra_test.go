package terraform_test

// Checks that the Terraform applies on the first try on an empty project and
// grants least privilege: things `terraform validate` and an offline plan
// cannot see because they fail, or are unsafe, only against a real project.
// Each check reads the parsed files (module, infra_test's graph of
// references) and returns problems; TestInfraChecksCatchBreakage proves each
// can fail.

import (
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// buildFiles are the Cloud Build configurations at the repository root, by
// name.
func readBuildFiles(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob("../cloudbuild*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no ../cloudbuild*.yaml (err %v)", err)
	}
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = string(b)
	}
	return out
}

// deployedPackages lists the module's own packages the root package (the
// Cloud Functions build) compiles, as directories relative to the module
// root ("" for the root itself).
func deployedPackages(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", ".")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps of the root package: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, d := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		if rel == "." {
			rel = ""
		}
		dirs = append(dirs, filepath.ToSlash(rel))
	}
	if len(dirs) < 5 {
		t.Fatalf("go list found only %v: the root package is not what Cloud Functions builds", dirs)
	}
	return dirs
}

// localOnly are the directories that must never reach the function source:
// the command line and local platform, emulators, DuckDB (cgo), the local
// identity provider, the console, tests' data, infrastructure and scripts.
var localOnly = []string{
	"cmd", "internal", "shared/gcsemu", "shared/firestoreemu", "shared/duckdb",
	"shared/auth/localissuer", "web", "testdata", "scripts", "terraform", "docs",
}

func TestInfrastructureIsSafe(t *testing.T) {
	files := readTerraform(t)
	m, problems := load(files, testVars())
	if m == nil {
		t.Fatalf("the Terraform does not load: %v", problems)
	}
	problems = append(problems, checkInfra(m, readBuildFiles(t), deployedPackages(t))...)
	if len(problems) > 0 {
		t.Errorf("terraform/ would fail its first apply or grants too much:\n  %s", strings.Join(problems, "\n  "))
	}
	// Guard against a vacuous pass: the checks saw what they check.
	g := m.graph()
	for _, want := range []string{
		"google_project_service.apis", "google_compute_region_network_endpoint_group.fn",
		"google_monitoring_alert_policy.billing_missing", "google_cloudbuild_trigger.deploy",
		"google_cloudbuild_trigger.pull_request", "google_firebaserules_release.firestore",
		"google_compute_backend_bucket.console", "data.archive_file.source",
	} {
		if _, ok := g[want]; !ok {
			t.Errorf("no %s: the checks did not see it", want)
		}
	}
	if n := len(m.grants()); n < 30 {
		t.Errorf("found %d IAM grants, want 30 or more", n)
	}
	t.Logf("checked %d resources and data sources, %d IAM grants", len(g), len(m.grants()))
}

// TestInfraChecksCatchBreakage undoes one fix at a time in the real files
// and asserts that the checks fail for the right reason.
func TestInfraChecksCatchBreakage(t *testing.T) {
	deps := deployedPackages(t)
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantIssue string
	}{
		{"NEG gets the function's resource path", "loadbalancer.tf",
			"service = local.function_names[each.key]", "service = google_cloudfunctions2_function.http[each.key].service_config[0].service",
			"is not a bare Cloud Run service name"},
		{"build account cannot read gcf-v2-sources", "iam.tf",
			`"resource.name.startsWith(\"projects/_/buckets/${local.gcf_sources_bucket}\")",`, "",
			"storage.objectViewer covering gcf-v2-sources"},
		{"build account without logWriter", "iam.tf",
			`"roles/logging.logWriter" = {`, `"roles/logging.viewer" = {`,
			"build account google_service_account.build@sa.test lacks roles/logging.logWriter"},
		{"functions do not wait for the build grants", "functions.tf",
			"    time_sleep.build_grants,\n", "",
			"does not wait (depends_on a time_sleep after them) for the build grants"},
		{"service accounts race API enablement", "iam.tf",
			"  description  = \"Runtime identity of the ${each.key} Cloud Function; see terraform/README.md for its roles.\"\n\n  depends_on = [time_sleep.apis]\n",
			"  description  = \"Runtime identity of the ${each.key} Cloud Function; see terraform/README.md for its roles.\"\n",
			"google_service_account.fn does not depend on google_project_service.apis"},
		{"certificate races API enablement", "loadbalancer.tf",
			"    domains = [var.api_domain]\n  }\n\n  depends_on = [time_sleep.apis]\n", "    domains = [var.api_domain]\n  }\n",
			"google_compute_managed_ssl_certificate.api does not depend on google_project_service.apis"},
		{"alerts do not wait for the metrics", "monitoring.tf",
			"    auto_close = \"86400s\"\n  }\n\n  depends_on = [time_sleep.log_metrics]\n", "    auto_close = \"86400s\"\n  }\n",
			"google_monitoring_alert_policy.log uses google_logging_metric.rentroll but does not wait"},
		{"PromQL validation on", "monitoring.tf",
			"disable_metric_validation = true", "disable_metric_validation = false",
			"disable_metric_validation"},
		{"pull requests trigger the apply file", "build.tf",
			`filename        = "cloudbuild-pr.yaml"`, `filename        = "cloudbuild.yaml"`,
			"runs cloudbuild.yaml, which applies"},
		{"deploy trigger on every branch", "build.tf",
			"    push {\n      branch = \"^main$\"", "    push {\n      branch = \".*\"",
			"applies on push to branch \".*\""},
		{"pull-request account with deploy rights", "build.tf",
			`"roles/run.viewer",`, `"roles/run.admin",`,
			"pull-request account holds roles/run.admin"},
		{"pull-request account reads client data", "build.tf",
			`"roles/bigquery.metadataViewer",`, `"roles/bigquery.dataViewer",`,
			"pull-request account holds roles/bigquery.dataViewer"},
		{"pull-request account reads all state", "build.tf",
			`|| resource.name.startsWith(\"projects/_/buckets/${var.tf_state_bucket}/objects/rentroll/${var.environment}/\")"`,
			`|| true"`,
			"state bucket without a condition on this environment's prefix"},
		{"archive modes follow the checkout", "functions.tf",
			`output_file_mode = "0644"`, `# no mode`,
			"output_file_mode"},
		{"archive ships the local platform", "functions.tf",
			`"cmd", "internal",`, `"cmd",`,
			`does not exclude "internal"`},
		{"http origins allowed", "variables.tf",
			`can(regex("^https://[^/*:]+(:[0-9]+)?$", o))`, `can(regex("^https?://[^/*:]+(:[0-9]+)?$", o))`,
			`allowed_origins accepts ["http://app.rentroll.ai"]`},
		{"soft delete unchecked", "variables.tf",
			"var.uploads_soft_delete_days >= 7 && var.uploads_soft_delete_days <= 90", "true",
			"uploads_soft_delete_days accepts 3"},
		{"Ingest dataEditor project-wide", "iam.tf",
			"      \"roles/bigquery.jobUser\", # load and DML jobs\n", "      \"roles/bigquery.jobUser\", # load and DML jobs\n      \"roles/bigquery.dataEditor\",\n",
			"Ingest holds roles/bigquery.dataEditor on the whole project"},
		{"Admin's client role unconditioned", "iam.tf",
			`condition = local.client_dataset_condition, title = "client_ datasets only" }`, `condition = "", title = "" }`,
			"without a condition limiting it to client_ datasets"},
		{"rules allow everything", "data.tf",
			"allow read, write: if false;", "allow read, write: if true;",
			"deny-all"},
		{"Admin writes uploads", "storage.tf",
			"    # Billing writes the month's CSV", "    \"uploads Admin objectCreator\" = { bucket = google_storage_bucket.uploads.name, role = \"roles/storage.objectCreator\", member = \"serviceAccount:${google_service_account.fn[\"Admin\"].email}\" }\n    # Billing writes the month's CSV",
			"Admin may write the uploads bucket"},
		{"Ingest report grant not limited to reports/", "storage.tf",
			`expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.uploads.name}/objects/reports/\")"`, `expression  = "true"`,
			"Ingest may write the uploads bucket"},
		{"console CSP open", "console.tf",
			`"connect-src 'self' https://${var.api_domain} ${local.auth_origin}",`, `"connect-src *",`,
			"Content-Security-Policy"},
		{"console without CDN", "console.tf",
			"enable_cdn  = true", "enable_cdn  = false",
			"enable_cdn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := readTerraform(t)
			builds := readBuildFiles(t)
			src := string(files[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s no longer contains %q: update this case", tc.file, tc.old)
			}
			files[tc.file] = []byte(strings.Replace(src, tc.old, tc.new, 1))
			m, problems := load(files, testVars())
			if m != nil {
				problems = append(problems, checkInfra(m, builds, deps)...)
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.wantIssue) }) {
				t.Errorf("problems = %q\nwant one mentioning %q", problems, tc.wantIssue)
			}
		})
	}

	// The build files: an apply guarded only by $BRANCH_NAME is refused.
	t.Run("apply guarded by BRANCH_NAME", func(t *testing.T) {
		files, builds := readTerraform(t), readBuildFiles(t)
		builds["cloudbuild-pr.yaml"] += "\n  - id: apply\n    args: [\"-c\", \"if [ \\\"$BRANCH_NAME\\\" = main ]; then terraform apply tfplan; fi\"]\n"
		m, _ := load(files, testVars())
		problems := checkInfra(m, builds, deps)
		for _, want := range []string{"runs cloudbuild-pr.yaml, which applies, on pull requests", "cloudbuild-pr.yaml guards its apply with $BRANCH_NAME"} {
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
				t.Errorf("problems = %q\nwant one mentioning %q", problems, want)
			}
		}
	})
	// A local-only package imported by the deployed build is refused even
	// when the archive excludes it (the build would break).
	t.Run("deployed build imports a local-only package", func(t *testing.T) {
		m, _ := load(readTerraform(t), testVars())
		problems := checkInfra(m, readBuildFiles(t), append(slices.Clone(deps), "shared/duckdb"))
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "imports shared/duckdb") }) {
			t.Errorf("problems = %q\nwant one about shared/duckdb", problems)
		}
	})
}

// checkInfra runs every first-apply and least-privilege check.
func checkInfra(m *module, builds map[string]string, deployed []string) []string {
	var p []string
	p = append(p, m.checkAPIDependencies()...)
	p = append(p, m.checkNEGs()...)
	p = append(p, m.checkBuildAccount()...)
	p = append(p, m.checkAlertsWaitForMetrics()...)
	p = append(p, m.checkPromQL()...)
	p = append(p, m.checkTriggers(builds)...)
	p = append(p, m.checkPullRequestAccount()...)
	p = append(p, m.checkArchive(deployed)...)
	p = append(p, m.checkValidations()...)
	p = append(p, m.checkBigQueryRoles()...)
	p = append(p, m.checkFirestoreRules()...)
	p = append(p, m.checkFirestoreAccess()...)
	p = append(p, m.checkUploadsWriters()...)
	p = append(p, m.checkConsole()...)
	sort.Strings(p)
	return p
}

// --- the reference graph ---------------------------------------------------

// graph maps every resource and data source ("TYPE.NAME", "data.TYPE.NAME")
// to what it references directly: other resources and data sources in any
// expression, depends_on included, with locals followed to what they
// reference. Terraform orders creation by exactly these edges.
func (m *module) graph() map[string]map[string]bool {
	localRefs := map[string]map[string]bool{}
	localExpr := map[string]hclsyntax.Expression{}
	for _, b := range m.blocks("locals") {
		for name, a := range b.Body.Attributes {
			localExpr[name] = a.Expr
		}
	}
	var refsOf func(vars []hcl.Traversal, seen map[string]bool) map[string]bool
	refsOf = func(vars []hcl.Traversal, seen map[string]bool) map[string]bool {
		out := map[string]bool{}
		for _, tr := range vars {
			switch root := tr.RootName(); root {
			case "var", "path", "each", "count", "self", "terraform":
			case "local":
				if len(tr) < 2 {
					continue
				}
				a, ok := tr[1].(hcl.TraverseAttr)
				if !ok || seen[a.Name] || localExpr[a.Name] == nil {
					continue
				}
				if localRefs[a.Name] == nil {
					seen[a.Name] = true
					localRefs[a.Name] = refsOf(localExpr[a.Name].Variables(), seen)
				}
				for r := range localRefs[a.Name] {
					out[r] = true
				}
			case "data":
				if len(tr) >= 3 {
					t, ok1 := tr[1].(hcl.TraverseAttr)
					n, ok2 := tr[2].(hcl.TraverseAttr)
					if ok1 && ok2 {
						out["data."+t.Name+"."+n.Name] = true
					}
				}
			default:
				if len(tr) >= 2 {
					if n, ok := tr[1].(hcl.TraverseAttr); ok {
						out[root+"."+n.Name] = true
					}
				}
			}
		}
		return out
	}
	g := map[string]map[string]bool{}
	for _, kind := range []string{"resource", "data"} {
		for _, b := range m.blocks(kind) {
			addr := b.Labels[0] + "." + b.Labels[1]
			if kind == "data" {
				addr = "data." + addr
			}
			g[addr] = refsOf(bodyVariables(b.Body), map[string]bool{})
		}
	}
	return g
}

// bodyVariables is every traversal in a body's attributes, nested blocks
// included.
func bodyVariables(b *hclsyntax.Body) []hcl.Traversal {
	var out []hcl.Traversal
	for _, a := range b.Attributes {
		out = append(out, a.Expr.Variables()...)
	}
	for _, blk := range b.Blocks {
		out = append(out, bodyVariables(blk.Body)...)
	}
	return out
}

// reaches reports whether from depends on to, directly or not.
func reaches(g map[string]map[string]bool, from, to string) bool {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for r := range g[n] {
			if r == to {
				return true
			}
			if !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	return false
}

// blockAddr is a block's graph address.
func blockAddr(b *hclsyntax.Block) string {
	if b.Type == "data" {
		return "data." + b.Labels[0] + "." + b.Labels[1]
	}
	return b.Labels[0] + "." + b.Labels[1]
}

// text is an expression's source.
func (m *module) text(e hclsyntax.Expression) string {
	r := e.Range()
	b := m.src[r.Filename]
	if r.End.Byte > len(b) {
		return ""
	}
	return string(b[r.Start.Byte:r.End.Byte])
}

// sleepAtLeast reports whether a time_sleep's create_duration is at least d.
func (m *module) sleepAtLeast(addr string, d time.Duration) bool {
	for _, b := range m.blocks("resource", "time_sleep") {
		if "time_sleep."+b.Labels[1] != addr {
			continue
		}
		got, err := time.ParseDuration(m.str(b.Body, "create_duration", m.evalContext(nil)))
		return err == nil && got >= d
	}
	return false
}

// --- 3. API enablement -----------------------------------------------------

// checkAPIDependencies: every Google resource and data source depends,
// directly or through what it references, on the API enablement. On an empty
// project anything created before its API is on fails.
func (m *module) checkAPIDependencies() []string {
	g := m.graph()
	var problems []string
	for addr := range g {
		typ := strings.TrimPrefix(addr, "data.")
		if !strings.HasPrefix(typ, "google_") || strings.HasPrefix(typ, "google_project_service.") {
			continue
		}
		if !reaches(g, addr, "google_project_service.apis") {
			problems = append(problems, fmt.Sprintf("%s does not depend on google_project_service.apis (depends_on, or a reference to something that does): on an empty project it races API enablement", addr))
		}
	}
	return problems
}

// --- 1. serverless NEGs ----------------------------------------------------

var bareServiceName = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// checkNEGs: a serverless NEG names its Cloud Run service (or function) by
// its bare name, one of the functions deployed here.
func (m *module) checkNEGs() []string {
	names := map[string]bool{}
	if v, ok := m.locals["function_names"]; ok && v.IsWhollyKnown() && v.CanIterateElements() {
		for it := v.ElementIterator(); it.Next(); {
			_, n := it.Element()
			names[n.AsString()] = true
		}
	}
	var problems []string
	for _, b := range m.blocks("resource", "google_compute_region_network_endpoint_group") {
		for key, each := range m.instances(b) {
			ctx := m.evalContext(each)
			addr := fmt.Sprintf("%s[%q]", blockAddr(b), key)
			var got string
			switch {
			case child(b.Body, "cloud_run") != nil:
				got = m.str(child(b.Body, "cloud_run").Body, "service", ctx)
			case child(b.Body, "cloud_function") != nil:
				got = m.str(child(b.Body, "cloud_function").Body, "function", ctx)
			default:
				problems = append(problems, addr+": neither cloud_run nor cloud_function")
				continue
			}
			if !bareServiceName.MatchString(got) || !names[got] {
				problems = append(problems, fmt.Sprintf("%s: service %q is not a bare Cloud Run service name of a function deployed here (the API rejects a resource path at apply)", addr, got))
			}
		}
	}
	return problems
}

// --- IAM grants ------------------------------------------------------------

// grant is one IAM member grant.
type grant struct {
	addr      string // resource address and key
	res       string // graph address (no key)
	scope     string // "project", "bucket:<ref or name>", "dataset:<ref>"
	role      string // a predefined role, or the custom role's stand-in
	member    string
	condition string // the condition expression (value, or source when unknown); "" for none
}

// grants returns every project, bucket and dataset IAM member grant.
func (m *module) grants() []grant {
	scopes := map[string]string{
		"google_project_iam_member":          "",
		"google_storage_bucket_iam_member":   "bucket",
		"google_bigquery_dataset_iam_member": "dataset_id",
	}
	var out []grant
	for typ, scopeAttr := range scopes {
		for _, b := range m.blocks("resource", typ) {
			for key, each := range m.instances(b) {
				ctx := m.evalContext(each)
				g := grant{
					addr:   fmt.Sprintf("%s[%q]", blockAddr(b), key),
					res:    blockAddr(b),
					scope:  "project",
					role:   m.str(b.Body, "role", ctx),
					member: m.str(b.Body, "member", ctx),
				}
				if scopeAttr != "" {
					a := b.Body.Attributes[scopeAttr]
					id := ""
					if a != nil {
						if id = bucketRef(a.Expr); id == "" {
							id = m.str(b.Body, scopeAttr, ctx)
						}
						if id == "" {
							id = m.text(a.Expr)
						}
					}
					g.scope = map[string]string{"bucket": "bucket:", "dataset_id": "dataset:"}[scopeAttr] + id
				}
				g.condition = m.conditionOf(b.Body, ctx)
				out = append(out, g)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

// conditionOf returns a grant's condition expression, from a condition
// block or a dynamic "condition" block; "" when it has none.
func (m *module) conditionOf(body *hclsyntax.Body, ctx *hcl.EvalContext) string {
	if c := child(body, "condition"); c != nil {
		if s := m.str(c.Body, "expression", ctx); s != "" {
			return s
		}
		if a, ok := c.Body.Attributes["expression"]; ok {
			return m.text(a.Expr)
		}
		return ""
	}
	for _, blk := range body.Blocks {
		if blk.Type != "dynamic" || len(blk.Labels) == 0 || blk.Labels[0] != "condition" {
			continue
		}
		content := child(blk.Body, "content")
		fe, ok := blk.Body.Attributes["for_each"]
		if content == nil || !ok {
			continue
		}
		v, diags := fe.Expr.Value(ctx)
		expr := content.Body.Attributes["expression"]
		if diags.HasErrors() || !v.IsWhollyKnown() || expr == nil {
			if expr != nil {
				return m.text(expr.Expr) // unknown: count it as conditioned, by its source
			}
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			inner := ctx.NewChild()
			inner.Variables = map[string]cty.Value{"condition": cty.ObjectVal(map[string]cty.Value{"key": k, "value": ev})}
			if s := m.str(content.Body, "expression", inner); s != "" {
				return s
			}
			return m.text(expr.Expr)
		}
	}
	return ""
}

// customRoles maps a custom role, by its stand-in and by its
// projects/P/roles/ID name, to its permissions.
func (m *module) customRoles() map[string][]string {
	out := map[string][]string{}
	for _, b := range m.blocks("resource", "google_project_iam_custom_role") {
		for key, each := range m.instances(b) {
			ctx := m.evalContext(each)
			var perms []string
			if a, ok := b.Body.Attributes["permissions"]; ok {
				if v, diags := a.Expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() && v.CanIterateElements() {
					for it := v.ElementIterator(); it.Next(); {
						_, p := it.Element()
						perms = append(perms, p.AsString())
					}
				}
			}
			out["customrole:"+standInName(b.Labels[0], b.Labels[1], key)] = perms
			out[fmt.Sprintf("projects/%s/roles/%s", m.vars["project"].AsString(), m.str(b.Body, "role_id", ctx))] = perms
		}
	}
	return out
}

// fnMember is the member string of a function's service account.
func fnMember(fn string) string {
	return "serviceAccount:" + standInName("google_service_account", "fn", fn) + "@sa.test"
}

// --- 2. the function build account ----------------------------------------

// checkBuildAccount: the account that builds the functions can write logs,
// push images and read the source where the build reads it (Cloud Functions'
// own gcf-v2-sources bucket), and the functions wait for those grants.
func (m *module) checkBuildAccount() []string {
	var problems []string
	accounts := map[string]bool{}
	for _, b := range m.blocks("resource", "google_cloudfunctions2_function") {
		for _, each := range m.instances(b) {
			if bc := child(b.Body, "build_config"); bc != nil {
				sa := m.str(bc.Body, "service_account", m.evalContext(each))
				if sa == "" {
					problems = append(problems, blockAddr(b)+": build_config.service_account is not set: builds run as the default compute account")
					continue
				}
				accounts[sa] = true
			}
		}
	}
	g := m.graph()
	for sa := range accounts {
		member := "serviceAccount:" + sa
		found := map[string][]grant{}
		for _, gr := range m.grants() {
			if gr.member == member {
				found[gr.role] = append(found[gr.role], gr)
			}
		}
		for _, role := range []string{"roles/logging.logWriter", "roles/artifactregistry.writer"} {
			if len(found[role]) == 0 {
				problems = append(problems, fmt.Sprintf("build account %s lacks %s", sa, role))
			}
		}
		readsSources := false
		for _, gr := range found["roles/storage.objectViewer"] {
			if gr.scope == "project" && (gr.condition == "" || strings.Contains(gr.condition, "gcf-v2-sources-")) {
				readsSources = true
			}
		}
		if !readsSources {
			problems = append(problems, fmt.Sprintf("build account %s lacks storage.objectViewer covering gcf-v2-sources-<number>-<region> (project-level, optionally conditioned to that bucket): the build reads the source there", sa))
		}
		// The functions wait for these grants through a time_sleep.
		grantRes := map[string]bool{}
		for _, list := range found {
			for _, gr := range list {
				grantRes[gr.res] = true
			}
		}
		for _, b := range m.blocks("resource", "google_cloudfunctions2_function") {
			waits := false
			for sleep := range g[blockAddr(b)] {
				if !strings.HasPrefix(sleep, "time_sleep.") || !m.sleepAtLeast(sleep, 30*time.Second) {
					continue
				}
				covers := true
				for res := range grantRes {
					if !g[sleep][res] {
						covers = false
					}
				}
				waits = waits || covers
			}
			if !waits {
				problems = append(problems, fmt.Sprintf("%s does not wait (depends_on a time_sleep after them) for the build grants %v: IAM takes minutes to propagate", blockAddr(b), keys(grantRes)))
			}
		}
	}
	if len(accounts) == 0 {
		problems = append(problems, "no google_cloudfunctions2_function names a build service account")
	}
	return problems
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- 4 and 5. alerts on log-based metrics ----------------------------------

// checkAlertsWaitForMetrics: an alert policy on a log-based metric waits
// (depends_on a time_sleep of a minute or more that follows the metric):
// Monitoring sees a new log-based metric only minutes after it is created.
func (m *module) checkAlertsWaitForMetrics() []string {
	g := m.graph()
	var problems []string
	for _, b := range m.blocks("resource", "google_monitoring_alert_policy") {
		addr := blockAddr(b)
		for ref := range g[addr] {
			if !strings.HasPrefix(ref, "google_logging_metric.") {
				continue
			}
			waits := false
			for sleep := range g[addr] {
				if strings.HasPrefix(sleep, "time_sleep.") && g[sleep][ref] && m.sleepAtLeast(sleep, time.Minute) {
					waits = true
				}
			}
			if !waits {
				problems = append(problems, fmt.Sprintf("%s uses %s but does not wait for it (depends_on a time_sleep of at least a minute that follows the metric): \"Cannot find metric(s)\" on the first apply", addr, ref))
			}
		}
		src := string(m.src[b.Range().Filename][b.Range().Start.Byte:b.Range().End.Byte])
		if (strings.Contains(src, "logging.googleapis.com/user/") || strings.Contains(src, "logging_googleapis_com:user_")) &&
			!slices.ContainsFunc(keys(g[addr]), func(r string) bool { return strings.HasPrefix(r, "google_logging_metric.") }) {
			problems = append(problems, addr+" names a log-based metric by string: reference the google_logging_metric so the wait can follow it")
		}
	}
	return problems
}

// checkPromQL: a PromQL condition on a log-based metric disables metric
// validation; such a metric (billing runs completed) may never have been
// written when the policy is created, and Monitoring rejects it otherwise.
func (m *module) checkPromQL() []string {
	var problems []string
	for _, b := range m.blocks("resource", "google_monitoring_alert_policy") {
		for _, c := range b.Body.Blocks {
			if c.Type != "conditions" {
				continue
			}
			pq := child(c.Body, "condition_prometheus_query_language")
			if pq == nil {
				continue
			}
			q, ok := pq.Body.Attributes["query"]
			if !ok || !strings.Contains(m.text(q.Expr), "logging_googleapis_com:user_") {
				continue
			}
			v := cty.False
			if a, ok := pq.Body.Attributes["disable_metric_validation"]; ok {
				if got, diags := a.Expr.Value(m.evalContext(nil)); !diags.HasErrors() && got.Type() == cty.Bool && got.IsKnown() {
					v = got
				}
			}
			if v.False() {
				problems = append(problems, blockAddr(b)+": PromQL on a log-based metric without disable_metric_validation = true: rejected while the metric has never been written")
			}
		}
	}
	return problems
}

// --- pull requests and apply -----------------------------------------------

var applies = regexp.MustCompile(`terraform\b[^\n]*\sapply\b`)

type buildTrigger struct {
	addr, filename, serviceAccount string
	push, pullRequest              *hclsyntax.Block
}

func (m *module) triggers() []buildTrigger {
	var out []buildTrigger
	for _, b := range m.blocks("resource", "google_cloudbuild_trigger") {
		ctx := m.evalContext(nil)
		t := buildTrigger{addr: blockAddr(b), filename: m.str(b.Body, "filename", ctx), serviceAccount: m.str(b.Body, "service_account", ctx)}
		for _, ev := range []string{"repository_event_config", "github"} {
			if c := child(b.Body, ev); c != nil {
				t.push = child(c.Body, "push")
				t.pullRequest = child(c.Body, "pull_request")
			}
		}
		out = append(out, t)
	}
	return out
}

// checkTriggers: only a push to main applies, through its own trigger and
// account; a pull request's trigger runs a file that never applies, as
// another account; no file guards an apply with $BRANCH_NAME (a pull request
// can rewrite that file).
func (m *module) checkTriggers(builds map[string]string) []string {
	var problems []string
	applyFiles := map[string]bool{}
	for name, content := range builds {
		if applies.MatchString(content) {
			applyFiles[name] = true
			if strings.Contains(content, "BRANCH_NAME") {
				problems = append(problems, fmt.Sprintf("%s guards its apply with $BRANCH_NAME, in a file a pull request can change: apply only from the main push trigger", name))
			}
		}
	}
	ts := m.triggers()
	ctx := m.evalContext(nil)
	for name := range applyFiles {
		onMain := false
		for _, t := range ts {
			if t.filename != name {
				continue
			}
			if t.pullRequest != nil {
				problems = append(problems, fmt.Sprintf("%s runs %s, which applies, on pull requests", t.addr, name))
			}
			if t.push == nil {
				problems = append(problems, fmt.Sprintf("%s runs %s, which applies, on something other than a push", t.addr, name))
				continue
			}
			branch := m.str(t.push.Body, "branch", ctx)
			inv := m.str(t.push.Body, "invert_regex", ctx)
			if branch != "^main$" || inv == "true" || m.str(t.push.Body, "tag", ctx) != "" {
				problems = append(problems, fmt.Sprintf("%s applies on push to branch %q (invert %q): want exactly ^main$", t.addr, branch, inv))
				continue
			}
			if t.serviceAccount == "" {
				problems = append(problems, t.addr+": no service_account: the default Cloud Build account runs it")
				continue
			}
			onMain = true
		}
		if !onMain {
			problems = append(problems, fmt.Sprintf("no google_cloudbuild_trigger runs %s (which applies) on push to ^main$ as a named account", name))
		}
	}
	prTriggers := 0
	for _, t := range ts {
		if t.pullRequest == nil {
			continue
		}
		prTriggers++
		if applyFiles[t.filename] {
			problems = append(problems, fmt.Sprintf("%s runs %s, which applies, on pull requests", t.addr, t.filename))
		}
		if _, ok := builds[t.filename]; !ok {
			problems = append(problems, fmt.Sprintf("%s runs %s, which does not exist at the repository root", t.addr, t.filename))
		}
		if !strings.Contains(t.serviceAccount, "google_service_account.") {
			problems = append(problems, fmt.Sprintf("%s runs as %q, not a pull-request account created here", t.addr, t.serviceAccount))
		}
		for _, d := range ts {
			if d.pullRequest == nil && d.serviceAccount == t.serviceAccount {
				problems = append(problems, fmt.Sprintf("%s runs as the same account as %s", t.addr, d.addr))
			}
		}
	}
	if prTriggers == 0 {
		problems = append(problems, "no google_cloudbuild_trigger for pull requests: they need their own trigger and low-privilege account")
	}
	return problems
}

// Roles a pull-request account may hold: read-only, no client data.
var (
	prRoleOK     = regexp.MustCompile(`^roles/([a-z]+\.(viewer|[a-zA-Z]+Viewer|builds\.viewer)|iam\.securityReviewer|logging\.logWriter)$`)
	prRoleData   = regexp.MustCompile(`^roles/(viewer|bigquery\.dataViewer|datastore\.viewer|logging\.viewer|logging\.privateLogViewer|storage\.objectViewer|secretmanager\..*)$`)
	readOnlyPerm = regexp.MustCompile(`\.(get|list|getMetadata|getIamPolicy)$`)
	dataPerm     = regexp.MustCompile(`(getData|^storage\.objects\.|^datastore\.entities\.|^logging\.logEntries\.|^secretmanager\.versions\.access)`)
)

// checkPullRequestAccount: the account pull-request builds run as holds only
// read-only roles that read no client data, and reads the state of its own
// environment only.
func (m *module) checkPullRequestAccount() []string {
	var problems []string
	custom := m.customRoles()
	for _, t := range m.triggers() {
		if t.pullRequest == nil || t.serviceAccount == "" {
			continue
		}
		member := "serviceAccount:" + strings.TrimPrefix(t.serviceAccount, "") // stand-in ids are e-mails
		n := 0
		for _, gr := range m.grants() {
			if gr.member != member {
				continue
			}
			n++
			if perms, ok := custom[gr.role]; ok {
				for _, p := range perms {
					if !readOnlyPerm.MatchString(p) || dataPerm.MatchString(p) {
						problems = append(problems, fmt.Sprintf("pull-request account holds %s through custom role %s", p, gr.role))
					}
				}
				continue
			}
			switch {
			case gr.scope == "project" && (prRoleData.MatchString(gr.role) || !prRoleOK.MatchString(gr.role)):
				problems = append(problems, fmt.Sprintf("pull-request account holds %s on the project (%s): only read-only roles that read no client data", gr.role, gr.addr))
			case strings.HasPrefix(gr.scope, "bucket:") && gr.role != "roles/storage.objectViewer":
				problems = append(problems, fmt.Sprintf("pull-request account holds %s on %s", gr.role, gr.scope))
			case gr.scope == "bucket:google_storage_bucket.uploads" || gr.scope == "bucket:google_storage_bucket.finance":
				problems = append(problems, fmt.Sprintf("pull-request account reads %s (client data)", gr.scope))
			case gr.scope == "bucket:"+m.vars["tf_state_bucket"].AsString() && !stateCondition(gr.condition, m.vars["tf_state_bucket"].AsString(), m.vars["environment"].AsString()):
				problems = append(problems, fmt.Sprintf("pull-request account reads the state bucket without a condition on this environment's prefix (%q)", gr.condition))
			case strings.HasPrefix(gr.scope, "dataset:"):
				problems = append(problems, fmt.Sprintf("pull-request account holds %s on %s", gr.role, gr.scope))
			}
		}
		if n == 0 {
			problems = append(problems, "the pull-request account has no grants: its plan cannot read anything")
		}
	}
	return problems
}

// stateCondition reports whether a condition admits only the state bucket
// itself (for listing) and the objects under this environment's prefix.
func stateCondition(cond, bucket, env string) bool {
	if cond == "" {
		return false
	}
	for _, clause := range strings.Split(cond, "||") {
		switch strings.TrimSpace(clause) {
		case fmt.Sprintf(`resource.name == "projects/_/buckets/%s"`, bucket),
			fmt.Sprintf(`resource.name.startsWith("projects/_/buckets/%s/objects/rentroll/%s/")`, bucket, env):
		default:
			return false
		}
	}
	return true
}

// --- archive ---------------------------------------------------------------

// checkArchive: the function source archive has fixed file modes and leaves
// out every local-only directory, while keeping every package the deployed
// build compiles.
func (m *module) checkArchive(deployed []string) []string {
	var problems []string
	blocks := m.blocks("data", "archive_file")
	if len(blocks) != 1 {
		return []string{fmt.Sprintf("want one data.archive_file (the function source), found %d", len(blocks))}
	}
	b := blocks[0]
	ctx := m.evalContext(nil)
	if !regexp.MustCompile(`^0[0-7]{3}$`).MatchString(m.str(b.Body, "output_file_mode", ctx)) {
		problems = append(problems, blockAddr(b)+": no fixed output_file_mode (e.g. \"0644\"): the checksum follows each checkout's file modes and redeploys unchanged functions")
	}
	var excludes []string
	if a, ok := b.Body.Attributes["excludes"]; ok {
		if v, diags := a.Expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() && v.CanIterateElements() {
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				excludes = append(excludes, e.AsString())
			}
		}
	}
	excluded := func(dir string) bool {
		for _, e := range excludes {
			if rest, ok := strings.CutPrefix(e, "**/"); ok && !strings.ContainsAny(rest, "*?[") {
				if slices.Contains(strings.Split(dir, "/"), rest) {
					return true
				}
				continue
			}
			if dir == e || strings.HasPrefix(dir, e+"/") {
				return true
			}
		}
		return false
	}
	for _, d := range localOnly {
		if !excluded(d) {
			problems = append(problems, fmt.Sprintf("%s does not exclude %q (local-only) from the function source", blockAddr(b), d))
		}
	}
	for _, d := range deployed {
		if d != "" && excluded(d) {
			problems = append(problems, fmt.Sprintf("%s excludes %s, which the deployed build compiles", blockAddr(b), d))
		}
		for _, l := range localOnly {
			if d == l || strings.HasPrefix(d, l+"/") {
				problems = append(problems, fmt.Sprintf("the deployed build (root package) imports %s, which is local-only", d))
			}
		}
	}
	return problems
}

// --- variable validations --------------------------------------------------

// validates evaluates a variable's validation conditions for value: false
// when any refuses it.
func (m *module) validates(name string, value cty.Value) (bool, error) {
	for _, b := range m.blocks("variable") {
		if b.Labels[0] != name {
			continue
		}
		saved := m.vars[name]
		m.vars[name] = value
		defer func() { m.vars[name] = saved }()
		ctx := m.evalContext(nil)
		for _, v := range b.Body.Blocks {
			if v.Type != "validation" {
				continue
			}
			c, diags := v.Body.Attributes["condition"].Expr.Value(ctx)
			if diags.HasErrors() {
				return false, diags
			}
			if !c.IsKnown() || c.Type() != cty.Bool {
				return false, fmt.Errorf("variable %s: condition is not a known bool", name)
			}
			if c.False() {
				return false, nil
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("no variable %q", name)
}

// checkValidations: origins are https only; soft-delete retention is within
// what GCS accepts.
func (m *module) checkValidations() []string {
	list := func(s ...string) cty.Value {
		vs := make([]cty.Value, len(s))
		for i, x := range s {
			vs[i] = cty.StringVal(x)
		}
		return cty.ListVal(vs)
	}
	cases := []struct {
		name  string
		value cty.Value
		shown string
		want  bool
	}{
		{"allowed_origins", list("https://app.rentroll.ai"), `["https://app.rentroll.ai"]`, true},
		{"allowed_origins", list("https://app.rentroll.ai", "https://localhost:8443"), `["https://app.rentroll.ai","https://localhost:8443"]`, true},
		{"allowed_origins", list("http://app.rentroll.ai"), `["http://app.rentroll.ai"]`, false},
		{"allowed_origins", list("https://app.rentroll.ai", "http://localhost:8080"), `[…, "http://localhost:8080"]`, false},
		{"allowed_origins", list("https://*.rentroll.ai"), `["https://*.rentroll.ai"]`, false},
		{"allowed_origins", list("https://app.rentroll.ai/path"), `["https://app.rentroll.ai/path"]`, false},
		{"uploads_soft_delete_days", cty.NumberIntVal(30), "30", true},
		{"uploads_soft_delete_days", cty.NumberIntVal(7), "7", true},
		{"uploads_soft_delete_days", cty.NumberIntVal(3), "3", false},
		{"uploads_soft_delete_days", cty.NumberIntVal(91), "91", false},
		{"uploads_soft_delete_days", cty.NumberVal(big.NewFloat(7.5)), "7.5", false},
	}
	var problems []string
	for _, c := range cases {
		got, err := m.validates(c.name, c.value)
		if err != nil && c.name == "allowed_origins" && strings.Contains(err.Error(), "console_domain") {
			err = nil // a cross-variable check elsewhere
		}
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("variable %s: validation does not evaluate: %v", c.name, err))
		case got != c.want && c.want:
			problems = append(problems, fmt.Sprintf("%s refuses %s, a valid value", c.name, c.shown))
		case got != c.want:
			problems = append(problems, fmt.Sprintf("%s accepts %s", c.name, c.shown))
		}
	}
	return problems
}

// --- BigQuery roles --------------------------------------------------------

var bigqueryWrite = regexp.MustCompile(`^bigquery\.(tables\.(create|update|updateData|delete|setIamPolicy)|datasets\.(update|delete|setIamPolicy))$`)

// checkBigQueryRoles: no function writes BigQuery project-wide. Writes to the
// client datasets created at run time go through custom roles conditioned to
// client_ datasets; no function may delete a dataset or change access.
func (m *module) checkBigQueryRoles() []string {
	var problems []string
	custom := m.customRoles()
	broad := map[string]bool{"roles/bigquery.dataEditor": true, "roles/bigquery.dataOwner": true, "roles/bigquery.admin": true, "roles/bigquery.user": true, "roles/editor": true, "roles/owner": true}
	for _, fn := range []string{"Uploads", "Ingest", "Analytics", "Admin", "Billing"} {
		for _, gr := range m.grants() {
			if gr.member != fnMember(fn) || gr.scope != "project" {
				continue
			}
			if broad[gr.role] {
				problems = append(problems, fmt.Sprintf("%s holds %s on the whole project (%s): use a custom role conditioned to client_ datasets", fn, gr.role, gr.addr))
			}
			for _, p := range custom[gr.role] {
				if strings.HasSuffix(p, ".delete") && strings.HasPrefix(p, "bigquery.datasets") || strings.HasSuffix(p, "setIamPolicy") {
					problems = append(problems, fmt.Sprintf("%s may %s (%s)", fn, p, gr.addr))
				}
				if bigqueryWrite.MatchString(p) && !strings.Contains(gr.condition, "/datasets/client_") {
					problems = append(problems, fmt.Sprintf("%s holds %s project-wide through %s without a condition limiting it to client_ datasets", fn, p, gr.addr))
				}
			}
		}
	}
	return problems
}

// --- Firestore rules -------------------------------------------------------

// checkFirestoreRules: an explicit deny-all ruleset released to the
// database, so no client SDK can ever read or write it.
func (m *module) checkFirestoreRules() []string {
	g := m.graph()
	denyAll := m.denyAllRulesets()
	for _, b := range m.blocks("resource", "google_firebaserules_release") {
		if m.str(b.Body, "name", m.evalContext(nil)) != "cloud.firestore" {
			continue
		}
		for r := range g[blockAddr(b)] {
			if denyAll[r] {
				return nil
			}
		}
	}
	return []string{"no google_firebaserules_release \"cloud.firestore\" of a deny-all ruleset (every allow is `allow read, write: if false;` on /{document=**})"}
}

func bodyBlocks(b *hclsyntax.Body) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, blk := range b.Blocks {
		out = append(out, blk)
		out = append(out, bodyBlocks(blk.Body)...)
	}
	return out
}

// --- uploads bucket writers ------------------------------------------------

var storageWrite = regexp.MustCompile(`^(roles/storage\.(objectCreator|objectUser|objectAdmin|admin|legacyBucketWriter|legacyBucketOwner)|roles/(editor|owner))$`)

// checkUploadsWriters: only Uploads (the signed PUT) creates objects in the
// uploads bucket, and Ingest writes its reports under reports/ and nowhere
// else; nobody else writes there.
func (m *module) checkUploadsWriters() []string {
	var problems []string
	custom := m.customRoles()
	ingestReports := false
	for _, gr := range m.grants() {
		if gr.scope != "bucket:google_storage_bucket.uploads" && gr.scope != "project" {
			continue
		}
		writes := storageWrite.MatchString(gr.role)
		for _, p := range custom[gr.role] {
			if strings.HasPrefix(p, "storage.objects.") && p != "storage.objects.get" && p != "storage.objects.list" {
				writes = true
			}
		}
		if !writes || (gr.scope == "project" && !strings.HasPrefix(gr.member, "serviceAccount:google_service_account.fn[")) {
			continue
		}
		switch {
		case gr.member == fnMember("Uploads") && gr.role == "roles/storage.objectCreator" && gr.scope != "project":
		case gr.member == fnMember("Ingest") && gr.scope != "project" && strings.Contains(gr.condition, "/objects/reports/") && !strings.Contains(gr.condition, "||"):
			ingestReports = true
		default:
			who := strings.TrimSuffix(strings.TrimPrefix(gr.member, "serviceAccount:google_service_account.fn["), "]@sa.test")
			problems = append(problems, fmt.Sprintf("%s may write the uploads bucket (%s, %s, condition %q)", who, gr.role, gr.addr, gr.condition))
		}
	}
	if !ingestReports {
		problems = append(problems, "Ingest writes reports/<cid>/<uid>.json to the uploads bucket but has no create permission limited to reports/: the 403 is retried for a day")
	}
	return problems
}

// --- console hosting -------------------------------------------------------

// checkConsole: the console is served from a bucket through a CDN-enabled
// backend bucket on the console's host, /v1 on that host reaches the
// functions, and its Content-Security-Policy names exactly the console
// itself, the API and the identity provider.
func (m *module) checkConsole() []string {
	var problems []string
	ctx := m.evalContext(nil)
	bbs := m.blocks("resource", "google_compute_backend_bucket")
	if len(bbs) != 1 {
		return []string{fmt.Sprintf("want one google_compute_backend_bucket (the console), found %d", len(bbs))}
	}
	bb := bbs[0]
	if v, ok := bb.Body.Attributes["enable_cdn"]; !ok || m.text(v.Expr) != "true" {
		problems = append(problems, blockAddr(bb)+": enable_cdn is not true")
	}
	if a, ok := bb.Body.Attributes["bucket_name"]; !ok || bucketRef(a.Expr) == "" {
		problems = append(problems, blockAddr(bb)+": bucket_name does not name a google_storage_bucket")
	}
	csp := ""
	if a, ok := bb.Body.Attributes["custom_response_headers"]; ok {
		if v, diags := a.Expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() {
			for it := v.ElementIterator(); it.Next(); {
				_, h := it.Element()
				if s, ok := strings.CutPrefix(h.AsString(), "Content-Security-Policy: "); ok {
					csp = s
				}
			}
		}
	}
	auth := strings.TrimSuffix(m.vars["auth_issuer"].AsString(), "/")
	api := "https://" + m.vars["api_domain"].AsString()
	allowed := map[string]bool{"'self'": true, "'none'": true, "'unsafe-inline'": true, "data:": true, auth: true, api: true}
	switch {
	case csp == "":
		problems = append(problems, blockAddr(bb)+": no Content-Security-Policy response header")
	default:
		directives := map[string][]string{}
		for _, d := range strings.Split(csp, ";") {
			f := strings.Fields(d)
			if len(f) > 0 {
				directives[f[0]] = f[1:]
			}
		}
		for name, srcs := range directives {
			for _, s := range srcs {
				if !allowed[s] {
					problems = append(problems, fmt.Sprintf("Content-Security-Policy %s allows %q: only the console, the API (%s) and the provider (%s)", name, s, api, auth))
				}
			}
		}
		if !slices.Equal(directives["default-src"], []string{"'self'"}) || !slices.Contains(directives["connect-src"], auth) ||
			!slices.Contains(directives["frame-ancestors"], "'none'") || !slices.Equal(directives["script-src"], []string{"'self'"}) {
			problems = append(problems, fmt.Sprintf("Content-Security-Policy %q: want default-src 'self', script-src 'self', connect-src with the provider, frame-ancestors 'none'", csp))
		}
	}
	// The URL map: the console host's default is the backend bucket, /v1
	// goes to the functions.
	console := m.vars["console_domain"].AsString()
	found := false
	for _, um := range m.blocks("resource", "google_compute_url_map") {
		matcher := ""
		for _, hr := range um.Body.Blocks {
			if hr.Type != "host_rule" {
				continue
			}
			if a, ok := hr.Body.Attributes["hosts"]; ok {
				if v, diags := a.Expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() {
					for it := v.ElementIterator(); it.Next(); {
						if _, h := it.Element(); h.AsString() == console {
							matcher = m.str(hr.Body, "path_matcher", ctx)
						}
					}
				}
			}
		}
		for _, pm := range um.Body.Blocks {
			if pm.Type != "path_matcher" || matcher == "" || m.str(pm.Body, "name", ctx) != matcher {
				continue
			}
			found = true
			if d, ok := pm.Body.Attributes["default_service"]; !ok || !strings.Contains(m.text(d.Expr), "google_compute_backend_bucket.") {
				problems = append(problems, "the console host's default service is not the console's backend bucket")
			}
			src := string(m.src[pm.Range().Filename][pm.Range().Start.Byte:pm.Range().End.Byte])
			if !strings.Contains(src, `"/v1/**"`) || !strings.Contains(src, "google_compute_backend_service.fn") {
				problems = append(problems, "the console host does not route /v1/** to the functions")
			}
		}
	}
	if !found {
		problems = append(problems, fmt.Sprintf("no URL map host rule for the console host %q", console))
	}
	return problems
}

// --- evaluation helpers ----------------------------------------------------

// validationFuncs are the Terraform functions the variable validations use.
func validationFuncs() map[string]function.Function {
	strPred := func(f func(s, affix string) bool) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "s", Type: cty.String}, {Name: "affix", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
			},
		})
	}
	return map[string]function.Function{
		"can": tryfunc.CanFunc, "regex": stdlib.RegexFunc, "floor": stdlib.FloorFunc,
		"contains": stdlib.ContainsFunc, "trimsuffix": stdlib.TrimSuffixFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"startswith": strPred(strings.HasPrefix), "endswith": strPred(strings.HasSuffix),
		"alltrue": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				for it := args[0].ElementIterator(); it.Next(); {
					if _, v := it.Element(); v.IsNull() || v.False() {
						return cty.False, nil
					}
				}
				return cty.True, nil
			},
		}),
	}
}
