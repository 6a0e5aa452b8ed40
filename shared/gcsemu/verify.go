package gcsemu

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The V4 signing constants of Cloud Storage
// (https://cloud.google.com/storage/docs/authentication/signatures).
const (
	v4Algorithm    = "GOOG4-RSA-SHA256"
	v4DateFormat   = "20060102T150405Z"
	v4MaxExpires   = 7 * 24 * 60 * 60 // seconds
	v4ClockSkew    = 15 * time.Minute // how far X-Goog-Date may be in the future
	unsignedBody   = "UNSIGNED-PAYLOAD"
	headerSHA256   = "x-goog-content-sha256"
	querySignature = "X-Goog-Signature"
)

// verifyError is a refusal with the status and XML error code Cloud Storage
// would answer. Messages never echo the signature or the URL.
type verifyError struct {
	status  int
	code    string
	message string
}

func denied(code, message string) *verifyError {
	return &verifyError{status: http.StatusForbidden, code: code, message: message}
}

// verify checks a signed request as Cloud Storage does for V4 RSA
// signatures: the credential and its scope, the signature over the canonical
// request rebuilt from what was actually received, the validity window, and
// that every x-goog-* header sent is signed and every signed header is sent.
func (e *Emulator) verify(r *http.Request) *verifyError {
	if e.cfg.SigningKey == nil {
		return denied("AccessDenied", "Signed URLs are not enabled on this emulator.")
	}
	q := r.URL.Query()
	for _, k := range []string{"X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders", querySignature} {
		if len(q[k]) != 1 || q.Get(k) == "" {
			return denied("AuthenticationRequired", "Missing or repeated query parameter "+k+".")
		}
	}
	if q.Get("X-Goog-Algorithm") != v4Algorithm {
		return denied("InvalidArgument", "Unsupported signing algorithm.")
	}

	accessID, scope, ok := strings.Cut(q.Get("X-Goog-Credential"), "/")
	scopeParts := strings.Split(scope, "/")
	if !ok || accessID == "" || len(scopeParts) != 4 || scopeParts[2] != "storage" || scopeParts[3] != "goog4_request" {
		return denied("AuthenticationRequired", "Malformed X-Goog-Credential.")
	}
	if e.cfg.AccessID != "" && accessID != e.cfg.AccessID {
		return denied("AccessDenied", "The credential is not accepted here.")
	}
	date, err := time.Parse(v4DateFormat, q.Get("X-Goog-Date"))
	if err != nil || scopeParts[0] != date.Format("20060102") {
		return denied("AuthenticationRequired", "Malformed X-Goog-Date or credential scope date.")
	}
	expires, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil || expires < 1 || expires > v4MaxExpires {
		return denied("AuthenticationRequired", "Invalid X-Goog-Expires.")
	}

	signedHeaders := strings.Split(q.Get("X-Goog-SignedHeaders"), ";")
	if !slices.IsSorted(signedHeaders) || !slices.Contains(signedHeaders, "host") {
		return denied("AuthenticationRequired", "X-Goog-SignedHeaders must be sorted and include host.")
	}
	for _, h := range signedHeaders {
		if h == "" || h != strings.ToLower(h) {
			return denied("AuthenticationRequired", "Malformed X-Goog-SignedHeaders.")
		}
		if h != "host" && len(r.Header.Values(h)) == 0 {
			return denied("MissingSecurityHeader", "The signed header "+h+" is missing from the request.")
		}
	}
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-goog-") && !slices.Contains(signedHeaders, lk) {
			return denied("AccessDenied", "The header "+lk+" is sent but not signed.")
		}
	}

	sig, err := hex.DecodeString(q.Get(querySignature))
	if err != nil || len(sig) == 0 {
		return denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}
	stringToSign := v4Algorithm + "\n" + q.Get("X-Goog-Date") + "\n" + scope + "\n" + sha256Hex([]byte(canonicalRequest(r, signedHeaders)))
	digest := sha256.Sum256([]byte(stringToSign))
	if rsa.VerifyPKCS1v15(e.cfg.SigningKey, crypto.SHA256, digest[:], sig) != nil {
		return denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}

	now := e.cfg.Now()
	if now.After(date.Add(time.Duration(expires) * time.Second)) {
		return denied("ExpiredToken", "The provided token has expired.")
	}
	if date.After(now.Add(v4ClockSkew)) {
		return denied("AuthenticationRequired", "The request is not yet valid (X-Goog-Date is in the future).")
	}
	return nil
}

// canonicalRequest rebuilds the V4 canonical request from the request as
// received, byte for byte as cloud.google.com/go/storage builds it when
// signing: method, encoded path, sorted query without the signature, the
// signed headers (host without port), the signed header names, and the
// payload marker.
func canonicalRequest(r *http.Request, signedHeaders []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString("/" + pathEncodeV4(strings.TrimPrefix(r.URL.Path, "/")) + "\n")

	q := r.URL.Query()
	q.Del(querySignature)
	b.WriteString(strings.ReplaceAll(q.Encode(), "+", "%20") + "\n")

	payload := unsignedBody
	for _, h := range signedHeaders {
		var value string
		if h == "host" {
			value = hostOnly(r.Host)
		} else {
			value = strings.Join(r.Header.Values(h), ",")
		}
		if h == headerSHA256 {
			payload = strings.TrimSpace(value)
		}
		// Collapse runs of whitespace as the signer does.
		b.WriteString(strings.Join(strings.Fields(h+":"+value), " ") + "\n")
	}
	b.WriteString("\n")
	b.WriteString(strings.Join(signedHeaders, ";") + "\n")
	b.WriteString(payload)
	return b.String()
}

// pathEncodeV4 encodes each path segment as the V4 signer does
// (query-escaping, with %20 for spaces).
func pathEncodeV4(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		segments[i] = url.QueryEscape(s)
	}
	return strings.ReplaceAll(strings.Join(segments, "/"), "+", "%20")
}

// hostOnly strips the port: the Go signer signs "host:" + URL.Hostname().
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeXMLError answers as the XML API does on failure.
func writeXMLError(w http.ResponseWriter, status int, code, message string) {
	body, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}{Code: code, Message: message})
	if err != nil {
		http.Error(w, code, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=UTF-8")
	// Browsers must be able to read why an upload was refused.
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<?xml version='1.0' encoding='UTF-8'?>"))
	_, _ = w.Write(body)
}
