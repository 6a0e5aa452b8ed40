package rentroll

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestLazyBuild: a failed build answers 503 and is retried by the next call;
// a successful one is kept.
func TestLazyBuild(t *testing.T) {
	calls := 0
	fail := true
	d := &deployment{getenv: func(string) string { return "" }, build: func(ctx context.Context, _ func(string) string) (*platform.Functions, error) {
		calls++
		if fail {
			return nil, errors.New("metadata server unreachable")
		}
		mem := tenancytest.NewMemory()
		wh, err := duckdb.Open("") // test-only: the audit trail needs a warehouse
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { wh.Close() })
		if err := wh.EnsureDataset(ctx, warehouse.System()); err != nil {
			return nil, err
		}
		return platform.Assemble(platform.Services{
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clients: mem, Users: mem, Warehouse: wh,
			Tokens: tenancy.TokenVerifierFunc(func(context.Context, string) (tenancy.Identity, error) {
				return tenancy.Identity{}, errs.E(errs.Unauthorized, "no")
			}),
		}), nil
	}}
	h := d.serveHTTP(platform.Admin)
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	if w := get("/healthz"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"unavailable"`) || strings.Contains(w.Body.String(), "metadata") {
		t.Errorf("failed build: %d %s", w.Code, w.Body)
	}
	fail = false
	if w := get("/healthz"); w.Code != http.StatusOK {
		t.Errorf("after recovery: %d %s", w.Code, w.Body)
	}
	if w := get("/v1/me"); w.Code != http.StatusUnauthorized {
		t.Errorf("/v1/me without a token: %d", w.Code)
	}
	if calls != 2 {
		t.Errorf("build called %d times, want 2 (one failure, one success kept)", calls)
	}
}

// TestDeployedBuildIsLean: the Cloud Functions build (this package and all it
// imports) links no local-only part and needs no cgo (docs/architecture.md#layout-and-the-dependency-rule).
func TestDeployedBuildIsLean(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, out)
	}
	for _, banned := range []string{"duckdb", "fake-gcs-server", "firestoreemu", "gcsemu", "localplatform", "localissuer", "\ntesting\n"} {
		if strings.Contains("\n"+string(out), banned) {
			t.Errorf("the deployed build imports %q", strings.TrimSpace(banned))
		}
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v: %s", err, out)
	}
}
