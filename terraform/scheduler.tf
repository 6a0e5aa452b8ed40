# The monthly unit count (docs/metrics.md): Cloud Scheduler POSTs to the Billing
# function with a Google OIDC token for the scheduler account. The body is
# empty JSON, so the month defaults to the previous calendar month in the
# billing time zone.
resource "google_cloud_scheduler_job" "billing" {
  project     = var.project
  region      = var.region
  name        = "${local.prefix}-billing-monthly"
  description = "Monthly billable-unit count (POST /v1/billing/runs)."
  schedule    = local.billing_schedule
  time_zone   = var.billing_time_zone
  # The longest an HTTP target may take (30 min); the function's timeout is
  # the same, so a slow run is not cut short and retried while still running.
  attempt_deadline = "1800s"

  # A run is idempotent (re-running a month replaces it), so retrying a failed
  # attempt is safe. Five attempts over about three hours ride out a
  # BigQuery or Firestore incident; after that the "billing run missing"
  # alert fires and the runbook's manual re-run applies.
  retry_config {
    retry_count          = 5
    min_backoff_duration = "300s"
    max_backoff_duration = "3600s"
    max_doublings        = 3
    max_retry_duration   = "0s" # bounded by retry_count
  }

  http_target {
    http_method = "POST"
    uri         = "${local.billing_url}/v1/billing/runs"
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      # The Billing code checks this audience (RENTROLL_SCHEDULER_AUDIENCE).
      audience = local.billing_url
    }
  }

  depends_on = [
    time_sleep.apis,
    google_cloud_run_v2_service_iam_member.billing_scheduler,
  ]
}
