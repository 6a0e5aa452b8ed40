// Package analytics is the Analytics function: rent-roll metrics, lease
// expirations, trends, competition positioning and the client's properties,
// each a parameterized query on the caller's own dataset.
package analytics

import (
	"log/slog"
	"net/http"

	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// Deps is what the Analytics function needs.
type Deps struct {
	Log *slog.Logger
}

// Routes is the Analytics function's route table.
func Routes(d Deps) []web.Route {
	route := func(name, path string) web.Route {
		return web.Route{Name: name, Method: http.MethodGet, Path: path, Access: web.Tenant, Role: tenancy.ClientUser, Handler: web.NotImplemented("analytics")}
	}
	return []web.Route{
		route("properties.list", "/v1/clients/{cid}/properties"),
		route("analytics.summary", "/v1/clients/{cid}/analytics/rent-roll/summary"),
		route("analytics.expirations", "/v1/clients/{cid}/analytics/rent-roll/expirations"),
		route("analytics.trend", "/v1/clients/{cid}/analytics/rent-roll/trend"),
		route("analytics.competition", "/v1/clients/{cid}/analytics/competition"),
	}
}
