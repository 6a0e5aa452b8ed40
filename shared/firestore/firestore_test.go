package firestore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/tenancy"
)

// testRegistryDB is the registry database's id in the tests, as in
// production: the emulator keeps named databases apart.
const testRegistryDB = "registry"

// newStore returns a Registry on the registry database of a project of its
// own on the test emulator.
func newStore(t *testing.T) *Registry {
	t.Helper()
	return NewRegistry(firestoreemu.DatabaseClientForTest(t, firestoreemu.NewProjectID(t), testRegistryDB))
}

// when is a fixed time with nanoseconds, to check the microsecond storage.
var when = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))

func client(id string) tenancy.Client {
	return tenancy.Client{
		ID: id, Name: "Name of " + id, Status: tenancy.Active, Dataset: tenancy.DatasetName(id),
		BillingEmail: "billing@" + id + ".example", CreatedAt: when, UpdatedAt: when,
	}
}

func wantCode(t *testing.T, what string, err error, want errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); got != want {
		t.Errorf("%s: error code = %q (%v), want %q", what, got, err, want)
	}
}

func TestClientCreateGet(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := client("acme-homes")
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	got, err := s.GetClient(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetClient: %v", err)
	}
	want := normalizeClient(c)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetClient = %+v, want %+v", got, want)
	}
	if !got.CreatedAt.Equal(when.Truncate(time.Microsecond)) {
		t.Errorf("CreatedAt = %v, want %v at microsecond precision", got.CreatedAt, when)
	}

	tests := []struct {
		name string
		err  error
		want errs.Code
	}{
		{"get absent", second(s.GetClient(ctx, "absent-co")), errs.NotFound},
		{"get malformed id", second(s.GetClient(ctx, "Bad/ID")), errs.NotFound},
		{"create malformed id", s.CreateClient(ctx, client("x")), errs.Invalid},
		{"create existing", s.CreateClient(ctx, client("acme-homes")), errs.Conflict},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.err, tt.want)
	}
}

func second[T any](_ T, err error) error { return err }

// TestCreateTwiceKeepsFirst is the crash-safety case: a retried or duplicate
// create (say, after a crash between provisioning steps) is Conflict and does
// not overwrite the client created first.
func TestCreateTwiceKeepsFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first := client("dup-co")
	if err := s.CreateClient(ctx, first); err != nil {
		t.Fatalf("first CreateClient: %v", err)
	}
	again := first
	again.Name, again.Status, again.BillingEmail = "Impostor", tenancy.Suspended, "other@example.com"
	wantCode(t, "second CreateClient", s.CreateClient(ctx, again), errs.Conflict)
	got, err := s.GetClient(ctx, first.ID)
	if err != nil {
		t.Fatalf("GetClient: %v", err)
	}
	if want := normalizeClient(first); !reflect.DeepEqual(got, want) {
		t.Errorf("after duplicate create GetClient = %+v, want the first %+v", got, want)
	}
}

func TestUpdateClient(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateClient(ctx, client("upd-co")); err != nil {
		t.Fatal(err)
	}
	later := when.Add(time.Hour)
	got, err := s.UpdateClient(ctx, "upd-co", func(c *tenancy.Client) error {
		c.Name, c.Status, c.UpdatedAt = "Renamed", tenancy.Suspended, later
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateClient: %v", err)
	}
	stored, err := s.GetClient(ctx, "upd-co")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, stored) {
		t.Errorf("UpdateClient returned %+v, but the store holds %+v", got, stored)
	}
	if stored.Name != "Renamed" || stored.Status != tenancy.Suspended || !stored.UpdatedAt.Equal(later.Truncate(time.Microsecond)) {
		t.Errorf("stored = %+v, want renamed, suspended, updated at %v", stored, later)
	}

	errVeto := errs.E(errs.Forbidden, "no")
	tests := []struct {
		name string
		id   string
		fn   func(*tenancy.Client) error
		want errs.Code
	}{
		{"absent", "nobody-co", func(*tenancy.Client) error { return nil }, errs.NotFound},
		{"malformed id", "NO", func(*tenancy.Client) error { return nil }, errs.NotFound},
		{"callback error kept", "upd-co", func(c *tenancy.Client) error { c.Name = "x"; return errVeto }, errs.Forbidden},
		{"id change refused", "upd-co", func(c *tenancy.Client) error { c.ID = "other-co"; return nil }, errs.Invalid},
		{"plain callback error is internal", "upd-co", func(*tenancy.Client) error { return errors.New("boom") }, errs.Internal},
	}
	for _, tt := range tests {
		_, err := s.UpdateClient(ctx, tt.id, tt.fn)
		wantCode(t, tt.name, err, tt.want)
	}
	if after, _ := s.GetClient(ctx, "upd-co"); !reflect.DeepEqual(after, stored) {
		t.Errorf("failed updates changed the client: %+v, want %+v", after, stored)
	}
	if _, err := s.GetClient(ctx, "other-co"); !errs.Is(err, errs.NotFound) {
		t.Errorf("id change created other-co: GetClient err = %v", err)
	}
}

// TestConcurrentUpdatesSerialize has several goroutines append to one
// client's name in transactions; none may be lost. The concurrency is modest
// because the emulator's lock contention grows fast (docs/architecture.md#local-platform).
func TestConcurrentUpdatesSerialize(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := client("race-co")
	c.Name = ""
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateClient(ctx, "race-co", func(c *tenancy.Client) error {
				c.Name += string(rune('a' + i))
				return nil
			})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("concurrent UpdateClient: %v", err)
		}
	}
	got, err := s.GetClient(ctx, "race-co")
	if err != nil {
		t.Fatal(err)
	}
	letters := []byte(got.Name)
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	if want := "abcdef"; string(letters) != want {
		t.Errorf("after %d concurrent appends name = %q, want the letters %q each once", n, got.Name, want)
	}
}

func TestListClientsPaging(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var want []string
	for i := 7; i >= 1; i-- { // created out of order: the list orders by id
		id := fmt.Sprintf("client-%d", i)
		if err := s.CreateClient(ctx, client(id)); err != nil {
			t.Fatal(err)
		}
		want = append([]string{id}, want...)
	}

	var got []string
	var pages []int
	tok := ""
	for {
		cs, next, err := s.ListClients(ctx, tenancy.Page{Limit: 3, Token: tok})
		if err != nil {
			t.Fatalf("ListClients(token %q): %v", tok, err)
		}
		pages = append(pages, len(cs))
		for _, c := range cs {
			got = append(got, c.ID)
		}
		if next == "" {
			break
		}
		if len(pages) > 5 {
			t.Fatal("paging does not end")
		}
		tok = next
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paged ids = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(pages, []int{3, 3, 1}) {
		t.Errorf("page sizes = %v, want [3 3 1]", pages)
	}

	all, next, err := s.ListClients(ctx, tenancy.Page{})
	if err != nil || len(all) != 7 || next != "" {
		t.Errorf("default limit: %d clients, next %q, err %v; want 7, \"\", nil", len(all), next, err)
	}
	exact, next, err := s.ListClients(ctx, tenancy.Page{Limit: 7})
	if err != nil || len(exact) != 7 || next != "" {
		t.Errorf("limit = count: %d clients, next %q, err %v; want 7 and no token", len(exact), next, err)
	}

	userTok := encodeToken(usersCollection, "client-3")
	tests := []struct {
		name string
		page tenancy.Page
		want errs.Code
	}{
		{"garbage token", tenancy.Page{Token: "%%%"}, errs.Invalid},
		{"token of another list", tenancy.Page{Token: userTok}, errs.Invalid},
		{"token with a path", tenancy.Page{Token: encodeToken(clientsCollection, "a/b")}, errs.Invalid},
		{"negative limit", tenancy.Page{Limit: -1}, errs.Invalid},
	}
	for _, tt := range tests {
		_, _, err := s.ListClients(ctx, tt.page)
		wantCode(t, tt.name, err, tt.want)
	}
}

func TestPageLimit(t *testing.T) {
	tests := []struct{ in, want int }{{0, 50}, {1, 1}, {50, 50}, {500, 500}, {501, 500}, {100000, 500}}
	for _, tt := range tests {
		if got, err := pageLimit(tt.in); err != nil || got != tt.want {
			t.Errorf("pageLimit(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func user(sub, clientID string, role tenancy.Role) tenancy.User {
	return tenancy.User{Subject: sub, Email: sub + "@example.com", Role: role, ClientID: clientID, CreatedAt: when, UpdatedAt: when}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u := user("auth0|alice", "acme-homes", tenancy.ClientAdmin)
	if err := s.PutUser(ctx, u); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	got, err := s.GetUser(ctx, u.Subject)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	u.CreatedAt, u.UpdatedAt = normalizeTime(u.CreatedAt), normalizeTime(u.UpdatedAt)
	if !reflect.DeepEqual(got, u) {
		t.Errorf("GetUser = %+v, want %+v", got, u)
	}

	// Put replaces: a disabled, demoted user loses the old fields.
	u2 := tenancy.User{Subject: u.Subject, Role: tenancy.ClientUser, ClientID: "acme-homes", Disabled: true}
	if err := s.PutUser(ctx, u2); err != nil {
		t.Fatalf("PutUser replace: %v", err)
	}
	if got, _ := s.GetUser(ctx, u.Subject); !reflect.DeepEqual(got, u2) {
		t.Errorf("after replace GetUser = %+v, want %+v", got, u2)
	}

	if err := s.DeleteUser(ctx, u.Subject); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	tests := []struct {
		name string
		err  error
		want errs.Code
	}{
		{"get deleted", second(s.GetUser(ctx, u.Subject)), errs.NotFound},
		{"delete again", s.DeleteUser(ctx, u.Subject), errs.NotFound},
		{"delete never existed", s.DeleteUser(ctx, "auth0|nobody"), errs.NotFound},
		{"get slash subject", second(s.GetUser(ctx, "a/b")), errs.NotFound},
		{"put slash subject", s.PutUser(ctx, user("a/b", "acme-homes", tenancy.ClientUser)), errs.Invalid},
		{"put empty subject", s.PutUser(ctx, user("", "acme-homes", tenancy.ClientUser)), errs.Invalid},
		{"put reserved subject", s.PutUser(ctx, user("__x__", "acme-homes", tenancy.ClientUser)), errs.Invalid},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.err, tt.want)
	}
}

func TestListUsersByClient(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var want []string
	for i := 1; i <= 7; i++ {
		sub := fmt.Sprintf("auth0|u%d", i)
		if err := s.PutUser(ctx, user(sub, "acme-homes", tenancy.ClientUser)); err != nil {
			t.Fatal(err)
		}
		want = append(want, sub)
		// Interleave users of another client and a super admin (no client).
		if err := s.PutUser(ctx, user(fmt.Sprintf("auth0|o%d", i), "other-co", tenancy.ClientUser)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutUser(ctx, user("auth0|root", "", tenancy.SuperAdmin)); err != nil {
		t.Fatal(err)
	}

	var got []string
	var pages []int
	tok := ""
	for range 5 {
		us, next, err := s.ListUsers(ctx, "acme-homes", tenancy.Page{Limit: 3, Token: tok})
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		pages = append(pages, len(us))
		for _, u := range us {
			if u.ClientID != "acme-homes" {
				t.Errorf("ListUsers(acme-homes) returned %s of client %q", u.Subject, u.ClientID)
			}
			got = append(got, u.Subject)
		}
		if tok = next; tok == "" {
			break
		}
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(pages, []int{3, 3, 1}) {
		t.Errorf("paged users = %v in pages %v, want %v in [3 3 1]", got, pages, want)
	}

	none, next, err := s.ListUsers(ctx, "empty-co", tenancy.Page{})
	if err != nil || len(none) != 0 || next != "" {
		t.Errorf("ListUsers(empty-co) = %v, %q, %v; want none", none, next, err)
	}
	_, _, err = s.ListUsers(ctx, "", tenancy.Page{})
	wantCode(t, "ListUsers with no client", err, errs.Invalid)
	_, _, err = s.ListUsers(ctx, "acme-homes", tenancy.Page{Token: encodeToken(clientsCollection, "x")})
	wantCode(t, "ListUsers with a clients token", err, errs.Invalid)
}

// TestMapErr checks the code of each kind of Firestore failure.
func TestMapErr(t *testing.T) {
	// retry: whether an event that met the error is redelivered
	// (errs.Retryable): only what may pass by itself.
	tests := []struct {
		name  string
		err   error
		want  errs.Code
		retry bool
	}{
		{"not found", status.Error(codes.NotFound, "x"), errs.NotFound, false},
		{"exists", status.Error(codes.AlreadyExists, "x"), errs.Conflict, false},
		{"unavailable", status.Error(codes.Unavailable, "x"), errs.Transient, true},
		{"deadline", status.Error(codes.DeadlineExceeded, "x"), errs.Transient, true},
		{"aborted", status.Error(codes.Aborted, "x"), errs.Transient, true},
		{"quota", status.Error(codes.ResourceExhausted, "x"), errs.Transient, true},
		{"service 500", status.Error(codes.Internal, "x"), errs.Transient, true},
		{"context deadline", fmt.Errorf("rpc: %w", context.DeadlineExceeded), errs.Transient, true},
		{"permission", status.Error(codes.PermissionDenied, "x"), errs.Internal, false},
		{"unauthenticated", status.Error(codes.Unauthenticated, "x"), errs.Internal, false},
		{"precondition (missing index)", status.Error(codes.FailedPrecondition, "x"), errs.Internal, false},
		{"refused write", status.Error(codes.InvalidArgument, "x"), errs.Invalid, false},
		{"plain", errors.New("x"), errs.Internal, false},
		{"already coded", errs.E(errs.Forbidden, "x"), errs.Forbidden, false},
	}
	for _, tt := range tests {
		got := mapErr(tt.err, "get client %s", "c1")
		wantCode(t, tt.name, got, tt.want)
		if errs.Retryable(got) != tt.retry {
			t.Errorf("%s: retryable = %v, want %v", tt.name, errs.Retryable(got), tt.retry)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%s: mapErr lost the cause: %v", tt.name, got)
		}
	}
	if mapErr(nil, "x") != nil {
		t.Error("mapErr(nil) != nil")
	}
}
