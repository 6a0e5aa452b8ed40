package localplatform

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsoleHandler checks which requests the console answers and which
// go on to the API: the console never shadows /v1, /healthz, /.well-known,
// a function's /<Name>, the provider's endpoints or /config.json.
func TestConsoleHandler(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "assets"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><title>console</title>"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "assets", "index-abc.js"), []byte("console.log(1)"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "favicon.svg"), []byte("<svg/>"), 0o644))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "api "+r.Method+" "+r.URL.Path)
	})
	h := consoleHandler(dir, "http://127.0.0.1:9999", next)

	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string // a substring
		wantCSP      bool
	}{
		{"GET", "/", 200, "<title>console</title>", true},
		{"HEAD", "/", 200, "", true},
		{"GET", "/callback", 200, "<title>console</title>", true},
		{"GET", "/clients/demo/dashboard", 200, "<title>console</title>", true},
		{"GET", "/clients/demo/uploads", 200, "<title>console</title>", true},
		{"GET", "/admin/onboard", 200, "<title>console</title>", true},
		{"GET", "/admin", 200, "<title>console</title>", true},
		{"GET", "/assets/index-abc.js", 200, "console.log(1)", false},
		{"GET", "/assets/missing.js", 404, "", false},
		{"GET", "/favicon.svg", 200, "<svg/>", false},
		// Everything else belongs to the platform.
		{"GET", "/v1/me", 418, "api GET /v1/me", false},
		{"GET", "/v1/clients/demo/analytics/rent-roll/summary", 418, "api GET", false},
		{"POST", "/v1/admin/clients", 418, "api POST", false},
		{"GET", "/healthz", 418, "api GET /healthz", false},
		{"GET", "/.well-known/jwks.json", 418, "api GET", false},
		{"GET", "/.well-known/openid-configuration", 418, "api GET", false},
		{"GET", "/authorize", 418, "api GET /authorize", false},
		{"POST", "/oauth/token", 418, "api POST", false},
		{"GET", "/v2/logout", 418, "api GET", false},
		{"GET", "/config.json", 418, "api GET /config.json", false},
		{"GET", "/Admin/healthz", 418, "api GET", false},
		{"GET", "/Analytics", 418, "api GET /Analytics", false},
		{"POST", "/Ingest", 418, "api POST", false},
		{"POST", "/clients/demo/dashboard", 418, "api POST", false},
		{"GET", "/index.html", 418, "api GET", false},
		{"GET", "/nowhere", 418, "api GET /nowhere", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.wantBody != "" && !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", rec.Body.String(), tt.wantBody)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if tt.wantCSP != (csp != "") {
				t.Errorf("Content-Security-Policy = %q, want present %v", csp, tt.wantCSP)
			}
			if tt.wantCSP && !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:9999;") {
				t.Errorf("Content-Security-Policy = %q, want uploads to the storage origin allowed", csp)
			}
			if tt.wantCSP && !strings.Contains(csp, "worker-src 'self' blob:;") {
				t.Errorf("Content-Security-Policy = %q, want the SDK's blob: worker allowed", csp)
			}
		})
	}
}
