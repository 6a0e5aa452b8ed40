package gcsemu_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"

	"rentroll.ai/rentroll/shared/clocktest"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/rsatest"
)

const (
	bucket   = "uploads"
	accessID = "uploads@rentroll-local.iam.gserviceaccount.com"
	csvType  = "text/csv"
)

// testKey is the key these tests sign with, made once per test binary.
var testKey = rsatest.Key

// env is one running emulator with a store signing for it.
type env struct {
	emu    *gcsemu.Emulator
	store  *gcs.Store
	clock  *clocktest.Clock
	events chan objects.Attrs
}

func start(t *testing.T, dataDir string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{clock: clocktest.New(time.Now()), events: make(chan objects.Attrs, 16)}
	emu, err := gcsemu.Start(ctx, gcsemu.Config{
		DataDir:    dataDir,
		Buckets:    []string{bucket, "finance"},
		SigningKey: &testKey().PublicKey,
		AccessID:   accessID,
		Now:        e.clock.Now,
		OnFinalize: func(_ context.Context, a objects.Attrs) { e.events <- a },
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	client, err := emu.Client(ctx)
	if err != nil {
		t.Fatalf("Client: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	e.emu = emu
	e.store = gcs.New(client, gcs.SigningConfig{GoogleAccessID: accessID, Signer: testKey(), Scheme: "http"})
	return e
}

// event waits for one finalize event.
func (e *env) event(t *testing.T) objects.Attrs {
	t.Helper()
	select {
	case a := <-e.events:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no finalize event")
		return objects.Attrs{}
	}
}

// noEvent asserts no finalize event arrives shortly.
func (e *env) noEvent(t *testing.T) {
	t.Helper()
	select {
	case a := <-e.events:
		t.Fatalf("unexpected finalize event for %s#%d", a.Name, a.Generation)
	case <-time.After(50 * time.Millisecond):
	}
}

func (e *env) read(t *testing.T, object string) (string, objects.Attrs, error) {
	t.Helper()
	rc, a, err := e.store.Open(context.Background(), bucket, object, 0)
	if err != nil {
		return "", a, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", object, err)
	}
	return string(b), a, nil
}

// put sends an upload the way a client follows a SignedPut; the response
// body is drained and returned with it.
func put(t *testing.T, sp objects.SignedPut, body string, edit func(*http.Request)) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(sp.Method, sp.URL, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, v := range sp.Headers {
		req.Header.Set(k, v)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp, string(b)
}

// errorCode extracts <Code> from an XML API error body.
func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Code string `xml:"Code"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q is not XML: %v", body, err)
	}
	return e.Code
}

func TestSignedPutStoresAndFinalizes(t *testing.T) {
	e := start(t, t.TempDir())
	ctx := context.Background()
	object := "clients/c1/rent_roll/u1/March rent roll.csv"
	body := "unit,rent\n101,1500\n"
	sp, err := e.store.SignPut(ctx, bucket, object, objects.PutPolicy{ContentType: csvType, MaxBytes: 1024, TTL: time.Hour})
	if err != nil {
		t.Fatalf("SignPut: %v", err)
	}
	if got, max := time.Until(sp.ExpiresAt), objects.MaxSignedURLTTL; got > max || got < max-time.Minute {
		t.Errorf("expires in %v, want just under %v (TTL capped)", got, max)
	}
	wantHeaders := map[string]string{"Content-Type": csvType, "x-goog-content-length-range": "0,1024", "x-goog-if-generation-match": "0"}
	for k, v := range wantHeaders {
		if sp.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, sp.Headers[k], v)
		}
	}
	if !strings.HasPrefix(sp.URL, e.emu.URL()+"/") {
		t.Errorf("URL does not point at the emulator %s", e.emu.URL())
	}

	resp, _ := put(t, sp, body, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT status %d, want 200", resp.StatusCode)
	}
	ev := e.event(t)
	got, a, err := e.read(t, object)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got != body {
		t.Errorf("content %q, want %q", got, body)
	}
	sum := md5.Sum([]byte(body))
	for _, c := range []struct {
		name string
		got  objects.Attrs
	}{{"event", ev}, {"open", a}} {
		if c.got.Bucket != bucket || c.got.Name != object || c.got.Size != int64(len(body)) || c.got.ContentType != csvType {
			t.Errorf("%s attrs = %+v, want %s/%s size %d %s", c.name, c.got, bucket, object, len(body), csvType)
		}
		if c.got.Generation <= 0 || c.got.Metageneration != 1 {
			t.Errorf("%s generation %d metageneration %d, want >0 and 1", c.name, c.got.Generation, c.got.Metageneration)
		}
		if c.got.Created.IsZero() || time.Since(c.got.Created) > time.Minute {
			t.Errorf("%s created %v, want just now", c.name, c.got.Created)
		}
		if !bytes.Equal(c.got.MD5, sum[:]) {
			t.Errorf("%s md5 %x, want %x", c.name, c.got.MD5, sum)
		}
	}
	if ev.Generation != a.Generation {
		t.Errorf("event generation %d, object generation %d", ev.Generation, a.Generation)
	}
	if resp.Header.Get("x-goog-generation") != "" && resp.Header.Get("x-goog-generation") != itoa(a.Generation) {
		t.Errorf("x-goog-generation %s, want %d", resp.Header.Get("x-goog-generation"), a.Generation)
	}
	e.noEvent(t)

	// A second PUT with the same URL must not overwrite (if-generation-match: 0).
	if resp, b := put(t, sp, "other", nil); resp.StatusCode != http.StatusPreconditionFailed || errorCode(t, b) != "PreconditionFailed" {
		t.Errorf("second PUT status %d body %s, want 412 PreconditionFailed", resp.StatusCode, b)
	}
	if got, a2, _ := e.read(t, object); got != body || a2.Generation != a.Generation {
		t.Errorf("after second PUT: %q gen %d, want %q gen %d", got, a2.Generation, body, a.Generation)
	}
	e.noEvent(t)
}

func TestSignedPutRefusals(t *testing.T) {
	e := start(t, "") // in memory: refusals need no persistence
	ctx := context.Background()
	const body = "unit,rent\n101,1500\n" // 19 bytes

	setQuery := func(key, value string) func(*http.Request) {
		return func(r *http.Request) {
			q := r.URL.Query()
			q.Set(key, value)
			r.URL.RawQuery = q.Encode()
		}
	}
	tests := []struct {
		name     string
		maxBytes int64
		size     int64 // the declared size the URL is signed for (PutPolicy.Size)
		edit     func(*http.Request)
		advance  time.Duration
		body     string
		want     int
		code     string
	}{
		{name: "tampered signature", edit: func(r *http.Request) {
			q := r.URL.Query()
			sig := []byte(q.Get("X-Goog-Signature"))
			sig[10] = "01"[boolInt(sig[10] == '0')]
			q.Set("X-Goog-Signature", string(sig))
			r.URL.RawQuery = q.Encode()
		}, want: 403, code: "SignatureDoesNotMatch"},
		{name: "signature not hex", edit: setQuery("X-Goog-Signature", "zz"), want: 403, code: "SignatureDoesNotMatch"},
		{name: "signature removed", edit: func(r *http.Request) {
			q := r.URL.Query()
			q.Del("X-Goog-Signature")
			r.URL.RawQuery = q.Encode()
		}, want: 403, code: "AuthenticationRequired"},
		{name: "expiry extended", edit: setQuery("X-Goog-Expires", "3600"), want: 403, code: "SignatureDoesNotMatch"},
		{name: "other credential", edit: func(r *http.Request) {
			q := r.URL.Query()
			q.Set("X-Goog-Credential", strings.Replace(q.Get("X-Goog-Credential"), "uploads@", "other@", 1))
			r.URL.RawQuery = q.Encode()
		}, want: 403, code: "AccessDenied"},
		{name: "expired", advance: objects.MaxSignedURLTTL + time.Second, want: 403, code: "ExpiredToken"},
		{name: "wrong content type", edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/pdf") }, want: 403, code: "SignatureDoesNotMatch"},
		{name: "missing content type", edit: func(r *http.Request) { r.Header.Del("Content-Type") }, want: 403, code: "MissingSecurityHeader"},
		{name: "missing generation match", edit: func(r *http.Request) { r.Header.Del("x-goog-if-generation-match") }, want: 403, code: "MissingSecurityHeader"},
		{name: "missing length range", edit: func(r *http.Request) { r.Header.Del("x-goog-content-length-range") }, want: 403, code: "MissingSecurityHeader"},
		{name: "widened length range", edit: func(r *http.Request) { r.Header.Set("x-goog-content-length-range", "0,99999999") }, want: 403, code: "SignatureDoesNotMatch"},
		{name: "unsigned extra x-goog header", edit: func(r *http.Request) { r.Header.Set("x-goog-meta-owner", "mallory") }, want: 403, code: "AccessDenied"},
		{name: "other object path", edit: func(r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/u1/", "/u2/", 1)
			r.URL.RawPath = ""
		}, want: 403, code: "SignatureDoesNotMatch"},
		{name: "unsigned PUT", edit: func(r *http.Request) { r.URL.RawQuery = "" }, want: 403, code: "AccessDenied"},
		{name: "body over range", maxBytes: 10, want: 400, code: "EntityTooLarge"},
		{name: "body longer than declared", size: int64(len(body)) - 1, want: 400, code: "EntityTooLarge"},
		{name: "body shorter than declared", size: int64(len(body)) + 1, want: 400, code: "EntityTooSmall"},
		{name: "declared range widened", size: int64(len(body)), edit: func(r *http.Request) {
			r.Header.Set("x-goog-content-length-range", "0,1024")
		}, want: 403, code: "SignatureDoesNotMatch"},
		{name: "chunked body over range", maxBytes: 10, edit: func(r *http.Request) {
			r.ContentLength = -1
			r.Body = io.NopCloser(strings.NewReader(body))
		}, want: 400, code: "EntityTooLarge"},
		{name: "not yet valid", advance: -20 * time.Minute, want: 403, code: "AuthenticationRequired"},
		{name: "wrong method", edit: func(r *http.Request) { r.Method = http.MethodPost }, want: 403, code: "SignatureDoesNotMatch"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			object := "clients/c1/rent_roll/u1/f" + itoa(int64(i)) + ".csv"
			maxBytes := tt.maxBytes
			if maxBytes == 0 {
				maxBytes = 1024
			}
			sp, err := e.store.SignPut(ctx, bucket, object, objects.PutPolicy{ContentType: csvType, MaxBytes: maxBytes, Size: tt.size, TTL: 10 * time.Minute})
			if err != nil {
				t.Fatalf("SignPut: %v", err)
			}
			if want := itoa(tt.size) + "," + itoa(tt.size); tt.size > 0 && sp.Headers["x-goog-content-length-range"] != want {
				t.Errorf("length range %q, want exactly the declared size %q", sp.Headers["x-goog-content-length-range"], want)
			}
			e.clock.Advance(tt.advance)
			defer e.clock.Advance(-tt.advance)
			b := tt.body
			if b == "" {
				b = body
			}
			resp, rb := put(t, sp, b, tt.edit)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if got := errorCode(t, rb); got != tt.code {
				t.Errorf("error code %q, want %q", got, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
				t.Errorf("error content type %q, want application/xml", ct)
			}
			if _, _, err := e.read(t, object); !errs.Is(err, errs.NotFound) {
				t.Errorf("object after refusal: err %v, want not_found", err)
			}
			if _, _, err := e.read(t, strings.Replace(object, "/u1/", "/u2/", 1)); !errs.Is(err, errs.NotFound) {
				t.Errorf("other object after refusal: err %v, want not_found", err)
			}
		})
	}
	e.noEvent(t)

	// An untouched URL, used just before it expires, still works: the
	// refusals were not luck.
	e.clock.Advance(9 * time.Minute)
	object := "clients/c1/rent_roll/u1/control.csv"
	sp, err := e.store.SignPut(ctx, bucket, object, objects.PutPolicy{ContentType: csvType, MaxBytes: int64(len(body)), TTL: 10 * time.Minute})
	if err != nil {
		t.Fatalf("SignPut: %v", err)
	}
	if resp, _ := put(t, sp, body, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("control PUT status %d, want 200", resp.StatusCode)
	}
	if got := e.event(t); got.Name != object {
		t.Errorf("event for %q, want %q", got.Name, object)
	}
}

func TestSignedGetAndUnsignedRead(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	if _, err := e.store.Put(ctx, bucket, "a/b.csv", csvType, strings.NewReader("x"), true); err != nil {
		t.Fatalf("Put: %v", err)
	}
	e.event(t)
	// A signed URL whose signature does not verify is refused even for a
	// read (anonymous reads of the XML path pass: the Go client uses them).
	u := e.emu.URL() + "/" + bucket + "/a/b.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=00"
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("bad signed GET status %d, want 403", resp.StatusCode)
	}
	// Unsigned deletes on the XML path are refused too.
	req, _ := http.NewRequest(http.MethodDelete, e.emu.URL()+"/"+bucket+"/a/b.csv", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned DELETE status %d, want 403", resp.StatusCode)
	}
	if _, err := e.store.Stat(ctx, bucket, "a/b.csv"); err != nil {
		t.Errorf("object gone after refused DELETE: %v", err)
	}
}

func TestRestartKeepsObjects(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, err := gcsemu.Start(ctx, gcsemu.Config{DataDir: dir, Buckets: []string{bucket}})
	if err != nil {
		t.Fatal(err)
	}
	c1, err := first.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a1, err := gcs.New(c1, gcs.SigningConfig{}).Put(ctx, bucket, "billing/2026-10/billing_units.csv", csvType, strings.NewReader("client_id,units\nc1,10\n"), true)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	c1.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	e := start(t, dir) // same directory, new process state, buckets "created" again
	got, a2, err := e.read(t, "billing/2026-10/billing_units.csv")
	if err != nil {
		t.Fatalf("Open after restart: %v", err)
	}
	if got != "client_id,units\nc1,10\n" || a2.Generation != a1.Generation || a2.Size != a1.Size {
		t.Errorf("after restart %q gen %d size %d, want gen %d size %d", got, a2.Generation, a2.Size, a1.Generation, a1.Size)
	}
}

func TestJSONUploadFinalizes(t *testing.T) {
	e := start(t, "")
	a, err := e.store.Put(context.Background(), "finance", "billing/2026-10/manifest.json", "application/json", strings.NewReader(`{"rows":1}`), false)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	ev := e.event(t)
	if ev.Bucket != "finance" || ev.Name != a.Name || ev.Generation != a.Generation || ev.Size != 10 || ev.ContentType != "application/json" {
		t.Errorf("event %+v, want the put object %+v", ev, a)
	}
	e.noEvent(t)
}

// TestResumableUploadFinalizesOnce: a chunked upload is reported once, when
// its last chunk lands, not when it starts or per chunk.
func TestResumableUploadFinalizesOnce(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	c, err := e.emu.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 kB: three 256 KiB chunks
	w := c.Bucket("finance").Object("big.bin").NewWriter(ctx)
	w.ChunkSize = 256 << 10
	w.ContentType = "application/octet-stream"
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ev := e.event(t)
	if ev.Name != "big.bin" || ev.Size != int64(len(data)) || ev.Generation != w.Attrs().Generation {
		t.Errorf("event %+v, want big.bin size %d generation %d", ev, len(data), w.Attrs().Generation)
	}
	e.noEvent(t)
}

// TestConcurrentSignedPutsOneWins: the no-overwrite precondition holds under
// concurrent uploads with the same URL.
func TestConcurrentSignedPutsOneWins(t *testing.T) {
	e := start(t, "")
	const object = "clients/c1/rent_roll/u1/race.csv"
	sp, err := e.store.SignPut(context.Background(), bucket, object, objects.PutPolicy{ContentType: csvType, MaxBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Not put(): t.Fatal must not run outside the test goroutine.
			req, err := http.NewRequest(sp.Method, sp.URL, strings.NewReader("body "+strconv.Itoa(i)))
			if err != nil {
				t.Error(err)
				return
			}
			for k, v := range sp.Headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusPreconditionFailed] != n-1 {
		t.Errorf("statuses %v, want one 200 and %d 412", counts, n-1)
	}
	e.event(t)
	e.noEvent(t)
}

// TestSignedContentMD5: a URL signed with a Content-MD5 (here by the storage
// package's standalone signer with a PEM key) accepts only that body.
func TestSignedContentMD5(t *testing.T) {
	e := start(t, "")
	body := "unit,rent\n"
	sum := md5.Sum([]byte(body))
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})
	u, err := url.Parse(e.emu.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"other body", "unit,rent\n999", http.StatusBadRequest},
		{"signed body", body, http.StatusOK},
	} {
		signed, err := storage.SignedURL(bucket, "md5/"+tt.name, &storage.SignedURLOptions{
			GoogleAccessID: accessID, PrivateKey: pemKey, Method: http.MethodPut, Scheme: storage.SigningSchemeV4,
			Expires: time.Now().Add(time.Minute), ContentType: csvType, MD5: base64.StdEncoding.EncodeToString(sum[:]),
			Hostname: u.Host, Insecure: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		sp := objects.SignedPut{URL: signed, Method: http.MethodPut, Headers: map[string]string{
			"Content-Type": csvType, "Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}}
		if resp, b := put(t, sp, tt.body, nil); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, resp.StatusCode, b, tt.want)
		}
	}
	if ev := e.event(t); ev.Name != "md5/signed body" {
		t.Errorf("event for %q, want md5/signed body", ev.Name)
	}
	e.noEvent(t)
}

func TestStartRejectsBadBucket(t *testing.T) {
	_, err := gcsemu.Start(context.Background(), gcsemu.Config{Buckets: []string{"../x"}})
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("Start with bad bucket: %v, want invalid", err)
	}
}

// TestSignatureCoversEncodedPath checks names needing escapes (space, +, %,
// unicode) verify: the emulator must rebuild the path exactly as the signer.
func TestSignatureCoversEncodedPath(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	for _, name := range []string{"clients/c1/rent_roll/u1/a b+c%d.csv", "clients/c1/rent_roll/u1/Mieten ü.xlsx", "clients/c1/rent_roll/u1/a~b(1).csv"} {
		sp, err := e.store.SignPut(ctx, bucket, name, objects.PutPolicy{ContentType: csvType, MaxBytes: 100})
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := put(t, sp, "x", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%q: status %d, want 200", name, resp.StatusCode)
			continue
		}
		if got := e.event(t); got.Name != name {
			t.Errorf("event name %q, want %q", got.Name, name)
		}
		if _, err := e.store.Stat(ctx, bucket, name); err != nil {
			t.Errorf("Stat %q: %v", name, err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestUnsignedAPINeedsTheKey: without the per-process key nobody can list,
// read or delete objects through the emulator's address.
func TestUnsignedAPINeedsTheKey(t *testing.T) {
	emu, err := gcsemu.Start(context.Background(), gcsemu.Config{Buckets: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	c, err := emu.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := c.Bucket("b").Object("clients/x/f.csv").NewWriter(context.Background())
	w.Write([]byte("secret"))
	if err := w.Close(); err != nil {
		t.Fatalf("the platform's client cannot write: %v", err)
	}
	for _, req := range []struct{ method, path string }{
		{"GET", "/storage/v1/b/b/o"},
		{"GET", "/b/clients/x/f.csv"},
		{"GET", "/storage/v1/b/b/o/clients%2Fx%2Ff.csv?alt=media"},
		{"DELETE", "/storage/v1/b/b/o/clients%2Fx%2Ff.csv"},
	} {
		r, _ := http.NewRequest(req.method, emu.URL()+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous %s %s: %d, want 403", req.method, req.path, resp.StatusCode)
		}
	}
	if _, err := c.Bucket("b").Object("clients/x/f.csv").Attrs(context.Background()); err != nil {
		t.Errorf("the object is gone: %v", err)
	}
}

// TestBrowserPreflight: a browser's CORS preflight for a signed PUT (the
// web console's upload) is allowed with exactly the headers the signature
// pins, and refused for others.
func TestBrowserPreflight(t *testing.T) {
	e := start(t, t.TempDir())
	sp, err := e.store.SignPut(context.Background(), bucket, "clients/c1/rent_roll/u9/a.csv", objects.PutPolicy{ContentType: csvType, MaxBytes: 1024, TTL: time.Minute})
	if err != nil {
		t.Fatalf("SignPut: %v", err)
	}
	tests := []struct {
		name, method, headers string
		want                  int
	}{
		{"signed PUT headers", "PUT", "content-type,x-goog-content-length-range,x-goog-if-generation-match", http.StatusOK},
		{"no extra headers", "PUT", "", http.StatusOK},
		{"an unpinned header", "PUT", "content-type,x-evil", http.StatusForbidden},
		{"DELETE", "DELETE", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, sp.URL, nil)
			req.Header.Set("Origin", "http://127.0.0.1:8080")
			req.Header.Set("Access-Control-Request-Method", tt.method)
			if tt.headers != "" {
				req.Header.Set("Access-Control-Request-Headers", tt.headers)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusOK {
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Allow-Origin = %q, want *", got)
				}
				if got := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, "x-goog-if-generation-match") {
					t.Errorf("Allow-Headers = %q, want the pinned headers", got)
				}
			}
		})
	}
	e.noEvent(t)
}
