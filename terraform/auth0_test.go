package terraform

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPostLoginAction runs the Auth0 post-login Action's own tests with
// Node's built-in runner, and checks that auth0.tf deploys that very file,
// bound to the post-login trigger, with the claims namespace the platform
// verifies.
func TestPostLoginAction(t *testing.T) {
	tf, err := os.ReadFile("auth0.tf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`code    = file("${path.module}/auth0/post-login.js")`,
		`trigger = "post-login"`,
		`value = var.claims_namespace`,
		`disable_signup         = true`,
		`"create:user_tickets"`,
	} {
		if !strings.Contains(string(tf), want) {
			t.Errorf("auth0.tf lacks %s", want)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("RENTROLL_REQUIRE_NODE") == "1" {
			t.Fatal("node is required (RENTROLL_REQUIRE_NODE=1)")
		}
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, "--test", "auth0/").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test auth0/: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "# fail 0") {
		t.Errorf("node --test output:\n%s", out)
	}
}
