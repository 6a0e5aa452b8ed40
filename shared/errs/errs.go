// Package errs is the platform's one error type. Every failure that crosses a
// package boundary carries a Code; the Code alone decides the HTTP status of a
// request and whether an event is retried or acknowledged, so that mapping is
// written once (HTTPStatus, Retryable) and never per handler.
package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error by what the caller should do about it.
type Code string

// The codes. Their string values are the snake_case codes of the API's error body
// unless an Error carries a more specific Reason.
const (
	Invalid        Code = "invalid"            // the request or file is wrong; retrying will not help
	Unauthorized   Code = "unauthorized"       // no or bad credentials
	Forbidden      Code = "forbidden"          // authenticated, but not allowed
	NotFound       Code = "not_found"          // absent, or not visible to the caller
	Conflict       Code = "conflict"           // state conflict (exists already, run in progress)
	TooLarge       Code = "too_large"          // an input exceeds its limit
	RateLimited    Code = "rate_limited"       // too many requests
	Transient      Code = "transient"          // a dependency failed; retrying may help
	NotImplemented Code = "not_implemented"    // the capability is not built yet
	NotAllowed     Code = "method_not_allowed" // the path exists, the method does not
	Internal       Code = "internal"           // a bug or an unexpected state
)

// Error is a failure with a code, a message that is safe to show a client, and
// the underlying cause, which is logged but never returned to clients.
type Error struct {
	Code Code
	// Reason, when set, is a more specific snake_case code for the API body
	// (for example "client_suspended" with Code Forbidden).
	Reason string
	// Message is safe to show to the caller.
	Message string
	// Err is the cause; it may contain internal detail.
	Err error
}

// Error reports the message and the cause, for logs.
func (e *Error) Error() string {
	s := string(e.Code)
	if e.Reason != "" {
		s += "/" + e.Reason
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an Error with a code and a client-safe message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error with a code and a client-safe message around a cause.
// A nil cause still yields an error.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// WithReason returns e with a specific API code, for chaining at construction.
func (e *Error) WithReason(reason string) *Error {
	e.Reason = reason
	return e
}

// CodeOf returns the code of the outermost *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Public returns the API code and message that may be shown to a client. Errors
// that are not *Error, and Internal errors, never expose their text.
func Public(err error) (code, message string) {
	var e *Error
	if !errors.As(err, &e) || e.Code == Internal {
		return string(Internal), "internal error"
	}
	code = string(e.Code)
	if e.Reason != "" {
		code = e.Reason
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(HTTPStatus(err))
	}
	return code, msg
}

// HTTPStatus maps an error to the status a request answers with.
func HTTPStatus(err error) int {
	switch CodeOf(err) {
	case "":
		return http.StatusOK
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case RateLimited:
		return http.StatusTooManyRequests
	case Transient:
		return http.StatusServiceUnavailable
	case NotImplemented:
		return http.StatusNotImplemented
	case NotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusInternalServerError
	}
}

// Retryable maps an error to what an event handler does with its event: true
// means return the error so the delivery is retried; false means record the
// problem and acknowledge.
//
// Only faults that go away by themselves are retried: Transient (5xx, timeouts,
// connection resets, a busy claim) and RateLimited (429, quotas). Everything
// else is acknowledged, Internal included: a permission the deployment lacks
// (an adapter's 401/403), a bug, or a refused request fails the same way on
// every redelivery, and Eventarc redelivers for 24 hours, so retrying it would
// let one bad upload keep every instance busy (a retry storm) while fixing
// nothing. Such an upload is settled as failed and logged at error severity
// for an operator instead.
func Retryable(err error) bool {
	switch CodeOf(err) {
	case Transient, RateLimited:
		return true
	default:
		return false
	}
}
