# What the runbook and Cloud Build need after an apply.

output "api_url" {
  description = "Public base URL of the API."
  value       = "https://${var.api_domain}"
}

output "api_ip" {
  description = "Address the api_domain A record must point at (the managed certificate is issued once it does)."
  value       = google_compute_global_address.api.address
}

output "uploads_bucket" {
  description = "Client uploads bucket (RENTROLL_UPLOADS_BUCKET)."
  value       = google_storage_bucket.uploads.name
}

output "finance_bucket" {
  description = "Finance exports bucket (RENTROLL_FINANCE_BUCKET)."
  value       = google_storage_bucket.finance.name
}

output "billing_url" {
  description = "Billing function URL (private; Cloud Scheduler only)."
  value       = local.billing_url
}

output "function_service_accounts" {
  description = "Runtime service account of each function."
  value       = { for k, sa in google_service_account.fn : k => sa.email }
}

output "scheduler_job" {
  description = "The monthly billing job (run it now: gcloud scheduler jobs run NAME --location REGION)."
  value       = google_cloud_scheduler_job.billing.name
}

output "console_url" {
  description = "The web console's address."
  value       = "https://${var.console_domain}/"
}

output "console_bucket" {
  description = "Bucket the main-branch build uploads web/dist to (served by the load balancer at console_url)."
  value       = google_storage_bucket.console.name
}

output "pr_plan_service_account" {
  description = "The low-privilege account pull-request builds run as."
  value       = google_service_account.pr_plan.email
}
