package localplatform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/firestoreemu"
)

// startForTest runs a platform on a fresh data directory, a Firestore project
// of its own on the test emulator, and a free port.
func startForTest(t *testing.T) *Platform {
	t.Helper()
	host := firestoreemu.ForTest(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Project = firestoreemu.NewProjectID(t)
	// The suites send hundreds of requests a second from one address: the
	// rate limits are tested on their own (shared/web), not here.
	cfg.RateLimit, cfg.ClientQueryRate = 10000, 10000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := Start(ctx, Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Config: cfg, FirestoreHost: host,
		Log: testLog(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// caller is a principal talking to the platform over HTTP.
type caller struct {
	t     *testing.T
	base  string
	token string
}

func (p *Platform) as(t *testing.T, sub, role, client string) caller {
	t.Helper()
	if sub == "" {
		return caller{t: t, base: p.URL}
	}
	tok, err := p.Issuer.Mint(localissuer.MintRequest{Subject: sub, Role: role, ClientID: client, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return caller{t: t, base: p.URL, token: tok}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (c caller) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// must fails the test unless the answer has the status.
func (c caller) must(status int, method, path string, body any) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, strings.TrimSpace(string(r.body)))
	}
	return r
}

// testLog sends the platform's log to the test log when RENTROLL_TEST_LOG is
// set, and discards it otherwise.
func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("RENTROLL_TEST_LOG") == "" {
		return slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return slog.New(slog.NewJSONHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
