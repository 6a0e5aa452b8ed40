package firestore

import (
	"context"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Registry collections besides clients and users: the price list, and the
// subcollections of clients/{cid} that only Admin writes. Upload records
// (clients/{cid}/uploads) and property lifecycles stay where they are.
var (
	registryTopCollections    = []string{usersCollection, clientsCollection, billingConfigCollection}
	registryClientCollections = []string{"settings", clientBillingCollection}
)

// MoveRegistry moves the registry's documents from a project's operational
// database, where they lived before the registry had a database of its own,
// to the registry database: users/*, clients/* (the documents, not their
// uploads), clients/*/settings/*, clients/*/billing/* and billing_config/*.
// A document the registry already holds is kept (it is the newer one) and
// the old copy is dropped. Each document is deleted from the source only
// after it is in the registry, so an interrupted move loses nothing and a
// second run finishes it; once done, a run finds nothing and moves nothing.
// It reports how many documents it copied.
//
// The local platform runs it at every start, so a data directory written
// before the split keeps its users; docs/operations.md describes the same
// move for a deployed project.
func MoveRegistry(ctx context.Context, from, to *firestore.Client) (int, error) {
	var docs []*firestore.DocumentSnapshot
	for _, col := range registryTopCollections {
		got, err := from.Collection(col).Documents(ctx).GetAll()
		if err != nil {
			return 0, mapErr(err, "read %s to move", col)
		}
		docs = append(docs, got...)
	}
	// The clients' registry subcollections, one collection-group query each
	// (a per-client walk would query every client that has uploads, at every
	// local start); only those directly under a top-level clients/{id}.
	for _, sub := range registryClientCollections {
		got, err := from.CollectionGroup(sub).Documents(ctx).GetAll()
		if err != nil {
			return 0, mapErr(err, "read %s to move", sub)
		}
		for _, d := range got {
			if client := d.Ref.Parent.Parent; client != nil && client.Parent.ID == clientsCollection && client.Parent.Parent == nil {
				docs = append(docs, d)
			}
		}
	}
	copied := 0
	for _, d := range docs {
		_, err := to.Doc(relativePath(d.Ref)).Create(ctx, d.Data())
		switch {
		case err == nil:
			copied++
		case status.Code(err) == codes.AlreadyExists:
		default:
			return copied, mapErr(err, "copy %s to the registry", relativePath(d.Ref))
		}
	}
	for _, d := range docs {
		if _, err := d.Ref.Delete(ctx); err != nil {
			return copied, mapErr(err, "remove the moved %s", relativePath(d.Ref))
		}
	}
	return copied, nil
}

// relativePath is a document's path inside its database, e.g.
// clients/acme/settings/charge_codes.
func relativePath(ref *firestore.DocumentRef) string {
	p := ref.ID
	for col := ref.Parent; col != nil; {
		p = col.ID + "/" + p
		if col.Parent == nil {
			break
		}
		p = col.Parent.ID + "/" + p
		col = col.Parent.Parent
	}
	return p
}
