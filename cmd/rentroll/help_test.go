package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/uploads"
)

func noEnv(string) string { return "" }

// Every command answers --help and -h with its usage, every flag with a
// description, and an example, on stdout, without error (exit 0).
func TestHelpOfEveryCommand(t *testing.T) {
	commands := []struct {
		args  []string
		flags []string
	}{
		{[]string{"dev"}, []string{"--addr", "--data", "--demo"}},
		{[]string{"demo"}, []string{"--keep"}},
		{[]string{"token"}, []string{"--sub", "--role", "--client", "--ttl", "--data"}},
		{[]string{"clients", "create"}, []string{"--name", "--id", "--admin-sub", "--api", "--token", "--data"}},
		{[]string{"upload"}, []string{"--client", "--kind", "--property", "--as-of", "--wide", "--json", "--quiet", "--api", "--token"}},
		{[]string{"uploads", "list"}, []string{"--client", "--kind", "--status", "--limit"}},
		{[]string{"uploads", "show"}, []string{"--client", "--wide", "--json"}},
		{[]string{"uploads", "delete"}, []string{"--client"}},
		{[]string{"uploads", "report"}, []string{"--client", "--csv"}},
		{[]string{"analytics", "summary"}, []string{"--client", "--as-of", "--property", "--wide", "--json"}},
		{[]string{"billing", "run"}, []string{"--month"}},
		{[]string{"schedules", "sync"}, []string{"--project", "--location", "--uri", "--service-account", "--audience"}},
	}
	for _, c := range commands {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string{}, c.args...), h)
			var out bytes.Buffer
			if err := run(context.Background(), args, &out, &out, noEnv); err != nil {
				t.Errorf("run(%q) = %v, want help and no error", args, err)
				continue
			}
			got := out.String()
			for _, want := range append([]string{"usage: rentroll " + strings.Join(c.args, " "), "flags:", "example:\n", "rentroll " + c.args[0]}, c.flags...) {
				if !strings.Contains(got, want) {
					t.Errorf("%q: help lacks %q:\n%s", args, want, got)
				}
			}
			for i, l := range strings.Split(got, "\n") {
				// Usage and example lines are commands to copy and stay whole.
				if strings.HasPrefix(l, "usage:") || strings.HasPrefix(l, "  rentroll") || strings.HasPrefix(l, "  TOKEN=") {
					continue
				}
				if n := utf8.RuneCountInString(l); n > termWidth {
					t.Errorf("%q: help line %d is %d columns: %q", args, i+1, n, l)
				}
			}
		}
	}
	// The top level and the command groups answer help too.
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "upload"}, {"clients", "--help"}, {"uploads", "-h"}, {"analytics", "--help"}, {"billing", "-h"}, {"schedules", "--help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out, noEnv); err != nil || !strings.Contains(out.String(), "usage: rentroll") {
			t.Errorf("run(%q) = %v\n%s; want usage and no error", args, err, out.String())
		}
	}
}

// A flag mistake is a usage error (exit 2) that names the flag.
func TestFlagMistakesNameTheFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"upload", "f.csv", "--client"}, "-client"},
		{[]string{"upload", "f.csv", "--nope"}, "-nope"},
		{[]string{"upload", "f.csv"}, "--client is required"},
		{[]string{"upload", "--client", "c"}, "FILE is required"},
		{[]string{"upload", "f.csv", "--client", "c", "--kind", "comps"}, `--kind "comps"`},
		{[]string{"clients", "create"}, "--name is required"},
		{[]string{"clients", "create", "--name", "A", "extra"}, `unexpected argument "extra"`},
		{[]string{"clients", "destroy"}, `unknown subcommand "destroy"`},
		{[]string{"uploads", "show", "--client", "c"}, "one upload ID is required"},
		{[]string{"uploads", "delete", "x"}, "--client is required"},
		{[]string{"uploads", "list", "--client", "c", "--limit", "0"}, "--limit 0"},
		{[]string{"uploads", "purge"}, `unknown subcommand "purge"`},
		{[]string{"analytics", "summary"}, "--client is required"},
		{[]string{"billing", "run"}, "--month is required"},
		{[]string{"billing", "run", "--month", "March"}, `--month "March"`},
		{[]string{"token", "--role", "super_admin"}, "--sub is required"},
		{[]string{"token", "--sub", "x", "--ttl", "soon"}, "-ttl"},
		{[]string{"dev", "--port", "80"}, "-port"},
		{[]string{"schedules", "sync", "--bogus"}, "-bogus"},
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{}, noEnv)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("run(%q) = %v, want a usage error", tc.args, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %q, want it to name %q", tc.args, err, tc.want)
		}
	}
}

// A client command against an address where nothing listens says what to
// check, not a raw dial error; --api is found from --data when not given.
func TestUnreachableAPI(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	dir := t.TempDir()
	if err := writeState(dir, localState{URL: addr, Issuer: addr + "/"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"uploads", "list", "--client", "acme", "--token", "t", "--api", addr},
		{"uploads", "list", "--client", "acme", "--token", "t", "--data", dir},
		{"analytics", "summary", "--client", "acme", "--token", "t", "--data", dir},
	} {
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}, noEnv)
		want := "is `rentroll dev` running at " + addr + "?"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("run(%q) = %v, want it to ask %q", args, err, want)
		}
	}
	// RENTROLL_API wins over --data's record.
	env := func(k string) string {
		if k == "RENTROLL_API" {
			return "http://127.0.0.1:1"
		}
		return ""
	}
	err = run(context.Background(), []string{"uploads", "list", "--client", "acme", "--token", "t", "--data", dir}, &bytes.Buffer{}, &bytes.Buffer{}, env)
	if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:1?") {
		t.Errorf("with RENTROLL_API: %v", err)
	}
}

// The token from the environment never appears in help.
func TestHelpHidesTheToken(t *testing.T) {
	env := func(k string) string {
		if k == "RENTROLL_TOKEN" {
			return "secret-token-value"
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"upload", "--help"}, &out, &out, env); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "secret-token-value") {
		t.Errorf("help shows the token:\n%s", out.String())
	}
}

func TestPrintUpload(t *testing.T) {
	long := strings.Repeat("a very long message about the cell ", 5)
	tests := []struct {
		name      string
		rec       uploads.Upload
		wide      bool
		want      []string
		wantWidth int // 0: termWidth
	}{
		{"loaded: what the other rows were", uploads.Upload{Status: "loaded", Kind: "rent_roll", Properties: []string{"cr02"}, AsOf: "2026-03-31",
			Format: "onesite", RowsTotal: 25, RowsLoaded: 12, Excluded: map[string]int{"applicant": 1, "pending_renewal": 1, "non_residential": 2}},
			false, []string{"loaded: 12 units of cr02 as of 2026-03-31 (onesite)", "25 rows in the file: 12 loaded, 1 applicant,",
				"2 non-residential spaces", "1 pending renewal", "9 headers, banners, totals"}, 0},
		{"rejected, cut list, file-level error", uploads.Upload{ID: "u1", Status: "rejected", Message: "the file has 150 error(s); nothing was loaded",
			Errors:     []uploads.Issue{{Row: 0, Code: "missing_header", Message: long}, {Row: 7, Column: "Lease Rent", Code: "negative_rent", Message: long}},
			ErrorCount: 150},
			false, []string{"rejected: the file has 150 error(s)", "errors (first 2 of 150):", "  file ", "Lease Rent  negative_rent",
				"every issue: rentroll uploads report u1 --client acme"}, 0},
		{"wide keeps whole messages", uploads.Upload{Status: "rejected", Errors: []uploads.Issue{{Row: 3, Column: "Rent", Code: "bad_money", Message: long}}, ErrorCount: 1},
			true, []string{strings.TrimSpace(long)}, 300},
		{"withdrawn", uploads.Upload{Status: "withdrawn", WithdrawnBy: "local|alice", RowsLoaded: 8, RowsTotal: 8, Kind: "rent_roll"},
			false, []string{"withdrawn: 8 units", "withdrawn by local|alice"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printUpload(&b, tc.rec, "acme", tc.wide)
			got := b.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			// Compact output wraps messages: no word of them is lost.
			if n, want := strings.Count(got, "cell"), 5*len(tc.rec.Errors); n != want {
				t.Errorf("messages lost words: %d × \"cell\", want %d:\n%s", n, want, got)
			}
			width := tc.wantWidth
			if width == 0 {
				width = termWidth
			}
			for _, l := range strings.Split(got, "\n") {
				if n := utf8.RuneCountInString(l); n > width && !strings.Contains(l, "rentroll uploads report") {
					t.Errorf("line of %d columns (max %d): %q", n, width, l)
				}
			}
		})
	}
}
