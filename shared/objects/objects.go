// Package objects is the platform's view of object storage: the few operations
// the upload, ingest and billing paths need (issue a signed upload URL, read a
// finalized object, write an export), independent of any cloud SDK. The Cloud
// Storage adapter (shared/gcs) implements Store; errors carry errs codes so
// callers decide retry or rejection without knowing the backend.
package objects

import (
	"context"
	"io"
	"time"
)

// MaxSignedURLTTL is the longest a signed upload URL may live (docs/architecture.md#uploads-storage-and-events): a
// leaked URL is useless after it, and a client that needs longer asks again.
const MaxSignedURLTTL = 15 * time.Minute

// Header names a signed PUT pins. The client must send each with the value in
// SignedPut.Headers, or the storage service refuses the upload.
const (
	HeaderContentType        = "Content-Type"
	HeaderContentLengthRange = "x-goog-content-length-range"
	HeaderIfGenerationMatch  = "x-goog-if-generation-match"
)

// PutPolicy is what a signed upload URL allows.
type PutPolicy struct {
	// ContentType is the only Content-Type the upload may declare. Required.
	ContentType string
	// MaxBytes is the largest body accepted (the range is 0..MaxBytes). Required.
	MaxBytes int64
	// Size, when positive, is the exact body size the upload declared: the
	// range is then Size..Size, so a client cannot store a file of another
	// size than the one it asked for (and was checked against). At most
	// MaxBytes.
	Size int64
	// TTL is how long the URL is valid; zero or more than MaxSignedURLTTL
	// means MaxSignedURLTTL.
	TTL time.Duration
}

// SignedPut is an upload URL and what the client must send with it. URL is a
// bearer credential: it must never be logged or stored beyond the response
// that hands it to the client.
type SignedPut struct {
	URL    string `json:"upload_url"`
	Method string `json:"method"` // always PUT
	// Headers must be sent exactly; all are part of the signature.
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// Attrs describes one stored generation of an object.
type Attrs struct {
	Bucket         string
	Name           string
	Generation     int64
	Metageneration int64
	Size           int64
	ContentType    string
	MD5            []byte // raw digest, 16 bytes when the service reports one
	Created        time.Time
}

// Store is object storage as the platform uses it. Errors carry errs codes:
// NotFound for a missing bucket, object or generation; Conflict for a failed
// precondition; Transient for 5xx, rate limits and timeouts; Invalid for
// other rejected requests; Internal for anything unexpected.
type Store interface {
	// SignPut issues a V4 signed URL that lets an unauthenticated client PUT
	// exactly one new object at bucket/object under policy p: the declared
	// content type, a body of at most p.MaxBytes, and no overwrite.
	SignPut(ctx context.Context, bucket, object string, p PutPolicy) (SignedPut, error)
	// Open reads an object. generation 0 means the latest; a positive
	// generation reads exactly that one (NotFound if it is gone). The
	// returned Attrs describe the generation being read; the caller closes
	// the reader.
	Open(ctx context.Context, bucket, object string, generation int64) (io.ReadCloser, Attrs, error)
	// Stat returns the attributes of the latest generation.
	Stat(ctx context.Context, bucket, object string) (Attrs, error)
	// Put writes data as a new generation of the object. With onlyIfAbsent it
	// fails with Conflict when the object already exists, so concurrent
	// writers cannot silently replace each other.
	Put(ctx context.Context, bucket, object, contentType string, data io.Reader, onlyIfAbsent bool) (Attrs, error)
	// Delete removes the latest generation; NotFound if there is none.
	Delete(ctx context.Context, bucket, object string) error
	// List returns the objects whose names start with prefix, in name order.
	// It reads the whole listing, so it is meant for bounded prefixes (one
	// upload, one billing month).
	List(ctx context.Context, bucket, prefix string) ([]Attrs, error)
}

// EffectiveTTL returns the TTL a signed URL is issued with for p: p.TTL
// capped at MaxSignedURLTTL, and MaxSignedURLTTL when p.TTL is not positive.
func (p PutPolicy) EffectiveTTL() time.Duration {
	if p.TTL <= 0 || p.TTL > MaxSignedURLTTL {
		return MaxSignedURLTTL
	}
	return p.TTL
}
