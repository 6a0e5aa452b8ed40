package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
)

func TestCloudLoggingFields(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelDebug, "proj")
	ctx := WithTrace(context.Background(), "0123456789abcdef0123456789abcdef")
	log.WarnContext(ctx, "hello", "k", "v")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	want := map[string]any{
		"severity": "WARNING", "message": "hello", "k": "v",
		"logging.googleapis.com/trace": "projects/proj/traces/0123456789abcdef0123456789abcdef",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["level"]; ok {
		t.Errorf("level key should be renamed to severity: %v", got)
	}
}

func TestTraceID(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"cloud", http.Header{"X-Cloud-Trace-Context": {"105445AA7843BC8BF206B12000100000/1;o=1"}}, "105445aa7843bc8bf206b12000100000"},
		{"w3c", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"w3c wins", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "X-Cloud-Trace-Context": {"105445aa7843bc8bf206b12000100000/1"}}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"garbage", http.Header{"X-Cloud-Trace-Context": {"\"}\n{injected"}}, ""},
		{"none", http.Header{}, ""},
	}
	for _, tt := range tests {
		if got := TraceID(tt.header); got != tt.want {
			t.Errorf("%s: TraceID = %q, want %q", tt.name, got, tt.want)
		}
	}
}
