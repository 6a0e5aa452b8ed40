package analytics_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// A property_id the client has no roll of is a 404, not an answer of zeros;
// a known property asked about before its first roll is still an answer.
func TestUnknownPropertyIsNotFound(t *testing.T) {
	e, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	base := "/v1/clients/" + clientID + "/analytics/rent-roll/"
	tests := []struct {
		target     string
		wantStatus int
		wantCode   string
	}{
		{base + "summary?property_id=NOPE", http.StatusNotFound, "property_not_found"},
		{base + "expirations?property_id=NOPE", http.StatusNotFound, "property_not_found"},
		{base + "trend?property_id=NOPE", http.StatusNotFound, "property_not_found"},
		{base + "summary?property_id=P001", http.StatusOK, ""},
		{base + "summary?property_id=P001&as_of=2020-01-01", http.StatusOK, ""},
		{base + "summary?as_of=2020-01-01", http.StatusOK, ""},
	}
	for _, tc := range tests {
		code, body := e.get(t, user, tc.target)
		if code != tc.wantStatus {
			t.Errorf("GET %s: %d %s, want %d", tc.target, code, body, tc.wantStatus)
			continue
		}
		if tc.wantCode != "" {
			var got struct{ Error struct{ Code string } }
			if err := json.Unmarshal(body, &got); err != nil || got.Error.Code != tc.wantCode {
				t.Errorf("GET %s: code %q, want %q", tc.target, got.Error.Code, tc.wantCode)
			}
		}
	}
}
