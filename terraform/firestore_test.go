package terraform_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// firestoreWriteRoles are the predefined roles that can write Firestore
// documents (or replace them wholesale, by import).
var firestoreWriteRoles = map[string]bool{
	"roles/datastore.user": true, "roles/datastore.owner": true, "roles/datastore.importExportAdmin": true,
	"roles/datastore.restoreAdmin": true, "roles/firebase.admin": true, "roles/firebase.developAdmin": true,
	"roles/editor": true, "roles/owner": true,
}

// firestoreWritePerm matches custom-role permissions that write documents.
var firestoreWritePerm = regexp.MustCompile(`^datastore\.(entities\.(create|update|delete)|databases\.import)$`)

// firestoreDatabases returns the names of the google_firestore_database
// resources, by resource address.
func (m *module) firestoreDatabases() map[string]string {
	out := map[string]string{}
	for _, b := range m.blocks("resource", "google_firestore_database") {
		out[blockAddr(b)] = m.str(b.Body, "name", m.evalContext(nil))
	}
	return out
}

// databaseCondition is the IAM condition that limits a grant to one
// Firestore database.
func (m *module) databaseCondition(db string) string {
	return fmt.Sprintf("resource.name == %q", "projects/"+m.vars["project"].AsString()+"/databases/"+db)
}

// checkFirestoreAccess: the registry (clients, users) is a Firestore
// database of its own, protected and backed up like the main one, with
// deny-all rules; only Admin's account may write it, the other functions
// only read it; no account writes Firestore through an unconditioned grant;
// the functions are told its name; only Admin bootstraps the super admin.
func (m *module) checkFirestoreAccess() []string {
	var problems []string
	dbs := m.firestoreDatabases()
	registry := ""
	for _, name := range dbs {
		if name != "(default)" {
			if registry != "" {
				problems = append(problems, fmt.Sprintf("more than one named Firestore database (%s, %s): which is the registry?", registry, name))
			}
			registry = name
		}
	}
	if registry == "" {
		return append(problems, "no named google_firestore_database for the registry: with one database, Firestore IAM cannot keep the other functions from writing users/{sub}")
	}

	// Protected, recoverable and in the same place as the main database.
	for _, b := range m.blocks("resource", "google_firestore_database") {
		ctx := m.evalContext(nil)
		for attr, want := range map[string]string{
			"point_in_time_recovery_enablement": "POINT_IN_TIME_RECOVERY_ENABLED",
			"delete_protection_state":           "DELETE_PROTECTION_ENABLED",
			"deletion_policy":                   "ABANDON",
			"location_id":                       m.vars["firestore_location"].AsString(),
			"type":                              "FIRESTORE_NATIVE",
		} {
			if got := m.str(b.Body, attr, ctx); got != want {
				problems = append(problems, fmt.Sprintf("%s: %s = %q, want %q", blockAddr(b), attr, got, want))
			}
		}
	}
	g := m.graph()
	for addr, name := range dbs {
		backed := false
		for _, b := range m.blocks("resource", "google_firestore_backup_schedule") {
			if g[blockAddr(b)][addr] {
				backed = true
			}
		}
		if !backed {
			problems = append(problems, fmt.Sprintf("the %s database (%s) has no google_firestore_backup_schedule", name, addr))
		}
	}
	// Rules are per database: a named database's release is
	// cloud.firestore/<id>.
	releases := map[string]bool{}
	for _, b := range m.blocks("resource", "google_firebaserules_release") {
		for r := range g[blockAddr(b)] {
			if m.denyAllRulesets()[r] {
				releases[m.str(b.Body, "name", m.evalContext(nil))] = true
			}
		}
	}
	if !releases["cloud.firestore/"+registry] {
		problems = append(problems, fmt.Sprintf("no google_firebaserules_release \"cloud.firestore/%s\" of a deny-all ruleset for the registry database", registry))
	}

	// Who may write which database.
	custom := m.customRoles()
	operational, reg := m.databaseCondition("(default)"), m.databaseCondition(registry)
	held := map[string]bool{} // "member role condition"
	for _, gr := range m.grants() {
		if gr.scope != "project" {
			continue
		}
		held[gr.member+" "+gr.role+" "+gr.condition] = true
		writes := firestoreWriteRoles[gr.role] || slices.ContainsFunc(custom[gr.role], firestoreWritePerm.MatchString)
		if !writes {
			continue
		}
		switch gr.condition {
		case operational:
		case reg:
			if gr.member != fnMember("Admin") {
				problems = append(problems, fmt.Sprintf("%s may write the registry database through %s (%s): only Admin writes clients and users", gr.member, gr.role, gr.addr))
			}
		case "":
			problems = append(problems, fmt.Sprintf("%s holds %s on every Firestore database, unconditioned (%s): condition it to one database", gr.member, gr.role, gr.addr))
		default:
			problems = append(problems, fmt.Sprintf("%s holds %s under the condition %q (%s), which is not exactly one database", gr.member, gr.role, gr.condition, gr.addr))
		}
	}
	for _, fn := range []string{"Uploads", "Ingest", "Analytics", "Admin", "Billing"} {
		if !held[fnMember(fn)+" roles/datastore.user "+operational] {
			problems = append(problems, fmt.Sprintf("%s cannot write the operational database: no roles/datastore.user conditioned to (default)", fn))
		}
		want := "roles/datastore.viewer"
		if fn == "Admin" {
			want = "roles/datastore.user"
		}
		if !held[fnMember(fn)+" "+want+" "+reg] {
			problems = append(problems, fmt.Sprintf("%s lacks %s on the registry database (it resolves every principal there)", fn, want))
		}
	}

	// The functions open the registry by name; only Admin writes the
	// bootstrap super admin.
	for ep, fn := range m.functions() {
		if got := fn.env["RENTROLL_FIRESTORE_REGISTRY_DATABASE"]; got != registry {
			problems = append(problems, fmt.Sprintf("%s: RENTROLL_FIRESTORE_REGISTRY_DATABASE = %q, want the registry database %q", ep, got, registry))
		}
		if _, ok := fn.env["RENTROLL_BOOTSTRAP_SUPER_ADMIN"]; ok != (ep == "Admin") {
			problems = append(problems, fmt.Sprintf("%s: RENTROLL_BOOTSTRAP_SUPER_ADMIN set = %v; only Admin may bootstrap (it writes users/{sub})", ep, ok))
		}
	}
	return problems
}

// denyAllRulesets are the rulesets whose every allow is
// `allow read, write: if false;` on /{document=**}.
func (m *module) denyAllRulesets() map[string]bool {
	denyAll := map[string]bool{}
	for _, b := range m.blocks("resource", "google_firebaserules_ruleset") {
		var content string
		for _, blk := range bodyBlocks(b.Body) {
			if a, ok := blk.Body.Attributes["content"]; ok {
				content += m.str(blk.Body, "content", m.evalContext(nil))
				if content == "" {
					content = m.text(a.Expr)
				}
			}
		}
		allows := strings.Count(content, "allow ")
		if strings.Contains(content, "service cloud.firestore") && strings.Contains(content, "match /{document=**}") &&
			allows > 0 && allows == strings.Count(content, "allow read, write: if false;") {
			denyAll[blockAddr(b)] = true
		}
	}
	return denyAll
}

// TestFirestoreChecksCatchBreakage undoes one part of the registry split at
// a time in the real files and asserts that checkFirestoreAccess fails for
// the right reason.
func TestFirestoreChecksCatchBreakage(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantIssue string
	}{
		{"Ingest writes the registry", "iam.tf",
			`role = fn == "Admin" ? "roles/datastore.user" : "roles/datastore.viewer"`, `role = "roles/datastore.user"`,
			"google_service_account.fn[Ingest]@sa.test may write the registry database"},
		{"datastore.user project-wide again", "iam.tf",
			"      \"roles/bigquery.jobUser\", # load and DML jobs\n", "      \"roles/bigquery.jobUser\", # load and DML jobs\n      \"roles/datastore.user\",\n",
			"holds roles/datastore.user on every Firestore database, unconditioned"},
		{"condition covers every database", "iam.tf",
			`operational = "resource.name == \"projects/${var.project}/databases/(default)\""`, `operational = "resource.name.startsWith(\"projects/${var.project}/databases/\")"`,
			"which is not exactly one database"},
		{"Admin cannot write the registry", "iam.tf",
			`role = fn == "Admin" ? "roles/datastore.user" : "roles/datastore.viewer"`, `role = "roles/datastore.viewer"`,
			"Admin lacks roles/datastore.user on the registry database"},
		{"one database for everything", "main.tf",
			`registry_database = "registry"`, `registry_database = "(default)"`,
			"no named google_firestore_database for the registry"},
		{"registry without point-in-time recovery", "data.tf",
			"  point_in_time_recovery_enablement = \"POINT_IN_TIME_RECOVERY_ENABLED\"\n  delete_protection_state           = \"DELETE_PROTECTION_ENABLED\"\n  deletion_policy                   = \"ABANDON\"\n",
			"  delete_protection_state           = \"DELETE_PROTECTION_ENABLED\"\n  deletion_policy                   = \"ABANDON\"\n",
			`google_firestore_database.registry: point_in_time_recovery_enablement = ""`},
		{"registry without backups", "data.tf",
			"  database  = google_firestore_database.registry.name\n", "  database  = \"registry\"\n",
			"the registry database (google_firestore_database.registry) has no google_firestore_backup_schedule"},
		{"registry rules released to the default database", "data.tf",
			`name         = "cloud.firestore/${local.registry_database}"`, `name         = "cloud.firestore/other"`,
			`no google_firebaserules_release "cloud.firestore/registry"`},
		{"every function bootstraps", "functions.tf",
			`{ for k, v in local.admin_env : k => v if each.key == "Admin" }`, `local.admin_env`,
			"only Admin may bootstrap"},
		{"functions told another database", "main.tf",
			`RENTROLL_FIRESTORE_REGISTRY_DATABASE  = local.registry_database`, `RENTROLL_FIRESTORE_REGISTRY_DATABASE  = "users"`,
			`RENTROLL_FIRESTORE_REGISTRY_DATABASE = "users", want the registry database "registry"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := readTerraform(t)
			src := string(files[tc.file])
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s no longer contains %q: update this case", tc.file, tc.old)
			}
			files[tc.file] = []byte(strings.Replace(src, tc.old, tc.new, 1))
			m, problems := load(files, testVars())
			if m != nil {
				problems = append(problems, m.checkFirestoreAccess()...)
			}
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.wantIssue) }) {
				t.Errorf("problems = %q\nwant one mentioning %q", problems, tc.wantIssue)
			}
		})
	}
}
