package auth

import (
	"net/http"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
)

// maxAuthorizationBytes is the longest Authorization header worth looking
// at: the scheme, a space, a token of MaxTokenBytes and a little whitespace.
const maxAuthorizationBytes = len("Bearer ") + MaxTokenBytes + 16

// BearerToken returns the token of an "Authorization: Bearer <token>" header.
// The scheme is case-insensitive (RFC 7235). A missing or malformed header,
// another scheme, more than one Authorization header, or a token longer than
// MaxTokenBytes is errs.Unauthorized. The length is checked before anything
// else, so a 1 MB header costs no more than a short one.
func BearerToken(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", errs.E(errs.Unauthorized, "missing bearer token")
	case 1:
	default:
		return "", errs.E(errs.Unauthorized, "more than one Authorization header")
	}
	v := vals[0]
	if len(v) > maxAuthorizationBytes {
		return "", errs.E(errs.Unauthorized, "token too large")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errs.E(errs.Unauthorized, "bearer token required")
	}
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", errs.E(errs.Unauthorized, "missing bearer token")
	case len(tok) > MaxTokenBytes:
		return "", errs.E(errs.Unauthorized, "token too large")
	case strings.ContainsAny(tok, " \t,"):
		return "", errs.E(errs.Unauthorized, "malformed bearer token")
	}
	return tok, nil
}
