package firestoreemu

import (
	"context"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
)

// shared is the one emulator a test binary starts. A package variable is the
// exception docs/architecture.md#conventions allows here: go test gives a helper no other place to
// keep per-binary state, and starting an emulator per test would cost seconds
// each. The emulator dies with the test binary (see procAttr).
var shared sharedEmulator

type sharedEmulator struct {
	once sync.Once
	host string
	err  error
}

// ForTest returns the host of a Firestore emulator for tests:
// FIRESTORE_EMULATOR_HOST if set, otherwise one emulator started for the
// whole test binary. If none can be had the test is skipped, or failed when
// RENTROLL_REQUIRE_EMULATORS=1 (CI).
func ForTest(t testing.TB) string {
	t.Helper()
	if h := os.Getenv("FIRESTORE_EMULATOR_HOST"); h != "" {
		return h
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		e, err := Start(ctx, Options{})
		if err != nil {
			shared.err = err
			return
		}
		shared.host = e.Host()
	})
	if shared.err != nil {
		if os.Getenv("RENTROLL_REQUIRE_EMULATORS") == "1" {
			t.Fatalf("Firestore emulator required (RENTROLL_REQUIRE_EMULATORS=1): %v", shared.err)
		}
		t.Skipf("skipping: no Firestore emulator: %v", shared.err)
	}
	return shared.host
}

// NewProjectID returns a project id no other test uses, so tests sharing an
// emulator do not see each other's documents. It is at most 30 characters,
// like a real project id, and names the test to ease debugging.
func NewProjectID(t testing.TB) string {
	t.Helper()
	var name strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if name.Len() >= 16 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			name.WriteRune(r)
		}
	}
	return "t" + randid.Hex(6) + "-" + name.String()
}

// NewClient opens a Firestore client for project on the emulator at host. It
// does what firestore.NewClient does when FIRESTORE_EMULATOR_HOST is set — an
// insecure gRPC connection that presents the emulator's "Bearer owner" admin
// credentials — without setting that process-wide variable, so clients of
// several emulators or projects can coexist in one process. Closing the client
// closes the connection.
func NewClient(ctx context.Context, host, project string) (*firestore.Client, error) {
	return NewDatabaseClient(ctx, host, project, firestore.DefaultDatabaseID)
}

// NewDatabaseClient is NewClient for one database of the project: the
// emulator keeps named databases apart, as Firestore does.
func NewDatabaseClient(ctx context.Context, host, project, database string) (*firestore.Client, error) {
	conn, err := grpc.NewClient(host,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(ownerCreds{}),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(math.MaxInt32),
			grpc.MaxCallSendMsgSize(math.MaxInt32),
		),
	)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "connect to the Firestore emulator at %s", host)
	}
	c, err := firestore.NewClientWithDatabase(ctx, project, database, option.WithGRPCConn(conn))
	if err != nil {
		_ = conn.Close()
		return nil, errs.Wrap(err, errs.Internal, "open a Firestore client for the emulator at %s", host)
	}
	c.UsesEmulator = true
	return c, nil
}

// ClientForTest opens a client for project on the test emulator (ForTest) and
// closes it when the test ends.
func ClientForTest(t testing.TB, project string) *firestore.Client {
	t.Helper()
	host := ForTest(t)
	c, err := NewClient(context.Background(), host, project)
	if err != nil {
		t.Fatalf("firestore client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// DatabaseClientForTest is ClientForTest for one database of the project.
func DatabaseClientForTest(t testing.TB, project, database string) *firestore.Client {
	t.Helper()
	host := ForTest(t)
	c, err := NewDatabaseClient(context.Background(), host, project, database)
	if err != nil {
		t.Fatalf("firestore client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ownerCreds present the admin token the emulator accepts, as the firestore
// package's own emulator support does.
type ownerCreds struct{}

func (ownerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}

func (ownerCreds) RequireTransportSecurity() bool { return false }
