# Buckets: uploads (client files), finance (billing exports), function
# sources. All three: uniform bucket-level access (no object ACLs to audit)
# and public access prevention enforced (no allUsers grant can ever apply).

# Client uploads: clients/{client_id}/{kind}/{upload_id}/{filename} (docs/architecture.md#uploads-storage-and-events).
# Same region as the functions: an Eventarc Cloud Storage trigger must be in
# the bucket's location.
resource "google_storage_bucket" "uploads" {
  project                     = var.project
  name                        = "${var.project}-${var.environment}-uploads"
  location                    = upper(var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  # A deleted upload stays restorable (README "Restore a deleted upload").
  soft_delete_policy {
    retention_duration_seconds = var.uploads_soft_delete_days * 86400
  }

  # Browsers PUT straight to GCS with the signed URL; only the app's origins
  # may, and only PUT. The response headers are the ones the signed URL pins
  # (Content-Type, content-length range, no-overwrite precondition), which the
  # browser must be allowed to send.
  cors {
    origin          = var.allowed_origins
    method          = ["PUT"]
    response_header = ["Content-Type", "x-goog-content-length-range", "x-goog-if-generation-match"]
    max_age_seconds = 3600
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.apis]
}

# Finance exports: billing/{YYYY-MM}/billing_units.csv and manifest.json.
# Versioning keeps every export a re-run month replaced, for the retention
# period below. A bucket retention policy (Bucket Lock) is deliberately not
# used: it cannot be combined with versioning, and it would forbid the
# overwrite a re-run month performs (docs/metrics.md: "re-running a month replaces
# it"). Soft delete covers deletion of the live version.
resource "google_storage_bucket" "finance" {
  project                     = var.project
  name                        = "${var.project}-${var.environment}-finance"
  location                    = upper(var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.finance_soft_delete_days * 86400
  }

  # Retention of replaced exports: a noncurrent version is deleted only after
  # finance_noncurrent_retention_days (seven years by default).
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.finance_noncurrent_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.apis]
}

# Function source archives, one object per content hash.
resource "google_storage_bucket" "sources" {
  project                     = var.project
  name                        = "${var.project}-${var.environment}-fn-sources"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # only rebuildable archives live here
  labels                      = local.labels

  depends_on = [time_sleep.apis]
}

# --- bucket-level grants ---------------------------------------------------

locals {
  bucket_grants = {
    # A V4 signed PUT is authorized as the signer, so the Uploads account
    # needs object create on this bucket (create only: the URL pins
    # x-goog-if-generation-match: 0, and it cannot read or delete).
    "uploads Uploads objectCreator" = { bucket = google_storage_bucket.uploads.name, role = "roles/storage.objectCreator", member = "serviceAccount:${google_service_account.fn["Uploads"].email}" }
    # Ingest reads the finalized object (and BigQuery load jobs read it with
    # Ingest's credentials). Read only: a rejected file is left untouched.
    # Its one write, the issue report, is the conditional grant below.
    "uploads Ingest objectViewer" = { bucket = google_storage_bucket.uploads.name, role = "roles/storage.objectViewer", member = "serviceAccount:${google_service_account.fn["Ingest"].email}" }
    # Billing writes the month's CSV and manifest and replaces them on a
    # re-run: objectUser (create, read, overwrite/delete objects; no IAM).
    "finance Billing objectUser" = { bucket = google_storage_bucket.finance.name, role = "roles/storage.objectUser", member = "serviceAccount:${google_service_account.fn["Billing"].email}" }
    # Admin runs a month on demand (POST /v1/admin/billing/runs) with the
    # same code, and serves export.csv.
    "finance Admin objectUser" = { bucket = google_storage_bucket.finance.name, role = "roles/storage.objectUser", member = "serviceAccount:${google_service_account.fn["Admin"].email}" }
  }
}

resource "google_storage_bucket_iam_member" "grants" {
  for_each = local.bucket_grants

  bucket = each.value.bucket
  role   = each.value.role
  member = each.value.member
}

# Ingest writes the full issue report of an upload to
# reports/<client_id>/<upload_id>.json in the uploads bucket
# (uploads.ReportObject), outside clients/ so that it triggers no ingestion.
# It may create and replace objects under reports/ and nowhere else: a
# compromised Ingest cannot plant files under clients/ (which would be
# ingested) or delete uploads.
resource "google_storage_bucket_iam_member" "ingest_reports" {
  bucket = google_storage_bucket.uploads.name
  role   = google_project_iam_custom_role.rentroll["report_writer"].name
  member = "serviceAccount:${google_service_account.fn["Ingest"].email}"

  condition {
    title       = "reports prefix only"
    description = "Ingest's issue reports: reports/<client_id>/<upload_id>.json"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.uploads.name}/objects/reports/\")"
  }
}

# Finance reads the exports directly (and through the Admin API).
resource "google_storage_bucket_iam_member" "finance_readers" {
  for_each = toset(var.finance_readers)

  bucket = google_storage_bucket.finance.name
  role   = "roles/storage.objectViewer"
  member = each.value
}
