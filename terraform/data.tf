# Firestore (the registry, upload records, billing runs) and the BigQuery
# datasets Terraform owns. The per-client datasets client_<id> are created by the
# Admin function when a client is created (docs/architecture.md#data-model), not here: clients are
# data, not infrastructure. They get their access from the project-level
# grants in iam.tf.

# Two databases, split by who may write them (docs/architecture.md#data-model):
# "(default)" holds what the data path writes (upload records, ingestion
# claims, billing runs, property lifecycles), and "registry" holds clients,
# users and their settings, which only the Admin function writes. Firestore
# IAM stops at the database, so this split is what lets iam.tf give every
# other function read-only access to the registry.
resource "google_firestore_database" "main" {
  project     = var.project
  name        = "(default)" # the Go client's default database
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # Point-in-time recovery: any minute of the last 7 days can be read back
  # (README "Restore Firestore").
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  # A terraform destroy leaves the database (and its data) in place.
  deletion_policy = "ABANDON"

  depends_on = [time_sleep.apis]
}

# Security rules apply only to the client SDKs (browsers and apps signing in
# with Firebase Auth); the functions use the server SDK with their service
# accounts, which IAM governs and rules never see. Nothing but the functions
# may read or write this database, so the rules deny everything, explicitly:
# a database created outside Terraform or by another tool can start with
# open test-mode rules.
resource "google_firebaserules_ruleset" "firestore_deny_all" {
  project = var.project

  source {
    files {
      name    = "firestore.rules"
      content = <<-EOT
        rules_version = '2';
        service cloud.firestore {
          match /databases/{database}/documents {
            match /{document=**} {
              allow read, write: if false;
            }
          }
        }
      EOT
    }
  }

  depends_on = [time_sleep.apis, google_firestore_database.main]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project
  name         = "cloud.firestore" # the (default) database's release
  ruleset_name = "projects/${var.project}/rulesets/${google_firebaserules_ruleset.firestore_deny_all.name}"
}

# Daily backups, kept 14 weeks (the longest Firestore allows), for
# recoveries older than PITR's 7 days.
resource "google_firestore_backup_schedule" "daily" {
  project   = var.project
  database  = google_firestore_database.main.name
  retention = "8467200s" # 98 days

  daily_recurrence {}
}

# The registry: clients/{id}, users/{sub}, each client's charge-code
# overrides and pricing, the price list. Only Admin's account may write it
# (iam.tf); the code opens it as RENTROLL_FIRESTORE_REGISTRY_DATABASE. Same
# location, recovery and protection as the main database.
resource "google_firestore_database" "registry" {
  project     = var.project
  name        = local.registry_database
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [time_sleep.apis]
}

# Rules are released per database: a named database's release is
# cloud.firestore/<database id>. The same deny-all ruleset.
resource "google_firebaserules_release" "firestore_registry" {
  project      = var.project
  name         = "cloud.firestore/${local.registry_database}"
  ruleset_name = "projects/${var.project}/rulesets/${google_firebaserules_ruleset.firestore_deny_all.name}"

  depends_on = [google_firestore_database.registry]
}

resource "google_firestore_backup_schedule" "registry_daily" {
  project   = var.project
  database  = google_firestore_database.registry.name
  retention = "8467200s" # 98 days

  daily_recurrence {}
}

# Composite indexes for the filtered upload history (GET …/uploads?kind=&status=):
# newest first is an order on the upload_id field (ids are time-ordered).
locals {
  upload_index_filters = {
    kind        = ["kind"]
    status      = ["status"]
    kind_status = ["kind", "status"]
  }
}

resource "google_firestore_index" "uploads" {
  for_each    = local.upload_index_filters
  project     = var.project
  database    = google_firestore_database.main.name
  collection  = "uploads"
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value
    content {
      field_path = fields.value
      order      = "ASCENDING"
    }
  }
  fields {
    field_path = "upload_id"
    order      = "DESCENDING"
  }
}

locals {
  datasets = {
    # clients, users, billing_units, audit_logs (tables created by the code).
    system = "Platform-wide tables: clients, users, billing_units, audit_logs."
    # all_clients_summary, usage_analytics.
    super_admin = "Cross-client summaries for the super admin."
  }
}

resource "google_bigquery_dataset" "platform" {
  for_each = local.datasets

  project     = var.project
  dataset_id  = each.key
  location    = var.bigquery_location
  description = each.value
  labels      = local.labels

  # Seven days of time travel (the maximum): a dropped or overwritten table
  # can be read back FOR SYSTEM_TIME AS OF (README "Restore a table").
  max_time_travel_hours = "168"

  delete_contents_on_destroy = false

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.apis]
}

locals {
  # Dataset-level writers. Every HTTP function and Ingest write the audit trail
  # (system.audit_logs); Billing writes system.billing_units; Admin maintains
  # system.clients/users and the super_admin summaries. Analytics and Billing
  # have only dataViewer at project level, so this is their only write access.
  dataset_writers = {
    "system Uploads"      = { dataset = "system", fn = "Uploads" }
    "system Ingest"       = { dataset = "system", fn = "Ingest" }
    "system Analytics"    = { dataset = "system", fn = "Analytics" }
    "system Admin"        = { dataset = "system", fn = "Admin" }
    "system Billing"      = { dataset = "system", fn = "Billing" }
    "super_admin Admin"   = { dataset = "super_admin", fn = "Admin" }
    "super_admin Billing" = { dataset = "super_admin", fn = "Billing" }
  }
}

resource "google_bigquery_dataset_iam_member" "writers" {
  for_each = local.dataset_writers

  project    = var.project
  dataset_id = google_bigquery_dataset.platform[each.value.dataset].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.fn[each.value.fn].email}"
}
