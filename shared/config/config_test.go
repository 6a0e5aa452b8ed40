package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClaimsNamespace != DefaultClaimsNamespace || c.MaxUploadBytes != 100<<20 || c.UploadURLTTL != 15*time.Minute ||
		c.LogLevel != slog.LevelInfo || c.BillingSchedule != DefaultBillingSchedule || c.AuthConfigured() ||
		c.QueryMaxBytesBilled != 0 || c.QueryTimeout != 0 || c.TrustedProxyHops != DefaultTrustedProxyHops ||
		c.RegistryDatabase != "registry" {
		t.Errorf("defaults wrong: %+v", c)
	}
	if err := c.Production(); err == nil || !strings.Contains(err.Error(), "RENTROLL_AUTH_JWKS_URL") {
		t.Errorf("Production() = %v, want missing JWKS URL", err)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"GOOGLE_CLOUD_PROJECT": "p", "RENTROLL_AUTH_ISSUER": "https://x.auth0.com/", "RENTROLL_AUTH_AUDIENCE": "a",
		"RENTROLL_AUTH_JWKS_URL": "https://x/jwks", "RENTROLL_UPLOADS_BUCKET": "u", "RENTROLL_FINANCE_BUCKET": "f",
		"RENTROLL_MAX_UPLOAD_BYTES": "1048576", "RENTROLL_LOG_LEVEL": "debug", "RENTROLL_ALLOWED_ORIGINS": "https://a, https://b",
		"RENTROLL_SCHEDULER_AUDIENCE": "https://billing", "RENTROLL_SCHEDULER_SERVICE_ACCOUNT": "scheduler@p.iam.gserviceaccount.com",
		"RENTROLL_QUERY_MAX_BYTES_BILLED": "1073741824", "RENTROLL_QUERY_TIMEOUT": "30s", "RENTROLL_TRUSTED_PROXY_HOPS": "0",
		"RENTROLL_FIRESTORE_REGISTRY_DATABASE": "registry-prod",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.QueryMaxBytesBilled != 1<<30 || c.QueryTimeout != 30*time.Second || c.TrustedProxyHops != 0 || c.RegistryDatabase != "registry-prod" {
		t.Errorf("query bounds / proxy hops: got %d, %v, %d", c.QueryMaxBytesBilled, c.QueryTimeout, c.TrustedProxyHops)
	}
	if c.Project != "p" || c.MaxUploadBytes != 1<<20 || c.LogLevel != slog.LevelDebug || len(c.AllowedOrigins) != 2 || !c.AuthConfigured() {
		t.Errorf("got %+v", c)
	}
	if err := c.Production(); err != nil {
		t.Errorf("Production() = %v", err)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := map[string]string{
		"RENTROLL_MAX_UPLOAD_BYTES":       "-1",
		"RENTROLL_UPLOAD_URL_TTL":         "1h",
		"RENTROLL_LOG_LEVEL":              "loud",
		"RENTROLL_BILLING_TIMEZONE":       "Mars/Olympus",
		"RENTROLL_CLAIMS_NAMESPACE":       "https://rentroll.ai",
		"RENTROLL_QUERY_MAX_BYTES_BILLED": "10",
		"RENTROLL_QUERY_TIMEOUT":          "forever",
		"RENTROLL_TRUSTED_PROXY_HOPS":     "-1",
		// The registry needs a database of its own, with a valid id.
		"RENTROLL_FIRESTORE_REGISTRY_DATABASE": "(default)",
	}
	for k, v := range tests {
		if _, err := Load(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v, want one naming the variable", k, v, err)
		}
	}
}

func TestAuth0SettingsAllOrNoneAndSecretHidden(t *testing.T) {
	all := map[string]string{
		"RENTROLL_AUTH0_DOMAIN": "rentroll.us.auth0.com", "RENTROLL_AUTH0_CONNECTION": "Username-Password-Authentication",
		"RENTROLL_AUTH0_MGMT_CLIENT_ID": "mgmt", "RENTROLL_AUTH0_MGMT_CLIENT_SECRET": "hush-hush",
	}
	c, err := Load(env(all))
	if err != nil || !c.Auth0Configured() || c.Auth0MgmtClientSecret.Reveal() != "hush-hush" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.Auth0MgmtClientSecret)} {
		if strings.Contains(s, "hush-hush") {
			t.Errorf("the secret is printed: %s", s)
		}
	}
	delete(all, "RENTROLL_AUTH0_MGMT_CLIENT_SECRET")
	c, err = Load(env(all))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth0Secret(); err == nil || !strings.Contains(err.Error(), "RENTROLL_AUTH0_MGMT_CLIENT_SECRET") {
		t.Errorf("no secret: %v", err)
	}
	delete(all, "RENTROLL_AUTH0_CONNECTION")
	if _, err := Load(env(all)); err == nil || !strings.Contains(err.Error(), "set all three or none") {
		t.Errorf("two of three: %v", err)
	}
}

func TestLoadBilling(t *testing.T) {
	tests := []struct {
		env        map[string]string
		carry      int
		key, event string
		bad        bool
	}{
		{nil, DefaultBillingCarryForward, "", "rentroll_units", false},
		{map[string]string{"RENTROLL_BILLING_CARRY_FORWARD_MONTHS": "6", "RENTROLL_STRIPE_API_KEY": "sk_test_x",
			"RENTROLL_STRIPE_METER_EVENT": "units"}, 6, "sk_test_x", "units", false},
		{map[string]string{"RENTROLL_BILLING_CARRY_FORWARD_MONTHS": "0"}, 0, "", "", true},
		{map[string]string{"RENTROLL_BILLING_CARRY_FORWARD_MONTHS": "25"}, 0, "", "", true},
		{map[string]string{"RENTROLL_BILLING_CARRY_FORWARD_MONTHS": "three"}, 0, "", "", true},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), "RENTROLL_BILLING_CARRY_FORWARD_MONTHS") {
				t.Errorf("%v: err = %v, want one naming the variable", tt.env, err)
			}
			continue
		}
		if err != nil || c.BillingCarryForward != tt.carry || c.StripeAPIKey != tt.key || c.StripeMeterEvent != tt.event {
			t.Errorf("%v: carry %d key %q event %q, %v; want %d %q %q", tt.env, c.BillingCarryForward, c.StripeAPIKey, c.StripeMeterEvent, err, tt.carry, tt.key, tt.event)
		}
	}
}
