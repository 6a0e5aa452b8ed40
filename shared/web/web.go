// Package web is the platform's HTTP layer, shared by every function: a route
// table in which each route declares who may call it, one guard that applies
// that declaration before any handler runs (so a new route cannot forget the
// tenant check), JSON encoding, and the one mapping of errors to responses.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/audit"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/logging"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/tenancy"
)

// Access says who may call a route.
type Access int

// Access levels. Tenant routes carry the client id in the {cid} path segment.
const (
	// Public routes need no token (health checks, JWKS).
	Public Access = iota
	// Authenticated routes need any valid, registered principal.
	Authenticated
	// Tenant routes act on the client named by {cid}; the principal must belong
	// to it with at least the route's Role, or be a super admin.
	Tenant
	// SuperAdminOnly routes are for the operator.
	SuperAdminOnly
	// SelfAuthenticated routes verify their caller themselves (the Cloud
	// Scheduler trigger checks a Google OIDC token, not a user token).
	SelfAuthenticated
)

// DefaultMaxBody bounds a request body unless a route says otherwise.
const DefaultMaxBody = 1 << 20

// HandlerFunc serves a request and returns an error instead of writing one,
// so that every error goes through the one mapping in WriteError.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one entry of the route table.
type Route struct {
	Name    string // action name for logs and the audit trail, e.g. "clients.create"
	Method  string
	Path    string // net/http pattern path, e.g. /v1/clients/{cid}/uploads
	Access  Access
	Role    tenancy.Role // the least role, for Tenant routes
	MaxBody int64        // 0 = DefaultMaxBody
	Handler HandlerFunc
	// Verify authenticates the caller of a SelfAuthenticated route (for
	// example a Google OIDC token); its refusal is a denial like any other.
	Verify func(ctx context.Context, r *http.Request) error
}

// Guard resolves and authorizes principals. tenancy.Gate implements it.
type Guard interface {
	// Authenticate resolves the request's bearer token to a principal.
	Authenticate(ctx context.Context, bearer string) (tenancy.Principal, error)
	// AuthorizeClient applies the tenant rule, the client's existence and its status.
	AuthorizeClient(ctx context.Context, p tenancy.Principal, clientID string, min tenancy.Role, write bool) error
}

// Server builds handlers from route tables.
type Server struct {
	Log   *slog.Logger
	Guard Guard
	Audit audit.Recorder // may be nil
	Now   clock.Func
	// AllowedOrigins are the browser origins CORS admits; none by default.
	AllowedOrigins []string
	// Limiter bounds each principal's request rate; nil means no limit.
	Limiter *RateLimiter
	// TrustedProxyHops is how many X-Forwarded-For entries, counted from the
	// right, were appended by proxies of ours (2 behind Google's external
	// load balancer: "<client>, <balancer>"); the client's address is the
	// leftmost of them, and entries further left are the client's own
	// claims. 0 trusts no header: the connection's address is the client's.
	// It is configuration, not a guess from the header's length, since a
	// client can send any number of entries.
	TrustedProxyHops int
}

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
)

// PrincipalFrom returns the authenticated principal of a request.
func PrincipalFrom(ctx context.Context) (tenancy.Principal, bool) {
	p, ok := ctx.Value(principalKey).(tenancy.Principal)
	return p, ok
}

// RequestID returns the id the platform gave the request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Handler serves routes. Unknown paths answer a JSON 404 and known paths with
// another method a JSON 405 with Allow, so clients always get the error shape
// of docs/architecture.md#http-api.
func (s *Server) Handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	byPath := map[string][]Route{}
	var order []string
	for _, rt := range routes {
		if _, ok := byPath[rt.Path]; !ok {
			order = append(order, rt.Path)
		}
		byPath[rt.Path] = append(byPath[rt.Path], rt)
	}
	for _, path := range order {
		rs := byPath[path]
		mux.Handle(path, s.dispatch(rs))
	}
	mux.Handle("/", s.wrap(Route{Name: "not_found", Access: Public}, func(http.ResponseWriter, *http.Request) error {
		return errs.E(errs.NotFound, "no such route")
	}))
	return mux
}

func (s *Server) dispatch(rs []Route) http.Handler {
	handlers := map[string]http.Handler{}
	var allow []string
	for _, rt := range rs {
		handlers[rt.Method] = s.wrap(rt, rt.Handler)
		allow = append(allow, rt.Method)
	}
	if _, ok := handlers[http.MethodGet]; ok {
		allow = append(allow, http.MethodHead)
	}
	notAllowed := s.wrap(Route{Name: "method_not_allowed", Access: Public}, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errs.E(errs.NotAllowed, "method %s is not allowed here", r.Method)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			s.preflight(w, r, allow)
			return
		}
		if h, ok := handlers[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		if h, ok := handlers[http.MethodGet]; ok && r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		notAllowed.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for logs and the audit trail.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) now() time.Time {
	return s.Now.Time()
}

// wrap applies, in order: request id and trace, security headers, panic
// recovery, the body limit, the route's access rule, the handler, error
// mapping, the access log and the audit trail.
func (s *Server) wrap(rt Route, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := s.now()
		w := &statusWriter{ResponseWriter: rw}
		reqID := newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey, reqID)
		if t := logging.TraceID(r.Header); t != "" {
			ctx = logging.WithTrace(ctx, t)
		}
		r = r.WithContext(ctx)
		hdr := w.Header()
		hdr.Set("X-Request-Id", reqID)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Strict-Transport-Security", "max-age=31536000")
		hdr.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		s.cors(w, r)

		limit := rt.MaxBody
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		if r.ContentLength > limit {
			// Refused before anyone is identified: logged, not audited.
			s.finish(w, r, rt, start, errs.E(errs.TooLarge, "request body exceeds %d bytes", limit), tenancy.Principal{}, false, false)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)

		var p tenancy.Principal
		var denied bool
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					err = errs.Wrap(fmt.Errorf("panic: %v", v), errs.Internal, "internal error")
				}
			}()
			var aerr error
			p, aerr = s.authorize(w, r, rt)
			if aerr != nil {
				denied = true
				return aerr
			}
			if rt.Access != Public && rt.Access != SelfAuthenticated {
				r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
			}
			return h(w, r)
		}()
		s.finish(w, r, rt, start, err, p, denied, true)
	})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rt Route) (tenancy.Principal, error) {
	if rt.Access == Public || rt.Access == SelfAuthenticated {
		if err := s.limit(w, "addr:"+s.remoteAddr(r)); err != nil {
			return tenancy.Principal{}, err
		}
		if rt.Access == SelfAuthenticated {
			if rt.Verify == nil {
				return tenancy.Principal{}, errs.E(errs.Internal, "route %s verifies no caller", rt.Name)
			}
			return tenancy.Principal{}, rt.Verify(r.Context(), r)
		}
		return tenancy.Principal{}, nil
	}
	if s.Guard == nil {
		return tenancy.Principal{}, errs.E(errs.Internal, "no guard configured")
	}
	token, err := auth.BearerToken(r.Header)
	if err != nil {
		if lerr := s.limit(w, "addr:"+s.remoteAddr(r)); lerr != nil {
			return tenancy.Principal{}, lerr
		}
		return tenancy.Principal{}, err
	}
	p, err := s.Guard.Authenticate(r.Context(), token)
	if err != nil {
		// Failed authentications are limited by address, against guessing.
		if lerr := s.limit(w, "addr:"+s.remoteAddr(r)); lerr != nil {
			return tenancy.Principal{}, lerr
		}
		return tenancy.Principal{}, err
	}
	if err := s.limit(w, "sub:"+p.Subject); err != nil {
		return p, err
	}
	switch rt.Access {
	case Authenticated:
		return p, nil
	case SuperAdminOnly:
		if p.Role != tenancy.SuperAdmin {
			// docs/architecture.md#tenancy-and-roles: a role too small is 403. The admin routes belong to
			// no client, so this reveals nothing about any client.
			return p, errs.E(errs.Forbidden, "this route is for the super admin")
		}
		return p, nil
	case Tenant:
		cid := r.PathValue("cid")
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		return p, s.Guard.AuthorizeClient(r.Context(), p, cid, rt.Role, write)
	}
	return p, errs.E(errs.Internal, "route %s has no access rule", rt.Name)
}

func (s *Server) finish(w *statusWriter, r *http.Request, rt Route, start time.Time, err error, p tenancy.Principal, denied, auditable bool) {
	if err != nil {
		s.writeError(w, r, err)
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attrs := []slog.Attr{
		slog.String("request_id", RequestID(r.Context())),
		slog.String("route", rt.Name),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path), // never the query: it may carry page tokens
		slog.Int("status", status),
		slog.Duration("latency", s.now().Sub(start)),
	}
	if p.Subject != "" {
		attrs = append(attrs, slog.String("sub", p.Subject), slog.String("role", string(p.Role)))
	}
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if status >= 500 {
			level = slog.LevelError
		} else {
			level = slog.LevelWarn
		}
	}
	log.LogAttrs(r.Context(), level, "request", attrs...)

	mutation := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if errs.Is(err, errs.RateLimited) || errs.Is(err, errs.Unauthorized) {
		// A flood, or a caller with no valid token (anyone on the internet,
		// as often as they like), is not worth a row per request: the audit
		// trail records what identified callers did and were refused. The
		// access log above has these.
		auditable = false
	}
	if s.Audit != nil && auditable && (denied || (mutation && rt.Access != Public && rt.Name != "not_found" && rt.Name != "method_not_allowed")) {
		outcome := audit.Allowed
		switch {
		case denied:
			outcome = audit.Denied
		case err != nil:
			outcome = audit.Failed
		}
		s.Audit.Record(r.Context(), audit.Entry{
			Time: start.UTC(), RequestID: RequestID(r.Context()),
			ActorSub: p.Subject, ActorRole: string(p.Role), ClientID: r.PathValue("cid"),
			Action: rt.Name, Resource: r.URL.Path, Outcome: outcome, Status: status,
			RemoteAddr: s.remoteAddr(r),
		})
	}
}

// remoteAddr is the client's address for limits and the audit trail: the
// entry the outermost trusted proxy appended to X-Forwarded-For, or the
// connection's address when no proxy is trusted or the header is too short
// to have passed through them.
func (s *Server) remoteAddr(r *http.Request) string {
	if n := s.TrustedProxyHops; n > 0 {
		if f := strings.Join(r.Header.Values("X-Forwarded-For"), ","); f != "" {
			hops := strings.Split(f, ",")
			if len(hops) >= n {
				if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-n])); ip != nil {
					return ip.String()
				}
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ErrorBody is the one error shape of the API (docs/architecture.md#http-api):
// {"error": {"code", "message"}}. Only this package writes it (writeError,
// the CORS refusal); clients decode it.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an ErrorBody: a snake_case code and a
// message safe to show (internal details are logged, never answered).
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) { WriteError(w, r, err) }

// WriteError answers err as the API's error body, with the status, the
// WWW-Authenticate and the Retry-After headers its code maps to. The route
// table's handlers return their errors instead; WriteError is for the few
// handlers outside it (a function that could not start, the local event
// endpoint), so that every error body of the platform is written here.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = errs.E(errs.TooLarge, "request body exceeds %d bytes", maxErr.Limit)
	}
	status := errs.HTTPStatus(err)
	var body ErrorBody
	body.Error.Code, body.Error.Message = errs.Public(err)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="rentroll"`)
		if r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rentroll", error="invalid_token"`)
		}
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	}
	WriteJSON(w, status, body)
}

// WriteJSON writes v as the JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client may have gone; nothing useful to do about it
}

// Decode reads a JSON request body into v, refusing unknown fields, trailing
// data and bodies over the route's limit, with messages a client can act on.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return errs.E(errs.Invalid, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &maxErr):
			return errs.E(errs.TooLarge, "request body exceeds %d bytes", maxErr.Limit)
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "request body is empty; JSON expected")
		case errors.As(err, &syn):
			return errs.E(errs.Invalid, "malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return errs.E(errs.Invalid, "field %q must be %s", typ.Field, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errs.E(errs.Invalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return errs.E(errs.Invalid, "malformed JSON body")
		}
	}
	if dec.More() {
		return errs.E(errs.Invalid, "request body has data after the JSON value")
	}
	return nil
}

// Paging limits (docs/architecture.md#http-api).
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageOf reads ?limit= and ?page_token= (docs/architecture.md#http-api).
func PageOf(r *http.Request) (tenancy.Page, error) {
	p := tenancy.Page{Limit: DefaultLimit, Token: r.URL.Query().Get("page_token")}
	if len(p.Token) > 1024 {
		return p, errs.E(errs.Invalid, "page_token is too long")
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, errs.E(errs.Invalid, "limit must be a whole number from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

func newRequestID() string { return randid.Hex(12) }
