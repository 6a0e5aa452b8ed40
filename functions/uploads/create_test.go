package uploads

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
	"rentroll.ai/rentroll/shared/web"
)

// signer is an objects.Store that signs URLs and records what it signed;
// the Uploads function uses nothing else.
type signer struct {
	mu     sync.Mutex
	signed []signed
	err    error
}

type signed struct {
	bucket, object string
	policy         objects.PutPolicy
}

func (s *signer) SignPut(_ context.Context, bucket, object string, p objects.PutPolicy) (objects.SignedPut, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return objects.SignedPut{}, s.err
	}
	s.signed = append(s.signed, signed{bucket, object, p})
	return objects.SignedPut{
		URL: "https://storage.test/" + bucket + "/" + object + "?X-Goog-Signature=s", Method: http.MethodPut,
		Headers: map[string]string{objects.HeaderContentType: p.ContentType}, ExpiresAt: time.Date(2026, 3, 5, 10, 15, 0, 0, time.UTC),
	}, nil
}

func (s *signer) Open(context.Context, string, string, int64) (io.ReadCloser, objects.Attrs, error) {
	return nil, objects.Attrs{}, errs.E(errs.Internal, "the Uploads function reads no object")
}
func (s *signer) Stat(context.Context, string, string) (objects.Attrs, error) {
	return objects.Attrs{}, errs.E(errs.Internal, "the Uploads function reads no object")
}
func (s *signer) Put(context.Context, string, string, string, io.Reader, bool) (objects.Attrs, error) {
	return objects.Attrs{}, errs.E(errs.Internal, "the Uploads function writes no object")
}
func (s *signer) Delete(context.Context, string, string) error {
	return errs.E(errs.Internal, "the Uploads function deletes no object")
}
func (s *signer) List(context.Context, string, string) ([]objects.Attrs, error) {
	return nil, errs.E(errs.Internal, "the Uploads function lists no object")
}

var now = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

type fixture struct {
	h     http.Handler
	store *uploadstest.Memory
	sign  *signer
}

func newFixture() *fixture {
	f := &fixture{store: uploadstest.NewMemory(), sign: &signer{}}
	s := &web.Server{Guard: tenancytest.Guard{
		"acme-user":   {Subject: "u-1", Role: tenancy.ClientUser, ClientID: "acme"},
		"globex-user": {Subject: "u-2", Role: tenancy.ClientUser, ClientID: "globex"},
	}}
	f.h = s.Handler(Routes(Deps{
		Uploads: f.store, Objects: f.sign, Bucket: "uploads-bkt", MaxBytes: 1000, URLTTL: 5 * time.Minute,
		Now: func() time.Time { return now },
	}))
	return f
}

func (f *fixture) do(t *testing.T, token, method, path, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s %s: body %q is not JSON", method, path, w.Body.String())
	}
	return w.Code, w.Body.Bytes()
}

// decode reads an answer into its API type.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return v
}

func TestCreate(t *testing.T) {
	const good = `{"kind":"rent_roll","filename":"march.csv","content_type":"text/csv","size_bytes":120,"property_id":"p-1","as_of":"2026-03-01"}`
	tests := []struct {
		name, token, path, body string
		signErr                 error
		wantStatus              int
		wantStored              int // upload records afterwards
	}{
		{"good request", "acme-user", "/v1/clients/acme/uploads", good, nil, http.StatusCreated, 1},
		{"another client's path", "globex-user", "/v1/clients/acme/uploads", good, nil, http.StatusNotFound, 0},
		{"no token", "", "/v1/clients/acme/uploads", good, nil, http.StatusUnauthorized, 0},
		{"unknown kind", "acme-user", "/v1/clients/acme/uploads", strings.Replace(good, "rent_roll", "invoice", 1), nil, http.StatusBadRequest, 0},
		{"over the size limit", "acme-user", "/v1/clients/acme/uploads", strings.Replace(good, "120", "1001", 1), nil, http.StatusRequestEntityTooLarge, 0},
		{"path in the file name", "acme-user", "/v1/clients/acme/uploads", strings.Replace(good, "march.csv", "../x.csv", 1), nil, http.StatusBadRequest, 0},
		{"unknown field", "acme-user", "/v1/clients/acme/uploads", strings.Replace(good, `"kind"`, `"bucket":"x","kind"`, 1), nil, http.StatusBadRequest, 0},
		// The record is written before the URL is signed, so ingestion can
		// match any object it receives; a failed signing leaves it pending.
		{"signing unavailable", "acme-user", "/v1/clients/acme/uploads", good, errs.E(errs.Transient, "iam down"), http.StatusServiceUnavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.sign.err = tt.signErr
			code, body := f.do(t, tt.token, http.MethodPost, tt.path, tt.body)
			if code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", code, body, tt.wantStatus)
			}
			stored, _, err := f.store.ListUploads(context.Background(), "acme", uploads.Filter{}, tenancy.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != tt.wantStored {
				t.Fatalf("%d records stored, want %d", len(stored), tt.wantStored)
			}
			if code != http.StatusCreated {
				return
			}
			rec := stored[0]
			wantObject := uploads.ObjectName("acme", uploads.RentRoll, rec.ID, "march.csv")
			ticket := decode[api.UploadTicket](t, body)
			if ticket.UploadID != rec.ID || ticket.Object != wantObject || ticket.Method != "PUT" ||
				!strings.HasPrefix(ticket.URL, "https://storage.test/uploads-bkt/") {
				t.Errorf("response = %s; record %+v", body, rec)
			}
			if rec.Status != uploads.Pending || rec.CreatedBy != "u-1" || rec.Bucket != "uploads-bkt" || rec.Object != wantObject ||
				rec.SizeBytes != 120 || rec.PropertyID != "p-1" || rec.AsOf != "2026-03-01" || !rec.CreatedAt.Equal(now) {
				t.Errorf("record = %+v", rec)
			}
			want := signed{"uploads-bkt", wantObject, objects.PutPolicy{ContentType: "text/csv", MaxBytes: 1000, Size: 120, TTL: 5 * time.Minute}}
			if len(f.sign.signed) != 1 || f.sign.signed[0] != want {
				t.Errorf("signed %+v, want %+v", f.sign.signed, want)
			}
		})
	}
}

func TestListAndGet(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	var acme []uploads.Upload
	for i, st := range []uploads.Status{uploads.Loaded, uploads.Rejected, uploads.Loaded} {
		u := uploadstest.Upload("acme", i, uploads.RentRoll, st)
		if err := f.store.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		acme = append(acme, u)
	}
	other := uploadstest.Upload("globex", 9, uploads.RentRoll, uploads.Loaded)
	if err := f.store.CreateUpload(ctx, other); err != nil {
		t.Fatal(err)
	}

	ids := func(page api.UploadList) []string {
		var out []string
		for _, u := range page.Items {
			out = append(out, u.ID)
		}
		return out
	}
	lists := []struct {
		name, token, query string
		wantStatus         int
		want               []string
		wantNext           bool
	}{
		{"all, newest first", "acme-user", "", http.StatusOK, []string{acme[2].ID, acme[1].ID, acme[0].ID}, false},
		{"by status", "acme-user", "?status=loaded", http.StatusOK, []string{acme[2].ID, acme[0].ID}, false},
		{"paged", "acme-user", "?limit=2", http.StatusOK, []string{acme[2].ID, acme[1].ID}, true},
		{"none of a kind", "acme-user", "?kind=competition", http.StatusOK, nil, false},
		{"unknown status", "acme-user", "?status=done", http.StatusBadRequest, nil, false},
		{"unknown kind", "acme-user", "?kind=invoice", http.StatusBadRequest, nil, false},
		{"another client", "globex-user", "", http.StatusNotFound, nil, false},
	}
	for _, tt := range lists {
		t.Run("list "+tt.name, func(t *testing.T) {
			code, body := f.do(t, tt.token, http.MethodGet, "/v1/clients/acme/uploads"+tt.query, "")
			if code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", code, body, tt.wantStatus)
			}
			if code != http.StatusOK {
				return
			}
			page := decode[api.UploadList](t, body)
			if got := ids(page); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("uploads = %v, want %v", got, tt.want)
			}
			if next := page.NextPageToken; (next != "") != tt.wantNext {
				t.Errorf("next_page_token = %q, want one: %v", next, tt.wantNext)
			}
		})
	}

	gets := []struct {
		name, token, path string
		wantStatus        int
	}{
		{"own upload", "acme-user", "/v1/clients/acme/uploads/" + acme[1].ID, http.StatusOK},
		{"another client's upload under this client", "acme-user", "/v1/clients/acme/uploads/" + other.ID, http.StatusNotFound},
		{"this client's upload by another client", "globex-user", "/v1/clients/acme/uploads/" + acme[1].ID, http.StatusNotFound},
		{"malformed id", "acme-user", "/v1/clients/acme/uploads/nope", http.StatusNotFound},
	}
	for _, tt := range gets {
		t.Run("get "+tt.name, func(t *testing.T) {
			code, body := f.do(t, tt.token, http.MethodGet, tt.path, "")
			if code != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", code, body, tt.wantStatus)
			}
			if code != http.StatusOK {
				return
			}
			if u := decode[uploads.Upload](t, body); u.ID != acme[1].ID || u.Status != uploads.Rejected {
				t.Errorf("body = %s", body)
			}
		})
	}
}
