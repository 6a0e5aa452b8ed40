package uploads

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// FinalizedEventType is the CloudEvent type of a finished object upload.
const FinalizedEventType = "google.cloud.storage.object.v1.finalized"

// ObjectEvent is the part of Cloud Storage's StorageObjectData that ingestion
// reads. Unknown fields are ignored.
type ObjectEvent struct {
	Bucket         string    `json:"bucket"`
	Name           string    `json:"name"`
	Generation     flexInt   `json:"generation"`
	Metageneration flexInt   `json:"metageneration"`
	Size           flexInt   `json:"size"`
	ContentType    string    `json:"contentType"`
	MD5Hash        string    `json:"md5Hash"`
	TimeCreated    time.Time `json:"timeCreated"`
}

// flexInt is an int64 that arrives as a JSON number or a string (Cloud
// Storage's JSON API writes int64 fields as strings; some senders do not).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return err
	}
	*n = flexInt(v)
	return nil
}

// MaxEventBytes bounds an event payload; StorageObjectData is a few KB.
const MaxEventBytes = 256 << 10

// DecodeObjectEvent reads StorageObjectData. A payload that cannot be read is
// Invalid: redelivering it cannot help.
func DecodeObjectEvent(data []byte) (ObjectEvent, error) {
	var e ObjectEvent
	if len(data) > MaxEventBytes {
		return e, errs.E(errs.Invalid, "event payload exceeds %d bytes", MaxEventBytes)
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, errs.Wrap(err, errs.Invalid, "event payload is not StorageObjectData")
	}
	if e.Bucket == "" || e.Name == "" || e.Generation <= 0 {
		return e, errs.E(errs.Invalid, "event payload lacks bucket, name or generation")
	}
	return e, nil
}

// Key is the idempotency key of docs/architecture.md#uploads-storage-and-events: one object generation.
func (e ObjectEvent) Key() string {
	return e.Bucket + "/" + e.Name + "#" + strconv.FormatInt(int64(e.Generation), 10)
}
