// Package gcs implements objects.Store over Cloud Storage with the official
// client (cloud.google.com/go/storage). The same code serves production and
// the local platform: locally the client points at the in-process emulator
// (shared/gcsemu) and URLs are signed with a local RSA key; in production the
// function's service account signs through IAM signBlob, so no key file is
// ever deployed.
package gcs

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
)

// SigningConfig says who signs upload URLs and which host they point at.
//
// Production: leave Signer nil. Set GoogleAccessID to the service account
// the function runs as (or leave it empty to have the storage client detect
// it from the credentials file or the metadata server). With no private key
// in the credentials, BucketHandle.SignedURL then signs through the IAM
// Credentials signBlob API, which needs roles/iam.serviceAccountTokenCreator
// for the account on itself.
//
// Local: set Signer to an RSA key and GoogleAccessID to any account name the
// emulator accepts; Hostname and Scheme point the URL at the emulator.
type SigningConfig struct {
	// GoogleAccessID is the signing service account's email. Required when
	// Signer is set.
	GoogleAccessID string
	// Signer signs locally; it must be an RSA key (GOOG4-RSA-SHA256). Nil
	// means the storage client chooses (key in the credentials, else IAM).
	Signer crypto.Signer
	// Hostname ("host" or "host:port") overrides the URL host. Empty means
	// the client's XML endpoint host: storage.googleapis.com in production,
	// the emulator's address for a client built by gcsemu.
	Hostname string
	// Scheme is "https" (the default) or "http" (the local emulator).
	Scheme string
}

// Store is the Cloud Storage implementation of objects.Store.
type Store struct {
	client  *storage.Client
	signing SigningConfig
}

var _ objects.Store = (*Store)(nil)

// New returns a Store over client. The client is shared and not closed by
// the Store.
func New(client *storage.Client, signing SigningConfig) *Store {
	return &Store{client: client, signing: signing}
}

// SignPut issues a V4 signed PUT URL pinned to p's content type, size range
// and "object must not exist" (x-goog-if-generation-match: 0); all three are
// signed headers, so the service refuses any request that changes them.
func (s *Store) SignPut(ctx context.Context, bucket, object string, p objects.PutPolicy) (objects.SignedPut, error) {
	if err := checkName(bucket, object); err != nil {
		return objects.SignedPut{}, err
	}
	if p.ContentType == "" || strings.ContainsAny(p.ContentType, "\r\n") {
		return objects.SignedPut{}, errs.E(errs.Invalid, "a content type is required")
	}
	if p.MaxBytes <= 0 {
		return objects.SignedPut{}, errs.E(errs.Invalid, "a positive maximum size is required")
	}
	if s.signing.Signer != nil && s.signing.GoogleAccessID == "" {
		return objects.SignedPut{}, errs.E(errs.Internal, "signing: a local signer needs GoogleAccessID")
	}
	if err := ctx.Err(); err != nil {
		return objects.SignedPut{}, errs.Wrap(err, errs.Transient, "signing cancelled")
	}
	lengthRange := "0," + strconv.FormatInt(p.MaxBytes, 10)
	switch {
	case p.Size > p.MaxBytes:
		return objects.SignedPut{}, errs.E(errs.TooLarge, "the declared size exceeds the limit of %d bytes", p.MaxBytes)
	case p.Size > 0:
		lengthRange = strconv.FormatInt(p.Size, 10) + "," + strconv.FormatInt(p.Size, 10)
	}
	opts := &storage.SignedURLOptions{
		Scheme:         storage.SigningSchemeV4,
		Method:         http.MethodPut,
		GoogleAccessID: s.signing.GoogleAccessID,
		Expires:        time.Now().Add(p.EffectiveTTL()),
		ContentType:    p.ContentType,
		Headers: []string{
			objects.HeaderContentLengthRange + ":" + lengthRange,
			objects.HeaderIfGenerationMatch + ":0",
		},
		Hostname: s.signing.Hostname,
		Insecure: s.signing.Scheme == "http",
	}
	if signer := s.signing.Signer; signer != nil {
		opts.SignBytes = func(b []byte) ([]byte, error) {
			sum := sha256.Sum256(b)
			return signer.Sign(rand.Reader, sum[:], crypto.SHA256)
		}
	}
	raw, err := s.client.Bucket(bucket).SignedURL(object, opts)
	if err != nil {
		// The library's errors name neither the URL nor the signature.
		return objects.SignedPut{}, wrap(err, "sign", bucket, object)
	}
	expires, err := expiryOf(raw)
	if err != nil {
		return objects.SignedPut{}, errs.Wrap(err, errs.Internal, "signing produced an unusable URL")
	}
	return objects.SignedPut{
		URL:    raw,
		Method: http.MethodPut,
		Headers: map[string]string{
			objects.HeaderContentType:        p.ContentType,
			objects.HeaderContentLengthRange: lengthRange,
			objects.HeaderIfGenerationMatch:  "0",
		},
		ExpiresAt: expires,
	}, nil
}

// expiryOf reads the exact expiry from a V4 URL: the library stamps
// X-Goog-Date with its own clock, so the URL, not our request, is the truth.
func expiryOf(raw string) (time.Time, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return time.Time{}, errors.New("signed URL does not parse")
	}
	q := u.Query()
	date, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err != nil {
		return time.Time{}, errors.New("signed URL has no X-Goog-Date")
	}
	secs, err := strconv.ParseInt(q.Get("X-Goog-Expires"), 10, 64)
	if err != nil {
		return time.Time{}, errors.New("signed URL has no X-Goog-Expires")
	}
	return date.Add(time.Duration(secs) * time.Second), nil
}

// Open reads one generation of an object (0: the latest). It reads the
// attributes first and then pins the reader to that generation, so the
// attributes and the bytes always belong together even if the object is
// replaced in between (the read then fails NotFound instead of mixing).
func (s *Store) Open(ctx context.Context, bucket, object string, generation int64) (io.ReadCloser, objects.Attrs, error) {
	if err := checkName(bucket, object); err != nil {
		return nil, objects.Attrs{}, err
	}
	if generation < 0 {
		return nil, objects.Attrs{}, errs.E(errs.Invalid, "generation must not be negative")
	}
	o := s.client.Bucket(bucket).Object(object)
	if generation > 0 {
		o = o.Generation(generation)
	}
	a, err := o.Attrs(ctx)
	if err != nil {
		return nil, objects.Attrs{}, wrap(err, "stat", bucket, object)
	}
	r, err := o.Generation(a.Generation).NewReader(ctx)
	if err != nil {
		return nil, objects.Attrs{}, wrap(err, "open", bucket, object)
	}
	return r, toAttrs(a), nil
}

// Stat returns the attributes of the latest generation.
func (s *Store) Stat(ctx context.Context, bucket, object string) (objects.Attrs, error) {
	if err := checkName(bucket, object); err != nil {
		return objects.Attrs{}, err
	}
	a, err := s.client.Bucket(bucket).Object(object).Attrs(ctx)
	if err != nil {
		return objects.Attrs{}, wrap(err, "stat", bucket, object)
	}
	return toAttrs(a), nil
}

// Put writes data as a new generation. With onlyIfAbsent the write carries
// ifGenerationMatch=0, which also makes it safe for the client to retry.
func (s *Store) Put(ctx context.Context, bucket, object, contentType string, data io.Reader, onlyIfAbsent bool) (objects.Attrs, error) {
	if err := checkName(bucket, object); err != nil {
		return objects.Attrs{}, err
	}
	// Cancelling the context is how a storage.Writer is aborted: Close
	// after a failed copy must not commit a truncated object.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := s.client.Bucket(bucket).Object(object)
	if onlyIfAbsent {
		o = o.If(storage.Conditions{DoesNotExist: true})
	}
	w := o.NewWriter(ctx)
	w.ContentType = contentType
	if _, err := io.Copy(w, data); err != nil {
		cancel()
		_ = w.Close()
		return objects.Attrs{}, wrap(err, "write", bucket, object)
	}
	if err := w.Close(); err != nil {
		return objects.Attrs{}, wrap(err, "write", bucket, object)
	}
	return toAttrs(w.Attrs()), nil
}

// Delete removes the latest generation of an object.
func (s *Store) Delete(ctx context.Context, bucket, object string) error {
	if err := checkName(bucket, object); err != nil {
		return err
	}
	if err := s.client.Bucket(bucket).Object(object).Delete(ctx); err != nil {
		return wrap(err, "delete", bucket, object)
	}
	return nil
}

// List returns the objects under prefix in name order.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]objects.Attrs, error) {
	if bucket == "" {
		return nil, errs.E(errs.Invalid, "a bucket is required")
	}
	q := &storage.Query{Prefix: prefix}
	// Only the fields Attrs carries: a smaller listing response.
	if err := q.SetAttrSelection([]string{"Bucket", "Name", "Generation", "Metageneration", "Size", "ContentType", "MD5", "Created"}); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "list query")
	}
	var out []objects.Attrs
	it := s.client.Bucket(bucket).Objects(ctx, q)
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, wrap(err, "list", bucket, prefix)
		}
		out = append(out, toAttrs(a))
	}
}

func toAttrs(a *storage.ObjectAttrs) objects.Attrs {
	if a == nil {
		return objects.Attrs{}
	}
	return objects.Attrs{
		Bucket:         a.Bucket,
		Name:           a.Name,
		Generation:     a.Generation,
		Metageneration: a.Metageneration,
		Size:           a.Size,
		ContentType:    a.ContentType,
		MD5:            a.MD5,
		Created:        a.Created,
	}
}

// checkName rejects names Cloud Storage would refuse, before a round trip.
func checkName(bucket, object string) error {
	switch {
	case bucket == "":
		return errs.E(errs.Invalid, "a bucket is required")
	case object == "" || object == "." || object == "..":
		return errs.E(errs.Invalid, "an object name is required")
	case len(object) > 1024 || !utf8.ValidString(object) || strings.ContainsAny(object, "\r\n"):
		return errs.E(errs.Invalid, "invalid object name")
	}
	return nil
}

// wrap gives a storage failure its errs code. The client-safe message says
// only what kind of failure it was; bucket and object go into the cause,
// for logs.
func wrap(err error, op, bucket, object string) error {
	code := classify(err)
	cause := fmt.Errorf("gcs %s gs://%s/%s: %w", op, bucket, object, err)
	var msg string
	switch code {
	case errs.NotFound:
		msg = "object not found"
	case errs.Conflict:
		msg = "object already exists or changed"
	case errs.Transient:
		msg = "storage temporarily unavailable"
	case errs.Invalid:
		msg = "storage rejected the request"
	default:
		msg = "storage error"
	}
	return errs.Wrap(cause, code, "%s", msg)
}

// classify maps a storage client error to an errs code: not found, failed
// preconditions, and transient faults (5xx, 408, 429, timeouts, connection
// resets). 401/403 mean our own credentials or IAM grants are wrong: Internal,
// so an API caller sees a 500 rather than a 403 about a permission that is not
// theirs, and an event is acknowledged (errs.Retryable), because redelivering
// it cannot grant the permission and would only keep instances busy.
func classify(err error) errs.Code {
	switch {
	case errors.Is(err, storage.ErrObjectNotExist), errors.Is(err, storage.ErrBucketNotExist):
		return errs.NotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errs.Transient
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch c := ge.Code; {
		case c == http.StatusNotFound:
			return errs.NotFound
		case c == http.StatusConflict, c == http.StatusPreconditionFailed:
			return errs.Conflict
		case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c >= 500:
			return errs.Transient
		case c == http.StatusUnauthorized, c == http.StatusForbidden:
			return errs.Internal
		case c >= 400:
			return errs.Invalid
		}
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return errs.Transient
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return errs.Transient
	}
	return errs.Internal
}
