# The five Cloud Functions (2nd gen), built from one source archive of the
# module root: Cloud Functions builds the root package, which registers every
# entry point (rentroll.go); each function runs the entry point named in its
# build_config.

# The source: the module root without what the deployed build never compiles.
# The root package and what it imports must never reach the local-only
# packages (the command line, the local platform, the emulators, DuckDB, the
# local identity provider) nor the console, tests and their data,
# infrastructure or CI; terraform_test.go checks this list against
# `go list -deps` of the root package, both ways.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/.."
  output_path = "${path.module}/.build/function-source.zip"
  # The checksum covers file modes, and a checkout's modes follow the umask
  # of whoever cloned it: without a fixed mode two identical sources zip to
  # different checksums and redeploy every function.
  output_file_mode = "0644"
  excludes = [
    ".git", ".ci", ".cache", ".rentroll", "rentroll", "tfplan", # VCS, CI, local data, local binary, saved plans
    "cmd", "internal", "testdata", "scripts", "docs", "terraform", "web",
    "shared/gcsemu", "shared/firestoreemu", "shared/duckdb", "shared/auth/localissuer",
    "**/testdata", "**/*_test.go", "**/node_modules",
    "cloudbuild.yaml", "cloudbuild-pr.yaml",
  ]
}

# Named by content hash: a changed source is a new object, which is what makes
# Terraform redeploy the functions (an unchanged one redeploys nothing).
resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.sources.name
  name   = "rentroll-${data.archive_file.source.output_md5}.zip"
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "http" {
  for_each = local.http_functions

  project     = var.project
  location    = var.region
  name        = local.function_names[each.key]
  description = each.value.description
  labels      = local.labels

  build_config {
    runtime         = "go126"
    entry_point     = each.key
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    min_instance_count               = each.value.min_instances
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    service_account_email            = google_service_account.fn[each.key].email
    environment_variables            = merge(local.function_env, { for k, v in local.admin_env : k => v if each.key == "Admin" })
    all_traffic_on_latest_revision   = true
    # Admin invites and blocks people through the Auth0 Management API; its
    # client secret comes from Secret Manager (auth0.tf), never a variable.
    dynamic "secret_environment_variables" {
      for_each = each.key == "Admin" ? [google_secret_manager_secret.auth0_mgmt_client_secret.secret_id] : []
      content {
        key        = "RENTROLL_AUTH0_MGMT_CLIENT_SECRET"
        project_id = var.project
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
    # Billing reports units to Stripe, and Admin's sync route completes a
    # pending report: both get the key from Secret Manager when it is set.
    dynamic "secret_environment_variables" {
      for_each = var.stripe_api_key_secret != "" && contains(["Billing", "Admin"], each.key) ? [var.stripe_api_key_secret] : []
      content {
        key        = "RENTROLL_STRIPE_API_KEY"
        project_id = var.project
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
    # Public functions are reached only through the load balancer (one base
    # URL, Cloud Armor possible later): their run.app and cloudfunctions.net
    # URLs refuse outside traffic. Billing must be reachable by Cloud
    # Scheduler at its own URL; what protects it is IAM (run.invoker for the
    # scheduler's account only) and the code's own check of the OIDC token.
    ingress_settings = each.value.public ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_ALL"
  }

  depends_on = [
    time_sleep.apis,
    time_sleep.build_grants,
    google_storage_bucket_iam_member.grants,
    google_project_iam_member.fn_conditional,
    google_project_iam_member.fn_firestore,
    google_firestore_database.registry,
  ]
}

resource "google_cloudfunctions2_function" "ingest" {
  project     = var.project
  location    = var.region
  name        = local.function_names[local.ingest_function.name]
  description = "Validates, normalizes and loads each finalized upload."
  labels      = local.labels

  build_config {
    runtime         = "go126"
    entry_point     = "Ingest"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = local.ingest_function.memory
    available_cpu                    = local.ingest_function.cpu
    timeout_seconds                  = local.ingest_function.timeout
    min_instance_count               = local.ingest_function.min_instances
    max_instance_count               = local.ingest_function.max_instances
    max_instance_request_concurrency = local.ingest_function.concurrency
    service_account_email            = google_service_account.fn["Ingest"].email
    environment_variables            = local.function_env
    all_traffic_on_latest_revision   = true
    ingress_settings                 = "ALLOW_INTERNAL_ONLY" # only Eventarc delivers to it
  }

  # Every object finalized in the uploads bucket (docs/architecture.md#uploads-storage-and-events). Retries on: the
  # code returns an error only for a transient fault and acknowledges bad
  # files itself, so a retry is always worth making; the idempotency key
  # (bucket/name#generation) makes a redelivery load nothing twice. Eventarc
  # retries with backoff for up to 24 hours.
  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.trigger.email
    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.uploads.name
    }
  }

  depends_on = [
    time_sleep.apis,
    time_sleep.build_grants,
    google_project_iam_member.gcs_agent_publishes,
    google_project_iam_member.trigger_receives_events,
    google_storage_bucket_iam_member.grants,
    google_storage_bucket_iam_member.ingest_reports,
    google_project_iam_member.fn_firestore,
    google_firestore_database.registry,
    google_project_iam_member.fn_conditional,
  ]
}

# --- who may invoke which function -----------------------------------------
# 2nd gen functions are Cloud Run services: invocation is roles/run.invoker
# on the service.

# The public functions authenticate every request themselves (Auth0 JWT,
# docs/architecture.md#authentication); the load balancer forwards the caller's Authorization header
# untouched. allUsers may invoke, but ingress admits only the load balancer.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = { for k, v in local.http_functions : k => v if v.public }

  project  = var.project
  location = var.region
  name     = google_cloudfunctions2_function.http[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Billing: the scheduler's account only.
resource "google_cloud_run_v2_service_iam_member" "billing_scheduler" {
  project  = var.project
  location = var.region
  name     = google_cloudfunctions2_function.http["Billing"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

# Ingest: the Eventarc trigger's account only.
resource "google_cloud_run_v2_service_iam_member" "ingest_trigger" {
  project  = var.project
  location = var.region
  name     = google_cloudfunctions2_function.ingest.service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger.email}"
}

# The Stripe key, when used, is readable by the two functions that report
# units and nothing else.
resource "google_secret_manager_secret_iam_member" "stripe_key" {
  for_each  = var.stripe_api_key_secret != "" ? toset(["Billing", "Admin"]) : toset([])
  project   = var.project
  secret_id = var.stripe_api_key_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.fn[each.key].email}"
}
