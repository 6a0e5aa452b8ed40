package terraform_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestBigQueryDryRunGuardsDeploy checks that the deploy build dry-runs every
// BigQuery statement (rentroll bigquery check) and that nothing is planned,
// so nothing is applied, before that step has passed.
func TestBigQueryDryRunGuardsDeploy(t *testing.T) {
	build := readBuildFiles(t)["cloudbuild.yaml"]
	steps := regexp.MustCompile(`(?m)^  - id: `).Split(build, -1)
	byID := map[string]string{}
	for _, s := range steps[1:] {
		id, _, _ := strings.Cut(s, "\n")
		byID[strings.TrimSpace(id)] = s
	}
	check, ok := byID["bigquery-check"]
	if !ok {
		t.Fatal("cloudbuild.yaml has no bigquery-check step")
	}
	if !strings.Contains(check, "go run ./cmd/rentroll bigquery check --project") {
		t.Errorf("bigquery-check does not run `rentroll bigquery check`:\n%s", check)
	}
	plan, ok := byID["plan"]
	if !ok {
		t.Fatal("cloudbuild.yaml has no plan step")
	}
	wait := regexp.MustCompile(`waitFor: \[([^\]]*)\]`).FindStringSubmatch(plan)
	if wait == nil || !strings.Contains(wait[1], `"bigquery-check"`) {
		t.Errorf("plan does not wait for bigquery-check: %v", wait)
	}
}
