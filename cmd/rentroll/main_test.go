package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rentroll.ai/rentroll/shared/firestoreemu"
)

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{},
		{"frobnicate"},
		{"token"},
		{"token", "--sub", "x", "--role", "owner"},
		{"token", "--sub", "x", "--role", "client_user"},
		{"token", "--sub", "x", "--ttl", "48h"},
		{"clients"},
		{"clients", "create"},
		{"upload"},
		{"billing", "run", "--month", "March"},
		{"dev", "--nope"},
	}
	for _, args := range tests {
		err := run(context.Background(), args, io.Discard, io.Discard, func(string) string { return "" })
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestDevServesAndToken runs `rentroll dev` in process, waits for its ready
// line, mints a token with `rentroll token` on the same data directory, and
// checks /healthz, /v1/me, a token signed by another key, and a clean stop.
func TestDevServesAndToken(t *testing.T) {
	host := firestoreemu.ForTest(t)
	dir := t.TempDir()
	env := func(k string) string {
		if k == "FIRESTORE_EMULATOR_HOST" {
			return host
		}
		if k == "RENTROLL_PROJECT" {
			return firestoreemu.NewProjectID(t)
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--addr", "127.0.0.1:0", "--data", dir}, pw, io.Discard, env)
		pw.Close()
	}()

	lines := bufio.NewScanner(pr)
	url := ""
	deadline := time.AfterFunc(90*time.Second, func() { pw.CloseWithError(errors.New("timeout")) })
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "ready "); ok {
			url = u
			break
		}
	}
	deadline.Stop()
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatalf("dev never printed ready: %v", <-done)
	}

	get := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get("/healthz", ""); st != 200 {
		t.Errorf("/healthz: %d", st)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"token", "--sub", "local|super-admin", "--role", "super_admin", "--data", dir}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if st := get("/v1/me", strings.TrimSpace(out.String())); st != 200 {
		t.Errorf("/v1/me with a minted token: %d", st)
	}
	// The same claims signed by another key are refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	claims, _, _ := jwt.NewParser().ParseUnverified(strings.TrimSpace(out.String()), jwt.MapClaims{})
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, claims.Claims)
	forged.Header["kid"] = claims.Header["kid"]
	s, _ := forged.SignedString(other)
	if st := get("/v1/me", s); st != 401 {
		t.Errorf("/v1/me with a token of another key: %d, want 401", st)
	}
	// The client commands against it: a client and its admin in one
	// command, an upload that loads and one that is rejected (errors as a
	// table), the summary, and a billing run.
	super := strings.TrimSpace(out.String())
	cli := func(args ...string) (string, error) {
		var b bytes.Buffer
		err := run(ctx, append(args, "--api", url), &b, io.Discard, func(k string) string {
			if k == "RENTROLL_TOKEN" {
				return super
			}
			return env(k)
		})
		return b.String(), err
	}
	if o, err := cli("clients", "create", "--name", "Acme Homes", "--admin-sub", "local|alice"); err != nil || !strings.Contains(o, "acme-homes") {
		t.Fatalf("clients create: %v\n%s", err, o)
	}
	// With --admin-email the admin is invited: the printed link sets a
	// password, and the admin signs in through the local provider.
	o, err := cli("clients", "create", "--name", "Beta Homes", "--admin-email", "bea@beta.example")
	link := regexp.MustCompile(`http://\S+/invitation\?ticket=\S+`).FindString(o)
	if err != nil || link == "" || !strings.Contains(o, "bea@beta.example is invited") {
		t.Fatalf("clients create --admin-email: %v\n%s", err, o)
	}
	b := newBrowserSession(url)
	if err := b.acceptInvitation(ctx, link, "bea's password"); err != nil {
		t.Fatal(err)
	}
	tok, err := b.signIn(ctx, "bea@beta.example", "bea's password")
	if err != nil {
		t.Fatal(err)
	}
	if st := get("/v1/clients/beta-homes/users", tok); st != 200 {
		t.Errorf("the invited admin lists the client's users: %d, want 200", st)
	}
	if o, err := cli("upload", "../../testdata/rentroll/appfolio_rent_roll.csv", "--client", "acme-homes", "--kind", "rent_roll"); err != nil || !strings.Contains(o, "loaded: ") {
		t.Errorf("upload: %v\n%s", err, o)
	}
	o, err = cli("upload", "../../testdata/rentroll/broken_duplicate_unit.csv", "--client", "acme-homes", "--kind", "rent_roll")
	if err == nil || !strings.Contains(o, "rejected") || !strings.Contains(o, "ROW") || !strings.Contains(o, "duplicate_unit") {
		t.Errorf("broken upload: %v\n%s", err, o)
	}
	if o, err := cli("analytics", "summary", "--client", "acme-homes"); err != nil || !strings.Contains(o, "TOTAL") || !strings.Contains(o, "8") {
		t.Errorf("analytics summary: %v\n%s", err, o)
	}
	if o, err := cli("billing", "run", "--month", "2026-03"); err != nil || !strings.Contains(o, `"units_total": 8`) {
		t.Errorf("billing run: %v\n%s", err, o)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev returned %v on shutdown", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not stop")
	}
	if _, err := os.Stat(dir + "/local.json"); err != nil {
		t.Errorf("dev left no state file: %v", err)
	}
}
