package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"rentroll.ai/rentroll/shared/chargecodes"
	"rentroll.ai/rentroll/shared/web"
)

func TestChargeCodeRoutes(t *testing.T) {
	store := &chargecodes.Memory{}
	h := (&web.Server{Guard: guard}).Handler(ChargeCodeRoutes(store))
	do := func(token, method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	const path = "/v1/clients/acme/charge-codes"
	tests := []struct {
		name, token, method, path, body string
		status                          int
		want                            string // the body's charge_codes, as JSON; "" to skip
	}{
		{"empty at first", "ca-acme", http.MethodGet, path, "", 200, `[]`},
		{"client admin sets overrides", "ca-acme", http.MethodPut, path,
			`{"charge_codes":[{"code":" XSUB ","category":"Subsidy"},{"code":"amen","category":"other"}]}`, 200,
			`[{"code":"amen","category":"other"},{"code":"XSUB","category":"subsidy"}]`},
		{"read back", "ca-acme", http.MethodGet, path, "", 200, `[{"code":"amen","category":"other"},{"code":"XSUB","category":"subsidy"}]`},
		{"super admin reads any client", "admin", http.MethodGet, path, "", 200, ""},
		{"bad category", "ca-acme", http.MethodPut, path, `{"charge_codes":[{"code":"x","category":"fees"}]}`, 400, ""},
		{"missing list", "ca-acme", http.MethodPut, path, `{}`, 400, ""},
		{"client user may not", "cu-acme", http.MethodGet, path, "", 403, ""},
		{"another client's admin gets 404", "ca-other", http.MethodGet, path, "", 404, ""},
		{"no token", "nope", http.MethodGet, path, "", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(tt.token, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.status)
			}
			if tt.want == "" {
				return
			}
			var got struct {
				ChargeCodes json.RawMessage `json:"charge_codes"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(got.ChargeCodes, &g)
			_ = json.Unmarshal([]byte(tt.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("charge_codes = %s, want %s", got.ChargeCodes, tt.want)
			}
		})
	}
	stored, _ := store.ChargeCodes(context.Background(), "acme")
	if len(stored) != 2 || stored[1] != (chargecodes.Override{Code: "XSUB", Category: "subsidy"}) {
		t.Errorf("stored = %v", stored)
	}
}
