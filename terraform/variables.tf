# Inputs of one environment. Values live in <environment>.tfvars (Cloud Build
# passes them as substitutions); nothing secret is an input: Auth0 is
# configured by public URLs only, and the functions authenticate to Google
# with their service accounts.

variable "project" {
  description = "Google Cloud project id that hosts the environment."
  type        = string
}

variable "region" {
  description = "Region of the functions, the uploads bucket (the Eventarc trigger must share its location), the scheduler job and the serverless NEGs."
  type        = string
  default     = "us-central1"
}

variable "environment" {
  description = "Short environment name (prod, staging, dev); suffixes every resource name so environments can share a project if they must."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lower-case letters or digits, starting with a letter."
  }
}

variable "auth_issuer" {
  description = "Auth0 issuer (the token's iss), e.g. https://rentroll.us.auth0.com/ (with the trailing slash Auth0 uses)."
  type        = string

  validation {
    condition     = startswith(var.auth_issuer, "https://")
    error_message = "auth_issuer must be an https URL."
  }
}

variable "auth_audience" {
  description = "Auth0 API identifier (the token's aud), e.g. https://api.rentroll.ai."
  type        = string
}

variable "auth_jwks_url" {
  description = "Auth0 JWKS URL, e.g. https://rentroll.us.auth0.com/.well-known/jwks.json."
  type        = string

  validation {
    condition     = startswith(var.auth_jwks_url, "https://")
    error_message = "auth_jwks_url must be an https URL."
  }
}

variable "claims_namespace" {
  description = "Prefix of the custom claims <ns>client_id and <ns>role set by the Auth0 action (docs/architecture.md#authentication)."
  type        = string
  default     = "https://rentroll.ai/"

  validation {
    condition     = endswith(var.claims_namespace, "/") || endswith(var.claims_namespace, ":")
    error_message = "claims_namespace must end with / or : (the code rejects anything else)."
  }
}

variable "allowed_origins" {
  description = "Browser origins allowed to call the API (CORS in the functions) and to PUT to signed upload URLs (CORS on the uploads bucket), e.g. [\"https://app.rentroll.ai\"]."
  type        = list(string)

  # https only: a token or a signed upload URL must never travel in the clear,
  # and an http origin allowed by CORS would let any page on that network path
  # read API answers.
  validation {
    condition     = length(var.allowed_origins) > 0 && alltrue([for o in var.allowed_origins : can(regex("^https://[^/*:]+(:[0-9]+)?$", o))])
    error_message = "Each origin is https://host[:port], without a path or wildcard; at least one is needed (the console's)."
  }
}

variable "api_domain" {
  description = "Host name of the public API (one base URL for every /v1 route), e.g. api.rentroll.ai. Its DNS A record must point at the load balancer address (output api_ip) for the managed certificate to be issued."
  type        = string
}

variable "finance_readers" {
  description = "IAM members who may read the finance exports, e.g. [\"group:finance@rentroll.ai\"]."
  type        = list(string)
  default     = []
}

variable "alert_email" {
  description = "E-mail address that receives every alert of the environment."
  type        = string
}

variable "billing_time_zone" {
  description = "IANA time zone of the monthly billing schedule and of month boundaries (RENTROLL_BILLING_TIMEZONE)."
  type        = string
  default     = "America/New_York"
}

variable "bootstrap_super_admin" {
  description = "Auth0 subject (sub) made super admin when a function starts (RENTROLL_BOOTSTRAP_SUPER_ADMIN). Set it for the first deployment, then clear it."
  type        = string
  default     = ""
}

variable "bigquery_location" {
  description = "Location of the BigQuery datasets, including the per-client datasets the Admin function creates (RENTROLL_BIGQUERY_LOCATION)."
  type        = string
  default     = "US"
}

variable "firestore_location" {
  description = "Firestore location (multi-region nam5 by default). Cannot change after creation."
  type        = string
  default     = "nam5"
}

variable "rate_limit" {
  description = "Requests per second each principal may make (RENTROLL_RATE_LIMIT); bursts of four times as many. Above it the API answers 429 with Retry-After."
  type        = number
  default     = 25

  validation {
    condition     = var.rate_limit > 0 && var.rate_limit <= 10000
    error_message = "rate_limit must be between 0 and 10000."
  }
}

variable "query_max_bytes_billed" {
  description = "Bytes one BigQuery query may bill (RENTROLL_QUERY_MAX_BYTES_BILLED); a query over it fails before it runs and costs nothing."
  type        = number
  default     = 53687091200 # 50 GiB

  validation {
    condition     = var.query_max_bytes_billed >= 1048576
    error_message = "query_max_bytes_billed must be at least 1 MiB."
  }
}

variable "query_timeout" {
  description = "Longest one warehouse query may take (RENTROLL_QUERY_TIMEOUT), a Go duration between 1s and 1h."
  type        = string
  default     = "2m"
}

variable "trusted_proxy_hops" {
  description = "X-Forwarded-For entries appended by our own proxies (RENTROLL_TRUSTED_PROXY_HOPS): 2 behind the external Application Load Balancer (client, balancer)."
  type        = number
  default     = 2

  validation {
    condition     = var.trusted_proxy_hops >= 0 && var.trusted_proxy_hops <= 10
    error_message = "trusted_proxy_hops must be between 0 and 10."
  }
}

variable "log_level" {
  description = "Function log level (RENTROLL_LOG_LEVEL): debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "max_upload_bytes" {
  description = "Largest accepted upload in bytes (RENTROLL_MAX_UPLOAD_BYTES); pinned in every signed URL."
  type        = number
  default     = 104857600
}

variable "upload_url_ttl" {
  description = "Lifetime of a signed upload URL (RENTROLL_UPLOAD_URL_TTL), a Go duration of at most 15m."
  type        = string
  default     = "15m"
}

variable "uploads_soft_delete_days" {
  description = "How long a deleted or overwritten upload stays restorable (GCS soft delete, 7-90 days)."
  type        = number
  default     = 30

  # GCS accepts 0 (off) or 7 to 90 days; anything else fails only at apply.
  validation {
    condition     = floor(var.uploads_soft_delete_days) == var.uploads_soft_delete_days && var.uploads_soft_delete_days >= 7 && var.uploads_soft_delete_days <= 90
    error_message = "uploads_soft_delete_days must be a whole number of days from 7 to 90 (GCS soft delete limits)."
  }
}

variable "finance_soft_delete_days" {
  description = "How long a deleted finance export stays restorable (GCS soft delete, 7-90 days)."
  type        = number
  default     = 90

  validation {
    condition     = floor(var.finance_soft_delete_days) == var.finance_soft_delete_days && var.finance_soft_delete_days >= 7 && var.finance_soft_delete_days <= 90
    error_message = "finance_soft_delete_days must be a whole number of days from 7 to 90 (GCS soft delete limits)."
  }
}

variable "finance_noncurrent_retention_days" {
  description = "How long a replaced finance export version is kept (a re-run month overwrites its CSV). Seven years by default, for tax records."
  type        = number
  default     = 2557
}

variable "ingest_rejections_per_hour" {
  description = "Rejected uploads per hour above which the ingest-rejections alert fires (a rejection is a bad file, so a few are normal)."
  type        = number
  default     = 10
}

variable "keep_warm" {
  description = "Keep one instance of Uploads and Analytics running (no cold start on the interactive paths). Costs two always-on instances; false for staging."
  type        = bool
  default     = true
}

variable "console_domain" {
  description = "Host name of the web console, e.g. app.rentroll.ai: the load balancer serves the console's files from a bucket at / and the API at /v1 on it. Its DNS A record points at output api_ip, and https://<console_domain> must be one of allowed_origins (the browser PUTs uploads to GCS from it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.console_domain)) && contains(var.allowed_origins, "https://${var.console_domain}")
    error_message = "console_domain must be a lower-case host name, and https://<console_domain> must be listed in allowed_origins."
  }
}

variable "console_client_id" {
  description = "Auth0 client id of the console (a Single Page Application in the Auth0 tenant); published in the console's /config.json."
  type        = string
}

variable "build_repository" {
  description = "Cloud Build repository (2nd gen connection) the build triggers watch: projects/PROJECT/locations/REGION/connections/CONNECTION/repositories/REPO."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/locations/[^/]+/connections/[^/]+/repositories/[^/]+$", var.build_repository))
    error_message = "build_repository must be projects/P/locations/R/connections/C/repositories/NAME."
  }
}

variable "deployer_service_account" {
  description = "E-mail of the hand-made deployer account that runs the main-branch build (it applies this Terraform, so it cannot be created by it). Pull requests never run as it."
  type        = string

  validation {
    condition     = endswith(var.deployer_service_account, ".iam.gserviceaccount.com")
    error_message = "deployer_service_account must be a service account e-mail."
  }
}

variable "tf_state_bucket" {
  description = "The GCS bucket holding the Terraform state (created by hand). Pull-request plans get read-only access to this environment's state prefix in it."
  type        = string
}

variable "billing_carry_forward_months" {
  description = "Months a property's latest rent roll keeps being billed without a newer one (RENTROLL_BILLING_CARRY_FORWARD_MONTHS); older properties are stale and not billed."
  type        = number
  default     = 3

  validation {
    condition     = var.billing_carry_forward_months >= 1 && var.billing_carry_forward_months <= 24 && floor(var.billing_carry_forward_months) == var.billing_carry_forward_months
    error_message = "billing_carry_forward_months must be a whole number from 1 to 24."
  }
}

variable "stripe_api_key_secret" {
  description = "Secret Manager secret id (in this project) holding the Stripe API key. Empty: billing runs report to no one. Set: the key is mapped into Billing and Admin as RENTROLL_STRIPE_API_KEY and each run reports units as Stripe meter events."
  type        = string
  default     = ""
}

variable "stripe_meter_event" {
  description = "Event name of the Stripe Billing meter the units are reported to (RENTROLL_STRIPE_METER_EVENT). The meter must aggregate with \"last\" (docs/billing.md)."
  type        = string
  default     = "rentroll_units"
}

variable "client_query_rate" {
  description = "Analytics queries a second one client may cause (RENTROLL_CLIENT_QUERY_RATE), bursts of four times as many; above it 429 with Retry-After."
  type        = number
  default     = 5

  validation {
    condition     = var.client_query_rate > 0 && var.client_query_rate <= 10000
    error_message = "client_query_rate must be between 0 and 10000."
  }
}
