# Terraform and provider versions, and the remote state backend.
#
# The state lives in a GCS bucket created once by hand (README "First
# deployment"), never by this configuration: the state cannot store itself.
# The backend block is a partial configuration so that one configuration
# serves every environment; each environment passes its own bucket/prefix:
#
#   terraform init \
#     -backend-config="bucket=<project>-tfstate" \
#     -backend-config="prefix=rentroll/<environment>"
#
# `terraform init -backend=false` (CI's validate step) skips it entirely.
terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.x: the major version whose schemas this configuration is written
      # against (cloudfunctions2 build service accounts, Firestore backup
      # schedules, URL-map path templates). Minor upgrades are allowed; a
      # major one is a deliberate change (commit the new .terraform.lock.hcl).
      version = "~> 7.0"
    }
    archive = {
      # Zips the module root into the function source archive.
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
    time = {
      # time_sleep: waits for IAM grants and log-based metrics to propagate
      # before what needs them is created (both are eventually consistent).
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }

  backend "gcs" {}
}
