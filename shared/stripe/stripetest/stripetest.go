// Package stripetest is an httptest fake of the Stripe endpoint the
// platform calls (POST /v1/billing/meter_events), which checks every request
// as Stripe documents it and keeps the events it accepted, dropping a repeat
// identifier as Stripe does.
package stripetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// Event is a meter event the fake accepted.
type Event struct {
	EventName  string
	Identifier string
	Customer   string
	Value      int64
	Timestamp  int64
}

// Fake is the fake Stripe API.
type Fake struct {
	*httptest.Server
	t      testing.TB
	key    string
	mu     sync.Mutex
	events []Event
	seen   map[string]bool
	down   bool
	calls  int
}

// New starts a fake that accepts the API key key; it stops with the test.
func New(t testing.TB, key string) *Fake {
	f := &Fake{t: t, key: key, seen: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// SetDown makes every request fail with 503 (an outage) or succeed again.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Events returns the accepted events in arrival order.
func (f *Fake) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.events...)
}

// Calls counts the requests received, repeats and failures included.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func stripeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "message": msg}})
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	fail := func(format string, args ...any) {
		f.t.Errorf("stripe fake: "+format, args...)
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "bad request")
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/billing/meter_events" {
		fail("unexpected %s %s", r.Method, r.URL.Path)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.key {
		f.t.Errorf("stripe fake: Authorization = %q, want the API key as a bearer token", got)
		stripeError(w, http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		fail("Content-Type = %q, want a form", ct)
		return
	}
	if r.Header.Get("Stripe-Version") == "" {
		fail("no Stripe-Version header")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail("form: %v", err)
		return
	}
	known := map[string]bool{"event_name": true, "identifier": true, "payload[stripe_customer_id]": true, "payload[value]": true, "timestamp": true}
	for k := range r.PostForm {
		if !known[k] {
			fail("unexpected form field %q", k)
			return
		}
	}
	e := Event{EventName: r.PostForm.Get("event_name"), Identifier: r.PostForm.Get("identifier"), Customer: r.PostForm.Get("payload[stripe_customer_id]")}
	var err error
	if e.Value, err = strconv.ParseInt(r.PostForm.Get("payload[value]"), 10, 64); err != nil || e.Value < 0 {
		fail("payload[value] = %q, want a whole number", r.PostForm.Get("payload[value]"))
		return
	}
	if e.Timestamp, err = strconv.ParseInt(r.PostForm.Get("timestamp"), 10, 64); err != nil || e.Timestamp <= 0 {
		fail("timestamp = %q, want Unix seconds", r.PostForm.Get("timestamp"))
		return
	}
	if e.EventName == "" || e.Identifier == "" || len(e.Identifier) > 100 || e.Customer == "" {
		fail("incomplete event %+v", e)
		return
	}
	if key := r.Header.Get("Idempotency-Key"); key != e.Identifier {
		fail("Idempotency-Key = %q, want the identifier %q", key, e.Identifier)
		return
	}
	if f.down {
		stripeError(w, http.StatusServiceUnavailable, "api_error", "Stripe is down")
		return
	}
	if !f.seen[e.Identifier] {
		f.seen[e.Identifier] = true
		f.events = append(f.events, e)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "billing.meter_event", "event_name": e.EventName, "identifier": e.Identifier, "livemode": false,
		"created": e.Timestamp, "timestamp": e.Timestamp,
		"payload": map[string]string{"stripe_customer_id": e.Customer, "value": strconv.FormatInt(e.Value, 10)},
	})
}
