package billing

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/idtoken"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

const (
	audience = "https://billing.example/v1/billing/runs"
	account  = "scheduler@proj.iam.gserviceaccount.com"
)

func TestOIDCVerifier(t *testing.T) {
	good := func() *idtoken.Payload {
		return &idtoken.Payload{Issuer: "https://accounts.google.com", Audience: audience,
			Claims: map[string]any{"email": account, "email_verified": true}}
	}
	tests := []struct {
		name     string
		header   string
		payload  func() *idtoken.Payload
		fail     bool
		aud, acc string
		want     errs.Code
	}{
		{"valid", "Bearer sekrit.jwt", good, false, audience, account, ""},
		{"issuer without scheme", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Issuer = "accounts.google.com"; return p }, false, audience, account, ""},
		{"email_verified as string", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Claims["email_verified"] = "true"; return p }, false, audience, account, ""},
		{"email case", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Claims["email"] = strings.ToUpper(account); return p }, false, audience, account, ""},
		{"no token", "", good, false, audience, account, errs.Unauthorized},
		{"basic auth", "Basic dXNlcjpwYXNz", good, false, audience, account, errs.Unauthorized},
		{"invalid signature", "Bearer sekrit.jwt", good, true, audience, account, errs.Unauthorized},
		{"other audience", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Audience = "https://other"; return p }, false, audience, account, errs.Unauthorized},
		{"other issuer", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Issuer = "https://evil.example"; return p }, false, audience, account, errs.Unauthorized},
		{"other account", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Claims["email"] = "x@proj.iam.gserviceaccount.com"; return p }, false, audience, account, errs.Forbidden},
		{"unverified email", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); p.Claims["email_verified"] = false; return p }, false, audience, account, errs.Forbidden},
		{"no email", "Bearer sekrit.jwt", func() *idtoken.Payload { p := good(); delete(p.Claims, "email"); return p }, false, audience, account, errs.Forbidden},
		{"no audience configured", "Bearer sekrit.jwt", good, false, "", account, errs.Internal},
		{"no account configured", "Bearer sekrit.jwt", good, false, audience, "", errs.Internal},
	}
	for _, tt := range tests {
		var gotAud, gotTok string
		v := OIDCVerifier{Audience: tt.aud, ServiceAccount: tt.acc, Validate: func(_ context.Context, tok, aud string) (*idtoken.Payload, error) {
			gotTok, gotAud = tok, aud
			if tt.fail {
				return nil, errs.E(errs.Internal, "idtoken: invalid signature")
			}
			return tt.payload(), nil
		}}
		r := httptest.NewRequest(http.MethodPost, "/v1/billing/runs", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		err := v.Verify(context.Background(), r)
		if got := errs.CodeOf(err); got != tt.want {
			t.Errorf("%s: Verify = %v, want code %q", tt.name, err, tt.want)
		}
		if tt.want == "" && (gotTok != "sekrit.jwt" || gotAud != audience) {
			t.Errorf("%s: validated token %q for %q", tt.name, gotTok, gotAud)
		}
		if err != nil && strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%s: error mentions the token: %v", tt.name, err)
		}
	}
}

// emptyWarehouse serves a registry without clients: no query has rows.
type emptyWarehouse struct{ warehouse.Warehouse }

func (emptyWarehouse) Query(context.Context, string, map[string]any) ([]warehouse.Result, error) {
	return nil, nil
}
func (emptyWarehouse) Exec(context.Context, string, map[string]any) error { return nil }

func newService(t *testing.T) (*billing.Service, *billingtest.Memory) {
	t.Helper()
	ctx := context.Background()
	emu, err := gcsemu.Start(ctx, gcsemu.Config{Buckets: []string{"finance"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	sc, err := emu.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	runs := billingtest.NewMemory()
	return &billing.Service{
		Warehouse: emptyWarehouse{}, Clients: tenancytest.NewMemory(), Runs: runs,
		Objects: gcs.New(sc, gcs.SigningConfig{}), FinanceBucket: "finance", Location: ny,
		// 03:00 UTC on Dec 1 is still Nov 30 in New York: the default is October.
		Now: func() time.Time { return time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) },
	}, runs
}

func TestScheduledRun(t *testing.T) {
	svc, runs := newService(t)
	// Another run holds 2026-03.
	if _, err := runs.Acquire(context.Background(), billing.Attempt{Month: "2026-03", RunID: "other", Now: svc.Now(), Expires: svc.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	verify := func(_ context.Context, r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer scheduler" {
			return errs.E(errs.Unauthorized, "invalid Google ID token")
		}
		return nil
	}
	h := (&web.Server{}).Handler(Routes(Deps{Billing: svc, Verify: verify}))
	tests := []struct {
		name, auth, body, ctype string
		status                  int
		month, code             string
	}{
		{"no token", "", "", "", 401, "", "unauthorized"},
		{"user token", "Bearer someone", `{"month":"2026-01"}`, "application/json", 401, "", "unauthorized"},
		{"no body: previous month in the billing zone", "Bearer scheduler", "", "", 200, "2026-10", ""},
		{"empty object", "Bearer scheduler", "{}", "application/json", 200, "2026-10", ""},
		{"explicit month", "Bearer scheduler", `{"month":"2026-01"}`, "application/json", 200, "2026-01", ""},
		{"bad month", "Bearer scheduler", `{"month":"2026-13"}`, "application/json", 400, "", "invalid"},
		{"unknown field", "Bearer scheduler", `{"months":"2026-01"}`, "application/json", 400, "", "invalid"},
		{"run in progress", "Bearer scheduler", `{"month":"2026-03"}`, "application/json", 409, "", "billing_run_in_progress"},
		{"too large", "Bearer scheduler", `{"month":"` + strings.Repeat("x", 5000) + `"}`, "application/json", 413, "", "too_large"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/v1/billing/runs", strings.NewReader(tt.body))
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		if tt.ctype != "" {
			r.Header.Set("Content-Type", tt.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status == 200 {
			var v billing.RunView
			if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if v.Month != tt.month || v.Status != billing.Exported || v.Trigger != "scheduler" ||
				v.Export.Object != "billing/"+tt.month+"/billing_units.csv" || v.RunID == "" {
				t.Errorf("%s: run = %+v", tt.name, v)
			}
			continue
		}
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if e.Error.Code != tt.code {
			t.Errorf("%s: error code %q, want %q (%s)", tt.name, e.Error.Code, tt.code, w.Body)
		}
		if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tt.name)
		}
	}
}
