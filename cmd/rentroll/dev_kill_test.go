package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
)

// devProc is a `rentroll dev` child process.
type devProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *safeBuffer
	exited chan error
}

// safeBuffer lets the test read what the child wrote while it writes.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDev runs the built binary on dir with its own Firestore emulator (so
// that Firestore state is persisted in dir) and waits for its ready line.
func startDev(t *testing.T, bin, dir, addr string) *devProc {
	t.Helper()
	cmd := exec.Command(bin, "dev", "--addr", addr, "--data", dir)
	cmd.Env = append(os.Environ(), "FIRESTORE_EMULATOR_HOST=")
	stderr := &safeBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devProc{cmd: cmd, stderr: stderr, exited: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- u
			}
		}
	}()
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-d.exited:
		case <-time.After(20 * time.Second):
		}
	})
	select {
	case d.url = <-ready:
	case err := <-d.exited:
		d.exited <- err
		t.Fatalf("rentroll dev exited before ready: %v\n%s", err, stderr.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("rentroll dev not ready after 3 minutes:\n%s", stderr.String())
	}
	return d
}

// wait waits for the child to exit and returns its error.
func (d *devProc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-d.exited:
		d.exited <- err
		return err
	case <-time.After(2 * time.Minute):
		t.Fatalf("rentroll dev did not exit:\n%s", d.stderr.String())
		return nil
	}
}

// call calls the platform with a bearer token and decodes its JSON answer
// into a T.
func call[T any](t *testing.T, base, token, method, path string, body any, want int) T {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return v
}

// putFile requests an upload URL for a sample rent roll and PUTs it.
func putFile(t *testing.T, base, token, client, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "rentroll", file))
	if err != nil {
		t.Fatal(err)
	}
	up := call[api.UploadTicket](t, base, token, "POST", "/v1/clients/"+client+"/uploads", uploads.Request{
		Kind: uploads.RentRoll, Filename: file, ContentType: uploads.ContentTypeCSV, SizeBytes: int64(len(data)),
	}, 201)
	req, err := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", file, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT %s: %d", file, resp.StatusCode)
	}
	return up.UploadID
}

// settled waits until the upload's record is final and returns it.
func settled(t *testing.T, base, token, client, id string) uploads.Upload {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rec := call[uploads.Upload](t, base, token, "GET", "/v1/clients/"+client+"/uploads/"+id, nil, 200)
		switch rec.Status {
		case uploads.Loaded, uploads.Rejected, uploads.Failed:
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload %s not settled: %v", id, rec)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDevLosesNothing builds rentroll, runs `dev` on a data directory, and
// ends it the ways a terminal does: SIGHUP (the terminal closed), and kill -9
// right after a file was PUT, while it is being ingested. Each restart on the
// same directory must find every upload record, settle every upload whose
// file was stored, and bill only units that a loaded upload explains.
func TestDevLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rentroll and starts three Firestore emulators")
	}
	firestoreemu.ForTest(t) // skips (or fails under RENTROLL_REQUIRE_EMULATORS) when no emulator can run
	bin := filepath.Join(t.TempDir(), "rentroll")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	const client = "kill-co"
	addr := os.Getenv("RENTROLL_TEST_ADDR") // lets a shared machine pick the port
	if addr == "" {
		addr = "127.0.0.1:0"
	}

	// A token for the running dev (its issuer is its URL, which a restart
	// on a free port changes).
	mint := func() string {
		var tok bytes.Buffer
		if err := run(context.Background(), []string{"token", "--sub", "local|super-admin", "--role", "super_admin", "--data", dir}, &tok, io.Discard, func(string) string { return "" }); err != nil {
			t.Fatalf("token: %v", err)
		}
		return strings.TrimSpace(tok.String())
	}

	d := startDev(t, bin, dir, addr)
	super := mint()
	call[tenancy.Onboarded](t, d.url, super, "POST", "/v1/admin/clients", tenancy.NewClient{ID: client, Name: "Kill Co"}, 201)
	first := putFile(t, d.url, super, client, "appfolio_rent_roll.csv")
	if rec := settled(t, d.url, super, client, first); rec.Status != uploads.Loaded {
		t.Fatalf("first upload: %+v", rec)
	}

	// SIGHUP: a clean stop that exports Firestore.
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := d.wait(t); err != nil {
		t.Fatalf("after SIGHUP: exit %v, want 0\n%s", err, d.stderr.String())
	}
	if !strings.Contains(d.stderr.String(), "shutting down") {
		t.Errorf("SIGHUP did not shut down cleanly:\n%s", d.stderr.String())
	}

	// kill -9 right after a PUT: ingestion is under way, and the upload's
	// record may not have been exported yet.
	d = startDev(t, bin, dir, addr)
	super = mint()
	if rec := settled(t, d.url, super, client, first); rec.Status != uploads.Loaded {
		t.Fatalf("first upload after SIGHUP and restart: %+v", rec)
	}
	second := putFile(t, d.url, super, client, "mri_rent_roll.csv")
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = d.wait(t)

	d = startDev(t, bin, dir, addr)
	super = mint()
	// stderr reaches the buffer through exec's copying goroutine, which may
	// lag behind the ready line on stdout: wait a little for it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(d.stderr.String(), "reconcile:") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(d.stderr.String(), "reconcile:") {
		t.Errorf("no reconcile line on start:\n%s", d.stderr.String())
	}
	var loadedUnits int64
	for _, id := range []string{first, second} {
		rec := settled(t, d.url, super, client, id)
		if rec.Status != uploads.Loaded {
			t.Errorf("upload %s after kill -9 and restart: %+v", id, rec)
		}
		loadedUnits += rec.RowsLoaded
	}
	run := call[billing.RunView](t, d.url, super, "POST", "/v1/admin/billing/runs", api.BillingRunRequest{Month: "2026-03"}, 200)
	if got := run.UnitsTotal; got != loadedUnits {
		t.Errorf("billed units = %v, want %v (the units of the loaded uploads)", got, loadedUnits)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.wait(t); err != nil {
		t.Errorf("after SIGTERM: exit %v, want 0", err)
	}
}
