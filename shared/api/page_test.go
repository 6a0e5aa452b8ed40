package api

import (
	"encoding/json"
	"testing"

	"rentroll.ai/rentroll/shared/tenancy"
)

func TestPageJSON(t *testing.T) {
	tests := []struct {
		name string
		page ClientList
		want string
	}{
		{"empty is a list, never null", ClientList{}, `{"clients":[],"next_page_token":""}`},
		{"items and token", ClientList{Items: []tenancy.Client{{ID: "acme", Name: "A<b>"}}, NextPageToken: "tok"},
			`{"clients":[{"client_id":"acme","name":"A\u003cb\u003e","status":"","dataset":"","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}],"next_page_token":"tok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			var back ClientList
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if len(back.Items) != len(tt.page.Items) || back.NextPageToken != tt.page.NextPageToken {
				t.Errorf("round trip: got %+v, want %+v", back, tt.page)
			}
			for i := range back.Items {
				if back.Items[i].ID != tt.page.Items[i].ID || back.Items[i].Name != tt.page.Items[i].Name {
					t.Errorf("item %d: got %+v, want %+v", i, back.Items[i], tt.page.Items[i])
				}
			}
		})
	}
}

// TestPageKeys checks each list keeps the key its clients read.
func TestPageKeys(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{ClientList{}.ItemsKey(), "clients"},
		{UserList{}.ItemsKey(), "users"},
		{AuditList{}.ItemsKey(), "entries"},
		{UploadList{}.ItemsKey(), "uploads"},
		{PropertyList{}.ItemsKey(), "properties"},
	} {
		if tt.got != tt.want {
			t.Errorf("key %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPageUnmarshalRefuses(t *testing.T) {
	for _, in := range []string{`[]`, `{"users":{}}`, `{"users":[],"next_page_token":5}`, `nul`} {
		var p UserList
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
	var p UserList
	if err := json.Unmarshal([]byte(`{"users":[{"sub":"s1"}],"next_page_token":"n","extra":1}`), &p); err != nil || len(p.Items) != 1 || p.Items[0].Subject != "s1" || p.NextPageToken != "n" {
		t.Errorf("got %+v, %v", p, err)
	}
}
