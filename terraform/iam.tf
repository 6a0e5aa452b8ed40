# Service accounts: one per function, plus the scheduler's caller, the
# Eventarc trigger's identity and the function build identity. Every grant
# says why; README.md "Service accounts" has the same table. Grants are on
# the narrowest resource that works: a bucket or dataset where the resource is
# known here, the project only where the resource is created at run time (the
# per-client datasets) or the permission only exists at project level
# (Firestore, BigQuery jobs, Eventarc).

locals {
  function_sa_ids = {
    Uploads   = "${local.prefix}-uploads"
    Ingest    = "${local.prefix}-ingest"
    Analytics = "${local.prefix}-analytics"
    Admin     = "${local.prefix}-admin"
    Billing   = "${local.prefix}-billing"
  }

  # Project-level roles per function.
  function_project_roles = {
    # Firestore has no per-collection IAM: datastore.user (read/write
    # documents, no index or database admin) is the smallest role. Every
    # function resolves users/{sub} and clients/{id}, so all five need it.
    # bigquery.jobUser lets a function run query and load jobs; which tables a
    # job may touch is still decided by the dataset grants below. Every
    # function writes the audit trail (system.audit_logs) through jobs.
    Uploads = [
      "roles/datastore.user",   # upload records clients/{cid}/uploads/{id}, users, clients
      "roles/bigquery.jobUser", # audit trail inserts
    ]
    Ingest = [
      "roles/datastore.user",   # upload record status, idempotency keys
      "roles/bigquery.jobUser", # load and DML jobs
      # Loads into client_<id> datasets that are created at run time by Admin,
      # so no dataset-level grant can exist in advance. dataEditor reads and
      # writes table data and creates/deletes tables (atomic loads use staging
      # tables) but cannot delete datasets or change their IAM.
      "roles/bigquery.dataEditor",
    ]
    Analytics = [
      "roles/datastore.user",   # principal resolution
      "roles/bigquery.jobUser", # queries
      # Reads any client_<id> dataset (created at run time). Read-only: the
      # analytics function cannot change data even if its SQL were subverted.
      # Tenant isolation is the code's job (the dataset comes from the
      # authorized path), IAM separates the functions' capabilities.
      "roles/bigquery.dataViewer",
    ]
    Admin = [
      "roles/datastore.user",   # clients, users, billing_runs
      "roles/bigquery.jobUser", # provisioning DDL, summaries, on-demand billing runs
      # Creates client_<id> datasets and their tables when a client is created
      # (DESIGN A5). dataEditor at project level is the smallest predefined
      # role with bigquery.datasets.create; it has no bigquery.datasets.delete
      # and no setIamPolicy. A custom role (datasets.create + tables.create/
      # get/update/getData/updateData, no tables.delete) would be tighter, but
      # the on-demand billing run and summary rebuilds replace tables, so the
      # saving is small and a custom role is one more thing to keep in sync.
      "roles/bigquery.dataEditor",
    ]
    Billing = [
      "roles/datastore.user",   # billing_runs/{month}
      "roles/bigquery.jobUser", # the unit count query
      # Counts units over every client_<id> dataset (created at run time).
      "roles/bigquery.dataViewer",
    ]
  }
}

resource "google_service_account" "fn" {
  for_each = local.function_sa_ids

  project      = var.project
  account_id   = each.value
  display_name = "RentRoll ${each.key} function (${var.environment})"
  description  = "Runtime identity of the ${each.key} Cloud Function; see terraform/README.md for its roles."
}

resource "google_project_iam_member" "fn" {
  for_each = merge([
    for fn, roles in local.function_project_roles : {
      for role in roles : "${fn} ${role}" => { fn = fn, role = role }
    }
  ]...)

  project = var.project
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.fn[each.value.fn].email}"
}

# The Uploads function signs V4 upload URLs with its own identity through IAM
# signBlob (RENTROLL_SIGNER_SERVICE_ACCOUNT = its own e-mail): no key file
# exists anywhere. Token Creator on itself only, not on the project.
resource "google_service_account_iam_member" "uploads_signs_as_itself" {
  service_account_id = google_service_account.fn["Uploads"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.fn["Uploads"].email}"
}

# Cloud Scheduler calls Billing with an OIDC token for this account. It holds
# nothing but run.invoker on the Billing function (functions.tf), and the
# Billing code accepts no other caller (RENTROLL_SCHEDULER_SERVICE_ACCOUNT).
resource "google_service_account" "scheduler" {
  project      = var.project
  account_id   = "${local.prefix}-scheduler"
  display_name = "RentRoll billing scheduler (${var.environment})"
  description  = "Identity of the monthly Cloud Scheduler job; may only invoke the Billing function."
}

# Eventarc delivers upload events to Ingest as this account: run.invoker on
# the Ingest function (functions.tf) and eventReceiver (project-only role) to
# receive events from the trigger.
resource "google_service_account" "trigger" {
  project      = var.project
  account_id   = "${local.prefix}-trigger"
  display_name = "RentRoll ingest trigger (${var.environment})"
  description  = "Identity of the Eventarc trigger that delivers upload events to Ingest."
}

resource "google_project_iam_member" "trigger_receives_events" {
  project = var.project
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger.email}"
}

# Cloud Storage publishes object events to Eventarc's Pub/Sub topic as the
# project's GCS service agent, which needs pubsub.publisher (Eventarc's
# documented requirement for Cloud Storage triggers).
data "google_storage_project_service_account" "gcs_agent" {
  project = var.project
}

resource "google_project_iam_member" "gcs_agent_publishes" {
  project = var.project
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs_agent.email_address}"
}

# Builds the functions' container images (Cloud Build on behalf of Cloud
# Functions). A dedicated account instead of the default compute account,
# which often holds Editor.
resource "google_service_account" "build" {
  project      = var.project
  account_id   = "${local.prefix}-build"
  display_name = "RentRoll function builds (${var.environment})"
  description  = "Builds the function images from the source archive."
}

resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",       # build logs
    "roles/artifactregistry.writer", # push the function image to gcf-artifacts
  ])

  project = var.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.build.email}"
}
