// Package config reads the platform's settings from the environment, once, at
// the composition root. Nothing else reads environment variables: functions
// and adapters receive what they need as values, which keeps them testable and
// the set of variables documented in one place (README "Configuration").
package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
)

// DefaultClaimsNamespace prefixes the custom claims (docs/architecture.md#authentication).
const DefaultClaimsNamespace = "https://rentroll.ai/"

// DefaultBillingSchedule is the monthly unit count's cron spec: 06:00 on the
// first of the month, in BillingTimeZone. Terraform declares the same.
const DefaultBillingSchedule = "0 6 1 * *"

// Config is every setting of the platform.
type Config struct {
	Project         string        // RENTROLL_PROJECT, else GOOGLE_CLOUD_PROJECT
	LogLevel        slog.Level    // RENTROLL_LOG_LEVEL: debug, info, warn, error
	AuthIssuer      string        // RENTROLL_AUTH_ISSUER
	AuthAudience    string        // RENTROLL_AUTH_AUDIENCE
	AuthJWKSURL     string        // RENTROLL_AUTH_JWKS_URL
	ClaimsNamespace string        // RENTROLL_CLAIMS_NAMESPACE
	BootstrapAdmin  string        // RENTROLL_BOOTSTRAP_SUPER_ADMIN
	UploadsBucket   string        // RENTROLL_UPLOADS_BUCKET
	FinanceBucket   string        // RENTROLL_FINANCE_BUCKET
	MaxUploadBytes  int64         // RENTROLL_MAX_UPLOAD_BYTES
	UploadURLTTL    time.Duration // RENTROLL_UPLOAD_URL_TTL (≤ 15m)
	SignerAccount   string        // RENTROLL_SIGNER_SERVICE_ACCOUNT: the account whose key signs upload URLs (IAM signBlob)
	BigQueryRegion  string        // RENTROLL_BIGQUERY_LOCATION
	BillingSchedule string        // RENTROLL_BILLING_SCHEDULE
	BillingTimeZone string        // RENTROLL_BILLING_TIMEZONE
	SchedulerAud    string        // RENTROLL_SCHEDULER_AUDIENCE: the OIDC audience Cloud Scheduler's token carries
	SchedulerSA     string        // RENTROLL_SCHEDULER_SERVICE_ACCOUNT: the only account allowed to trigger billing
	AllowedOrigins  []string      // RENTROLL_ALLOWED_ORIGINS: comma-separated browser origins for CORS
	RateLimit       float64       // RENTROLL_RATE_LIMIT: requests per second per principal (bursts of 4×)
	// ClientQueryRate bounds the analytics queries one client may cause per
	// second, so one tenant cannot take the warehouse from the others
	// (RENTROLL_CLIENT_QUERY_RATE, default 5; bursts of 4×).
	ClientQueryRate float64
	// QueryMaxBytesBilled caps the bytes one BigQuery query may bill
	// (RENTROLL_QUERY_MAX_BYTES_BILLED; 0 = the adapter's default, 50 GiB).
	QueryMaxBytesBilled int64
	// QueryTimeout bounds one warehouse query (RENTROLL_QUERY_TIMEOUT; 0 =
	// the adapter's default, 2m).
	QueryTimeout time.Duration
	// TrustedProxyHops is how many X-Forwarded-For entries, counted from the
	// right, trusted proxies appended (RENTROLL_TRUSTED_PROXY_HOPS, default
	// 2: Google's external load balancer appends "<client>, <balancer>");
	// the client address is the leftmost of them. 0 trusts no header and
	// uses the connection's address.
	TrustedProxyHops int
	// The Auth0 Management API, through which people are invited and blocked
	// (all or none). The secret comes from Secret Manager: Terraform maps the
	// secret into the function's environment.
	Auth0Domain           string // RENTROLL_AUTH0_DOMAIN, e.g. rentroll.us.auth0.com
	Auth0Connection       string // RENTROLL_AUTH0_CONNECTION: the database connection people live in
	Auth0MgmtClientID     string // RENTROLL_AUTH0_MGMT_CLIENT_ID
	Auth0MgmtClientSecret Secret // RENTROLL_AUTH0_MGMT_CLIENT_SECRET
	// BillingCarryForward is how many months a property's latest roll is
	// billed after its month before the property is stale and no longer
	// billed (RENTROLL_BILLING_CARRY_FORWARD_MONTHS, default 3, 1 to 24).
	BillingCarryForward int
	// StripeAPIKey turns on reporting every billing run's units to Stripe
	// Billing meter events (RENTROLL_STRIPE_API_KEY; a secret: from Secret
	// Manager in production, never logged). Empty reports nothing.
	StripeAPIKey string
	// StripeMeterEvent is the event name of the Stripe meter the units are
	// reported to (RENTROLL_STRIPE_METER_EVENT, default "rentroll_units").
	StripeMeterEvent string
	// RegistryDatabase is the Firestore database of the registry (clients,
	// users, their settings): a database of its own, which only the Admin
	// function's account may write, beside the "(default)" database of
	// upload records and billing runs (RENTROLL_FIRESTORE_REGISTRY_DATABASE,
	// default "registry"; docs/architecture.md#data-model).
	RegistryDatabase string
}

// DefaultRegistryDatabase is the registry's Firestore database id; Terraform
// creates the same (terraform/data.tf).
const DefaultRegistryDatabase = "registry"

// firestoreDatabaseID is Firestore's rule for a named database's id: 4 to 63
// lower-case letters, digits and hyphens, from a letter to a letter or digit.
var firestoreDatabaseID = regexp.MustCompile(`^[a-z][a-z0-9-]{2,61}[a-z0-9]$`)

// Secret is a setting that must never be printed: formatting it, alone or
// inside a Config, shows a placeholder. Reveal returns the value.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Reveal returns the secret itself, for the one adapter that needs it.
func (s Secret) Reveal() string { return string(s) }

// Auth0Configured reports whether the Auth0 Management API is configured.
func (c Config) Auth0Configured() bool { return c.Auth0Domain != "" }

// Auth0Secret returns the Management API client secret, or an error naming
// the variable when Auth0 is configured without it.
func (c Config) Auth0Secret() (string, error) {
	if c.Auth0MgmtClientSecret == "" {
		return "", errs.E(errs.Internal, "RENTROLL_AUTH0_MGMT_CLIENT_SECRET is not set: map the Auth0 Management API secret from Secret Manager into the function")
	}
	return c.Auth0MgmtClientSecret.Reveal(), nil
}

// DefaultTrustedProxyHops matches Google's external Application Load
// Balancer, which appends the client's address and its own.
const DefaultTrustedProxyHops = 2

// DefaultClientQueryRate is the analytics queries a second one client may
// cause by default.
const DefaultClientQueryRate = 5

// The defaults of the other settings, each defined here only: the local
// platform, the platform's assembly and the emulators use these names.
const (
	// DefaultMaxUploadBytes is the largest upload accepted: far above any
	// real rent roll export (a few MB), small enough to parse in memory.
	DefaultMaxUploadBytes int64 = 100 << 20
	// MaxUploadBytesLimit is the most RENTROLL_MAX_UPLOAD_BYTES may allow.
	MaxUploadBytesLimit int64 = 5 << 30
	// DefaultUploadURLTTL is how long a signed upload URL lives: the longest
	// allowed (objects.MaxSignedURLTTL).
	DefaultUploadURLTTL = objects.MaxSignedURLTTL
	// DefaultRateLimit is the requests a second one principal may make
	// (bursts of 4x).
	DefaultRateLimit = 25
)

// DefaultBillingCarryForward is the carry-forward limit in months.
const DefaultBillingCarryForward = 3

// AuthConfigured reports whether an external issuer is configured; locally,
// when it is not, the platform runs its own issuer.
func (c Config) AuthConfigured() bool {
	return c.AuthIssuer != "" || c.AuthAudience != "" || c.AuthJWKSURL != ""
}

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests) and reports every malformed value at once.
func Load(getenv func(string) string) (Config, error) {
	var problems []string
	str := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Project:         str("RENTROLL_PROJECT", str("GOOGLE_CLOUD_PROJECT", "")),
		AuthIssuer:      str("RENTROLL_AUTH_ISSUER", ""),
		AuthAudience:    str("RENTROLL_AUTH_AUDIENCE", ""),
		AuthJWKSURL:     str("RENTROLL_AUTH_JWKS_URL", ""),
		ClaimsNamespace: str("RENTROLL_CLAIMS_NAMESPACE", DefaultClaimsNamespace),
		BootstrapAdmin:  str("RENTROLL_BOOTSTRAP_SUPER_ADMIN", ""),
		UploadsBucket:   str("RENTROLL_UPLOADS_BUCKET", ""),
		FinanceBucket:   str("RENTROLL_FINANCE_BUCKET", ""),
		SignerAccount:   str("RENTROLL_SIGNER_SERVICE_ACCOUNT", ""),
		BigQueryRegion:  str("RENTROLL_BIGQUERY_LOCATION", "US"),
		BillingSchedule: str("RENTROLL_BILLING_SCHEDULE", DefaultBillingSchedule),
		BillingTimeZone: str("RENTROLL_BILLING_TIMEZONE", "America/New_York"),
		SchedulerAud:    str("RENTROLL_SCHEDULER_AUDIENCE", ""),
		SchedulerSA:     str("RENTROLL_SCHEDULER_SERVICE_ACCOUNT", ""),

		Auth0Domain:           str("RENTROLL_AUTH0_DOMAIN", ""),
		Auth0Connection:       str("RENTROLL_AUTH0_CONNECTION", ""),
		Auth0MgmtClientID:     str("RENTROLL_AUTH0_MGMT_CLIENT_ID", ""),
		Auth0MgmtClientSecret: Secret(str("RENTROLL_AUTH0_MGMT_CLIENT_SECRET", "")),
	}
	c.StripeAPIKey = str("RENTROLL_STRIPE_API_KEY", "")
	c.StripeMeterEvent = str("RENTROLL_STRIPE_METER_EVENT", "rentroll_units")
	c.BillingCarryForward = DefaultBillingCarryForward
	if v := str("RENTROLL_BILLING_CARRY_FORWARD_MONTHS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 24 {
			problems = append(problems, fmt.Sprintf("RENTROLL_BILLING_CARRY_FORWARD_MONTHS=%q: want a month count between 1 and 24", v))
		} else {
			c.BillingCarryForward = n
		}
	}
	switch lvl := strings.ToLower(str("RENTROLL_LOG_LEVEL", "info")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		problems = append(problems, fmt.Sprintf("RENTROLL_LOG_LEVEL=%q: want debug, info, warn or error", lvl))
	}
	c.MaxUploadBytes = DefaultMaxUploadBytes
	if v := str("RENTROLL_MAX_UPLOAD_BYTES", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > MaxUploadBytesLimit {
			problems = append(problems, fmt.Sprintf("RENTROLL_MAX_UPLOAD_BYTES=%q: want a byte count between 1 and 5 GiB", v))
		} else {
			c.MaxUploadBytes = n
		}
	}
	c.UploadURLTTL = DefaultUploadURLTTL
	if v := str("RENTROLL_UPLOAD_URL_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > objects.MaxSignedURLTTL {
			problems = append(problems, fmt.Sprintf("RENTROLL_UPLOAD_URL_TTL=%q: want a duration up to 15m", v))
		} else {
			c.UploadURLTTL = d
		}
	}
	c.RateLimit = DefaultRateLimit
	if v := str("RENTROLL_RATE_LIMIT", ""); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 10000 {
			problems = append(problems, fmt.Sprintf("RENTROLL_RATE_LIMIT=%q: want requests per second between 0 and 10000", v))
		} else {
			c.RateLimit = n
		}
	}
	c.ClientQueryRate = DefaultClientQueryRate
	if v := str("RENTROLL_CLIENT_QUERY_RATE", ""); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 10000 {
			problems = append(problems, fmt.Sprintf("RENTROLL_CLIENT_QUERY_RATE=%q: want queries per second between 0 and 10000", v))
		} else {
			c.ClientQueryRate = n
		}
	}
	if v := str("RENTROLL_QUERY_MAX_BYTES_BILLED", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1<<20 {
			problems = append(problems, fmt.Sprintf("RENTROLL_QUERY_MAX_BYTES_BILLED=%q: want a byte count of at least 1 MiB", v))
		} else {
			c.QueryMaxBytesBilled = n
		}
	}
	if v := str("RENTROLL_QUERY_TIMEOUT", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			problems = append(problems, fmt.Sprintf("RENTROLL_QUERY_TIMEOUT=%q: want a duration between 1s and 1h", v))
		} else {
			c.QueryTimeout = d
		}
	}
	c.TrustedProxyHops = DefaultTrustedProxyHops
	if v := str("RENTROLL_TRUSTED_PROXY_HOPS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			problems = append(problems, fmt.Sprintf("RENTROLL_TRUSTED_PROXY_HOPS=%q: want a count between 0 and 10", v))
		} else {
			c.TrustedProxyHops = n
		}
	}
	// The registry must not share the operational database: IAM can only
	// keep the other functions from writing it as a database of its own.
	c.RegistryDatabase = str("RENTROLL_FIRESTORE_REGISTRY_DATABASE", DefaultRegistryDatabase)
	if !firestoreDatabaseID.MatchString(c.RegistryDatabase) {
		problems = append(problems, fmt.Sprintf("RENTROLL_FIRESTORE_REGISTRY_DATABASE=%q: want a named database id (4 to 63 lower-case letters, digits and hyphens), not (default)", c.RegistryDatabase))
	}
	if _, err := time.LoadLocation(c.BillingTimeZone); err != nil {
		problems = append(problems, fmt.Sprintf("RENTROLL_BILLING_TIMEZONE=%q: %v", c.BillingTimeZone, err))
	}
	if !strings.HasSuffix(c.ClaimsNamespace, "/") && !strings.HasSuffix(c.ClaimsNamespace, ":") {
		problems = append(problems, fmt.Sprintf("RENTROLL_CLAIMS_NAMESPACE=%q: must end with / or :", c.ClaimsNamespace))
	}
	for _, o := range strings.Split(str("RENTROLL_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	// The secret is checked where it is used (Auth0Secret): Terraform maps
	// it from Secret Manager at deployment, not into the plain environment.
	auth0Set := 0
	for _, v := range []string{c.Auth0Domain, c.Auth0Connection, c.Auth0MgmtClientID} {
		if v != "" {
			auth0Set++
		}
	}
	if auth0Set != 0 && auth0Set != 3 {
		problems = append(problems, "RENTROLL_AUTH0_DOMAIN, RENTROLL_AUTH0_CONNECTION and RENTROLL_AUTH0_MGMT_CLIENT_ID: set all three or none")
	}
	if len(problems) > 0 {
		return c, errs.E(errs.Invalid, "configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

// Production checks what a deployed function cannot run without. The local
// platform fills these in itself, so only the production composition calls it.
func (c Config) Production() error {
	var missing []string
	need := map[string]string{
		"RENTROLL_PROJECT (or GOOGLE_CLOUD_PROJECT)": c.Project,
		"RENTROLL_AUTH_ISSUER":                       c.AuthIssuer,
		"RENTROLL_AUTH_AUDIENCE":                     c.AuthAudience,
		"RENTROLL_AUTH_JWKS_URL":                     c.AuthJWKSURL,
		"RENTROLL_UPLOADS_BUCKET":                    c.UploadsBucket,
		"RENTROLL_FINANCE_BUCKET":                    c.FinanceBucket,
		// Without them the billing trigger refuses every call; better to
		// fail at deployment than at the first monthly run.
		"RENTROLL_SCHEDULER_AUDIENCE":        c.SchedulerAud,
		"RENTROLL_SCHEDULER_SERVICE_ACCOUNT": c.SchedulerSA,
	}
	for k, v := range need {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return errs.E(errs.Internal, "missing configuration: %s", strings.Join(missing, ", "))
	}
	return nil
}
