package platform

import (
	_ "embed"
	"net/http"
	"slices"

	"rentroll.ai/rentroll/shared/web"
)

// openAPIDocument is the OpenAPI 3 description of the HTTP API (docs/architecture.md#http-api),
// embedded so that every deployment serves the description of the very build
// it runs. It is read-only: handlers write it, nothing changes it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns a copy of the OpenAPI 3 document served at
// /v1/openapi.json, for tools (a CLI, a client generator) that want it
// without a running server.
func OpenAPIDocument() []byte { return slices.Clone(openAPIDocument) }

// OpenAPIRoute is the public route GET /v1/openapi.json serving the OpenAPI
// document. It is public so that client generators and API explorers can
// fetch it before they hold a token; it reveals no more than the contract.
func OpenAPIRoute() web.Route {
	return web.Route{Name: "openapi", Method: http.MethodGet, Path: "/v1/openapi.json", Access: web.Public, Handler: serveOpenAPI}
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDocument) // the client may have gone; nothing useful to do about it
	return nil
}
