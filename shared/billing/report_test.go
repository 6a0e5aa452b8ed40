package billing_test

import (
	"context"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/stripe"
	"rentroll.ai/rentroll/shared/stripe/stripetest"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// TestStripeReport runs months with the Stripe meter against the fake:
// each completed run reports every mapped client's units once per (run,
// client); an unchanged re-run sends nothing new; an outage leaves the run
// complete and its report pending, and the next run, or Sync, completes it.
func TestStripeReport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := generate(21, 8)
	e.seed(t, h)
	e.clock.mu.Lock()
	e.clock.t = time.Date(2025, 9, 2, 12, 0, 0, 0, time.UTC)
	e.clock.mu.Unlock()
	fake := stripetest.New(t, "sk_test_billing")
	m, err := stripe.New(stripe.Config{APIKey: "sk_test_billing", EventName: "rentroll_units", APIURL: fake.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Meter = m
	customers := map[string]string{}
	for i, c := range h.clients {
		if i == 3 {
			continue // a client without a Stripe customer is not reported
		}
		id := "cus_" + string(rune('A'+i))
		customers[c.ID] = id
		if _, err := e.svc.SetPricing(ctx, c.ID, "test", billing.PricingPatch{StripeCustomerID: &id}); err != nil {
			t.Fatalf("SetPricing: %v", err)
		}
	}
	// checkEvents: the fake holds exactly one event per mapped client of
	// run, with the units the run billed.
	checkEvents := func(month string, rec billing.RunRecord) {
		t.Helper()
		u, err := e.svc.Usage(ctx, month)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]stripetest.Event{}
		for _, ev := range fake.Events() {
			got[ev.Identifier] = ev
		}
		for _, r := range u.Clients {
			ev, ok := got[billing.EventIdentifier(rec.CompletedRunID, r.ClientID)]
			cus, mapped := customers[r.ClientID]
			if ok != mapped || (ok && (ev.Customer != cus || ev.Value != r.Units || ev.EventName != "rentroll_units")) {
				t.Errorf("%s: client %s: event %+v (found %v), want customer %q units %d (mapped %v)", month, r.ClientID, ev, ok, cus, r.Units, mapped)
			}
		}
		if rec.Report.Status != billing.ReportDone || rec.Report.RunID != rec.CompletedRunID ||
			rec.Report.Reported != len(customers) || rec.Report.Unmapped != len(h.clients)-len(customers) {
			t.Errorf("%s: report = %+v", month, rec.Report)
		}
	}

	rec, err := e.svc.Run(ctx, "2025-05", "test")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkEvents("2025-05", rec)
	n := len(fake.Events())
	if n != len(customers) {
		t.Fatalf("events after one run = %d, want %d", n, len(customers))
	}
	// Unchanged re-run: same run, already reported: nothing sent.
	calls := fake.Calls()
	e.clock.Add(time.Hour)
	if rec, err = e.svc.Run(ctx, "2025-05", "test"); err != nil || rec.Report.Status != billing.ReportDone {
		t.Fatalf("re-run: %+v, %v", rec.Report, err)
	}
	if fake.Calls() != calls || len(fake.Events()) != n {
		t.Errorf("unchanged re-run called Stripe %d times", fake.Calls()-calls)
	}

	// An outage during a changed re-run: the run completes, its report waits.
	fake.SetDown(true)
	if err := e.clients.CreateClient(ctx, tenancy.Client{ID: "zz-late", Name: "Late", Status: tenancy.Active}); err != nil {
		t.Fatal(err)
	}
	if err := e.wh.EnsureDataset(ctx, warehouse.Client(tenancy.DatasetName("zz-late"))); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	rec, err = e.svc.Run(ctx, "2025-05", "test")
	if err != nil {
		t.Fatalf("run during an outage: %v", err)
	}
	if rec.Status != billing.Exported || rec.Report.Status != billing.ReportPending || rec.Report.Error == "" || rec.Report.Attempts != 1 {
		t.Errorf("record during an outage = status %s report %+v, want exported and pending", rec.Status, rec.Report)
	}
	stored, _ := e.svc.Record(ctx, "2025-05")
	if stored.Report.Status != billing.ReportPending {
		t.Errorf("stored report = %+v, want pending", stored.Report)
	}
	h.clients = append(h.clients, tenancy.Client{ID: "zz-late"})

	// Stripe is back: the next run (another month) completes May's report.
	fake.SetDown(false)
	june, err := e.svc.Run(ctx, "2025-06", "test")
	if err != nil {
		t.Fatalf("Run June: %v", err)
	}
	checkEvents("2025-06", june)
	may, _ := e.svc.Record(ctx, "2025-05")
	checkEvents("2025-05", may)

	// Another outage; `billing sync` completes it.
	fake.SetDown(true)
	july, err := e.svc.Run(ctx, "2025-07", "test")
	if err != nil || july.Report.Status != billing.ReportPending {
		t.Fatalf("Run July in an outage: %+v, %v", july.Report, err)
	}
	if _, err := e.svc.Sync(ctx, ""); err == nil {
		t.Error("Sync during the outage succeeded")
	}
	fake.SetDown(false)
	synced, err := e.svc.Sync(ctx, "")
	if err != nil || len(synced) != 1 || synced[0].Month != "2025-07" || synced[0].Report.Status != billing.ReportDone {
		t.Fatalf("Sync = %+v, %v; want July reported", synced, err)
	}
	july, _ = e.svc.Record(ctx, "2025-07")
	checkEvents("2025-07", july)
	if again, err := e.svc.Sync(ctx, ""); err != nil || len(again) != 0 {
		t.Errorf("Sync with nothing pending = %+v, %v", again, err)
	}
	// A month named explicitly is reported again; Stripe drops the repeats.
	before := len(fake.Events())
	if _, err := e.svc.Sync(ctx, "2025-07"); err != nil || len(fake.Events()) != before {
		t.Errorf("explicit Sync: %v, %d new events", err, len(fake.Events())-before)
	}
}
