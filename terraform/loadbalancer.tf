# One public base URL, https://<api_domain>, routing each /v1 path to its
# function: a global external Application Load Balancer with one serverless
# NEG per public function and a URL map.
#
# Why a load balancer rather than API Gateway:
# - API Gateway calls a private backend with its own Google token in
#   Authorization and moves the caller's Auth0 token to
#   X-Forwarded-Authorization, which the functions do not read; the load
#   balancer forwards the request unchanged.
# - With the load balancer the functions' ingress is "internal and load
#   balancer", so the direct function URLs cannot be used to go around it.
# - CORS preflights (OPTIONS) reach the functions, which answer them from
#   RENTROLL_ALLOWED_ORIGINS; API Gateway needs every OPTIONS path declared.
# - Custom domain with a Google-managed certificate, Cloud Armor and request
#   logs come with it. Cost: one forwarding rule (about $18/month).
#
# Billing is deliberately not routed: it is private to Cloud Scheduler.
# Super admins re-run a month through Admin (POST /v1/admin/billing/runs).

locals {
  public_functions = { for k, v in local.http_functions : k => v if v.public }

  # Path templates (URL-map route rules) per function, from docs/architecture.md#http-api. `*`
  # is one path segment, `**` the rest of the path. Anything unmatched goes to
  # Admin, whose router answers 404 in the API's error format.
  routes = {
    Uploads = [
      "/v1/clients/*/uploads",
      "/v1/clients/*/uploads/**",
    ]
    Analytics = [
      "/v1/clients/*/analytics/**",
      "/v1/clients/*/properties",
      "/v1/clients/*/properties/**",
    ]
    Admin = [
      "/v1/admin/**",
      "/v1/clients/*/users",
      "/v1/clients/*/users/**",
      "/v1/clients/*/billing/**",
      "/v1/me",
      "/v1/openapi.json",
      "/healthz",
    ]
  }
}

resource "google_compute_global_address" "api" {
  project = var.project
  name    = "${local.prefix}-api"

  depends_on = [time_sleep.apis]
}

resource "google_compute_region_network_endpoint_group" "fn" {
  for_each = local.public_functions

  project               = var.project
  region                = var.region
  name                  = "${local.function_names[each.key]}-neg"
  network_endpoint_type = "SERVERLESS"

  # A 2nd gen function is a Cloud Run service of the same name. The NEG
  # takes the bare service name (1-63 characters): the function's
  # service_config.service is a full resource path
  # (projects/…/locations/…/services/NAME), which the API rejects, and since
  # it is known only after apply, only the apply would fail.
  cloud_run {
    service = local.function_names[each.key]
  }

  depends_on = [time_sleep.apis]
}

resource "google_compute_backend_service" "fn" {
  for_each = local.public_functions

  project               = var.project
  name                  = "${local.function_names[each.key]}-backend"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"

  backend {
    group = google_compute_region_network_endpoint_group.fn[each.key].id
  }

  # Request logs (status, latency, path; no headers, so no tokens).
  log_config {
    enable      = true
    sample_rate = 1.0
  }

  depends_on = [time_sleep.apis]
}

resource "google_compute_url_map" "api" {
  project         = var.project
  name            = "${local.prefix}-api"
  default_service = google_compute_backend_service.fn["Admin"].id

  host_rule {
    hosts        = [var.api_domain]
    path_matcher = "v1"
  }

  # The console's host: its files from the console bucket (console.tf), and
  # the same API under /v1, so the console calls its own origin.
  host_rule {
    hosts        = [var.console_domain]
    path_matcher = "console"
  }

  path_matcher {
    name            = "v1"
    default_service = google_compute_backend_service.fn["Admin"].id

    dynamic "route_rules" {
      # Priorities must be unique: 10, 20, 30 in a stable (sorted) order.
      for_each = { for i, fn in sort(keys(local.routes)) : fn => (i + 1) * 10 }
      content {
        priority = route_rules.value
        service  = google_compute_backend_service.fn[route_rules.key].id

        dynamic "match_rules" {
          for_each = local.routes[route_rules.key]
          content {
            path_template_match = match_rules.value
          }
        }
      }
    }
  }

  path_matcher {
    name            = "console"
    default_service = google_compute_backend_bucket.console.id

    dynamic "route_rules" {
      for_each = { for i, fn in sort(keys(local.routes)) : fn => (i + 1) * 10 }
      content {
        priority = route_rules.value
        service  = google_compute_backend_service.fn[route_rules.key].id

        dynamic "match_rules" {
          for_each = local.routes[route_rules.key]
          content {
            path_template_match = match_rules.value
          }
        }
      }
    }

    # Any other API path goes to Admin, whose router answers 404 in the
    # API's error format instead of the console's index page.
    route_rules {
      priority = 1000
      service  = google_compute_backend_service.fn["Admin"].id
      match_rules {
        path_template_match = "/v1/**"
      }
      match_rules {
        path_template_match = "/healthz"
      }
    }
  }

  depends_on = [time_sleep.apis]
}

resource "google_compute_managed_ssl_certificate" "api" {
  project = var.project
  name    = "${local.prefix}-api"

  managed {
    domains = [var.api_domain]
  }

  depends_on = [time_sleep.apis]
}

resource "google_compute_target_https_proxy" "api" {
  project          = var.project
  name             = "${local.prefix}-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id, google_compute_managed_ssl_certificate.console.id]

  depends_on = [time_sleep.apis]
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project
  name                  = "${local.prefix}-api-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.api.id
}

# Plain HTTP only redirects to HTTPS: a token is never sent in the clear to a
# handler.
resource "google_compute_url_map" "http_redirect" {
  project = var.project
  name    = "${local.prefix}-api-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  depends_on = [time_sleep.apis]
}

resource "google_compute_target_http_proxy" "redirect" {
  project = var.project
  name    = "${local.prefix}-api-redirect"
  url_map = google_compute_url_map.http_redirect.id

  depends_on = [time_sleep.apis]
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project
  name                  = "${local.prefix}-api-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
}
