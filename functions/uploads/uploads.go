// Package uploads is the Uploads function: it issues signed upload URLs and
// answers a client's upload history.
package uploads

import (
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Uploads function needs.
type Deps struct {
	Log *slog.Logger
}

// Routes is the Uploads function's route table.
func Routes(d Deps) []web.Route {
	return []web.Route{
		{Name: "uploads.create", Method: http.MethodPost, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, Handler: web.NotImplemented("upload URLs")},
		{Name: "uploads.list", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads", Access: web.Tenant, Role: tenancy.ClientUser, Handler: web.NotImplemented("upload history")},
		{Name: "uploads.get", Method: http.MethodGet, Path: "/v1/clients/{cid}/uploads/{upload_id}", Access: web.Tenant, Role: tenancy.ClientUser, Handler: web.NotImplemented("upload history")},
	}
}
