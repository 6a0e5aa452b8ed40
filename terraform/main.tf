# Provider, shared names and the APIs the platform needs.

provider "google" {
  project = var.project
  region  = var.region
}

locals {
  # Every name carries the environment, so two environments never collide.
  prefix = "rentroll-${var.environment}"

  # The five Cloud Functions (docs/architecture.md#functions). The key is the entry point the
  # module root package registers with functions-framework-go
  # (platform.HTTPFunctions() and platform.Ingest); terraform_test.go checks
  # that the two lists agree. Sizing: Analytics and Ingest parse and query, so
  # they get more memory; Ingest and Billing may run long (a 100 MiB file, a
  # count over every client); Uploads and Admin only touch metadata.
  http_functions = {
    Uploads = {
      description   = "Issues signed upload URLs and serves upload history."
      memory        = "512Mi"
      cpu           = "1"
      timeout       = 60
      min_instances = var.keep_warm ? 1 : 0 # the browser waits on it before every upload
      max_instances = 20
      concurrency   = 40
      public        = true
    }
    Analytics = {
      description   = "Rent roll and competition analytics on the caller's dataset."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 120
      min_instances = var.keep_warm ? 1 : 0 # dashboards call it on every page load
      max_instances = 30
      concurrency   = 40
      public        = true
    }
    Admin = {
      description   = "Clients, users, usage, billing runs on demand, audit, /v1/me."
      memory        = "512Mi"
      cpu           = "1"
      timeout       = 540 # an on-demand billing run counts every client
      min_instances = 0
      max_instances = 10
      concurrency   = 20
      public        = true
    }
    Billing = {
      description   = "Monthly unit count, invoked only by Cloud Scheduler."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 1800 # equals the scheduler's attempt deadline
      min_instances = 0
      max_instances = 1 # one run at a time; a run is idempotent anyway
      concurrency   = 1
      public        = false
    }
  }

  ingest_function = {
    name          = "Ingest"
    memory        = "2Gi" # a 100 MiB XLSX is parsed in a stream, but the zip index and row batches need room
    cpu           = "1"
    timeout       = 540 # the maximum for event-driven functions
    min_instances = 0
    max_instances = 20
    concurrency   = 1 # one file per instance: memory is sized for one
  }

  # Cloud Run service names are lower-case; the function name is too.
  function_names = merge(
    { for k, _ in local.http_functions : k => "${local.prefix}-${lower(k)}" },
    { (local.ingest_function.name) = "${local.prefix}-${lower(local.ingest_function.name)}" },
  )

  # The Billing function's stable URL. It is known before the function exists,
  # so the function's own environment (RENTROLL_SCHEDULER_AUDIENCE) and the
  # scheduler job's OIDC audience can both name it without a dependency cycle.
  billing_url = "https://${var.region}-${var.project}.cloudfunctions.net/${local.function_names["Billing"]}"

  # The monthly unit count's cron spec. It must equal
  # config.DefaultBillingSchedule (terraform_test.go checks it), so the local
  # platform and production bill on the same day and hour.
  billing_schedule = "0 6 1 * *"

  # The registry's Firestore database (data.tf): clients, users and their
  # settings, written by Admin alone (iam.tf).
  registry_database = "registry"

  # Only Admin bootstraps the super admin: tenancy.Bootstrap writes
  # users/{sub}, and no other function's account may write the registry.
  admin_env = {
    RENTROLL_BOOTSTRAP_SUPER_ADMIN = var.bootstrap_super_admin
  }

  # Environment of every function. All five run the same module root, whose
  # start-up (buildProduction) calls config.Load and Config.Production() and
  # assembles every function, so each one needs the whole set.
  # terraform_test.go checks this map against what config.Load reads.
  function_env = {
    RENTROLL_PROJECT                      = var.project
    RENTROLL_LOG_LEVEL                    = var.log_level
    RENTROLL_AUTH_ISSUER                  = var.auth_issuer
    RENTROLL_AUTH_AUDIENCE                = var.auth_audience
    RENTROLL_AUTH_JWKS_URL                = var.auth_jwks_url
    RENTROLL_CLAIMS_NAMESPACE             = var.claims_namespace
    RENTROLL_UPLOADS_BUCKET               = google_storage_bucket.uploads.name
    RENTROLL_FINANCE_BUCKET               = google_storage_bucket.finance.name
    RENTROLL_MAX_UPLOAD_BYTES             = tostring(var.max_upload_bytes)
    RENTROLL_UPLOAD_URL_TTL               = var.upload_url_ttl
    RENTROLL_SIGNER_SERVICE_ACCOUNT       = google_service_account.fn["Uploads"].email
    RENTROLL_BIGQUERY_LOCATION            = var.bigquery_location
    RENTROLL_BILLING_SCHEDULE             = local.billing_schedule
    RENTROLL_BILLING_TIMEZONE             = var.billing_time_zone
    RENTROLL_SCHEDULER_AUDIENCE           = local.billing_url
    RENTROLL_SCHEDULER_SERVICE_ACCOUNT    = google_service_account.scheduler.email
    RENTROLL_ALLOWED_ORIGINS              = join(",", var.allowed_origins)
    RENTROLL_RATE_LIMIT                   = tostring(var.rate_limit)
    RENTROLL_QUERY_MAX_BYTES_BILLED       = tostring(var.query_max_bytes_billed)
    RENTROLL_QUERY_TIMEOUT                = var.query_timeout
    RENTROLL_TRUSTED_PROXY_HOPS           = tostring(var.trusted_proxy_hops)
    RENTROLL_BILLING_CARRY_FORWARD_MONTHS = tostring(var.billing_carry_forward_months)
    RENTROLL_STRIPE_METER_EVENT           = var.stripe_meter_event
    RENTROLL_CLIENT_QUERY_RATE            = tostring(var.client_query_rate)
    RENTROLL_FIRESTORE_REGISTRY_DATABASE  = local.registry_database # the functions depend on the database (functions.tf)
    # Invitations through the Auth0 Management API (auth0.tf); the secret
    # is mapped from Secret Manager in functions.tf.
    RENTROLL_AUTH0_DOMAIN         = var.auth0_domain
    RENTROLL_AUTH0_CONNECTION     = auth0_connection.users.name
    RENTROLL_AUTH0_MGMT_CLIENT_ID = auth0_client.management.client_id
  }

  labels = {
    app         = "rentroll"
    environment = var.environment
  }
}

# APIs. disable_on_destroy = false: destroying this configuration must never
# switch off an API something else in the project still uses.
locals {
  services = toset([
    "artifactregistry.googleapis.com", # function images
    "bigquery.googleapis.com",         # warehouse
    "cloudbuild.googleapis.com",       # function builds
    "cloudfunctions.googleapis.com",   # the five functions
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com", # monthly billing
    "secretmanager.googleapis.com",  # the Auth0 Management API secret, the Stripe key
    "compute.googleapis.com",        # load balancer
    "eventarc.googleapis.com",       # upload finalized -> Ingest
    "firebaserules.googleapis.com",  # the deny-all Firestore rules (data.tf)
    "firestore.googleapis.com",      # registry and upload records
    "iam.googleapis.com",            # service accounts
    "iamcredentials.googleapis.com", # signBlob for V4 signed URLs
    "logging.googleapis.com",        # log-based metrics
    "monitoring.googleapis.com",     # alerts
    "pubsub.googleapis.com",         # Eventarc's transport for GCS events
    "run.googleapis.com",            # 2nd gen functions run on Cloud Run
    "storage.googleapis.com",        # buckets
  ])
}

resource "google_project_service" "apis" {
  for_each = local.services

  project            = var.project
  service            = each.value
  disable_on_destroy = false
}

# Enabling an API returns before every Google front end accepts calls to it;
# on an empty project the first resources of a just-enabled API can fail
# with "API not enabled". Everything that calls an API depends on this wait
# (terraform_test.go checks it), so the first apply does not race enablement.
resource "time_sleep" "apis" {
  create_duration = "60s"
  triggers        = { services = join(",", sort(tolist(local.services))) }

  depends_on = [google_project_service.apis]
}

# The project number names Google-managed buckets and service agents
# (gcf-v2-sources-<number>-<region>).
data "google_project" "this" {
  project_id = var.project

  depends_on = [time_sleep.apis]
}
