package firestoreemu

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"rentroll.ai/rentroll/shared/errs"
)

// startOrSkip starts an emulator of the test's own, skipping (or failing
// under RENTROLL_REQUIRE_EMULATORS=1) when none can start.
func startOrSkip(t *testing.T, opts Options) *Emulator {
	t.Helper()
	e, err := Start(context.Background(), opts)
	if err != nil {
		if os.Getenv("RENTROLL_REQUIRE_EMULATORS") == "1" {
			t.Fatalf("Start: %v", err)
		}
		t.Skipf("skipping: no Firestore emulator: %v", err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e
}

type note struct {
	Text string `firestore:"text"`
}

func writeNote(t *testing.T, host, project, id, text string) {
	t.Helper()
	writeDBNote(t, host, project, "(default)", id, text)
}

func writeDBNote(t *testing.T, host, project, db, id, text string) {
	t.Helper()
	ctx := context.Background()
	c, err := NewDatabaseClient(ctx, host, project, db)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	if _, err := c.Collection("notes").Doc(id).Set(ctx, note{Text: text}); err != nil {
		t.Fatalf("write %s/%s: %v", project, id, err)
	}
}

// readNote returns the note's text, or "" if it does not exist.
func readNote(t *testing.T, host, project, id string) string {
	t.Helper()
	return readDBNote(t, host, project, "(default)", id)
}

func readDBNote(t *testing.T, host, project, db, id string) string {
	t.Helper()
	ctx := context.Background()
	c, err := NewDatabaseClient(ctx, host, project, db)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	snap, err := c.Collection("notes").Doc(id).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return ""
	}
	if err != nil {
		t.Fatalf("read %s/%s: %v", project, id, err)
	}
	var n note
	if err := snap.DataTo(&n); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return n.Text
}

// TestPersistenceAcrossRestart writes, stops, starts and reads: the data of
// a named project and of a project only found in the data directory survive,
// a second export replaces the first, and an unnamed project is not kept.
func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	const kept, other = "rentroll-local", "not-persisted"

	e1 := startOrSkip(t, Options{DataDir: dir, Projects: []string{kept}})
	if ok, _ := regexp.MatchString(`^127\.0\.0\.1:\d+$`, e1.Host()); !ok {
		t.Errorf("Host() = %q, want 127.0.0.1:port", e1.Host())
	}
	writeNote(t, e1.Host(), kept, "a", "first")
	writeNote(t, e1.Host(), other, "a", "gone")
	if err := e1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := e1.Stop(); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
	if answersHTTP(e1.Host()) {
		t.Errorf("emulator still answers on %s after Stop", e1.Host())
	}

	// No Projects: the export in dir is found and imported by itself.
	e2 := startOrSkip(t, Options{DataDir: dir})
	if got := readNote(t, e2.Host(), kept, "a"); got != "first" {
		t.Errorf("after restart %s/notes/a = %q, want %q", kept, got, "first")
	}
	if got := readNote(t, e2.Host(), other, "a"); got != "" {
		t.Errorf("after restart %s/notes/a = %q, want absent", other, got)
	}
	writeNote(t, e2.Host(), kept, "a", "second")
	writeNote(t, e2.Host(), kept, "b", "new")
	if err := e2.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	e3 := startOrSkip(t, Options{DataDir: dir})
	for id, want := range map[string]string{"a": "second", "b": "new"} {
		if got := readNote(t, e3.Host(), kept, id); got != want {
			t.Errorf("after second restart %s/notes/%s = %q, want %q", kept, id, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ent := range entries {
		names = append(names, ent.Name())
	}
	if len(names) != 1 || names[0] != kept {
		t.Errorf("data dir holds %v, want only [%s] (temporary exports removed)", names, kept)
	}
}

// TestNamedDatabasePersists: a named database is kept apart from the
// default one, in a directory of its own, and survives a restart, both when
// named in Options.Databases and when only found in the data directory; a
// data directory written before named databases were persisted (only
// DataDir/<project>) still imports.
func TestNamedDatabasePersists(t *testing.T) {
	dir := t.TempDir()
	const project, db = "rentroll-local", "registry"

	e1 := startOrSkip(t, Options{DataDir: dir, Projects: []string{project}})
	writeNote(t, e1.Host(), project, "a", "old layout")
	if err := e1.Stop(); err != nil {
		t.Fatal(err)
	}

	e2 := startOrSkip(t, Options{DataDir: dir, Projects: []string{project}, Databases: []string{db}})
	if got := readNote(t, e2.Host(), project, "a"); got != "old layout" {
		t.Errorf("default database after adding Databases: a = %q, want %q", got, "old layout")
	}
	if got := readDBNote(t, e2.Host(), project, db, "a"); got != "" {
		t.Errorf("the named database sees the default one's note: %q", got)
	}
	writeDBNote(t, e2.Host(), project, db, "r", "registry note")
	if err := e2.Export(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e2.Stop(); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		names = append(names, ent.Name())
	}
	if strings.Join(names, ",") != project+","+project+"."+db {
		t.Errorf("data dir holds %v, want [%s %s.%s]", names, project, project, db)
	}

	// Found in the data directory alone, without Projects or Databases.
	e3 := startOrSkip(t, Options{DataDir: dir})
	if got := readDBNote(t, e3.Host(), project, db, "r"); got != "registry note" {
		t.Errorf("after restart %s/r = %q, want %q", db, got, "registry note")
	}
	if got := readNote(t, e3.Host(), project, "r"); got != "" {
		t.Errorf("the default database sees the named one's note: %q", got)
	}
	if got := readNote(t, e3.Host(), project, "a"); got != "old layout" {
		t.Errorf("after restart default a = %q", got)
	}
}

// TestExportSurvivesKill: what Export wrote survives an emulator killed
// without Stop (as kill -9 of the process that started it kills it), and
// Export after Stop does nothing.
func TestExportSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	const project = "rentroll-local"
	e1 := startOrSkip(t, Options{DataDir: dir, Projects: []string{project}})
	writeNote(t, e1.Host(), project, "a", "exported")
	if err := e1.Export(context.Background()); err != nil {
		t.Fatalf("Export: %v", err)
	}
	writeNote(t, e1.Host(), project, "b", "after the export")
	e1.kill() // no Stop: nothing more is exported

	e2 := startOrSkip(t, Options{DataDir: dir})
	if got := readNote(t, e2.Host(), project, "a"); got != "exported" {
		t.Errorf("after kill %s/notes/a = %q, want %q", project, got, "exported")
	}
	if got := readNote(t, e2.Host(), project, "b"); got != "" {
		t.Errorf("after kill %s/notes/b = %q, want absent (written after the last export)", project, got)
	}
	if err := e2.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := e2.Export(context.Background()); err != nil {
		t.Errorf("Export after Stop = %v, want nil", err)
	}
}

func answersHTTP(host string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + host + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// TestStartRefuses covers the failures Start reports before launching Java.
func TestStartRefuses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name string
		opts Options
		want errs.Code
	}{
		{"port in use", Options{Port: busy}, errs.Invalid},
		{"bad project id", Options{DataDir: t.TempDir(), Projects: []string{"../etc"}}, errs.Invalid},
		{"upper-case project id", Options{Projects: []string{"Prod"}}, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Start(context.Background(), tt.opts)
			if err == nil {
				_ = e.Stop()
				t.Fatalf("Start succeeded, want %s error", tt.want)
			}
			if got := errs.CodeOf(err); got != tt.want {
				// Without an installed emulator, Start fails earlier.
				if os.Getenv("RENTROLL_REQUIRE_EMULATORS") != "1" && errs.CodeOf(err) == errs.Internal {
					t.Skipf("emulator not installed: %v", err)
				}
				t.Errorf("Start error code = %s (%v), want %s", got, err, tt.want)
			}
		})
	}
}

// TestForTestSharesOneEmulator checks the shared emulator, project isolation
// by id, and Clear.
func TestForTestSharesOneEmulator(t *testing.T) {
	h1 := ForTest(t)
	h2 := ForTest(t)
	if h1 != h2 {
		t.Errorf("ForTest hosts %q and %q, want one emulator", h1, h2)
	}
	p1, p2 := NewProjectID(t), NewProjectID(t)
	writeNote(t, h1, p1, "x", "one")
	writeNote(t, h1, p2, "x", "two")
	if got := readNote(t, h1, p1, "x"); got != "one" {
		t.Errorf("%s/notes/x = %q, want one", p1, got)
	}
	if err := Clear(context.Background(), h1, p1); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if got := readNote(t, h1, p1, "x"); got != "" {
		t.Errorf("after Clear %s/notes/x = %q, want absent", p1, got)
	}
	if got := readNote(t, h1, p2, "x"); got != "two" {
		t.Errorf("Clear of %s touched %s: notes/x = %q, want two", p1, p2, got)
	}
}

func TestNewProjectID(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z][a-z0-9-]{5,29}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewProjectID(t)
		if !valid.MatchString(id) {
			t.Fatalf("NewProjectID = %q, want a 6-30 character project id", id)
		}
		if seen[id] {
			t.Fatalf("NewProjectID repeated %q after %s ids", id, strconv.Itoa(i))
		}
		seen[id] = true
	}
}

// TestFindJarAndJava checks the lookup on this machine, where the emulator is
// installed; elsewhere the error must be the clear sentence, not a trace.
func TestFindJarAndJava(t *testing.T) {
	jar, err := findJar(context.Background())
	if err != nil {
		if got := err.Error(); !regexp.MustCompile(`not installed: install google-cloud-cli-firestore-emulator`).MatchString(got) {
			t.Errorf("findJar error = %q, want the install advice", got)
		}
		return
	}
	if filepath.Base(jar) != "cloud-firestore-emulator.jar" {
		t.Errorf("findJar = %q, want the emulator jar", jar)
	}
}

// TestMissingJavaIsAClearSentence checks the message a machine without Java
// gets.
func TestMissingJavaIsAClearSentence(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA", "")
	t.Setenv("JAVA_HOME", "")
	_, err := findJava()
	want := "internal: the Firestore emulator needs Java, which is not installed: install google-cloud-cli-firestore-emulator and a Java runtime, or set FIRESTORE_EMULATOR_HOST"
	if err == nil || err.Error() != want {
		t.Errorf("findJava error = %v, want %q", err, want)
	}
}

// TestRecoverExports covers the states a Stop interrupted between its steps
// leaves behind.
func TestRecoverExports(t *testing.T) {
	tests := []struct {
		name   string
		before []string // directories, each with a marker file
		want   []string // directory names after recovery, sorted
		marker map[string]string
	}{
		{"unfinished export removed", []string{"p1", ".export-p1-5"}, []string{"p1"}, map[string]string{"p1": "p1"}},
		{"set-aside export restored", []string{".old-p1-7", ".export-p1-8"}, []string{"p1"}, map[string]string{"p1": ".old-p1-7"}},
		{"replaced export's leftover removed", []string{"p1", ".old-p1-7"}, []string{"p1"}, map[string]string{"p1": "p1"}},
		{"nothing to do", []string{"a-b", "c"}, []string{"a-b", "c"}, map[string]string{"a-b": "a-b"}},
		{"a named database's set-aside export restored", []string{"p1", ".old-p1.registry-7", ".export-p1.registry-8"}, []string{"p1", "p1.registry"}, map[string]string{"p1.registry": ".old-p1.registry-7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range tt.before {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, d, "marker"), []byte(d), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := recoverExports(dir); err != nil {
				t.Fatalf("recoverExports: %v", err)
			}
			entries, _ := os.ReadDir(dir)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("after recovery dir holds %v, want %v", got, tt.want)
			}
			for d, want := range tt.marker {
				b, _ := os.ReadFile(filepath.Join(dir, d, "marker"))
				if string(b) != want {
					t.Errorf("%s holds the export of %q, want %q", d, b, want)
				}
			}
		})
	}
}
