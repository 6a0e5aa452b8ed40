package gcs_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/rsatest"
)

const (
	bucket   = "uploads"
	accessID = "uploads@rentroll-local.iam.gserviceaccount.com"
)

// testKey is the key these tests sign with, made once per test binary.
var testKey = rsatest.Key

// newStore runs an emulator and returns a Store on it that signs locally.
func newStore(t *testing.T) (*gcs.Store, *gcsemu.Emulator) {
	t.Helper()
	ctx := context.Background()
	emu, err := gcsemu.Start(ctx, gcsemu.Config{Buckets: []string{bucket}, SigningKey: &testKey().PublicKey, AccessID: accessID})
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	t.Cleanup(func() { emu.Close() })
	c, err := emu.Client(ctx)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return gcs.New(c, gcs.SigningConfig{GoogleAccessID: accessID, Signer: testKey(), Scheme: "http"}), emu
}

func readAll(t *testing.T, rc io.ReadCloser) string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func TestPutOpenStatListDelete(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const name = "billing/2026-10/billing_units.csv"
	body := "client_id,units\nc1,120\n"

	before := time.Now().Add(-time.Minute)
	a1, err := s.Put(ctx, bucket, name, "text/csv", strings.NewReader(body), true)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	sum := md5.Sum([]byte(body))
	if a1.Bucket != bucket || a1.Name != name || a1.Size != int64(len(body)) || a1.ContentType != "text/csv" ||
		a1.Generation <= 0 || !bytes.Equal(a1.MD5, sum[:]) {
		t.Errorf("Put attrs = %+v", a1)
	}

	rc, a, err := s.Open(ctx, bucket, name, 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := readAll(t, rc); got != body {
		t.Errorf("Open content %q, want %q", got, body)
	}
	if a.Generation != a1.Generation || a.Metageneration != 1 || a.Size != a1.Size || !bytes.Equal(a.MD5, sum[:]) || a.Created.Before(before) {
		t.Errorf("Open attrs = %+v, want generation %d, metageneration 1, size %d, created after %v", a, a1.Generation, a1.Size, before)
	}

	// onlyIfAbsent refuses to replace and leaves the object alone.
	if _, err := s.Put(ctx, bucket, name, "text/csv", strings.NewReader("other"), true); !errs.Is(err, errs.Conflict) {
		t.Errorf("second Put(onlyIfAbsent): %v, want conflict", err)
	}
	if st, err := s.Stat(ctx, bucket, name); err != nil || st.Generation != a1.Generation {
		t.Errorf("Stat after conflict: %+v %v, want generation %d", st, err, a1.Generation)
	}

	// A plain Put replaces it; the old generation is gone (no versioning).
	time.Sleep(2 * time.Millisecond) // generations are microsecond clocks
	a2, err := s.Put(ctx, bucket, name, "text/csv", strings.NewReader("v2"), false)
	if err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if a2.Generation == a1.Generation {
		t.Errorf("overwrite kept generation %d", a2.Generation)
	}
	rc, a, err = s.Open(ctx, bucket, name, a2.Generation)
	if err != nil {
		t.Fatalf("Open(gen %d): %v", a2.Generation, err)
	}
	if got := readAll(t, rc); got != "v2" || a.Generation != a2.Generation {
		t.Errorf("Open(gen) = %q gen %d, want v2 gen %d", got, a.Generation, a2.Generation)
	}
	if _, _, err := s.Open(ctx, bucket, name, a1.Generation); !errs.Is(err, errs.NotFound) {
		t.Errorf("Open(old generation): %v, want not_found", err)
	}

	for _, n := range []string{"billing/2026-10/manifest.json", "billing/2026-11/billing_units.csv", "clients/c1/x"} {
		if _, err := s.Put(ctx, bucket, n, "application/octet-stream", strings.NewReader("x"), true); err != nil {
			t.Fatalf("Put %s: %v", n, err)
		}
	}
	list, err := s.List(ctx, bucket, "billing/2026-10/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Name)
	}
	if got, want := strings.Join(names, ","), "billing/2026-10/billing_units.csv,billing/2026-10/manifest.json"; got != want {
		t.Errorf("List = %s, want %s", got, want)
	}
	if list[0].Size != 2 || list[0].Generation != a2.Generation {
		t.Errorf("List attrs = %+v, want size 2 generation %d", list[0], a2.Generation)
	}

	if err := s.Delete(ctx, bucket, name); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, bucket, name); !errs.Is(err, errs.NotFound) {
		t.Errorf("Stat after delete: %v, want not_found", err)
	}
}

func TestNotFoundAndInvalid(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want errs.Code
	}{
		{"open missing object", func() error { _, _, err := s.Open(ctx, bucket, "nope", 0); return err }, errs.NotFound},
		{"open missing generation", func() error { _, _, err := s.Open(ctx, bucket, "nope", 42); return err }, errs.NotFound},
		{"open missing bucket", func() error { _, _, err := s.Open(ctx, "no-bucket", "nope", 0); return err }, errs.NotFound},
		{"stat missing", func() error { _, err := s.Stat(ctx, bucket, "nope"); return err }, errs.NotFound},
		{"delete missing", func() error { return s.Delete(ctx, bucket, "nope") }, errs.NotFound},
		{"put to missing bucket", func() error {
			_, err := s.Put(ctx, "no-bucket", "x", "text/plain", strings.NewReader("x"), true)
			return err
		}, errs.NotFound},
		{"negative generation", func() error { _, _, err := s.Open(ctx, bucket, "x", -1); return err }, errs.Invalid},
		{"empty object name", func() error { _, err := s.Stat(ctx, bucket, ""); return err }, errs.Invalid},
		{"sign without content type", func() error {
			_, err := s.SignPut(ctx, bucket, "x", objects.PutPolicy{MaxBytes: 10})
			return err
		}, errs.Invalid},
		{"sign without size", func() error {
			_, err := s.SignPut(ctx, bucket, "x", objects.PutPolicy{ContentType: "text/csv"})
			return err
		}, errs.Invalid},
		{"sign a declared size over the limit", func() error {
			_, err := s.SignPut(ctx, bucket, "x", objects.PutPolicy{ContentType: "text/csv", MaxBytes: 10, Size: 11})
			return err
		}, errs.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errs.CodeOf(tt.call()); got != tt.want {
				t.Errorf("code %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSignPutTTL(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tests := []struct {
		ttl, want time.Duration
	}{
		{0, objects.MaxSignedURLTTL},
		{-time.Minute, objects.MaxSignedURLTTL},
		{5 * time.Minute, 5 * time.Minute},
		{24 * time.Hour, objects.MaxSignedURLTTL},
	}
	for _, tt := range tests {
		sp, err := s.SignPut(ctx, bucket, "clients/c1/rent_roll/u1/f.csv", objects.PutPolicy{ContentType: "text/csv", MaxBytes: 5, TTL: tt.ttl})
		if err != nil {
			t.Fatalf("SignPut(%v): %v", tt.ttl, err)
		}
		u, err := url.Parse(sp.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if got := time.Until(sp.ExpiresAt); got > tt.want || got < tt.want-5*time.Second {
			t.Errorf("TTL %v: expires in %v, want about %v", tt.ttl, got, tt.want)
		}
		if q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" || q.Get("X-Goog-SignedHeaders") != "content-type;host;x-goog-content-length-range;x-goog-if-generation-match" {
			t.Errorf("TTL %v: algorithm %q signed headers %q", tt.ttl, q.Get("X-Goog-Algorithm"), q.Get("X-Goog-SignedHeaders"))
		}
		if sp.Method != http.MethodPut {
			t.Errorf("method %q, want PUT", sp.Method)
		}
	}
}

// TestSignPutThroughIAM exercises the production path: no local key, so the
// storage client signs through IAM Credentials signBlob (faked here, holding
// the service account's key), and the emulator accepts the resulting URL.
func TestSignPutThroughIAM(t *testing.T) {
	ctx := context.Background()
	emu, err := gcsemu.Start(ctx, gcsemu.Config{Buckets: []string{bucket}, SigningKey: &testKey().PublicKey, AccessID: accessID})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	var mu sync.Mutex
	var signedFor []string
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		signedFor = append(signedFor, r.URL.Path)
		mu.Unlock()
		var req struct{ Payload string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		payload, err := base64.StdEncoding.DecodeString(req.Payload)
		if err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(payload)
		sig, err := rsa.SignPKCS1v15(rand.Reader, testKey(), crypto.SHA256, sum[:])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"keyId": "k1", "signedBlob": base64.StdEncoding.EncodeToString(sig)})
	}))
	defer iam.Close()
	iamURL, _ := url.Parse(iam.URL)

	// The storage client's own HTTP client carries the signBlob call: route
	// the IAM host to the fake, everything else to where it was going.
	hc := &http.Client{Transport: emu.Transport(rewriteHost{from: "iamcredentials.googleapis.com", to: iamURL.Host})}
	c, err := storage.NewClient(ctx, option.WithEndpoint(emu.URL()+"/storage/v1/"), option.WithHTTPClient(hc), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := gcs.New(c, gcs.SigningConfig{GoogleAccessID: accessID, Scheme: "http"})

	const name = "clients/c1/competition/u9/survey.csv"
	sp, err := s.SignPut(ctx, bucket, name, objects.PutPolicy{ContentType: "text/csv", MaxBytes: 100})
	if err != nil {
		t.Fatalf("SignPut via IAM: %v", err)
	}
	mu.Lock()
	got := strings.Join(signedFor, ",")
	mu.Unlock()
	if want := "/v1/projects/-/serviceAccounts/" + accessID + ":signBlob"; got != want {
		t.Errorf("signBlob calls %q, want %q", got, want)
	}
	req, _ := http.NewRequest(sp.Method, sp.URL, strings.NewReader("a,b\n"))
	for k, v := range sp.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT with IAM-signed URL: status %d, want 200", resp.StatusCode)
	}
	if a, err := s.Stat(ctx, bucket, name); err != nil || a.Size != 4 {
		t.Errorf("Stat: %+v %v, want size 4", a, err)
	}
}

type rewriteHost struct{ from, to string }

func (rt rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == rt.from {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = "http", rt.to, rt.to
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestErrorCodes checks how service failures map to errs codes, against a
// server that answers every request with one status.
func TestErrorCodes(t *testing.T) {
	// retry is what an event handler does with the error: only transient
	// faults are redelivered; a missing permission (401/403) is not, since a
	// redelivery cannot grant it (a rejected file must not become a retry storm).
	tests := []struct {
		status int
		want   errs.Code
		retry  bool
	}{
		{http.StatusNotFound, errs.NotFound, false},
		{http.StatusPreconditionFailed, errs.Conflict, false},
		{http.StatusBadRequest, errs.Invalid, false},
		{http.StatusUnauthorized, errs.Internal, false},
		{http.StatusForbidden, errs.Internal, false},
		{http.StatusServiceUnavailable, errs.Transient, true},
		{http.StatusTooManyRequests, errs.Transient, true},
		{http.StatusBadGateway, errs.Transient, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, `{"error":{"code":`+strconv.Itoa(tt.status)+`,"message":"nope"}}`)
			}))
			defer ts.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			c, err := storage.NewClient(ctx, option.WithEndpoint(ts.URL+"/storage/v1/"), option.WithoutAuthentication())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = gcs.New(c, gcs.SigningConfig{}).Stat(ctx, bucket, "x")
			if got := errs.CodeOf(err); got != tt.want {
				t.Errorf("status %d: code %q (%v), want %q", tt.status, got, err, tt.want)
			}
			if got := errs.Retryable(err); got != tt.retry {
				t.Errorf("status %d: retryable = %v, want %v", tt.status, got, tt.retry)
			}
		})
	}
}
