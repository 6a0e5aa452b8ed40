// Package firestore is the Cloud Firestore adapter of the platform's stores.
// They live in two databases of one project, split by who may write them
// (docs/architecture.md#data-model):
//
//   - the registry database (Registry, and the price list and client pricing
//     of Settings): clients/{client_id}, users/{sub}, each client's charge-code
//     overrides and pricing, the price list. Only the Admin function writes
//     it; every other function's service account can only read it, so a
//     compromised function cannot make anyone an admin.
//   - the operational database, "(default)" (Uploads, RunStore and the
//     property lifecycle of Settings): upload records, ingestion claims,
//     billing runs and property lifecycles, which the data path writes.
//
// Each store is given the client of its database; opening them is the
// caller's (production.go, internal/localplatform).
//
// Failures carry errs codes: a missing document is NotFound, an existing one
// on create is Conflict, an unavailable or contended service (gRPC
// Unavailable, DeadlineExceeded, Aborted, ResourceExhausted) is Transient so
// callers retry, and anything else is Internal with the operation named.
package firestore

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Collection names of docs/architecture.md#data-model.
const (
	clientsCollection = "clients"
	usersCollection   = "users"
)

// List limits of docs/architecture.md#http-api.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// txAttempts is how often UpdateClient tries its transaction. The library's
// default (5) gives up under contention on the emulator (docs/architecture.md#local-platform; measured
// here: 10 concurrent updates of one client took 23 attempts in all, 6.5 s,
// because the library backs off from 1 s up). Updates of one client are rare
// in production, so more attempts cost nothing there; ctx still bounds them.
const txAttempts = 10

// Registry keeps the client and user registries, and the clients' charge-code
// overrides, in the registry database. It is the Admin function's writer;
// every other function gets Reader.
type Registry struct {
	c *firestore.Client
}

// Compile-time checks that Registry implements the registries.
var (
	_ tenancy.ClientStore = (*Registry)(nil)
	_ tenancy.UserStore   = (*Registry)(nil)
)

// NewRegistry returns a Registry on client, a client of the registry
// database. The client is the caller's to close.
func NewRegistry(client *firestore.Client) *Registry { return &Registry{c: client} }

// Reader returns the read-only view of r: a value that has no write method
// at all, so a function wired with it cannot write the registry even by a
// type assertion (its service account could not either: IAM grants it only
// datastore.viewer on the registry database).
func (r *Registry) Reader() *RegistryReader { return &RegistryReader{r: r} }

// RegistryReader reads the registry and nothing else.
type RegistryReader struct {
	r *Registry
}

// Compile-time checks that RegistryReader implements the read interfaces.
var (
	_ tenancy.ClientReader = (*RegistryReader)(nil)
	_ tenancy.UserReader   = (*RegistryReader)(nil)
)

// GetClient implements tenancy.ClientReader.
func (v *RegistryReader) GetClient(ctx context.Context, id string) (tenancy.Client, error) {
	return v.r.GetClient(ctx, id)
}

// ListClients implements tenancy.ClientReader.
func (v *RegistryReader) ListClients(ctx context.Context, p tenancy.Page) ([]tenancy.Client, string, error) {
	return v.r.ListClients(ctx, p)
}

// GetUser implements tenancy.UserReader.
func (v *RegistryReader) GetUser(ctx context.Context, sub string) (tenancy.User, error) {
	return v.r.GetUser(ctx, sub)
}

// ListUsers implements tenancy.UserReader.
func (v *RegistryReader) ListUsers(ctx context.Context, clientID string, p tenancy.Page) ([]tenancy.User, string, error) {
	return v.r.ListUsers(ctx, clientID, p)
}

// CreateClient stores c; it fails with Conflict if the id exists, leaving the
// stored client untouched.
func (s *Registry) CreateClient(ctx context.Context, c tenancy.Client) error {
	if err := tenancy.ValidateClientID(c.ID); err != nil {
		return err
	}
	c = normalizeClient(c)
	if _, err := s.clientDoc(c.ID).Create(ctx, c); err != nil {
		if status.Code(err) == codes.AlreadyExists {
			return errs.Wrap(err, errs.Conflict, "client %s already exists", c.ID)
		}
		return mapErr(err, "create client %s", c.ID)
	}
	return nil
}

// GetClient returns the client, or NotFound.
func (s *Registry) GetClient(ctx context.Context, id string) (tenancy.Client, error) {
	if err := tenancy.ValidateClientID(id); err != nil {
		// An id that cannot exist is simply not found, as for any other
		// unknown client: the caller's path segment is not trusted input.
		return tenancy.Client{}, errs.E(errs.NotFound, "client %q not found", id)
	}
	snap, err := s.clientDoc(id).Get(ctx)
	if err != nil {
		return tenancy.Client{}, mapErr(err, "client %s", id)
	}
	return decodeClient(snap)
}

// ListClients lists clients by id, returning the next page token ("" at the
// end).
func (s *Registry) ListClients(ctx context.Context, p tenancy.Page) ([]tenancy.Client, string, error) {
	q := s.c.Collection(clientsCollection).Query
	docs, next, err := page(ctx, q, p, clientsCollection)
	if err != nil {
		return nil, "", err
	}
	out := make([]tenancy.Client, 0, len(docs))
	for _, d := range docs {
		c, err := decodeClient(d)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, next, nil
}

// UpdateClient applies fn to the stored client in a transaction and returns
// the result. fn may run more than once when concurrent updates contend, so it
// must only change the client it is given. An error from fn aborts the update
// and is returned as is. fn may not change the id.
func (s *Registry) UpdateClient(ctx context.Context, id string, fn func(*tenancy.Client) error) (tenancy.Client, error) {
	if err := tenancy.ValidateClientID(id); err != nil {
		return tenancy.Client{}, errs.E(errs.NotFound, "client %q not found", id)
	}
	ref := s.clientDoc(id)
	var result tenancy.Client
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if err != nil {
			return mapErr(err, "client %s", id)
		}
		c, err := decodeClient(snap)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.ID != id {
			return errs.E(errs.Invalid, "the client id cannot be changed")
		}
		c = normalizeClient(c)
		if err := tx.Set(ref, c); err != nil {
			return mapErr(err, "update client %s", id)
		}
		result = c
		return nil
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return tenancy.Client{}, mapErr(err, "update client %s", id)
	}
	return result, nil
}

// GetUser returns the user, or NotFound.
func (s *Registry) GetUser(ctx context.Context, sub string) (tenancy.User, error) {
	if err := validateSubject(sub); err != nil {
		return tenancy.User{}, errs.E(errs.NotFound, "user not found")
	}
	snap, err := s.userDoc(sub).Get(ctx)
	if err != nil {
		return tenancy.User{}, mapErr(err, "user %s", sub)
	}
	return decodeUser(snap)
}

// PutUser creates or replaces the user.
func (s *Registry) PutUser(ctx context.Context, u tenancy.User) error {
	if err := validateSubject(u.Subject); err != nil {
		return err
	}
	u.CreatedAt, u.UpdatedAt = normalizeTime(u.CreatedAt), normalizeTime(u.UpdatedAt)
	if _, err := s.userDoc(u.Subject).Set(ctx, u); err != nil {
		return mapErr(err, "put user %s", u.Subject)
	}
	return nil
}

// CreateUser stores a new user; Conflict if the subject exists.
func (s *Registry) CreateUser(ctx context.Context, u tenancy.User) error {
	if err := validateSubject(u.Subject); err != nil {
		return err
	}
	u.CreatedAt, u.UpdatedAt = normalizeTime(u.CreatedAt), normalizeTime(u.UpdatedAt)
	if _, err := s.userDoc(u.Subject).Create(ctx, u); err != nil {
		return mapErr(err, "user %s", u.Subject)
	}
	return nil
}

// UpdateClientUser implements tenancy.UserStore in one transaction that reads
// the user and the client's admins: a concurrent change to any of them makes
// Firestore retry it, so two admins removing each other cannot both win.
func (s *Registry) UpdateClientUser(ctx context.Context, clientID, sub string, fn func(*tenancy.User, int) (bool, error)) (tenancy.User, error) {
	if err := validateSubject(sub); err != nil || tenancy.ValidateClientID(clientID) != nil {
		return tenancy.User{}, errs.E(errs.NotFound, "user not found")
	}
	ref := s.userDoc(sub)
	var out tenancy.User
	err := s.c.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if err != nil {
			if errs.Is(mapErr(err, "user"), errs.NotFound) {
				return errs.E(errs.NotFound, "user not found")
			}
			return mapErr(err, "user %s", sub)
		}
		u, err := decodeUser(snap)
		if err != nil {
			return err
		}
		if u.ClientID != clientID {
			return errs.E(errs.NotFound, "user not found")
		}
		admins, err := tx.Documents(s.c.Collection(usersCollection).
			Where("client_id", "==", clientID).Where("role", "==", string(tenancy.ClientAdmin))).GetAll()
		if err != nil {
			return mapErr(err, "list admins of %s", clientID)
		}
		others := 0
		for _, d := range admins {
			a, err := decodeUser(d)
			if err != nil {
				return err
			}
			if a.Subject != sub && !a.Disabled {
				others++
			}
		}
		remove, err := fn(&u, others)
		if err != nil {
			return err
		}
		out = u
		if remove {
			return tx.Delete(ref)
		}
		u.CreatedAt, u.UpdatedAt = normalizeTime(u.CreatedAt), normalizeTime(u.UpdatedAt)
		out = u
		return tx.Set(ref, u)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return tenancy.User{}, mapErr(err, "update user %s", sub)
	}
	return out, nil
}

// DeleteUser removes the user; removing an absent user is NotFound.
func (s *Registry) DeleteUser(ctx context.Context, sub string) error {
	if err := validateSubject(sub); err != nil {
		return errs.E(errs.NotFound, "user not found")
	}
	// The Exists precondition makes the delete of an absent document fail
	// with NotFound instead of succeeding silently.
	if _, err := s.userDoc(sub).Delete(ctx, firestore.Exists); err != nil {
		return mapErr(err, "delete user %s", sub)
	}
	return nil
}

// ListUsers lists a client's users by subject. A malformed client id is
// Invalid rather than an empty list: "" would match users of no client.
func (s *Registry) ListUsers(ctx context.Context, clientID string, p tenancy.Page) ([]tenancy.User, string, error) {
	if err := tenancy.ValidateClientID(clientID); err != nil {
		return nil, "", err
	}
	q := s.c.Collection(usersCollection).Where("client_id", "==", clientID)
	docs, next, err := page(ctx, q, p, usersCollection)
	if err != nil {
		return nil, "", err
	}
	out := make([]tenancy.User, 0, len(docs))
	for _, d := range docs {
		u, err := decodeUser(d)
		if err != nil {
			return nil, "", err
		}
		out = append(out, u)
	}
	return out, next, nil
}

func (s *Registry) clientDoc(id string) *firestore.DocumentRef {
	return s.c.Collection(clientsCollection).Doc(id)
}

func (s *Registry) userDoc(sub string) *firestore.DocumentRef {
	return s.c.Collection(usersCollection).Doc(sub)
}

// page runs q ordered by document id from the page token's position and
// returns at most the page's limit of documents and the next token. It reads
// one document more than asked, so the last page has no token rather than
// leading to an empty page.
func page(ctx context.Context, q firestore.Query, p tenancy.Page, kind string) ([]*firestore.DocumentSnapshot, string, error) {
	limit, err := pageLimit(p.Limit)
	if err != nil {
		return nil, "", err
	}
	q = q.OrderBy(firestore.DocumentID, firestore.Asc)
	if p.Token != "" {
		after, err := decodeToken(p.Token, kind)
		if err != nil {
			return nil, "", err
		}
		q = q.StartAfter(after)
	}
	docs, err := q.Limit(limit + 1).Documents(ctx).GetAll()
	if err != nil {
		return nil, "", mapErr(err, "list %s", kind)
	}
	if len(docs) <= limit {
		return docs, "", nil
	}
	docs = docs[:limit]
	return docs, encodeToken(kind, docs[len(docs)-1].Ref.ID), nil
}

// pageLimit applies the default of docs/architecture.md#http-api and maximum.
func pageLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, errs.E(errs.Invalid, "limit must not be negative")
	case n == 0:
		return defaultLimit, nil
	case n > maxLimit:
		return maxLimit, nil
	}
	return n, nil
}

// encodeToken makes the opaque page token: the kind of list and the last id
// returned, so a token of one list is refused by another.
func encodeToken(kind, lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + lastID))
}

// decodeToken returns the last id a token of a kind list encodes.
func decodeToken(tok, kind string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", errs.E(errs.Invalid, "invalid page token")
	}
	k, id, ok := strings.Cut(string(b), "\x00")
	if !ok || k != kind || id == "" || strings.Contains(id, "/") {
		return "", errs.E(errs.Invalid, "invalid page token")
	}
	return id, nil
}

// validateSubject refuses subjects that cannot be Firestore document ids, so
// users/{sub} always names exactly one document.
func validateSubject(sub string) error {
	switch {
	case sub == "", sub == ".", sub == "..":
		return errs.E(errs.Invalid, "user subject is empty or reserved")
	case len(sub) > 1500, !utf8.ValidString(sub):
		return errs.E(errs.Invalid, "user subject is too long or not UTF-8")
	case strings.Contains(sub, "/"):
		return errs.E(errs.Invalid, "user subject may not contain '/'")
	case strings.HasPrefix(sub, "__") && strings.HasSuffix(sub, "__"):
		return errs.E(errs.Invalid, "user subject is reserved")
	}
	return nil
}

func decodeClient(snap *firestore.DocumentSnapshot) (tenancy.Client, error) {
	var c tenancy.Client
	if err := snap.DataTo(&c); err != nil {
		return tenancy.Client{}, errs.Wrap(err, errs.Internal, "decode client %s", snap.Ref.ID)
	}
	return c, nil
}

func decodeUser(snap *firestore.DocumentSnapshot) (tenancy.User, error) {
	var u tenancy.User
	if err := snap.DataTo(&u); err != nil {
		return tenancy.User{}, errs.Wrap(err, errs.Internal, "decode user %s", snap.Ref.ID)
	}
	return u, nil
}

// normalizeClient stores times as Firestore keeps them (UTC, microseconds), so
// what UpdateClient returns equals what a later GetClient reads.
func normalizeClient(c tenancy.Client) tenancy.Client {
	c.CreatedAt, c.UpdatedAt = normalizeTime(c.CreatedAt), normalizeTime(c.UpdatedAt)
	return c
}

func normalizeTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// mapErr gives a Firestore failure its errs code. An error that already has
// one (from a callback or a nested call) keeps it; what names the operation.
func mapErr(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, iterator.Done) {
		return errs.Wrap(err, errs.NotFound, what+" not found", args...)
	}
	switch status.Code(err) {
	case codes.NotFound:
		return errs.Wrap(err, errs.NotFound, what+" not found", args...)
	case codes.AlreadyExists:
		return errs.Wrap(err, errs.Conflict, what+" already exists", args...)
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted, codes.Canceled, codes.Internal:
		// gRPC INTERNAL is the service's own 500, which Firestore's retry
		// guidance lists as retryable. PermissionDenied, Unauthenticated and
		// FailedPrecondition stay Internal below, which is not retried
		// (errs.Retryable): redelivering cannot grant a role or build an index.
		return errs.Wrap(err, errs.Transient, "Firestore is unavailable: "+what, args...)
	case codes.InvalidArgument, codes.OutOfRange:
		// A refusal of what was written (e.g. a document over 1 MiB): a
		// retry writes the same and fails the same, so it must not be retried.
		return errs.Wrap(err, errs.Invalid, "Firestore refused "+what, args...)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return errs.Wrap(err, errs.Transient, "Firestore is unavailable: "+what, args...)
	}
	return errs.Wrap(err, errs.Internal, "Firestore: "+what, args...)
}
