# Log-based metrics and alerts. The functions log JSON (log/slog) with
# `severity` and `message`, which Cloud Logging turns into
# jsonPayload.message; the metric filters match those messages exactly
# (terraform/README.md "Alerts" says what each alert means and what to do).

resource "google_monitoring_notification_channel" "email" {
  project      = var.project
  display_name = "RentRoll ${var.environment} on-call"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [time_sleep.apis]
}

locals {
  # Logs of this environment's functions (2nd gen functions log as Cloud Run
  # revisions named after the function).
  function_logs = join(" OR ", [for n in values(local.function_names) : "resource.labels.service_name=\"${n}\""])
  run_logs      = "resource.type=\"cloud_run_revision\" AND (${local.function_logs})"

  log_metrics = {
    ingest_rejected = {
      description = "Uploads Ingest rejected (bad file, unknown object, suspended client)."
      filter      = "jsonPayload.message=\"upload rejected\""
    }
    ingest_failed = {
      description = "Uploads Ingest could not load because of a fault (not the file's)."
      filter      = "jsonPayload.message=\"upload failed\""
    }
    billing_run_failed = {
      description = "Monthly or on-demand billing runs that failed."
      filter      = "jsonPayload.message=\"billing run failed\""
    }
    billing_run_completed = {
      description = "Billing runs that completed."
      filter      = "jsonPayload.message=\"billing run completed\""
    }
    jwks_unavailable = {
      description = "Auth0 JWKS fetch failures (tokens cannot be verified)."
      # The verifier reports the failure with "JWKS unavailable" (and keeps
      # the previous keys on a failed refresh, logged as "JWKS refresh failed").
      filter = "(jsonPayload.message:\"JWKS unavailable\" OR jsonPayload.message:\"JWKS refresh failed\" OR jsonPayload.error:\"JWKS unavailable\")"
    }
    function_errors = {
      description = "Log entries at ERROR or above from the functions."
      filter      = "severity>=ERROR"
    }
  }
}

resource "google_logging_metric" "rentroll" {
  for_each = local.log_metrics

  project     = var.project
  name        = "rentroll_${var.environment}_${each.key}"
  description = each.value.description
  filter      = "${local.run_logs} AND ${each.value.filter}"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Cloud Run service (function) that logged the entry."
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  depends_on = [time_sleep.apis]
}

# A log-based metric is visible to Cloud Monitoring only minutes after it is
# created; an alert policy on it created in the same apply fails with "Cannot
# find metric(s)" (a long-standing provider issue). The alert policies wait
# for this, which waits for every log-based metric; a new or renamed metric
# waits again.
resource "time_sleep" "log_metrics" {
  create_duration = "600s"
  triggers = merge(
    { for k, m in google_logging_metric.rentroll : k => m.id },
    { scheduler_failed = google_logging_metric.scheduler_failed.id },
  )
}

locals {
  metric_type = { for k, m in google_logging_metric.rentroll : k => "logging.googleapis.com/user/${m.name}" }

  # alert key => condition on a log-based metric: the count over the window
  # above the threshold.
  log_alerts = {
    ingest_failed = {
      name      = "Ingest failures"
      metric    = "ingest_failed"
      window    = "600s"
      threshold = 0
      doc       = "Ingest could not load an upload because of a fault (BigQuery, Firestore or Storage), not because of the file. Eventarc retries; see README \"Alerts\"."
    }
    ingest_rejected = {
      name      = "Ingest rejections above normal"
      metric    = "ingest_rejected"
      window    = "3600s"
      threshold = var.ingest_rejections_per_hour
      doc       = "More rejected uploads than usual in an hour: a client's export format changed, or something writes unknown objects. See README \"Alerts\"."
    }
    billing_run_failed = {
      name      = "Billing run failed"
      metric    = "billing_run_failed"
      window    = "300s"
      threshold = 0
      doc       = "A billing run failed; the scheduler retries, finance is blocked until one completes. See README \"Re-run a billing month\"."
    }
    jwks_unavailable = {
      name      = "Auth0 JWKS unavailable"
      metric    = "jwks_unavailable"
      window    = "300s"
      threshold = 0
      doc       = "The functions cannot fetch Auth0's signing keys: new tokens (and rotated keys) fail with 401. See README \"Alerts\"."
    }
    function_errors = {
      name      = "Function errors"
      metric    = "function_errors"
      window    = "300s"
      threshold = 5
      doc       = "More than 5 ERROR log entries in 5 minutes from the functions. See README \"Alerts\"."
    }
  }
}

resource "google_monitoring_alert_policy" "log" {
  for_each = local.log_alerts

  project               = var.project
  display_name          = "RentRoll ${var.environment}: ${each.value.name}"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = each.value.name
    condition_threshold {
      filter          = "metric.type=\"${local.metric_type[each.value.metric]}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "0s"
      aggregations {
        alignment_period     = each.value.window
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    content   = each.value.doc
    mime_type = "text/markdown"
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [time_sleep.log_metrics]
}

# Function error rate: share of requests answered 5xx, per function, over 5
# minutes (the platform's own metric, so it also counts crashes that log
# nothing).
resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project
  display_name          = "RentRoll ${var.environment}: function 5xx rate"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "5xx responses above 5% of requests"
    condition_threshold {
      filter             = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND metric.labels.response_code_class=\"5xx\" AND resource.labels.service_name=starts_with(\"${local.prefix}-\")"
      denominator_filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.labels.service_name=starts_with(\"${local.prefix}-\")"
      comparison         = "COMPARISON_GT"
      threshold_value    = 0.05
      duration           = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }
    }
  }

  documentation {
    content   = "More than 5% of a function's requests answered 5xx for 5 minutes. Ingest 5xx are transient faults that Eventarc retries. See README \"Alerts\"."
    mime_type = "text/markdown"
  }

  depends_on = [time_sleep.apis]
}

# The monthly run did not complete: no "billing run completed" for 32 days
# (the longest month plus a day), evaluated hourly. PromQL because a
# metric-absence condition cannot look back more than 23.5 hours. Expect it
# on a new environment until its first run (README "Alerts").
resource "google_monitoring_alert_policy" "billing_missing" {
  project               = var.project
  display_name          = "RentRoll ${var.environment}: billing run missing"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "No completed billing run in 32 days"
    condition_prometheus_query_language {
      query               = "absent_over_time(logging_googleapis_com:user_${google_logging_metric.rentroll["billing_run_completed"].name}{monitored_resource=\"cloud_run_revision\"}[32d])"
      duration            = "0s"
      evaluation_interval = "3600s"
      # The metric has no data until the first run completes, and Monitoring
      # rejects a PromQL condition on a metric that has never been written
      # unless validation is off.
      disable_metric_validation = true
    }
  }

  documentation {
    content   = "No billing run has completed in 32 days: the scheduled run on the 1st did not run or did not finish. See README \"Re-run a billing month\"."
    mime_type = "text/markdown"
  }

  depends_on = [time_sleep.log_metrics]
}

# The scheduler could not get a 2xx from Billing (after its own retries each
# attempt logs an error on the job).
resource "google_logging_metric" "scheduler_failed" {
  project     = var.project
  name        = "rentroll_${var.environment}_billing_scheduler_failed"
  description = "Cloud Scheduler attempts of the billing job that failed."
  filter      = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"${google_cloud_scheduler_job.billing.name}\" AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [time_sleep.apis]
}

resource "google_monitoring_alert_policy" "scheduler_failed" {
  project               = var.project
  display_name          = "RentRoll ${var.environment}: billing scheduler attempt failed"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "Billing job attempt failed"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.scheduler_failed.name}\" AND resource.type=\"cloud_scheduler_job\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Cloud Scheduler's call to the Billing function failed (no token, 403, 5xx or deadline). See README \"Alerts\"."
    mime_type = "text/markdown"
  }

  depends_on = [time_sleep.log_metrics]
}
