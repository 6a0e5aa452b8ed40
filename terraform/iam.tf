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

  # Project-level roles per function, without a condition. Firestore is not
  # here: its grants are per database, below. bigquery.jobUser lets a
  # function run query and load jobs; which tables a job may touch is decided
  # by the dataset grants and the conditional grants below. Every function
  # writes the audit trail (system.audit_logs) through jobs.
  function_project_roles = {
    Uploads = [
      "roles/bigquery.jobUser", # audit trail inserts
    ]
    Ingest = [
      "roles/bigquery.jobUser", # load and DML jobs
    ]
    Analytics = [
      "roles/bigquery.jobUser", # queries
      # Reads any client_<id> dataset (created at run time). Read-only: the
      # analytics function cannot change data even if its SQL were subverted.
      # Tenant isolation is the code's job (the dataset comes from the
      # authorized path), IAM separates the functions' capabilities.
      "roles/bigquery.dataViewer",
    ]
    Admin = [
      "roles/bigquery.jobUser", # provisioning DDL, summaries, on-demand billing runs
    ]
    Billing = [
      "roles/bigquery.jobUser", # the unit count query
      # Counts units over every client_<id> dataset (created at run time).
      "roles/bigquery.dataViewer",
    ]
  }

  # Client datasets are named client_<id> and created at run time, so no
  # dataset-level grant can exist before them. Instead of project-wide
  # bigquery.dataEditor (which also creates and deletes any dataset's
  # tables, system's included), Ingest and Admin get custom roles limited by
  # an IAM condition to the tables of client_ datasets. BigQuery evaluates
  # resource.name as projects/P/datasets/D[/tables/T].
  client_dataset_condition = "resource.name.startsWith(\"projects/${var.project}/datasets/client_\")"

  custom_roles = {
    # Ingest appends rows with load jobs and replaces an upload's earlier rows
    # with DML: read and write table data, never create, alter or drop tables.
    client_data_loader = {
      title       = "RentRoll client data loader (${var.environment})"
      description = "Reads and writes the rows of client_ datasets' existing tables (load jobs, DML). No dataset or table creation, schema change or deletion."
      permissions = [
        "bigquery.datasets.get",
        "bigquery.tables.get",
        "bigquery.tables.list",
        "bigquery.tables.getData",
        "bigquery.tables.updateData",
      ]
    }
    # Admin provisions a client: creates its tables, adds missing columns,
    # removes a deleted client's rows. Never drops a table or dataset and
    # cannot change their access.
    client_data_provisioner = {
      title       = "RentRoll client data provisioner (${var.environment})"
      description = "Creates and extends the tables of client_ datasets and reads/writes their rows. No deletion of tables or datasets, no access changes."
      permissions = [
        "bigquery.datasets.get",
        "bigquery.tables.create",
        "bigquery.tables.get",
        "bigquery.tables.list",
        "bigquery.tables.update",
        "bigquery.tables.getData",
        "bigquery.tables.updateData",
      ]
    }
    # Creating a dataset is checked on the project, where no dataset name
    # exists for a condition to test, so this one permission is unconditioned.
    # The code creates each client dataset with an explicit access list
    # (project owners only), so the creating account does not become its
    # owner (shared/bigquery EnsureDataset).
    dataset_creator = {
      title       = "RentRoll dataset creator (${var.environment})"
      description = "Creates BigQuery datasets (client_<id>, with an explicit access list). Nothing else."
      permissions = ["bigquery.datasets.create"]
    }
    # The Ingest report (reports/<cid>/<uid>.json) is written, and rewritten
    # on a redelivery, which GCS treats as a delete plus a create.
    report_writer = {
      title       = "RentRoll ingest report writer (${var.environment})"
      description = "Creates and replaces objects; granted only on the reports/ prefix of the uploads bucket."
      permissions = ["storage.objects.create", "storage.objects.delete"]
    }
  }

  # Firestore, per database (data.tf). Firestore IAM stops at the database,
  # and the registry has a database of its own so that this can hold: only
  # Admin writes clients/{id} and users/{sub} (and the clients' settings);
  # every other function reads them (each request's principal is resolved
  # there) with datastore.viewer, so a compromised function cannot make
  # anyone an admin. Every function writes the operational database
  # ("(default)"): Uploads and Ingest the upload records and claims, Billing
  # and Admin the billing runs, Analytics the property lifecycles (client
  # admins mark properties inactive). datastore.user reads and writes
  # documents, no index or database administration. Firestore evaluates
  # resource.name as projects/P/databases/D for document operations.
  firestore_database_condition = {
    operational = "resource.name == \"projects/${var.project}/databases/(default)\""
    registry    = "resource.name == \"projects/${var.project}/databases/${local.registry_database}\""
  }
  firestore_grants = merge(
    { for fn in keys(local.function_sa_ids) : "${fn} operational" => { fn = fn, role = "roles/datastore.user", db = "operational" } },
    { for fn in keys(local.function_sa_ids) : "${fn} registry" => {
      fn   = fn
      role = fn == "Admin" ? "roles/datastore.user" : "roles/datastore.viewer"
      db   = "registry"
    } },
  )

  # Conditional project-level grants: function, custom role, condition.
  function_conditional_roles = {
    "Ingest client_data_loader"     = { fn = "Ingest", role = "client_data_loader", condition = local.client_dataset_condition, title = "client_ datasets only" }
    "Admin client_data_provisioner" = { fn = "Admin", role = "client_data_provisioner", condition = local.client_dataset_condition, title = "client_ datasets only" }
    "Admin dataset_creator"         = { fn = "Admin", role = "dataset_creator", condition = "", title = "" }
  }
}

resource "google_project_iam_custom_role" "rentroll" {
  for_each = local.custom_roles

  project     = var.project
  role_id     = "rentroll_${var.environment}_${each.key}"
  title       = each.value.title
  description = each.value.description
  permissions = each.value.permissions

  depends_on = [time_sleep.apis]
}

resource "google_project_iam_member" "fn_conditional" {
  for_each = local.function_conditional_roles

  project = var.project
  role    = google_project_iam_custom_role.rentroll[each.value.role].name
  member  = "serviceAccount:${google_service_account.fn[each.value.fn].email}"

  dynamic "condition" {
    for_each = each.value.condition == "" ? [] : [each.value]
    content {
      title      = condition.value.title
      expression = condition.value.condition
    }
  }
}

resource "google_project_iam_member" "fn_firestore" {
  for_each = local.firestore_grants

  project = var.project
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.fn[each.value.fn].email}"

  condition {
    title      = "${each.value.db} Firestore database only"
    expression = local.firestore_database_condition[each.value.db]
  }
}

resource "google_service_account" "fn" {
  for_each = local.function_sa_ids

  project      = var.project
  account_id   = each.value
  display_name = "RentRoll ${each.key} function (${var.environment})"
  description  = "Runtime identity of the ${each.key} Cloud Function; see terraform/README.md for its roles."

  depends_on = [time_sleep.apis]
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

  depends_on = [time_sleep.apis]
}

# Eventarc delivers upload events to Ingest as this account: run.invoker on
# the Ingest function (functions.tf) and eventReceiver (project-only role) to
# receive events from the trigger.
resource "google_service_account" "trigger" {
  project      = var.project
  account_id   = "${local.prefix}-trigger"
  display_name = "RentRoll ingest trigger (${var.environment})"
  description  = "Identity of the Eventarc trigger that delivers upload events to Ingest."

  depends_on = [time_sleep.apis]
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

  depends_on = [time_sleep.apis]
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

  depends_on = [time_sleep.apis]
}

locals {
  # Cloud Functions (2nd gen) copies the source archive into its own bucket,
  # gcf-v2-sources-<project number>-<region>, and the build reads it from
  # there, not from our sources bucket. That bucket is created by Cloud
  # Functions on the first deployment, so no bucket-level grant can name it
  # beforehand: the grant is project-level, conditioned to that bucket and to
  # our own sources bucket.
  gcf_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"

  # role => condition ("" for none). Whether a role is conditioned is known
  # at plan time even while the project number is not.
  build_roles = {
    # Build logs.
    "roles/logging.logWriter" = { conditioned = false, expression = "" }
    # Push the function image to the gcf-artifacts repository.
    "roles/artifactregistry.writer" = { conditioned = false, expression = "" }
    # Read the function source where the build fetches it.
    "roles/storage.objectViewer" = {
      conditioned = true
      expression = join(" || ", [
        "resource.name.startsWith(\"projects/_/buckets/${local.gcf_sources_bucket}\")",
        "resource.name.startsWith(\"projects/_/buckets/${var.project}-${var.environment}-fn-sources\")",
      ])
    }
  }
}

resource "google_project_iam_member" "build" {
  for_each = local.build_roles

  project = var.project
  role    = each.key
  member  = "serviceAccount:${google_service_account.build.email}"

  dynamic "condition" {
    for_each = each.value.conditioned ? [each.value.expression] : []
    content {
      title      = "function sources only"
      expression = condition.value
    }
  }
}

# IAM grants take up to a couple of minutes to reach every service: a build
# started at once fails with "permission denied" on the source object. The
# functions wait for this (functions.tf). The triggers make a changed grant
# wait again.
resource "time_sleep" "build_grants" {
  create_duration = "90s"
  triggers        = { for role, _ in local.build_roles : role => google_project_iam_member.build[role].id }

  depends_on = [google_project_iam_member.build]
}
