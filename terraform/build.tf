# Cloud Build: who may change production, and from where.
#
# Two triggers, two build files, two identities:
# - deploy: a push to main runs cloudbuild.yaml (checks, plan, apply, console
#   upload) as the deployer account, which may change everything. Only a
#   merged change reaches it.
# - pull_request: a pull request against main runs cloudbuild-pr.yaml (checks
#   and a read-only plan) as the pull-request account below, which can read
#   the infrastructure's configuration and this environment's state but
#   change nothing and read no client data.
# A pull request can edit any build file, including the one its own trigger
# runs; what stops it deploying is that its build runs as an account without
# the rights to, not an `if main` inside a file it controls.

locals {
  # Every input of the environment, for both triggers (cloudbuild.yaml passes
  # them to Terraform as TF_VAR_*).
  build_substitutions = {
    _ENV                   = var.environment
    _REGION                = var.region
    _TF_STATE_BUCKET       = var.tf_state_bucket
    _AUTH_ISSUER           = var.auth_issuer
    _AUTH_AUDIENCE         = var.auth_audience
    _AUTH_JWKS_URL         = var.auth_jwks_url
    _CLAIMS_NAMESPACE      = var.claims_namespace
    _ALLOWED_ORIGINS       = jsonencode(var.allowed_origins)
    _API_DOMAIN            = var.api_domain
    _CONSOLE_DOMAIN        = var.console_domain
    _CONSOLE_CLIENT_ID     = var.console_client_id
    _FINANCE_READERS       = jsonencode(var.finance_readers)
    _ALERT_EMAIL           = var.alert_email
    _BILLING_TIME_ZONE     = var.billing_time_zone
    _BOOTSTRAP_SUPER_ADMIN = var.bootstrap_super_admin
    _KEEP_WARM             = tostring(var.keep_warm)
    _BUILD_REPOSITORY      = var.build_repository
    _DEPLOYER_SA           = var.deployer_service_account
  }

  # projects/P/locations/REGION/connections/C/repositories/R: a trigger on a
  # 2nd gen repository lives in the connection's region.
  build_location = split("/", var.build_repository)[3]

  # Roles of the pull-request account. Each is read-only and none reads
  # client data (no BigQuery table data, Firestore documents, upload objects
  # or log entries): enough for `terraform plan` to refresh the resources.
  # terraform_test.go refuses any role outside this kind.
  pr_plan_roles = [
    "roles/logging.logWriter",                                               # its own build logs
    "roles/iam.securityReviewer",                                            # IAM policies, service accounts, custom roles
    "roles/serviceusage.serviceUsageViewer",                                 # enabled APIs
    "roles/cloudfunctions.viewer",                                           # the functions
    "roles/run.viewer",                                                      # their Cloud Run services
    "roles/compute.viewer",                                                  # load balancer, addresses, certificates
    "roles/cloudscheduler.viewer",                                           # the billing job
    "roles/eventarc.viewer",                                                 # the upload trigger
    "roles/monitoring.viewer",                                               # alert policies, channels
    "roles/bigquery.metadataViewer",                                         # datasets (metadata, never rows)
    "roles/firebaserules.viewer",                                            # the deny-all rules
    "roles/cloudbuild.builds.viewer",                                        # these triggers
    "projects/${var.project}/roles/rentroll_${var.environment}_plan_reader", # the gaps below
  ]

  pr_plan_custom_permissions = [
    "resourcemanager.projects.get",
    "storage.buckets.get",
    "logging.logMetrics.get",
    "logging.logMetrics.list",
    "datastore.databases.getMetadata",
    "datastore.indexes.get",
    "datastore.indexes.list",
  ]
}

resource "google_service_account" "pr_plan" {
  project      = var.project
  account_id   = "${local.prefix}-pr-plan"
  display_name = "RentRoll pull-request plans (${var.environment})"
  description  = "Runs pull-request builds: checks and a read-only terraform plan. Cannot change anything."

  depends_on = [time_sleep.apis]
}

resource "google_project_iam_custom_role" "pr_plan_reader" {
  project     = var.project
  role_id     = "rentroll_${var.environment}_plan_reader"
  title       = "RentRoll plan reader (${var.environment})"
  description = "Metadata reads terraform plan needs that no predefined read-only role without data access grants."
  permissions = local.pr_plan_custom_permissions

  depends_on = [time_sleep.apis]
}

resource "google_project_iam_member" "pr_plan" {
  for_each = toset(local.pr_plan_roles)

  project = var.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.pr_plan.email}"

  depends_on = [google_project_iam_custom_role.pr_plan_reader]
}

# The plan reads this environment's state (never writes it: pull-request
# plans run with -lock=false) and the metadata of the objects Terraform
# manages in the sources and console buckets, whose content is public or in
# the repository anyway. Uploads and finance objects stay unreadable.
resource "google_storage_bucket_iam_member" "pr_plan_state" {
  bucket = var.tf_state_bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.pr_plan.email}"

  # Listing is checked on the bucket itself (terraform init lists the
  # prefix's workspaces): the bucket's name, then objects of this
  # environment's prefix only.
  condition {
    title      = "this environment's state only"
    expression = "resource.name == \"projects/_/buckets/${var.tf_state_bucket}\" || resource.name.startsWith(\"projects/_/buckets/${var.tf_state_bucket}/objects/rentroll/${var.environment}/\")"
  }
}

resource "google_storage_bucket_iam_member" "pr_plan_objects" {
  for_each = {
    sources = google_storage_bucket.sources.name
    console = google_storage_bucket.console.name
  }

  bucket = each.value
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.pr_plan.email}"
}

# main only, on push (a merge), as the deployer: the only build that applies.
resource "google_cloudbuild_trigger" "deploy" {
  project         = var.project
  location        = local.build_location
  name            = "${local.prefix}-deploy"
  description     = "Push to main: test, plan and apply ${var.environment}, upload the console."
  filename        = "cloudbuild.yaml"
  service_account = "projects/${var.project}/serviceAccounts/${var.deployer_service_account}"
  substitutions   = local.build_substitutions

  repository_event_config {
    repository = var.build_repository
    push {
      branch = "^main$"
    }
  }

  depends_on = [time_sleep.apis]
}

# Pull requests against main, as the pull-request account: checks and a
# read-only plan. An outside contributor's pull request builds only after a
# maintainer comments /gcbrun.
resource "google_cloudbuild_trigger" "pull_request" {
  project         = var.project
  location        = local.build_location
  name            = "${local.prefix}-pull-request"
  description     = "Pull request: test and plan ${var.environment} read-only; never applies."
  filename        = "cloudbuild-pr.yaml"
  service_account = google_service_account.pr_plan.id
  substitutions   = local.build_substitutions

  repository_event_config {
    repository = var.build_repository
    pull_request {
      branch          = "^main$"
      comment_control = "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"
    }
  }

  depends_on = [google_project_iam_member.pr_plan]
}
