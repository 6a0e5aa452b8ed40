// Package logging builds the platform's structured logger: log/slog JSON with
// the field names Cloud Logging reads (severity, message, time, trace), so
// entries group by request in the console. It also carries the trace of the
// request being served in its context.
package logging

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
)

// New returns a JSON logger writing to w at level, with Cloud Logging field
// names. project is the Google Cloud project id, used to qualify trace ids; it
// may be empty locally.
func New(w io.Writer, level slog.Level, project string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.MessageKey:
				a.Key = "message"
			case slog.LevelKey:
				a.Key = "severity"
				a.Value = slog.StringValue(severity(a.Value.Any()))
			}
			return a
		},
	})
	return slog.New(&traceHandler{Handler: h, project: project})
}

func severity(v any) string {
	l, ok := v.(slog.Level)
	if !ok {
		return "DEFAULT"
	}
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

// traceHandler adds the request's trace id from the context to every record.
type traceHandler struct {
	slog.Handler
	project string
}

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if t, ok := ctx.Value(traceKey{}).(string); ok && t != "" {
		trace := t
		if h.project != "" {
			trace = "projects/" + h.project + "/traces/" + t
		}
		r.AddAttrs(slog.String("logging.googleapis.com/trace", trace))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithAttrs(as), project: h.project}
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithGroup(name), project: h.project}
}

type traceKey struct{}

// WithTrace returns ctx carrying trace id t.
func WithTrace(ctx context.Context, t string) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the trace id carried by ctx, or "".
func TraceFrom(ctx context.Context) string {
	t, _ := ctx.Value(traceKey{}).(string)
	return t
}

var traceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TraceID reads a request's trace id from X-Cloud-Trace-Context
// ("TRACE/SPAN;o=1") or W3C traceparent ("00-TRACE-SPAN-01"); it returns "" when
// neither carries a well-formed id, so a client cannot inject text into logs.
func TraceID(h http.Header) string {
	if v := h.Get("traceparent"); v != "" {
		parts := strings.Split(v, "-")
		if len(parts) == 4 && traceID.MatchString(parts[1]) {
			return parts[1]
		}
	}
	if v := h.Get("X-Cloud-Trace-Context"); v != "" {
		t, _, _ := strings.Cut(v, "/")
		if traceID.MatchString(strings.ToLower(t)) {
			return strings.ToLower(t)
		}
	}
	return ""
}
