# Identity: the Auth0 tenant's side of RentRoll, and the Management API
# secret the Admin function invites people with.
#
# - The API (resource server) whose audience the platform's access tokens
#   carry; RS256, refresh tokens allowed for the console.
# - The web console: a single-page application (authorization code + PKCE,
#   rotating refresh tokens, no secret).
# - A database connection people are invited into; sign-up is off, so the
#   only way in is an invitation (a password-change ticket).
# - A machine-to-machine application for the Management API, with exactly
#   the scopes the platform uses; its secret goes to Secret Manager and from
#   there into the Admin function's environment, never into a variable.
# - The post-login Action (auth0/post-login.js) that turns app_metadata into
#   the namespaced client_id, role and email claims.
#
# Terraform authenticates to Auth0 with its own machine-to-machine
# application: AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET in the deploy
# environment (never in tfvars). The auth0 provider is not available on the
# build machines; `terraform fmt -check` covers this file there.

terraform {
  required_providers {
    auth0 = {
      source  = "auth0/auth0"
      version = "~> 1.0"
    }
  }
}

variable "auth0_domain" {
  description = "The Auth0 tenant's domain, e.g. rentroll.us.auth0.com (no scheme). The auth_issuer is https://<domain>/."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+$", var.auth0_domain))
    error_message = "auth0_domain must be a bare host name such as rentroll.us.auth0.com."
  }
}

variable "auth0_connection" {
  description = "Name of the Auth0 database connection the platform invites people into."
  type        = string
  default     = "rentroll-users"
}

provider "auth0" {
  domain = var.auth0_domain
}

locals {
  # The console is served from each allowed origin; the SDK returns to
  # <origin>/ or <origin>/callback after sign-in.
  console_callbacks = flatten([for o in var.allowed_origins : ["${trimsuffix(o, "/")}/", "${trimsuffix(o, "/")}/callback"]])

  # The Management API scopes the platform's calls need, and no more.
  auth0_management_scopes = [
    "read:users",                # GET /api/v2/users/{id}, /api/v2/users-by-email
    "create:users",              # POST /api/v2/users
    "update:users",              # PATCH /api/v2/users/{id} (blocked)
    "update:users_app_metadata", # PATCH /api/v2/users/{id} (app_metadata: client and role)
    "create:user_tickets",       # POST /api/v2/tickets/password-change (invitations)
  ]
}

resource "auth0_resource_server" "api" {
  name                                            = "RentRoll API (${var.environment})"
  identifier                                      = var.auth_audience
  signing_alg                                     = "RS256"
  token_lifetime                                  = 3600
  allow_offline_access                            = true
  skip_consent_for_verifiable_first_party_clients = true
}

resource "auth0_client" "console" {
  name                = "RentRoll console (${var.environment})"
  description         = "The web console: sign-in with authorization code and PKCE."
  app_type            = "spa"
  oidc_conformant     = true
  is_first_party      = true
  grant_types         = ["authorization_code", "refresh_token"]
  callbacks           = local.console_callbacks
  allowed_logout_urls = [for o in var.allowed_origins : "${trimsuffix(o, "/")}/"]
  web_origins         = var.allowed_origins
  allowed_origins     = var.allowed_origins

  jwt_configuration {
    alg = "RS256"
  }

  refresh_token {
    rotation_type                = "rotating"
    expiration_type              = "expiring"
    leeway                       = 0
    token_lifetime               = 2592000 # 30 days at most
    idle_token_lifetime          = 1296000 # 15 days unused
    infinite_token_lifetime      = false
    infinite_idle_token_lifetime = false
  }
}

# A public client: the console holds no secret.
resource "auth0_client_credentials" "console" {
  client_id             = auth0_client.console.client_id
  authentication_method = "none"
}

resource "auth0_connection" "users" {
  name     = var.auth0_connection
  strategy = "auth0"

  options {
    # Only invitations create people: the platform decides who may sign in.
    disable_signup         = true
    brute_force_protection = true
    password_policy        = "good"
    requires_username      = false
  }
}

resource "auth0_connection_clients" "users" {
  connection_id   = auth0_connection.users.id
  enabled_clients = [auth0_client.console.client_id]
}

resource "auth0_client" "management" {
  name        = "RentRoll platform (${var.environment})"
  description = "The Admin function: invites, updates and blocks people through the Management API."
  app_type    = "non_interactive"
  grant_types = ["client_credentials"]
}

resource "auth0_client_credentials" "management" {
  client_id             = auth0_client.management.client_id
  authentication_method = "client_secret_post"
}

resource "auth0_client_grant" "management" {
  client_id = auth0_client.management.client_id
  audience  = "https://${var.auth0_domain}/api/v2/"
  scopes    = local.auth0_management_scopes
}

resource "auth0_action" "claims" {
  name    = "rentroll-claims-${var.environment}"
  runtime = "node18"
  deploy  = true
  code    = file("${path.module}/auth0/post-login.js")

  supported_triggers {
    id      = "post-login"
    version = "v3"
  }

  secrets {
    name  = "CLAIMS_NAMESPACE"
    value = var.claims_namespace
  }
}

resource "auth0_trigger_actions" "post_login" {
  trigger = "post-login"

  actions {
    id           = auth0_action.claims.id
    display_name = auth0_action.claims.name
  }
}

# The Management API secret: generated by Auth0, stored in Secret Manager,
# readable only by the Admin function's account. (It also sits in the
# Terraform state, which is why the state bucket is private.)
resource "google_secret_manager_secret" "auth0_mgmt_client_secret" {
  project   = var.project
  secret_id = "${local.prefix}-auth0-mgmt-client-secret"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis] # secretmanager.googleapis.com is in local.services
}

resource "google_secret_manager_secret_version" "auth0_mgmt_client_secret" {
  secret      = google_secret_manager_secret.auth0_mgmt_client_secret.id
  secret_data = auth0_client_credentials.management.client_secret
}

resource "google_secret_manager_secret_iam_member" "auth0_mgmt_client_secret" {
  project   = var.project
  secret_id = google_secret_manager_secret.auth0_mgmt_client_secret.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.fn["Admin"].email}"
}

output "console_client_id" {
  description = "The console's Auth0 client id, for its /config.json."
  value       = auth0_client.console.client_id
}
