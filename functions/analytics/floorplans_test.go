package analytics_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
)

func (e env) do(t *testing.T, token, method, target, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// TestFloorplansEditChangesCompetition: floorplans are seeded from the roll
// (or the code), a client admin's edit is stored and answered, competition
// follows it (the oracle is given the same edit), a client user may read but
// not edit, and bad bodies are refused.
func TestFloorplansEditChangesCompetition(t *testing.T) {
	e, err := newEnv(analyticsbench.Config{ClientID: clientID, Properties: 4, Units: 40, Months: 2, Start: start,
		Seed: 5, Surveys: true})
	if err != nil {
		t.Fatal(err)
	}
	const admin = "boss|client_admin|acme-homes"
	target := "/v1/clients/" + clientID + "/properties/P001/floorplans"
	code, body := e.get(t, user, target)
	if code != http.StatusOK {
		t.Fatalf("GET: %d %s", code, body)
	}
	var fps analytics.Floorplans
	if err := json.Unmarshal(body, &fps); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, f := range fps.Floorplans {
		sources[f.Code] = f.Source
	}
	// Property 1 uses its own codes; its roll gives beds and baths.
	want := map[string]string{"s0a1": "roll", "mc1a1": "roll", "B1": "roll", "B2": "roll", "C1": "roll"}
	if len(sources) != len(want) {
		t.Errorf("GET floorplans = %s, want codes %v", body, want)
	}
	for c, s := range want {
		if sources[c] != s {
			t.Errorf("floorplan %s: source %q, want %q (%s)", c, sources[c], s, body)
		}
	}

	put := `{"floorplans":[{"code":"C1","beds":3,"baths":1,"sqft":1300},{"code":"B2","beds":2,"baths":2}]}`
	if code, body := e.do(t, user, http.MethodPut, target, put); code != http.StatusForbidden {
		t.Errorf("PUT as client user: %d %s, want 403", code, body)
	}
	code, body = e.do(t, admin, http.MethodPut, target, put)
	if code != http.StatusOK || !strings.Contains(string(body), `{"code":"C1","beds":3,"baths":1,"sqft":1300,"source":"edited"}`) {
		t.Fatalf("PUT as client admin: %d %s", code, body)
	}
	f := func(v float64) *float64 { return &v }
	e.oracle.D.Floorplans = []analyticsbench.Floorplan{{PropertyID: "P001", Code: "C1", Beds: f(3), Baths: f(1), Sqft: 1300},
		{PropertyID: "P001", Code: "B2", Beds: f(2), Baths: f(2)}}
	code, body = e.get(t, user, "/v1/clients/"+clientID+"/analytics/competition?property_id=P001")
	var got any
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil {
		t.Fatalf("competition: %d %s", code, body)
	}
	if want := asJSON(t, e.oracle.Competition(analytics.CompetitionQuery{PropertyID: "P001"})); !jsonEqual(got, want) {
		w, _ := json.Marshal(want)
		t.Errorf("competition after the edit\n got %s\nwant %s", body, w)
	}
	if !strings.Contains(string(body), `"unit_type":"C1","beds":3,"baths":1,"comps":0`) {
		t.Errorf("C1 edited to 3 beds 1 bath should match no comp: %s", body)
	}
	for _, tt := range []struct{ body, msg string }{
		{`{"floorplans":[{"code":"A","beds":-1}]}`, "floorplans[0].beds must be from 0 to 20 in halves"},
		{`{"floorplans":[{"code":"A","baths":1.25}]}`, "floorplans[0].baths must be from 0 to 20 in halves"},
		{`{"floorplans":[{"code":"A"},{"code":"A"}]}`, `floorplans[1].code \"A\" is given twice`},
		{`{"floorplans":[{"code":""}]}`, "floorplans[0].code must be 1 to 64 characters"},
		{`{"floorplans":[{"code":"A","sqft":0}]}`, "floorplans[0].sqft must be from 1 to 100000"},
		{`{}`, "floorplans is required"},
		{`{"floorplans":[],"x":1}`, "unknown field"},
	} {
		code, body := e.do(t, admin, http.MethodPut, target, tt.body)
		if code != http.StatusBadRequest || !strings.Contains(string(body), tt.msg) {
			t.Errorf("PUT %s: %d %s, want 400 with %q", tt.body, code, body, tt.msg)
		}
	}
	// An empty list removes every edit.
	if code, body := e.do(t, admin, http.MethodPut, target, `{"floorplans":[]}`); code != http.StatusOK || strings.Contains(string(body), "edited") {
		t.Errorf("PUT []: %d %s", code, body)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
