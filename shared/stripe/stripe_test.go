package stripe_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/stripe"
	"rentroll.ai/rentroll/shared/stripe/stripetest"
)

const key = "sk_test_contract"

func newMeter(t *testing.T, url, apiKey string) *stripe.Meter {
	t.Helper()
	m, err := stripe.New(stripe.Config{APIKey: apiKey, EventName: "rentroll_units", APIURL: url, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReport: each call is one documented meter-event request (the fake
// checks path, auth, form body and Idempotency-Key); a repeat of the same
// identifier adds nothing; an outage is Transient, a bad key Internal.
func TestReport(t *testing.T) {
	ctx := context.Background()
	f := stripetest.New(t, key)
	m := newMeter(t, f.URL, key)
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	e1 := billing.MeterEvent{Identifier: billing.EventIdentifier("r1", "acme"), CustomerID: "cus_A", ClientID: "acme", Month: "2026-11", Units: 412, Time: at}
	e2 := billing.MeterEvent{Identifier: billing.EventIdentifier("r1", "beta"), CustomerID: "cus_B", ClientID: "beta", Month: "2026-11", Units: 0, Time: at}
	for _, e := range []billing.MeterEvent{e1, e2, e1} {
		if err := m.Report(ctx, e); err != nil {
			t.Fatalf("Report %+v: %v", e, err)
		}
	}
	want := []stripetest.Event{
		{EventName: "rentroll_units", Identifier: "rentroll-r1-acme", Customer: "cus_A", Value: 412, Timestamp: at.Unix()},
		{EventName: "rentroll_units", Identifier: "rentroll-r1-beta", Customer: "cus_B", Value: 0, Timestamp: at.Unix()},
	}
	if got := f.Events(); !reflect.DeepEqual(got, want) || f.Calls() != 3 {
		t.Errorf("events = %+v after %d calls, want %+v after 3", got, f.Calls(), want)
	}

	f.SetDown(true)
	if err := m.Report(ctx, e2); !errs.Is(err, errs.Transient) {
		t.Errorf("Report during an outage: %v, want Transient", err)
	}
	f.SetDown(false)

	unreachable := newMeter(t, "http://127.0.0.1:1", key)
	if err := unreachable.Report(ctx, e1); !errs.Is(err, errs.Transient) {
		t.Errorf("Report to an unreachable Stripe: %v, want Transient", err)
	}
	if err := m.Report(ctx, billing.MeterEvent{Identifier: "x", Time: at}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Report without a customer: %v, want Invalid", err)
	}
	if _, err := stripe.New(stripe.Config{EventName: "x"}); err == nil {
		t.Error("New without a key succeeded")
	}
}

// TestReportBadKey: a refused key is a configuration fault, not an outage.
func TestReportBadKey(t *testing.T) {
	f := stripetest.New(&quietT{TB: t}, key)
	m := newMeter(t, f.URL, "sk_test_wrong")
	err := m.Report(context.Background(), billing.MeterEvent{Identifier: "i", CustomerID: "cus_A", Units: 1, Time: time.Now()})
	if !errs.Is(err, errs.Internal) {
		t.Errorf("Report with a refused key: %v, want Internal", err)
	}
	if len(f.Events()) != 0 {
		t.Errorf("events accepted with a wrong key: %+v", f.Events())
	}
}

// quietT lets the fake's complaint about the wrong key pass (it is the
// point of the test) while keeping other failures.
type quietT struct{ testing.TB }

func (q *quietT) Errorf(string, ...any) {}

func TestEventIdentifier(t *testing.T) {
	long := "r20261201T110000Z-1a2b3c4d5e6f"
	client := "a-client-id-that-is-forty-characters-xyz"
	tests := []struct{ run, client, want string }{
		{"r1", "acme", "rentroll-r1-acme"},
		{long, "acme", "rentroll-" + long + "-acme"},
	}
	for _, tt := range tests {
		if got := billing.EventIdentifier(tt.run, tt.client); got != tt.want {
			t.Errorf("EventIdentifier(%q, %q) = %q, want %q", tt.run, tt.client, got, tt.want)
		}
	}
	id := billing.EventIdentifier(long+long, client)
	if len(id) > 100 || id != billing.EventIdentifier(long+long, client) || id == billing.EventIdentifier(long+long, client+"x") {
		t.Errorf("long identifier %q: want ≤ 100 characters, stable and distinct", id)
	}
}
