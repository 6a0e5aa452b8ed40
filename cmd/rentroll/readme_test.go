package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/firestoreemu"
)

// readmeBlock returns the command lines of the README's "Using the local
// platform" sh block, each with its trailing comment taken off (comment says
// what the line is expected to do; "(exit 1)" marks a line that must fail).
type readmeLine struct {
	text, comment string
	number        int // line number in README.md
}

func readmeBlock(t *testing.T, readme string) []readmeLine {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	section, in := false, false
	var out []readmeLine
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "## "):
			section = l == "## Using the local platform"
		case section && !in && l == "```sh":
			in = true
		case in && l == "```":
			return out
		case in:
			code, comment := splitComment(l)
			if code = strings.TrimSpace(code); code != "" {
				out = append(out, readmeLine{text: code, comment: comment, number: i + 1})
			}
		}
	}
	t.Fatal(`README.md has no sh block under "## Using the local platform"`)
	return nil
}

// splitComment cuts a shell line at a # that starts a comment (at the start
// or after a space, outside quotes).
func splitComment(l string) (code, comment string) {
	var quote rune
	for i, c := range l {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' '):
			return l[:i], strings.TrimSpace(l[i+1:])
		}
	}
	return l, ""
}

var varRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// shellWords splits a command line as sh does for the forms the README uses:
// words, '…' (literal), "…" and bare words with $VAR expanded.
func shellWords(line string, vars map[string]string) ([]string, error) {
	expand := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(m string) string { return vars[varRef.FindStringSubmatch(m)[1]] })
	}
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c", c)
			}
			part := line[i+1 : i+1+j]
			if c == '"' {
				part = expand(part)
			}
			cur.WriteString(part)
			inWord, i = true, i+1+j
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t'\"", rune(line[j])) {
				j++
			}
			cur.WriteString(expand(line[i:j]))
			inWord, i = true, j-1
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestReadmeWalkthrough runs the README's command block in order, as a
// newcomer pastes it into a shell in the repository root: `dev` in the
// background, tokens into variables, the client commands against the running
// platform, which they find through the data directory `dev` wrote. Every
// line must succeed (or, marked "(exit 1)", fail as a command, not as a usage
// mistake) and say what the README promises. Two departures, both about the
// shared machine, not the commands: `dev` listens on a free port (the README's
// 8080 may be taken; the curl line's URL follows it), and the working directory
// is a temporary one holding a link to testdata, so .rentroll is fresh.
func TestReadmeWalkthrough(t *testing.T) {
	host := firestoreemu.ForTest(t)
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	lines := readmeBlock(t, filepath.Join(repo, "README.md"))
	work := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "testdata"), filepath.Join(work, "testdata")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	project := firestoreemu.NewProjectID(t)
	env := func(k string) string {
		switch k {
		case "FIRESTORE_EMULATOR_HOST":
			return host
		case "RENTROLL_PROJECT":
			return project
		}
		return ""
	}

	// What each command is expected to print, by a fragment of its line;
	// every expectation must be met by some line, so a command dropped from
	// the README is noticed here too.
	expect := []struct{ line, output string }{
		{"clients create", "client acme-homes created"},
		{"upload --help", "example:"},
		{"onesite_rent_roll_detail.csv", "loaded: 12 units of cr02 as of 2026-03-31"},
		{"broken_negative_rent.csv", "negative_rent"},
		{"analytics summary", "TOTAL"},
		{"appfolio_rent_roll.csv", ""}, // --quiet: only the id, checked by its use below
		{"uploads list", "appfolio_rent_roll"},
		{"uploads delete", "withdrawn: its 8 units no longer count"},
		{"uploads show", "withdrawn by local|alice"},
		{"billing run", "exported, 1 clients, 12 units"},
		{"demo", "demo finished: OK"},
	}
	met := map[string]bool{}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{}
	devURL := ""
	devDone := make(chan error, 1)
	for _, l := range lines {
		name := fmt.Sprintf("README.md:%d %s", l.number, l.text)
		wantFail := strings.Contains(l.comment, "(exit 1)")
		text, assign := l.text, ""
		if m := regexp.MustCompile(`^([A-Z_]+)=\$\((.*)\)$`).FindStringSubmatch(text); m != nil {
			assign, text = m[1], m[2]
		}
		background := strings.HasSuffix(text, "&")
		text = strings.TrimSpace(strings.TrimSuffix(text, "&"))
		words, err := shellWords(text, vars)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch {
		case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/rentroll":
			args := words[3:]
			if background {
				if len(args) == 0 || args[0] != "dev" {
					t.Fatalf("%s: only dev runs in the background", name)
				}
				devURL = startReadmeDev(t, ctx, append(args, "--addr", "127.0.0.1:0"), env, devDone)
				continue
			}
			var out, errOut syncBuffer // demo's platform logs to stderr from its own goroutines
			err := run(ctx, args, &out, &errOut, env)
			var u usageError
			switch {
			case errors.As(err, &u):
				t.Fatalf("%s: usage error: %v", name, err)
			case wantFail && err == nil:
				t.Errorf("%s: succeeded; the README says it fails", name)
			case !wantFail && err != nil:
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out.String(), errOut.String())
			}
			if assign != "" {
				vars[assign] = strings.TrimSpace(out.String())
			}
			for _, e := range expect {
				if strings.Contains(l.text, e.line) && !met[e.line] {
					met[e.line] = true
					if !strings.Contains(out.String(), e.output) {
						t.Errorf("%s: output lacks %q:\n%s", name, e.output, out.String())
					}
				}
			}
		case len(words) > 0 && words[0] == "curl":
			status := readmeCurl(t, words, devURL)
			if status != http.StatusOK {
				t.Errorf("%s: HTTP %d", name, status)
			}
		default:
			t.Fatalf("%s: the walkthrough test does not know how to run this line; teach it (readme_test.go)", name)
		}
	}
	for _, e := range expect {
		if !met[e.line] {
			t.Errorf("no README command contains %q any more: update the README or this test", e.line)
		}
	}
	if vars["UPLOAD"] == "" || vars["TOKEN"] == "" || vars["ALICE"] == "" {
		t.Errorf("variables not set: %v", vars)
	}
	cancel()
	select {
	case err := <-devDone:
		if err != nil {
			t.Errorf("dev: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Error("dev did not stop")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers, as os.Stderr is.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startReadmeDev runs `rentroll dev` in the background and waits for its
// ready line.
func startReadmeDev(t *testing.T, ctx context.Context, args []string, env func(string) string, done chan<- error) string {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, args, pw, io.Discard, env)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	timer := time.AfterFunc(120*time.Second, func() { pw.CloseWithError(errors.New("timeout")) })
	defer timer.Stop()
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "ready "); ok {
			go io.Copy(io.Discard, pr)
			return u
		}
	}
	t.Fatalf("dev never printed its ready line: %v", lines.Err())
	return ""
}

// readmeCurl runs the README's curl line (curl -s -H HEADER URL) against the
// dev the test started, and answers the HTTP status.
func readmeCurl(t *testing.T, words []string, devURL string) int {
	t.Helper()
	var target string
	header := http.Header{}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-s":
		case w == "-H" && i+1 < len(words):
			k, v, _ := strings.Cut(words[i+1], ":")
			header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			i++
		case strings.HasPrefix(w, "http://"):
			target = strings.Replace(w, "http://"+DefaultAddr, devURL, 1)
		default:
			t.Fatalf("curl: unknown argument %q", w)
		}
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"TOKEN": "t0k", "ALICE": "a l"}
	tests := []struct {
		line string
		want []string
	}{
		{`go run ./cmd/rentroll token --sub 'local|super-admin' --role super_admin`, []string{"go", "run", "./cmd/rentroll", "token", "--sub", "local|super-admin", "--role", "super_admin"}},
		{`x --name "Acme Homes" --token "$TOKEN"`, []string{"x", "--name", "Acme Homes", "--token", "t0k"}},
		{`x "$ALICE" '$ALICE' ${TOKEN}`, []string{"x", "a l", "$ALICE", "t0k"}},
		{`curl -H "Authorization: Bearer $TOKEN" http://h/v1/me`, []string{"curl", "-H", "Authorization: Bearer t0k", "http://h/v1/me"}},
	}
	for _, tc := range tests {
		got, err := shellWords(tc.line, vars)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("shellWords(%q) = %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
	code, comment := splitComment(`go run x --sub 'a#b' # wait for "ready"`)
	if code != `go run x --sub 'a#b' ` || comment != `wait for "ready"` {
		t.Errorf("splitComment = %q, %q", code, comment)
	}
}
