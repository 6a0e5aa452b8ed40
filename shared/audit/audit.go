// Package audit defines the audit trail: one Entry per mutation and per
// request refused by authorization, and the Recorder that keeps them. Entries
// are written to system.audit_logs by a buffered writer so that auditing costs
// a request no more than a channel send.
package audit

import (
	"context"
	"time"
)

// Outcome says how an audited request ended.
type Outcome string

// Outcomes.
const (
	Allowed Outcome = "allowed" // the mutation succeeded
	Denied  Outcome = "denied"  // refused by authentication or authorization
	Failed  Outcome = "failed"  // authorized, but the operation failed
)

// Entry is one line of the audit trail.
type Entry struct {
	Time       time.Time `json:"time"`
	RequestID  string    `json:"request_id"`
	ActorSub   string    `json:"actor_sub"`
	ActorRole  string    `json:"actor_role"`
	ClientID   string    `json:"client_id,omitempty"`
	Action     string    `json:"action"`
	Resource   string    `json:"resource"`
	Outcome    Outcome   `json:"outcome"`
	Status     int       `json:"status"`
	RemoteAddr string    `json:"remote_addr"`
}

// Recorder keeps audit entries. Record must not block the request for longer
// than a few milliseconds.
type Recorder interface {
	Record(ctx context.Context, e Entry)
}
