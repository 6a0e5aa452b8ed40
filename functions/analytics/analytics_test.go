package analytics_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	fn "rentroll.ai/rentroll/functions/analytics"
	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/web"
)

const clientID = "acme-homes"

var start = analytics.Month{Year: 2025, Month: time.November}

type env struct {
	h      http.Handler
	oracle *analyticsbench.Oracle
}

// now is the test clock: the last month of the generated data.
var now = start.Add(5).Start().AddDate(0, 0, 14)

func newEnv(cfg analyticsbench.Config) (env, error) {
	w, err := duckdb.Open("")
	if err != nil {
		return env{}, err
	}
	d, err := analyticsbench.Collect(cfg)
	if err != nil {
		return env{}, err
	}
	if err := analyticsbench.LoadData(context.Background(), w, tenancy.DatasetName(cfg.ClientID), d); err != nil {
		return env{}, err
	}
	svc := &analytics.Service{W: w}
	srv := &web.Server{Guard: tenancytest.PipeGuard{}}
	h := srv.Handler(fn.Routes(fn.Deps{Analytics: svc, Now: func() time.Time { return now }}))
	return env{h: h, oracle: &analyticsbench.Oracle{D: d}}, nil
}

var sharedEnv = sync.OnceValues(func() (env, error) {
	return newEnv(analyticsbench.Config{ClientID: clientID, Properties: 5, Units: 60, Months: 6, Start: start,
		Seed: 3, EdgeCases: true, Surveys: true})
})

func (e env) get(t *testing.T, token, target string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// asJSON re-decodes v's encoding so it compares with a response body.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const user = "u1|client_user|acme-homes"

// activeProperties is how the property list answers props without billing
// wired: every property active, its last roll its as-of date.
func activeProperties(props []analytics.Property) []api.PropertyWithStatus {
	out := make([]api.PropertyWithStatus, len(props))
	for i, p := range props {
		out[i] = api.PropertyWithStatus{Property: p, Status: "active", LastRoll: p.AsOf}
	}
	return out
}

func TestRoutesAnswerLikeTheOracle(t *testing.T) {
	e, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	o := e.oracle
	base := "/v1/clients/" + clientID
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	tests := []struct {
		target string
		want   any
	}{
		{base + "/analytics/rent-roll/summary", o.Summary(analytics.SummaryQuery{})},
		{base + "/analytics/rent-roll/summary?as_of=2026-01-20", o.Summary(analytics.SummaryQuery{AsOf: day("2026-01-20")})},
		{base + "/analytics/rent-roll/summary?as_of=2026-02-28&property_id=P001", o.Summary(analytics.SummaryQuery{AsOf: day("2026-02-28"), PropertyID: "P001"})},
		{base + "/analytics/rent-roll/summary?as_of=2020-01-01", o.Summary(analytics.SummaryQuery{AsOf: day("2020-01-01")})},
		{base + "/analytics/rent-roll/expirations?from=2026-04&months=6", o.Expirations(analytics.ExpirationsQuery{From: start.Add(5), Months: 6})},
		{base + "/analytics/rent-roll/expirations", o.Expirations(analytics.ExpirationsQuery{Months: 12})},
		{base + "/analytics/rent-roll/expirations?from=2026-06&months=36&property_id=P002", o.Expirations(analytics.ExpirationsQuery{From: start.Add(7), Months: 36, PropertyID: "P002"})},
		{base + "/analytics/rent-roll/trend?from=2025-10&to=2026-05", o.Trend(analytics.TrendQuery{From: start.Add(-1), To: start.Add(6)})},
		{base + "/analytics/rent-roll/trend", o.Trend(analytics.TrendQuery{From: analytics.MonthOf(now).Add(-11), To: analytics.MonthOf(now)})},
		{base + "/analytics/rent-roll/trend?from=2025-12", o.Trend(analytics.TrendQuery{From: start.Add(1), To: analytics.MonthOf(now)})},
		{base + "/analytics/rent-roll/trend?from=2019-01", o.Trend(analytics.TrendQuery{From: analytics.Month{Year: 2019, Month: 1}, To: analytics.Month{Year: 2023, Month: 12}})},
		{base + "/analytics/rent-roll/trend?from=2026-01&to=2026-01&property_id=P003", o.Trend(analytics.TrendQuery{From: start.Add(2), To: start.Add(2), PropertyID: "P003"})},
		{base + "/analytics/competition", o.Competition(analytics.CompetitionQuery{})},
		{base + "/analytics/competition?as_of=2026-01-12&property_id=P000", o.Competition(analytics.CompetitionQuery{AsOf: day("2026-01-12"), PropertyID: "P000"})},
		{base + "/properties", api.PropertyList{Items: activeProperties(o.Properties())}},
		{base + "/analytics/rent-roll/changes?property_id=P001&from=2026-01-31&to=2026-02-28",
			o.Changes(analytics.ChangesQuery{PropertyID: "P001", From: day("2026-01-31"), To: day("2026-02-28")})},
		{base + "/analytics/rent-roll/changes?property_id=P002&from=2025-12-15",
			o.Changes(analytics.ChangesQuery{PropertyID: "P002", From: day("2025-12-15")})},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			code, body := e.get(t, user, tt.target)
			if code != http.StatusOK {
				t.Fatalf("status %d, body %s", code, body)
			}
			var got any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if want := asJSON(t, tt.want); !reflect.DeepEqual(got, want) {
				w, _ := json.Marshal(want)
				t.Errorf("body\n got %s\nwant %s", body, w)
			}
		})
	}
}

func TestRejectsBadParameters(t *testing.T) {
	e, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	base := "/v1/clients/" + clientID + "/analytics"
	tests := []struct {
		target  string
		message string // a part of the error message
	}{
		{base + "/rent-roll/summary?as_of=2026-1-5", "as_of must be a date YYYY-MM-DD"},
		{base + "/rent-roll/summary?as_of=2026-02-30", "as_of must be a date"},
		{base + "/rent-roll/summary?as_of=yesterday", "as_of must be a date"},
		{base + "/rent-roll/summary?as_of=2026-01-01&as_of=2026-02-01", "as_of may be given only once"},
		{base + "/rent-roll/summary?property_id=a%20b", "property_id must be"},
		{base + "/rent-roll/summary?property_id=" + strings.Repeat("p", 129), "property_id must be"},
		{base + "/rent-roll/summary?property_id=x'%20OR%201=1", "property_id must be"},
		{base + "/rent-roll/expirations?from=2026-13", "from must be a month YYYY-MM"},
		{base + "/rent-roll/changes?from=2026-01-31", "property_id is required"},
		{base + "/rent-roll/changes?property_id=P001", "from date is required"},
		{base + "/rent-roll/changes?property_id=P001&from=2026-02-31", "from must be a date YYYY-MM-DD"},
		{base + "/rent-roll/changes?property_id=P001&from=2026-02-01&to=2026-01-01", "from must not be after to"},
		{base + "/rent-roll/expirations?from=2026-01&months=0", "months must be a whole number from 1 to 36"},
		{base + "/rent-roll/expirations?from=2026-01&months=37", "months must be"},
		{base + "/rent-roll/expirations?from=2026-01&months=twelve", "months must be"},
		{base + "/rent-roll/trend?from=2026-05&to=2026-01", "from must not be after to"},
		{base + "/rent-roll/trend?from=2020-01&to=2026-01", "at most 60"},
		{base + "/rent-roll/trend?to=2026-1", "to must be a month"},
		{base + "/competition?as_of=20260101", "as_of must be a date"},
		{"/v1/clients/" + clientID + "/properties?page_token=!!", "page_token"},
		{"/v1/clients/" + clientID + "/properties?limit=0", "limit must be"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			code, body := e.get(t, user, tt.target)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", code, body)
			}
			var got struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Error.Code != "invalid" || !strings.Contains(got.Error.Message, tt.message) {
				t.Errorf("error = %+v, want code invalid and a message containing %q", got.Error, tt.message)
			}
		})
	}
}

func TestTenantAccess(t *testing.T) {
	e, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, target string
		want                int
	}{
		{"own client", user, "/v1/clients/acme-homes/analytics/rent-roll/summary", http.StatusOK},
		{"super admin", "op|super_admin|", "/v1/clients/acme-homes/analytics/competition", http.StatusOK},
		{"other client", "u2|client_admin|other-co", "/v1/clients/acme-homes/analytics/rent-roll/summary", http.StatusNotFound},
		{"other client properties", "u2|client_user|other-co", "/v1/clients/acme-homes/properties", http.StatusNotFound},
		{"no token", "", "/v1/clients/acme-homes/analytics/rent-roll/trend", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := e.get(t, tt.token, tt.target); code != tt.want {
				t.Errorf("status %d, want %d; body %s", code, tt.want, body)
			}
		})
	}
}

func TestPropertiesPaging(t *testing.T) {
	e, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := e.oracle.Properties()
	for _, limit := range []string{"1", "2", "5", "500"} {
		var got []analytics.Property
		token := ""
		for pages := 0; pages < 10; pages++ {
			target := "/v1/clients/acme-homes/properties?limit=" + limit
			if token != "" {
				target += "&page_token=" + token
			}
			code, body := e.get(t, user, target)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			var page struct {
				Properties    []analytics.Property `json:"properties"`
				NextPageToken string               `json:"next_page_token"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Properties...)
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("limit %s: paged properties = %+v, want %+v", limit, got, want)
		}
	}
}
