package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/uploads"
)

// service records the events handed to it and answers with err.
type service struct {
	mu  sync.Mutex
	got []uploads.ObjectEvent
	err error
}

func (s *service) Object(_ context.Context, ev uploads.ObjectEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, ev)
	return s.err
}

const object = "clients/acme/rent_roll/20260305t100000abcdef01234/march.csv"

func cloudEvent(t *testing.T, typ string, data []byte) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("ev-1")
	e.SetSource("//storage.googleapis.com/projects/_/buckets/uploads")
	e.SetType(typ)
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestHandler: the handler hands a finalized object to the service once and
// returns an error (asking Eventarc to redeliver) only when the error is
// retryable; other events and unreadable payloads are acknowledged without
// reaching the service.
func TestHandler(t *testing.T) {
	good := []byte(`{"bucket":"uploads","name":"` + object + `","generation":"17","size":"120","contentType":"text/csv"}`)
	tests := []struct {
		name        string
		typ         string
		data        []byte
		svcErr      error
		wantCalls   int
		wantRetried bool
	}{
		{"loaded", uploads.FinalizedEventType, good, nil, 1, false},
		{"transient fault is redelivered", uploads.FinalizedEventType, good, errs.E(errs.Transient, "bigquery 503"), 1, true},
		{"wrapped transient fault is redelivered", uploads.FinalizedEventType, good, errs.Wrap(errors.New("EOF"), errs.Transient, "download"), 1, true},
		{"permanent fault is acknowledged", uploads.FinalizedEventType, good, errs.E(errs.Internal, "403 accessDenied"), 1, false},
		{"rejected file is acknowledged", uploads.FinalizedEventType, good, errs.E(errs.Invalid, "bad file"), 1, false},
		{"another event type", "google.cloud.storage.object.v1.deleted", good, nil, 0, false},
		{"payload not StorageObjectData", uploads.FinalizedEventType, []byte(`[1,2]`), nil, 0, false},
		{"payload without generation", uploads.FinalizedEventType, []byte(`{"bucket":"uploads","name":"` + object + `"}`), nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &service{err: tt.svcErr}
			h := Handler(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Service: svc})
			err := h(context.Background(), cloudEvent(t, tt.typ, tt.data))
			if (err != nil) != tt.wantRetried {
				t.Errorf("handler returned %v; want a redelivery: %v", err, tt.wantRetried)
			}
			if len(svc.got) != tt.wantCalls {
				t.Fatalf("service called %d times, want %d", len(svc.got), tt.wantCalls)
			}
			if tt.wantCalls == 1 {
				ev := svc.got[0]
				if ev.Key() != "uploads/"+object+"#17" || ev.Size != 120 || ev.ContentType != "text/csv" {
					t.Errorf("service got %+v", ev)
				}
			}
		})
	}
}
