// Package gcsemu runs Cloud Storage in process for the local platform and
// tests: fake-gcs-server serves the JSON and XML APIs behind our own
// http.Server, and this package adds what fake-gcs-server does not do but the
// platform relies on (docs/architecture.md#local-platform):
//
//   - signed URLs are verified as Cloud Storage verifies them (V4
//     GOOG4-RSA-SHA256 signature, expiry, signed headers, the
//     x-goog-content-length-range, x-goog-if-generation-match), and a write
//     to an object path without a valid signature is refused;
//   - every finished upload is reported once to Config.OnFinalize with the
//     object's attributes, as Eventarc delivers
//     google.cloud.storage.object.v1.finalized.
//
// It is local only: the deployed build never imports it.
package gcsemu

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/randid"
)

// DefaultMaxObjectBytes caps a signed upload's body when Config leaves
// MaxObjectBytes zero: the platform's default upload limit.
const DefaultMaxObjectBytes = config.DefaultMaxUploadBytes

// Config configures an Emulator.
type Config struct {
	// DataDir holds the objects (fake-gcs-server's filesystem backend); they
	// survive a restart on the same directory. Empty keeps them in memory.
	DataDir string
	// Addr is the listen address; default 127.0.0.1:0 (a free port).
	Addr string
	// Buckets are created at start when missing.
	Buckets []string
	// SigningKey verifies signed URLs. Nil refuses every signed request.
	SigningKey *rsa.PublicKey
	// AccessID, when set, is the only X-Goog-Credential account accepted.
	AccessID string
	// MaxObjectBytes caps a signed upload's body whatever its signed range
	// allows; default DefaultMaxObjectBytes. The body is buffered in memory
	// (as fake-gcs-server's backends do anyway).
	MaxObjectBytes int64
	// OnFinalize, when set, is called once per finished upload (signed PUT
	// or JSON API upload), after the uploader has its response, in its own
	// goroutine. Its context ends when the Emulator closes.
	OnFinalize func(ctx context.Context, a objects.Attrs)
	// Now is the clock for URL expiry; default time.Now. Tests set it.
	Now clock.Func
}

// Emulator is a running in-process Cloud Storage.
type Emulator struct {
	cfg  Config
	fake *fakestorage.Server
	srv  *http.Server
	ln   net.Listener
	url  string

	// writeMu serialises signed uploads, so that checking
	// x-goog-if-generation-match and storing the object are one step:
	// fake-gcs-server ignores the precondition on this path.
	writeMu sync.Mutex

	ctx    context.Context // for OnFinalize; cancelled by Close
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed and the Add side of wg
	closed bool
	wg     sync.WaitGroup // OnFinalize calls in flight
	served chan error     // Serve's result

	// key authenticates the platform's own (unsigned) API calls: without it
	// anyone on the machine could list, read or delete every client's files
	// through the emulator whose address each signed URL reveals.
	key string
}

// KeyHeader carries the emulator's per-process key on unsigned API calls;
// Client sets it.
const KeyHeader = "X-Rentroll-Emulator-Key"

// keyTransport adds the emulator key to every request of the platform's client.
type keyTransport struct {
	key  string
	base http.RoundTripper
}

func (t keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(KeyHeader, t.key)
	return t.base.RoundTrip(r)
}

// Start listens, opens the storage under cfg.DataDir, creates the buckets and
// serves until Close.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxObjectBytes <= 0 {
		cfg.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "storage emulator: listen on %s", cfg.Addr)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		ln.Close()
		return nil, errs.E(errs.Internal, "storage emulator: not a TCP listener")
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))

	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		StorageRoot: cfg.DataDir,
		Scheme:      "http",
		NoListener:  true,
		// The XML API (object reads by the Go client, signed URLs) is
		// routed by host: it must be ours, not storage.googleapis.com.
		// Without a port the match ignores the request's port.
		PublicHost:  host,
		ExternalURL: base,
	})
	if err != nil {
		ln.Close()
		return nil, errs.Wrap(err, errs.Internal, "storage emulator: open storage")
	}
	for _, b := range cfg.Buckets {
		if err := createBucket(fake, b); err != nil {
			ln.Close()
			fake.Stop()
			return nil, err
		}
	}

	e := &Emulator{cfg: cfg, fake: fake, ln: ln, url: base, served: make(chan error, 1), key: randid.Hex(16)}
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { e.served <- e.srv.Serve(ln) }()
	return e, nil
}

// createBucket creates a bucket; fake-gcs-server panics on a backend error
// and its filesystem backend treats an existing bucket as success.
func createBucket(fake *fakestorage.Server, name string) (err error) {
	if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
		return errs.E(errs.Invalid, "storage emulator: invalid bucket name %q", name)
	}
	defer func() {
		if r := recover(); r != nil {
			err = errs.E(errs.Internal, "storage emulator: create bucket %q: %v", name, r)
		}
	}()
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
	return nil
}

// URL is the emulator's base URL, e.g. http://127.0.0.1:40123.
func (e *Emulator) URL() string { return e.url }

// Client returns the real storage client pointed at the emulator, without
// STORAGE_EMULATOR_HOST (process-wide) or credentials. Its XML host is the
// emulator, so a gcs.Store built on it signs URLs for the emulator.
func (e *Emulator) Client(ctx context.Context) (*storage.Client, error) {
	c, err := storage.NewClient(ctx,
		option.WithEndpoint(e.url+"/storage/v1/"),
		option.WithoutAuthentication(),
		option.WithHTTPClient(&http.Client{Transport: e.Transport(nil)}),
	)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "storage emulator: client")
	}
	return c, nil
}

// Transport wraps base so that its requests carry the emulator's key, for a
// caller that builds its own storage client (Client does this itself).
func (e *Emulator) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return keyTransport{key: e.key, base: base}
}

// Close stops serving, cancels the context of OnFinalize calls and waits for
// them to return.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()

	// Give requests in flight a moment, then cut what is left: net/http
	// keeps a connection that never sent a request (a client's spare
	// dial) open for 5 s during Shutdown, which would stall every Close.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if e.srv.Shutdown(ctx) != nil {
		e.srv.Close()
	}
	err := <-e.served
	e.fake.Stop()
	e.cancel()
	e.wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errs.Wrap(err, errs.Internal, "storage emulator: serve")
	}
	return nil
}

// ServeHTTP enforces signed URLs and watches uploads around fake-gcs-server.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "":
		// CORS preflight for browser uploads (the web console's PUT to a
		// signed URL): it carries the signed query but is not itself the
		// upload. fake-gcs-server refuses the x-goog-* headers a signed PUT
		// pins, so it is answered here as a bucket CORS policy would.
		preflight(w, r)
	case r.Method == http.MethodOptions:
		e.fake.HTTPHandler().ServeHTTP(w, r)
	case isSigned(r):
		e.serveSigned(w, r)
	case subtle.ConstantTimeCompare([]byte(r.Header.Get(KeyHeader)), []byte(e.key)) != 1:
		// Only the platform's own client may use the unsigned API.
		writeXMLError(w, http.StatusForbidden, "AccessDenied", "Anonymous caller does not have access to this bucket.")
	case isAPIPath(r.URL.Path):
		if isUpload(r) {
			e.serveUpload(w, r)
			return
		}
		e.fake.HTTPHandler().ServeHTTP(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		// XML API reads: the Go client downloads objects this way.
		e.fake.HTTPHandler().ServeHTTP(w, r)
	default:
		// A write to an object path needs a signature, as on Cloud Storage.
		writeXMLError(w, http.StatusForbidden, "AccessDenied", "Writes to an object path need a signed URL.")
	}
}

// isSigned reports whether r claims to be a signed-URL request.
func isSigned(r *http.Request) bool {
	q := r.URL.Query()
	return q.Has("X-Goog-Signature") || q.Has("X-Goog-Algorithm") || q.Has("X-Goog-Credential")
}

// isAPIPath reports whether p belongs to the JSON API or fake-gcs-server's
// own endpoints rather than the XML API's /bucket/object space.
func isAPIPath(p string) bool {
	for _, prefix := range []string{"/storage/v1/", "/upload/", "/download/", "/batch/", "/_internal/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// isUpload reports whether r may create an object through the JSON API.
func isUpload(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/upload/") && (r.Method == http.MethodPost || r.Method == http.MethodPut)
}

// serveSigned verifies a signed request and, for a PUT, stores the object.
func (e *Emulator) serveSigned(w http.ResponseWriter, r *http.Request) {
	if verr := e.verify(r); verr != nil {
		writeXMLError(w, verr.status, verr.code, verr.message)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		e.fake.HTTPHandler().ServeHTTP(w, r)
	case http.MethodPut:
		e.signedPut(w, r)
	default:
		writeXMLError(w, http.StatusForbidden, "AccessDenied", "This method is not supported with a signed URL here.")
	}
}

// signedPut stores a verified signed upload: the body within the signed
// length range (and MaxObjectBytes), the generation precondition checked,
// nothing stored on any failure.
func (e *Emulator) signedPut(w http.ResponseWriter, r *http.Request) {
	bucket, object, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || bucket == "" || object == "" || hasDotSegment(object) {
		writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "The request does not name an object.")
		return
	}
	minLen, maxLen := int64(0), e.cfg.MaxObjectBytes
	if v := r.Header.Get(objects.HeaderContentLengthRange); v != "" {
		lo, hi, err := parseRange(v)
		if err != nil {
			writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "Invalid x-goog-content-length-range.")
			return
		}
		minLen, maxLen = lo, min(hi, maxLen)
	}
	if r.ContentLength > maxLen {
		writeXMLError(w, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload is larger than the maximum object size specified in your Policy Document.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLen+1))
	if err != nil {
		writeXMLError(w, http.StatusBadRequest, "IncompleteBody", "The request body could not be read.")
		return
	}
	switch n := int64(len(body)); {
	case n > maxLen:
		writeXMLError(w, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload is larger than the maximum object size specified in your Policy Document.")
		return
	case n < minLen:
		writeXMLError(w, http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum object size specified in your Policy Document.")
		return
	}
	if want := r.Header.Get("x-goog-content-sha256"); want != "" && !strings.EqualFold(want, sha256Hex(body)) {
		writeXMLError(w, http.StatusBadRequest, "BadDigest", "The SHA-256 you specified did not match what we received.")
		return
	}
	if want := r.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		if want != base64.StdEncoding.EncodeToString(sum[:]) {
			writeXMLError(w, http.StatusBadRequest, "BadDigest", "The MD5 you specified did not match what we received.")
			return
		}
	}

	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if v := r.Header.Get(objects.HeaderIfGenerationMatch); v != "" {
		want, err := strconv.ParseInt(v, 10, 64)
		if err != nil || want < 0 {
			writeXMLError(w, http.StatusBadRequest, "InvalidArgument", "Invalid x-goog-if-generation-match.")
			return
		}
		if e.currentGeneration(bucket, object) != want {
			writeXMLError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
			return
		}
	}

	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(body))
	inner.ContentLength = int64(len(body))
	rec := newRecorder()
	e.fake.HTTPHandler().ServeHTTP(rec, inner)
	if rec.status/100 != 2 {
		rec.copyTo(w)
		return
	}
	a, err := parseObject(rec.body.Bytes())
	if err != nil {
		writeXMLError(w, http.StatusInternalServerError, "InternalError", "The emulator could not read back the stored object.")
		return
	}
	// Answer as the XML API does: no body, the new generation in headers.
	h := w.Header()
	h.Set("x-goog-generation", strconv.FormatInt(a.Generation, 10))
	h.Set("x-goog-metageneration", strconv.FormatInt(a.Metageneration, 10))
	h.Set("x-goog-stored-content-length", strconv.FormatInt(a.Size, 10))
	if len(a.MD5) > 0 {
		h.Set("x-goog-hash", "md5="+base64.StdEncoding.EncodeToString(a.MD5))
		h.Set("ETag", fmt.Sprintf("%q", fmt.Sprintf("%x", a.MD5)))
	}
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	e.finalized(a)
}

// currentGeneration is the live generation of an object, 0 when absent.
func (e *Emulator) currentGeneration(bucket, object string) int64 {
	o, err := e.fake.GetObjectStreaming(bucket, object)
	if err != nil {
		return 0
	}
	if o.Content != nil {
		o.Content.Close()
	}
	return o.Generation
}

// serveUpload passes a JSON API upload through and reports the object it
// finalized (multipart and media uploads, the last chunk of a resumable one).
func (e *Emulator) serveUpload(w http.ResponseWriter, r *http.Request) {
	rec := newRecorder()
	e.fake.HTTPHandler().ServeHTTP(rec, r)
	rec.copyTo(w)
	if rec.status != http.StatusOK && rec.status != http.StatusCreated {
		return
	}
	// Starting a resumable upload also answers 200 with an object resource,
	// but nothing is stored yet: only a resource with a generation is a
	// finalized object.
	if a, err := parseObject(rec.body.Bytes()); err == nil && a.Generation > 0 {
		e.finalized(a)
	}
}

// finalized delivers a finalize event asynchronously, as Eventarc does after
// the upload has been acknowledged.
func (e *Emulator) finalized(a objects.Attrs) {
	if e.cfg.OnFinalize == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.cfg.OnFinalize(e.ctx, a)
	}()
}

// recorder buffers an inner response so the emulator can inspect it before
// answering. Only upload responses (small JSON) go through it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

// jsonInt64 accepts the JSON API's int64-as-string and plain numbers.
type jsonInt64 int64

func (n *jsonInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*n = jsonInt64(v)
	return nil
}

// parseObject reads the attributes from a JSON API object resource.
func parseObject(b []byte) (objects.Attrs, error) {
	var o struct {
		Kind           string    `json:"kind"`
		Bucket         string    `json:"bucket"`
		Name           string    `json:"name"`
		Generation     jsonInt64 `json:"generation"`
		Metageneration jsonInt64 `json:"metageneration"`
		Size           jsonInt64 `json:"size"`
		ContentType    string    `json:"contentType"`
		MD5Hash        string    `json:"md5Hash"`
		TimeCreated    string    `json:"timeCreated"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return objects.Attrs{}, err
	}
	if o.Kind != "storage#object" || o.Bucket == "" || o.Name == "" {
		return objects.Attrs{}, errors.New("not an object resource")
	}
	a := objects.Attrs{
		Bucket:         o.Bucket,
		Name:           o.Name,
		Generation:     int64(o.Generation),
		Metageneration: int64(o.Metageneration),
		Size:           int64(o.Size),
		ContentType:    o.ContentType,
	}
	if md5, err := base64.StdEncoding.DecodeString(o.MD5Hash); err == nil && len(md5) > 0 {
		a.MD5 = md5
	}
	if t, err := time.Parse(time.RFC3339Nano, o.TimeCreated); err == nil {
		a.Created = t
	}
	return a, nil
}

// parseRange reads an x-goog-content-length-range value "min,max".
func parseRange(v string) (lo, hi int64, err error) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, 0, errors.New("no comma")
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || lo < 0 || hi < lo {
		return 0, 0, errors.New("bad bounds")
	}
	return lo, hi, nil
}

// hasDotSegment refuses names that would leave the bucket's directory in the
// filesystem backend.
func hasDotSegment(name string) bool {
	for _, s := range strings.Split(name, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// corsHeaders are the request headers a browser may send with a signed PUT:
// the ones the signature pins.
var corsHeaders = []string{"content-type", "x-goog-content-length-range", "x-goog-if-generation-match", "content-md5"}

// preflight answers a CORS preflight for PUT, GET and HEAD from any origin
// with the headers of corsHeaders; the signature, not the origin, is what
// authorizes the upload.
func preflight(w http.ResponseWriter, r *http.Request) {
	method := r.Header.Get("Access-Control-Request-Method")
	for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" && !slices.Contains(corsHeaders, h) {
			writeXMLError(w, http.StatusForbidden, "AccessDenied", "CORS: header "+h+" is not allowed.")
			return
		}
	}
	if method != http.MethodPut && method != http.MethodGet && method != http.MethodHead {
		writeXMLError(w, http.StatusForbidden, "AccessDenied", "CORS: method "+method+" is not allowed.")
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "PUT, GET, HEAD")
	h.Set("Access-Control-Allow-Headers", strings.Join(corsHeaders, ", "))
	h.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusOK)
}
