package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeBillingAPI answers the billing routes the CLI calls, checking each
// request: method, path, bearer token and body. November is billable;
// December has not ended and is refused as the server refuses it.
func fakeBillingAPI(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch key := r.Method + " " + r.URL.RequestURI(); key {
		case "POST /v1/admin/billing/runs":
			var req map[string]string
			if err := json.Unmarshal(b, &req); err != nil || len(req) != 1 {
				t.Errorf("run body %s", b)
			}
			if req["month"] == "2026-12" {
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"error":{"code":"invalid","message":"2026-12 has not ended yet: it can be billed from 2027-01-01 00:00 (America/New_York)"}}`)
				return
			}
			if req["month"] != "2026-11" {
				t.Errorf("run month %q", req["month"])
			}
			_, _ = io.WriteString(w, `{"month":"2026-11","run_id":"r1","status":"exported","clients":3,"units_total":1012,
				"amount_totals":{"EUR":199.00,"USD":2767.50},"stale_properties":1,
				"export":{"bucket":"finance","object":"billing/2026-11/billing_units.csv","sha256":"ab12"},
				"report":{"status":"pending","reported":1,"unmapped":1,"attempts":1,"error":"Stripe is unavailable (503)"},
				"completed_run_id":"r1","trigger":"admin:root","attempts":1,"started_at":"2026-12-01T11:00:00Z"}`)
		case "GET /v1/admin/usage?month=2026-11":
			if len(b) != 0 {
				t.Errorf("usage body %s", b)
			}
			_, _ = io.WriteString(w, `{"month":"2026-11","total_units":1012,"amount_totals":{"EUR":199.00,"USD":2767.50},"stale_properties":1,"clients":[
				{"client_id":"acme","name":"Acme","status":"active","units":900,"properties":3,"carried_forward_properties":1,"stale_properties":["P9"],
				 "plan_id":"pro","unit_price":2.50,"minimum_monthly":500.00,"amount":2250.00,"currency":"USD","run_id":"r1"},
				{"client_id":"beta","name":"Beta","status":"active","units":12,"properties":1,"carried_forward_properties":0,"stale_properties":[],
				 "plan_id":"basic","unit_price":1.50,"minimum_monthly":250.00,"amount":250.00,"currency":"USD","run_id":"r1"},
				{"client_id":"euro","name":"Euro","status":"active","units":100,"properties":1,"carried_forward_properties":0,"stale_properties":[],
				 "plan_id":"euro","unit_price":1.99,"minimum_monthly":0.00,"amount":199.00,"currency":"EUR","run_id":"r1"}]}`)
		case "POST /v1/admin/billing/sync":
			if string(b) != `{"month":"2026-11"}` && string(b) != `{}` {
				t.Errorf("sync body %s", b)
			}
			_, _ = io.WriteString(w, `{"months":[{"month":"2026-11","run_id":"r1","report":{"status":"reported","reported":2,"unmapped":1,"attempts":2}}]}`)
		default:
			t.Errorf("unexpected request %s", key)
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBillingCommands(t *testing.T) {
	srv := fakeBillingAPI(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--api", srv.URL, "--token", "tok"), &out, io.Discard, func(string) string { return "" })
		return out.String(), err
	}
	out, err := cli("billing", "run", "--month", "2026-11")
	if err != nil {
		t.Fatalf("billing run: %v", err)
	}
	for _, want := range []string{
		"billing run r1 for 2026-11: exported, 3 clients, 1012 units, EUR 199.00, USD 2767.50",
		"export gs://finance/billing/2026-11/billing_units.csv sha256 ab12",
		"stripe report pending (1 clients reported, 1 without a Stripe customer): Stripe is unavailable (503); `rentroll billing sync` completes it",
		"acme    active  pro    900    3           1        2.50        500.00   2250.00  USD       P9",
		"euro    active  euro   100    1           0        1.99        0.00     199.00   EUR",
		"TOTAL 1012 units, EUR 199.00, USD 2767.50",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("billing run output lacks %q:\n%s", want, out)
		}
	}
	out, err = cli("billing", "run", "--month", "2026-12")
	if err == nil || !strings.Contains(err.Error(), "invalid (HTTP 400): 2026-12 has not ended yet") {
		t.Errorf("billing run of an open month = %v (%s), want the server's invalid error", err, out)
	}
	if out, err = cli("billing", "run", "--month", "2026-11", "--json"); err != nil || !strings.Contains(out, `"units_total": 1012`) {
		t.Errorf("billing run --json: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"billing", "sync", "--month", "2026-11"}, {"billing", "sync"}} {
		if out, err = cli(args...); err != nil || out != "2026-11 run r1: reported, 2 clients reported\n" {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
	for _, args := range [][]string{{"billing"}, {"billing", "bill"}, {"billing", "sync", "--month", "11/2026"}} {
		var u usageError
		if _, err := cli(args...); !asUsage(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func asUsage(err error, u *usageError) bool {
	e, ok := err.(usageError)
	if ok {
		*u = e
	}
	return ok
}
