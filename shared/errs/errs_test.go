package errs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestMapping(t *testing.T) {
	tests := []struct {
		err       error
		status    int
		retry     bool
		code, msg string
	}{
		{E(Invalid, "bad month"), http.StatusBadRequest, false, "invalid", "bad month"},
		{E(Forbidden, "suspended").WithReason("client_suspended"), http.StatusForbidden, false, "client_suspended", "suspended"},
		{fmt.Errorf("loading: %w", E(NotFound, "no such upload")), http.StatusNotFound, false, "not_found", "no such upload"},
		{Wrap(errors.New("dial tcp: refused"), Transient, "warehouse unavailable"), http.StatusServiceUnavailable, true, "transient", "warehouse unavailable"},
		// A bug or a missing permission fails the same way on every delivery:
		// acknowledged, never retried.
		{Wrap(errors.New("secret detail"), Internal, "boom"), http.StatusInternalServerError, false, "internal", "internal error"},
		{errors.New("plain secret detail"), http.StatusInternalServerError, false, "internal", "internal error"},
		{E(Forbidden, "no"), http.StatusForbidden, false, "forbidden", "no"},
		{E(NotAllowed, "GET only"), http.StatusMethodNotAllowed, false, "method_not_allowed", "GET only"},
		{E(Conflict, "exists"), http.StatusConflict, false, "conflict", "exists"},
		{E(Unauthorized, "expired"), http.StatusUnauthorized, false, "unauthorized", "expired"},
		{E(TooLarge, "big"), http.StatusRequestEntityTooLarge, false, "too_large", "big"},
		{E(RateLimited, "slow down"), http.StatusTooManyRequests, true, "rate_limited", "slow down"},
		{E(NotImplemented, "later"), http.StatusNotImplemented, false, "not_implemented", "later"},
	}
	for _, tt := range tests {
		if got := HTTPStatus(tt.err); got != tt.status {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.status)
		}
		if got := Retryable(tt.err); got != tt.retry {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.retry)
		}
		code, msg := Public(tt.err)
		if code != tt.code || msg != tt.msg {
			t.Errorf("Public(%v) = %q, %q; want %q, %q", tt.err, code, msg, tt.code, tt.msg)
		}
	}
	if HTTPStatus(nil) != http.StatusOK || Retryable(nil) || CodeOf(nil) != "" {
		t.Error("nil error must map to success")
	}
}

func TestErrorTextKeepsCause(t *testing.T) {
	cause := errors.New("rpc error: unavailable")
	err := Wrap(cause, Transient, "firestore")
	if !errors.Is(err, cause) {
		t.Error("Wrap must keep the cause for errors.Is")
	}
	if got, want := err.Error(), "transient: firestore: rpc error: unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
