// Package uploads is the domain of file uploads: the upload record that is
// created when a signed URL is issued and that ingestion fills in, the object
// names of docs/architecture.md#uploads-storage-and-events, the rules an upload request must follow, and the
// storage CloudEvent payload. It imports no cloud SDK.
package uploads

import (
	"context"
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Kind is what an upload holds (docs/architecture.md#uploads-storage-and-events).
type Kind string

// Upload kinds.
const (
	RentRoll    Kind = "rent_roll"
	Competition Kind = "competition"
)

// Status is where an upload is in its life (docs/architecture.md#http-api).
type Status string

// Upload statuses.
const (
	Pending    Status = "pending"    // URL issued, no file yet
	Processing Status = "processing" // file received, ingestion under way
	Loaded     Status = "loaded"     // rows are in the warehouse
	Rejected   Status = "rejected"   // the file is wrong; nothing was loaded
	Failed     Status = "failed"     // the platform failed; nothing was loaded
	// Withdrawn: the upload was loaded, then taken back by a client admin;
	// its rows left analytics, its file and raw rows are kept for audit.
	Withdrawn Status = "withdrawn"
)

// Statuses lists every status, in the order of an upload's life.
func Statuses() []Status { return []Status{Pending, Processing, Loaded, Rejected, Failed, Withdrawn} }

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether s is an end state: ingestion never touches the
// upload again.
func (s Status) Final() bool { return s == Loaded || s == Rejected || s == Failed || s == Withdrawn }

// Content types accepted (docs/architecture.md#uploads-storage-and-events).
const (
	ContentTypeCSV  = "text/csv"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// MaxIssuesOnRecord bounds the issues kept on the record; all of them go to
// the report object.
const MaxIssuesOnRecord = 100

// Issue is one row-level problem (docs/architecture.md#http-api: {row, column, code, message}).
type Issue struct {
	Row     int    `json:"row" firestore:"row"`
	Column  string `json:"column" firestore:"column"`
	Code    string `json:"code" firestore:"code"`
	Message string `json:"message" firestore:"message"`
}

// Upload is the record of one uploaded file.
type Upload struct {
	ID           string    `json:"upload_id" firestore:"upload_id"`
	ClientID     string    `json:"client_id" firestore:"client_id"`
	Kind         Kind      `json:"kind" firestore:"kind"`
	Filename     string    `json:"filename" firestore:"filename"`
	ContentType  string    `json:"content_type" firestore:"content_type"`
	SizeBytes    int64     `json:"size_bytes" firestore:"size_bytes"`
	PropertyID   string    `json:"property_id,omitempty" firestore:"property_id"`
	Bucket       string    `json:"-" firestore:"bucket"`
	Object       string    `json:"object" firestore:"object"`
	Status       Status    `json:"status" firestore:"status"`
	Message      string    `json:"message,omitempty" firestore:"message"`
	Format       string    `json:"format,omitempty" firestore:"format"`
	Properties   []string  `json:"properties,omitempty" firestore:"properties"`
	AsOf         string    `json:"as_of,omitempty" firestore:"as_of"`
	RowsTotal    int64     `json:"rows_total" firestore:"rows_total"`
	RowsLoaded   int64     `json:"rows_loaded" firestore:"rows_loaded"`
	Errors       []Issue   `json:"errors" firestore:"errors"`
	Warnings     []Issue   `json:"warnings" firestore:"warnings"`
	ErrorCount   int       `json:"error_count" firestore:"error_count"`
	WarningCount int       `json:"warning_count" firestore:"warning_count"`
	Report       string    `json:"report_object,omitempty" firestore:"report"`
	Generation   int64     `json:"generation,omitempty" firestore:"generation"`
	CreatedBy    string    `json:"created_by" firestore:"created_by"`
	CreatedAt    time.Time `json:"created_at" firestore:"created_at"`
	UpdatedAt    time.Time `json:"updated_at" firestore:"updated_at"`
	ReceivedAt   time.Time `json:"received_at,omitzero" firestore:"received_at"`
	FinishedAt   time.Time `json:"finished_at,omitzero" firestore:"finished_at"`
	DurationMS   int64     `json:"duration_ms,omitempty" firestore:"duration_ms"`
	// Excluded counts the file's rows that are not units, by reason
	// (non_residential, future_resident, summary_row, ...), so that "25 rows,
	// 12 loaded" can say what the other rows were.
	Excluded    map[string]int `json:"excluded,omitempty" firestore:"excluded"`
	WithdrawnBy string         `json:"withdrawn_by,omitempty" firestore:"withdrawn_by"`
	WithdrawnAt time.Time      `json:"withdrawn_at,omitzero" firestore:"withdrawn_at"`
}

// ErrorsTruncated reports whether the record holds fewer errors than the file
// has (the full list is in the report).
func (u Upload) ErrorsTruncated() bool { return u.ErrorCount > len(u.Errors) }

// WarningsTruncated reports whether the record holds fewer warnings than the
// file has.
func (u Upload) WarningsTruncated() bool { return u.WarningCount > len(u.Warnings) }

// MarshalJSON writes errors and warnings as lists even when there are none
// (errors: [{row, column, code, message}], never null), and says whether
// either list was cut to MaxIssuesOnRecord, so that a reader of the record
// never mistakes the first hundred problems for all of them.
func (u Upload) MarshalJSON() ([]byte, error) {
	type plain Upload // without this method
	if u.Errors == nil {
		u.Errors = []Issue{}
	}
	if u.Warnings == nil {
		u.Warnings = []Issue{}
	}
	return json.Marshal(struct {
		plain
		ErrorsTruncated   bool `json:"errors_truncated"`
		WarningsTruncated bool `json:"warnings_truncated"`
	}{plain(u), u.ErrorsTruncated(), u.WarningsTruncated()})
}

// Filter narrows an upload listing.
type Filter struct {
	Kind   Kind
	Status Status
}

// Claim is the idempotency record of one object generation
// ("bucket/name#generation", docs/architecture.md#uploads-storage-and-events). Exactly one delivery of an event
// holds it while it works; the outcome stays on it so repeats are no-ops.
type Claim struct {
	Key        string    `firestore:"key"`
	Outcome    string    `firestore:"outcome"` // "", or "loaded", "rejected", "failed", "ignored"
	Holder     string    `firestore:"holder"`
	LeaseUntil time.Time `firestore:"lease_until"`
	Attempts   int       `firestore:"attempts"`
	ClientID   string    `firestore:"client_id"`
	UploadID   string    `firestore:"upload_id"`
	Reason     string    `firestore:"reason"`
	UpdatedAt  time.Time `firestore:"updated_at"`
}

// Store keeps upload records and idempotency claims.
type Store interface {
	// CreateUpload stores a new record; Conflict if the id exists.
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns a client's upload, or NotFound.
	GetUpload(ctx context.Context, clientID, id string) (Upload, error)
	// ListUploads lists a client's uploads newest first.
	ListUploads(ctx context.Context, clientID string, f Filter, p tenancy.Page) ([]Upload, string, error)
	// UpdateUpload applies fn to the stored record atomically.
	UpdateUpload(ctx context.Context, clientID, id string, fn func(*Upload) error) (Upload, error)
	// AcquireClaim takes the claim on key for holder until leaseUntil. It
	// returns the claim as stored and whether holder now holds it: false when
	// the claim has an outcome (the work is done) or another holder's lease
	// is still live.
	AcquireClaim(ctx context.Context, key, holder string, now, leaseUntil time.Time) (claim Claim, held bool, err error)
	// FinishClaim records the outcome on a claim held by holder.
	FinishClaim(ctx context.Context, key, holder string, c Claim) error
}

// NewID returns a fresh upload id: 26 lower-case hex characters, time-ordered
// so listings and object names sort by creation.
func NewID(now time.Time) string {
	return now.UTC().Format("20060102t150405") + randid.Hex(6)[:11]
}

var idPattern = regexp.MustCompile(`^[0-9]{8}t[0-9]{6}[0-9a-f]{11}$`)

// ValidID reports whether id has the shape NewID makes.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Request is a request for an upload URL (docs/architecture.md#http-api).
type Request struct {
	Kind        Kind   `json:"kind"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	SizeBytes   int64  `json:"size_bytes"`
	PropertyID  string `json:"property_id,omitempty"`
	// AsOf (YYYY-MM-DD) dates a file that states no as-of date of its own,
	// as PropertyID names the property of a file that states none.
	AsOf string `json:"as_of,omitempty"`
}

var propertyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidPropertyID reports whether id is a well-formed property id.
func ValidPropertyID(id string) bool { return propertyIDPattern.MatchString(id) }

// Validate checks a request against docs/architecture.md#uploads-storage-and-events: a known kind; a file name of
// 1-255 bytes of valid UTF-8 with no control characters, no "/" or "\" and
// not "." or ".." (so the object name cannot escape its prefix); an accepted
// content type that agrees with the extension; a size within maxBytes.
func (r Request) Validate(maxBytes int64) error {
	if r.Kind != RentRoll && r.Kind != Competition {
		return errs.E(errs.Invalid, "kind must be rent_roll or competition")
	}
	name := r.Filename
	switch {
	case name == "" || len(name) > 255:
		return errs.E(errs.Invalid, "filename must be 1-255 bytes")
	case !utf8.ValidString(name):
		return errs.E(errs.Invalid, "filename must be UTF-8")
	case name == "." || name == ".." || strings.Contains(name, ".."):
		return errs.E(errs.Invalid, "filename must not contain '..'")
	case strings.ContainsAny(name, `/\`):
		return errs.E(errs.Invalid, "filename must not contain '/' or '\\'")
	case strings.TrimSpace(name) != name:
		return errs.E(errs.Invalid, "filename must not start or end with spaces")
	}
	for _, c := range name {
		if unicode.IsControl(c) || c == unicode.ReplacementChar {
			return errs.E(errs.Invalid, "filename must not contain control characters")
		}
	}
	ext := strings.ToLower(path.Ext(name))
	switch r.ContentType {
	case ContentTypeCSV:
		if ext != ".csv" && ext != ".txt" {
			return errs.E(errs.Invalid, "a text/csv upload must be named .csv or .txt")
		}
	case ContentTypeXLSX:
		if ext != ".xlsx" {
			return errs.E(errs.Invalid, "an XLSX upload must be named .xlsx")
		}
	default:
		return errs.E(errs.Invalid, "content_type must be %s or %s", ContentTypeCSV, ContentTypeXLSX)
	}
	if r.SizeBytes <= 0 {
		return errs.E(errs.Invalid, "size_bytes must be positive")
	}
	if r.SizeBytes > maxBytes {
		return errs.E(errs.TooLarge, "size_bytes exceeds the limit of %d bytes", maxBytes)
	}
	if r.PropertyID != "" && !ValidPropertyID(r.PropertyID) {
		return errs.E(errs.Invalid, "property_id must be 1-128 letters, digits, '.', '_' or '-'")
	}
	if r.AsOf != "" {
		d, err := time.Parse("2006-01-02", r.AsOf)
		if err != nil || d.Year() < 1990 || d.Year() > 2100 {
			return errs.E(errs.Invalid, "as_of must be a date YYYY-MM-DD")
		}
	}
	return nil
}

// ObjectName is where an upload's file lives (docs/architecture.md#uploads-storage-and-events).
func ObjectName(clientID string, kind Kind, uploadID, filename string) string {
	return "clients/" + clientID + "/" + string(kind) + "/" + uploadID + "/" + filename
}

// ObjectRef is an object name taken apart.
type ObjectRef struct {
	ClientID string
	Kind     Kind
	UploadID string
	Filename string
}

// ParseObjectName takes apart an object name of the form ObjectName makes.
// ok is false for anything else (objects outside clients/, reports, strays).
func ParseObjectName(name string) (ObjectRef, bool) {
	rest, ok := strings.CutPrefix(name, "clients/")
	if !ok {
		return ObjectRef{}, false
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) != 4 {
		return ObjectRef{}, false
	}
	ref := ObjectRef{ClientID: parts[0], Kind: Kind(parts[1]), UploadID: parts[2], Filename: parts[3]}
	if tenancy.ValidateClientID(ref.ClientID) != nil || (ref.Kind != RentRoll && ref.Kind != Competition) ||
		!ValidID(ref.UploadID) || ref.Filename == "" || strings.Contains(ref.Filename, "/") {
		return ObjectRef{}, false
	}
	return ref, true
}

// ReportObject is where the full issue report of an upload is kept: outside
// clients/ so that writing it triggers no ingestion.
func ReportObject(clientID, uploadID string) string {
	return "reports/" + clientID + "/" + uploadID + ".json"
}
