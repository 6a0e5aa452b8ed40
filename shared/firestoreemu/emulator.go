// Package firestoreemu starts and stops the official Cloud Firestore emulator
// for the local platform and for tests. It is local-only: the deployed build
// never imports it (docs/architecture.md#layout-and-the-dependency-rule).
//
// The emulator is the Java program shipped with the Google Cloud CLI. It is
// started directly (java -cp cloud-firestore-emulator.jar …), not through the
// gcloud wrapper, in its own process group, because the wrapper leaves Java
// orphaned when it is killed (docs/architecture.md#local-platform). On Linux the emulator is also told
// to die with the process that started it, so a crashed test binary or dev
// server leaves no emulator behind.
//
// Persistence: the emulator keeps data in memory only. With Options.DataDir
// set, Start imports each project exported there before and Stop exports each
// project again, through the emulator's REST endpoints
// POST /emulator/v1/projects/P:import and …:export (the --export-on-exit flag
// of this emulator version writes nothing when the emulator is killed or when
// more than one project is used, so it is not relied on).
package firestoreemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// mainClass is the emulator's entry point, as the cloud_firestore_emulator
// script of the Cloud CLI names it.
const mainClass = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"

// jarRel is where the emulator jar lives under a Cloud SDK root.
const jarRel = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"

// knownSDKRoots are the install locations of the Cloud CLI packages (Debian and
// RPM packages, the tarball's usual places), tried before asking gcloud, which
// takes a second or two to answer.
var knownSDKRoots = []string{
	"/usr/lib/google-cloud-sdk",
	"/usr/share/google-cloud-sdk",
	"/opt/google-cloud-sdk",
	"/usr/local/google-cloud-sdk",
}

// projectPattern restricts project ids to what is safe as a directory name
// under DataDir and in the emulator's URLs.
var projectPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// notInstalled is the advice every "cannot start" error gives.
const notInstalled = "install google-cloud-cli-firestore-emulator and a Java runtime, or set FIRESTORE_EMULATOR_HOST"

// Options configure Start.
type Options struct {
	// Host is the address to bind; "" means 127.0.0.1.
	Host string
	// Port is the port to bind; 0 picks a free one.
	Port int
	// DataDir, when set, is where Stop exports the data of each project and
	// where Start imports it from, so data survives a restart. "" keeps data
	// in memory only.
	DataDir string
	// Projects are the project ids whose data is persisted in DataDir, in
	// addition to every project already exported there.
	Projects []string
	// Log receives the emulator's output; nil discards it.
	Log io.Writer
	// ReadyTimeout bounds the wait for the emulator to answer; 0 means 60 s.
	// The emulator needs 2.5–4.6 s on an idle 2-core machine.
	ReadyTimeout time.Duration
}

// Emulator is a running Firestore emulator started by Start.
type Emulator struct {
	host     string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	exitErr  error         // the process's exit error, valid once exited is closed
	dataDir  string        // absolute; "" when not persisting
	projects []string
	httpc    *http.Client

	mu      sync.Mutex
	stopped bool
}

// Start finds the emulator, starts it in its own process group, waits until it
// answers on its HTTP port and, with DataDir set, imports the exported data.
// The context bounds the start only; the emulator runs until Stop.
func Start(ctx context.Context, opts Options) (*Emulator, error) {
	jar, err := findJar(ctx)
	if err != nil {
		return nil, err
	}
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	dataDir, projects, err := persistedProjects(opts)
	if err != nil {
		return nil, err
	}
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// A free port picked here can be taken before the emulator binds it; the
	// emulator then exits at once, and another port is tried.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	var e *Emulator
	for i := 0; i < attempts; i++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(host); err != nil {
				return nil, err
			}
		} else if err := portFree(host, port); err != nil {
			return nil, err
		}
		e, err = launch(ctx, java, jar, host, port, opts.Log)
		if err == nil || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	e.dataDir, e.projects = dataDir, projects
	for _, p := range projects {
		if err := e.importProject(ctx, p); err != nil {
			e.kill()
			return nil, err
		}
	}
	return e, nil
}

// errPortTaken marks a start that failed because the port was in use.
var errPortTaken = errors.New("address already in use")

// launch starts the emulator on host:port and waits until it answers.
func launch(ctx context.Context, java, jar, host string, port int, log io.Writer) (*Emulator, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if log == nil {
		log = io.Discard
	}
	out := &outputWatch{w: log}
	// The flags are those of the SDK's cloud_firestore_emulator script.
	cmd := exec.Command(java, "-Duser.language=en", "-cp", jar, mainClass,
		"start", "--host", host, "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	// Without a working directory of its own the emulator would write
	// nothing, but keep it out of the caller's tree anyway.
	cmd.Dir = os.TempDir()
	if err := cmd.Start(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "the Firestore emulator could not be started (%s)", notInstalled)
	}
	e := &Emulator{
		host:   addr,
		cmd:    cmd,
		exited: make(chan struct{}),
		httpc:  &http.Client{Timeout: 30 * time.Second},
	}
	go func() {
		e.exitErr = cmd.Wait()
		close(e.exited)
	}()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if e.answers(ctx) {
			if out.portTaken.Load() {
				// Another emulator answered on this port; ours is exiting.
				e.kill()
				return nil, errs.Wrap(errPortTaken, errs.Internal, "the Firestore emulator could not bind %s: the port is in use", addr)
			}
			return e, nil
		}
		select {
		case <-e.exited:
			if out.portTaken.Load() {
				return nil, errs.Wrap(errPortTaken, errs.Internal, "the Firestore emulator could not bind %s: the port is in use", addr)
			}
			return nil, errs.Wrap(e.exitErr, errs.Internal, "the Firestore emulator exited before it was ready (its output goes to Options.Log)")
		case <-ctx.Done():
			e.kill()
			return nil, errs.Wrap(ctx.Err(), errs.Transient, "the Firestore emulator did not answer on %s in time", addr)
		case <-tick.C:
		}
	}
}

// answers reports whether the emulator's HTTP port answers "Ok" (its root
// handler does once the server runs).
func (e *Emulator) answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.host+"/", nil)
	if err != nil {
		return false
	}
	resp, err := e.httpc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode == http.StatusOK
}

// Host is the emulator's address, "127.0.0.1:port", as FIRESTORE_EMULATOR_HOST
// expects it.
func (e *Emulator) Host() string { return e.host }

// Clear deletes every document of a project's default database.
func (e *Emulator) Clear(ctx context.Context, project string) error {
	return Clear(ctx, e.host, project)
}

// Stop exports the persisted projects (with DataDir set) and kills the
// emulator's process group. It is safe to call more than once; later calls do
// nothing and return nil.
func (e *Emulator) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil
	}
	e.stopped = true
	var exportErr error
	if e.dataDir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		for _, p := range e.projects {
			if err := e.exportProject(ctx, p); err != nil {
				exportErr = errors.Join(exportErr, err)
			}
		}
		cancel()
	}
	e.kill()
	return exportErr
}

// Export writes the persisted projects to DataDir now, each replacing its
// previous export only once complete, so that a process killed without a
// Stop (kill -9, a crash) loses only what was written since the last Export.
// It does nothing without DataDir or after Stop, and is safe to call
// concurrently with Stop.
func (e *Emulator) Export(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped || e.dataDir == "" {
		return nil
	}
	var all error
	for _, p := range e.projects {
		if err := e.exportProject(ctx, p); err != nil {
			all = errors.Join(all, err)
		}
	}
	return all
}

// kill ends the process group and waits (briefly) for the process to exit.
func (e *Emulator) kill() {
	killGroup(e.cmd.Process)
	select {
	case <-e.exited:
	case <-time.After(10 * time.Second):
	}
}

// Clear deletes every document of a project's default database on the
// emulator at host. Tests normally isolate by project id instead.
func Clear(ctx context.Context, host, project string) error {
	u := "http://" + host + "/emulator/v1/projects/" + project + "/databases/(default)/documents"
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "clear Firestore emulator project %s", project)
	}
	return do(req, "clear Firestore emulator project "+project)
}

// exportProject writes project's data to DataDir/<project>, replacing the
// previous export only once the new one is complete.
func (e *Emulator) exportProject(ctx context.Context, project string) error {
	tmpName := fmt.Sprintf(".export-%s-%d", project, time.Now().UnixNano())
	err := e.emulatorCall(ctx, project, "export", map[string]string{
		"database":         "projects/" + project + "/databases/(default)",
		"export_directory": e.dataDir,
		"export_name":      tmpName,
	})
	if err != nil {
		return err
	}
	final := filepath.Join(e.dataDir, project)
	old := filepath.Join(e.dataDir, fmt.Sprintf(".old-%s-%d", project, time.Now().UnixNano()))
	if err := os.Rename(final, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errs.Wrap(err, errs.Internal, "replace the Firestore export of project %s", project)
	}
	if err := os.Rename(filepath.Join(e.dataDir, tmpName), final); err != nil {
		return errs.Wrap(err, errs.Internal, "replace the Firestore export of project %s", project)
	}
	_ = os.RemoveAll(old)
	return nil
}

// importProject loads DataDir/<project> into the emulator if it exists.
func (e *Emulator) importProject(ctx context.Context, project string) error {
	meta, err := exportMetadata(filepath.Join(e.dataDir, project))
	if err != nil || meta == "" {
		return err
	}
	return e.emulatorCall(ctx, project, "import", map[string]string{
		"database":         "projects/" + project + "/databases/(default)",
		"export_directory": meta,
	})
}

// exportMetadata returns the *.overall_export_metadata file of an export
// directory (which the import endpoint wants), or "" if there is no export.
func exportMetadata(dir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.overall_export_metadata"))
	if err != nil {
		return "", errs.Wrap(err, errs.Internal, "read the Firestore export in %s", dir)
	}
	if len(matches) == 0 {
		return "", nil
	}
	return matches[0], nil
}

// emulatorCall POSTs body to /emulator/v1/projects/P:verb.
func (e *Emulator) emulatorCall(ctx context.Context, project, verb string, body map[string]string) error {
	b, err := json.Marshal(body)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "%s Firestore emulator project %s", verb, project)
	}
	u := "http://" + e.host + "/emulator/v1/projects/" + project + ":" + verb
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return errs.Wrap(err, errs.Internal, "%s Firestore emulator project %s", verb, project)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req, verb+" Firestore emulator project "+project)
}

// do sends req and turns a non-2xx answer into an error naming what failed.
func do(req *http.Request, what string) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return errs.Wrap(err, errs.Transient, "%s", what)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return errs.Wrap(fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body))), errs.Internal, "%s", what)
	}
	return nil
}

// persistedProjects validates the persistence options and returns the
// absolute DataDir and the projects to import and export: those named in
// opts and those already exported there.
func persistedProjects(opts Options) (string, []string, error) {
	for _, p := range opts.Projects {
		if !projectPattern.MatchString(p) {
			return "", nil, errs.E(errs.Invalid, "project id %q is not valid: use lower-case letters, digits and hyphens", p)
		}
	}
	if opts.DataDir == "" {
		return "", nil, nil
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return "", nil, errs.Wrap(err, errs.Invalid, "Firestore data directory %s", opts.DataDir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, errs.Wrap(err, errs.Internal, "create the Firestore data directory %s", dir)
	}
	seen := map[string]bool{}
	var projects []string
	for _, p := range opts.Projects {
		if !seen[p] {
			seen[p] = true
			projects = append(projects, p)
		}
	}
	if err := recoverExports(dir); err != nil {
		return "", nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, errs.Wrap(err, errs.Internal, "read the Firestore data directory %s", dir)
	}
	for _, ent := range entries {
		if p := ent.Name(); ent.IsDir() && projectPattern.MatchString(p) && !seen[p] {
			seen[p] = true
			projects = append(projects, p)
		}
	}
	return dir, projects, nil
}

// oldExport matches the name a previous export has while exportProject
// replaces it.
var oldExport = regexp.MustCompile(`^\.old-([a-z][a-z0-9-]*)-\d+$`)

// recoverExports tidies up after a Stop that did not finish: an unfinished
// export (.export-*) is removed; a previous export set aside (.old-P-N) is
// put back if the new one never replaced it, and removed otherwise.
func recoverExports(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errs.Wrap(err, errs.Internal, "read the Firestore data directory %s", dir)
	}
	for _, ent := range entries {
		name := ent.Name()
		path := filepath.Join(dir, name)
		switch m := oldExport.FindStringSubmatch(name); {
		case strings.HasPrefix(name, ".export-"):
			err = os.RemoveAll(path)
		case m != nil:
			final := filepath.Join(dir, m[1])
			if _, statErr := os.Stat(final); errors.Is(statErr, os.ErrNotExist) {
				err = os.Rename(path, final)
			} else {
				err = os.RemoveAll(path)
			}
		}
		if err != nil {
			return errs.Wrap(err, errs.Internal, "recover the Firestore data directory %s", dir)
		}
	}
	return nil
}

// findJar locates the emulator jar: in a known Cloud SDK install, under
// CLOUDSDK_ROOT_DIR, or where `gcloud info` says the SDK is.
func findJar(ctx context.Context) (string, error) {
	roots := append([]string{}, knownSDKRoots...)
	if r := os.Getenv("CLOUDSDK_ROOT_DIR"); r != "" {
		roots = append([]string{r}, roots...)
	}
	for _, r := range roots {
		if p := filepath.Join(r, jarRel); fileExists(p) {
			return p, nil
		}
	}
	if gcloud, err := exec.LookPath("gcloud"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, gcloud, "info", "--format=value(installation.sdk_root)").Output()
		if err == nil {
			if p := filepath.Join(strings.TrimSpace(string(out)), jarRel); fileExists(p) {
				return p, nil
			}
		}
	}
	return "", errs.E(errs.Internal, "the Firestore emulator is not installed: %s", notInstalled)
}

// findJava locates the Java runtime the way the SDK script does ($JAVA, then
// java on PATH), and also tries $JAVA_HOME/bin/java.
func findJava() (string, error) {
	if j := os.Getenv("JAVA"); j != "" {
		if p, err := exec.LookPath(j); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("java"); err == nil {
		return p, nil
	}
	if h := os.Getenv("JAVA_HOME"); h != "" {
		if p := filepath.Join(h, "bin", "java"); fileExists(p) {
			return p, nil
		}
	}
	return "", errs.E(errs.Internal, "the Firestore emulator needs Java, which is not installed: %s", notInstalled)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// freePort asks the kernel for a free port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, errs.Wrap(err, errs.Internal, "find a free port on %s for the Firestore emulator", host)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portFree fails if host:port cannot be bound, so a start never mistakes
// another emulator already listening there for its own.
func portFree(host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return errs.Wrap(err, errs.Invalid, "the Firestore emulator cannot use %s: the address is in use or not local", addr)
	}
	return l.Close()
}

// outputWatch forwards the emulator's output and notices a failed bind.
// exec calls Write from one goroutine at a time because Stdout and Stderr are
// the same writer.
type outputWatch struct {
	w         io.Writer
	portTaken atomic.Bool
	tail      []byte // the end of the previous write, for a phrase split across writes
}

func (o *outputWatch) Write(p []byte) (int, error) {
	buf := make([]byte, 0, len(o.tail)+len(p))
	buf = append(append(buf, o.tail...), p...)
	if bytes.Contains(buf, []byte("Address already in use")) {
		o.portTaken.Store(true)
	}
	o.tail = buf[max(0, len(buf)-64):]
	_, _ = o.w.Write(p) // a failing log must not stop the emulator
	return len(p), nil
}
