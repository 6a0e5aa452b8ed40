package platform

import (
	"context"

	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/tenancy"
)

// registryReader is the registry as every function but Admin is wired with:
// clients, users and charge-code overrides, read only. It has no write
// method, so no code path of Uploads, Ingest, Analytics or Billing can write
// the registry, not even by a type assertion on what it was given; in
// production their service accounts cannot either (datastore.viewer on the
// registry database, terraform/iam.tf).
type registryReader struct {
	clients tenancy.ClientReader
	users   tenancy.UserReader
	codes   chargecodes.Reader // nil: no client has overrides
}

// Compile-time checks: the reader is exactly the read interfaces.
var (
	_ tenancy.ClientReader = registryReader{}
	_ tenancy.UserReader   = registryReader{}
	_ chargecodes.Reader   = registryReader{}
)

// readRegistry returns the read-only view of s's registry.
func readRegistry(s Services) registryReader {
	r := registryReader{clients: s.Clients, users: s.Users}
	if s.ChargeCodes != nil {
		r.codes = s.ChargeCodes
	}
	return r
}

// GetClient implements tenancy.ClientReader.
func (r registryReader) GetClient(ctx context.Context, id string) (tenancy.Client, error) {
	return r.clients.GetClient(ctx, id)
}

// ListClients implements tenancy.ClientReader.
func (r registryReader) ListClients(ctx context.Context, p tenancy.Page) ([]tenancy.Client, string, error) {
	return r.clients.ListClients(ctx, p)
}

// GetUser implements tenancy.UserReader.
func (r registryReader) GetUser(ctx context.Context, sub string) (tenancy.User, error) {
	return r.users.GetUser(ctx, sub)
}

// ListUsers implements tenancy.UserReader.
func (r registryReader) ListUsers(ctx context.Context, clientID string, p tenancy.Page) ([]tenancy.User, string, error) {
	return r.users.ListUsers(ctx, clientID, p)
}

// ChargeCodes implements chargecodes.Reader.
func (r registryReader) ChargeCodes(ctx context.Context, clientID string) ([]chargecodes.Override, error) {
	if r.codes == nil {
		return nil, nil
	}
	return r.codes.ChargeCodes(ctx, clientID)
}
