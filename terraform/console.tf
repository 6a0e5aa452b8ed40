# The web console in production: the files `npm run build` writes to web/dist,
# uploaded by Cloud Build (cloudbuild.yaml, step console-upload) to a bucket
# that the load balancer serves at https://<console_domain>/ through Cloud
# CDN; /v1 on the same host reaches the functions (loadbalancer.tf), so the
# console calls its own origin.

locals {
  # The identity provider's origin, from the issuer (Auth0's domain, or its
  # custom domain): the only other origin the console may talk to.
  auth_origin = trimsuffix(var.auth_issuer, "/")

  # What the browser may load and call. Scripts and styles come only from the
  # console's own files; style-src allows inline style attributes, which
  # chart libraries set on SVG elements. connect-src is the API (same origin,
  # and the API domain the command line uses) and the provider's token and
  # logout endpoints; frame-src is the provider's silent sign-in iframe.
  # frame-ancestors 'none': the console is never framed (click-jacking).
  console_csp = join("; ", [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self' https://${var.api_domain} ${local.auth_origin}",
    "frame-src ${local.auth_origin}",
    "form-action 'self' ${local.auth_origin}",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
  ])

  # /config.json: what the console needs to sign in and call the API
  # (the same fields `rentroll dev` serves).
  console_config = {
    domain       = local.auth_origin
    client_id    = var.console_client_id
    audience     = var.auth_audience
    redirect_uri = "https://${var.console_domain}/"
    api          = "https://${var.console_domain}"
  }
}

resource "google_storage_bucket" "console" {
  project                     = var.project
  name                        = "${var.project}-${var.environment}-console"
  location                    = upper(var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  # The console's files are public (a backend bucket reads them as an
  # anonymous caller), so public access cannot be prevented here. Nothing
  # but the built console and config.json is ever written to this bucket.
  public_access_prevention = "inherited"
  force_destroy            = true # only rebuildable files live here
  labels                   = local.labels

  # A deep link (/uploads, /admin/clients) has no object: answer the SPA's
  # index page and let its router draw the page.
  website {
    main_page_suffix = "index.html"
    not_found_page   = "index.html"
  }

  depends_on = [time_sleep.apis]
}

# Anyone may read the console's files: they are the same for every visitor
# and hold no data; the data is behind the API.
resource "google_storage_bucket_iam_member" "console_public" {
  bucket = google_storage_bucket.console.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket_object" "console_config" {
  bucket        = google_storage_bucket.console.name
  name          = "config.json"
  content       = jsonencode(local.console_config)
  content_type  = "application/json"
  cache_control = "no-cache"
}

resource "google_compute_backend_bucket" "console" {
  project     = var.project
  name        = "${local.prefix}-console"
  description = "The web console's static files."
  bucket_name = google_storage_bucket.console.name
  enable_cdn  = true

  # Cache what the files say: hashed assets are immutable, index.html and
  # config.json no-cache (the upload step sets these headers).
  cdn_policy {
    cache_mode        = "USE_ORIGIN_HEADERS"
    negative_caching  = false
    serve_while_stale = 0
  }
  compression_mode = "AUTOMATIC"

  custom_response_headers = [
    "Content-Security-Policy: ${local.console_csp}",
    "Strict-Transport-Security: max-age=31536000; includeSubDomains",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: strict-origin-when-cross-origin",
  ]

  depends_on = [time_sleep.apis]
}

resource "google_compute_managed_ssl_certificate" "console" {
  project = var.project
  name    = "${local.prefix}-console"

  managed {
    domains = [var.console_domain]
  }

  depends_on = [time_sleep.apis]
}
