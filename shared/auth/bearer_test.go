package auth_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/authtest"
	"rentroll.ai/rentroll/shared/errs"
)

func TestBearerToken(t *testing.T) {
	maxTok := strings.Repeat("a", auth.MaxTokenBytes)
	tests := []struct {
		name     string
		header   http.Header
		want     string
		wantCode errs.Code
	}{
		{"bearer", http.Header{"Authorization": {"Bearer abc.def.ghi"}}, "abc.def.ghi", ""},
		{"lower-case scheme", http.Header{"Authorization": {"bearer abc.def.ghi"}}, "abc.def.ghi", ""},
		{"upper-case scheme", http.Header{"Authorization": {"BEARER abc.def.ghi"}}, "abc.def.ghi", ""},
		{"extra spaces", http.Header{"Authorization": {"  Bearer   abc.def.ghi  "}}, "abc.def.ghi", ""},
		{"set through Header.Set", func() http.Header { h := http.Header{}; h.Set("authorization", "Bearer t.u.v"); return h }(), "t.u.v", ""},
		{"exactly the limit", http.Header{"Authorization": {"Bearer " + maxTok}}, maxTok, ""},
		{"missing", http.Header{}, "", errs.Unauthorized},
		{"basic scheme", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, "", errs.Unauthorized},
		{"scheme only", http.Header{"Authorization": {"Bearer"}}, "", errs.Unauthorized},
		{"scheme and space", http.Header{"Authorization": {"Bearer "}}, "", errs.Unauthorized},
		{"bearer prefix of a longer word", http.Header{"Authorization": {"Bearerx abc"}}, "", errs.Unauthorized},
		{"two tokens", http.Header{"Authorization": {"Bearer a.b.c d.e.f"}}, "", errs.Unauthorized},
		{"two headers", http.Header{"Authorization": {"Bearer a.b.c", "Bearer d.e.f"}}, "", errs.Unauthorized},
		{"one byte over the limit", http.Header{"Authorization": {"Bearer " + maxTok + "a"}}, "", errs.Unauthorized},
		{"1 MB", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 1<<20)}}, "", errs.Unauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.BearerToken(tc.header)
			if code := errs.CodeOf(err); code != tc.wantCode {
				t.Fatalf("code = %q, want %q (err: %v)", code, tc.wantCode, err)
			}
			if got != tc.want {
				t.Errorf("token = %.40q, want %.40q", got, tc.want)
			}
		})
	}
}

// TestOversizedTokenRejectedCheaply: a 1 MB Authorization header costs the
// same few allocations as a short bad one, in BearerToken and in Verify, and
// no time to speak of: the size is checked before any copying or decoding.
func TestOversizedTokenRejectedCheaply(t *testing.T) {
	// Shaped like a JWT, so that without the size check the parser would
	// base64-decode and JSON-parse a megabyte.
	huge := "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ." + strings.Repeat("a", 1<<20) + ".c2ln"
	hugeHeader := http.Header{"Authorization": {"Bearer " + huge}}
	shortBad := http.Header{"Authorization": {"Basic xyz"}}
	s := authtest.NewServer(t)
	v := newVerifier(t, s.Config())
	ctx := context.Background()

	bearerHuge := testing.AllocsPerRun(100, func() { _, _ = auth.BearerToken(hugeHeader) })
	bearerShort := testing.AllocsPerRun(100, func() { _, _ = auth.BearerToken(shortBad) })
	verifyHuge := testing.AllocsPerRun(100, func() { _, _ = v.Verify(ctx, huge) })
	verifyEmpty := testing.AllocsPerRun(100, func() { _, _ = v.Verify(ctx, "") })
	if b := bytesPerRun(100, func() { _, _ = auth.BearerToken(hugeHeader) }); b > 1024 {
		t.Errorf("BearerToken 1 MB: %d bytes allocated per call, want <= 1024", b)
	}
	if b := bytesPerRun(100, func() { _, _ = v.Verify(ctx, huge) }); b > 1024 {
		t.Errorf("Verify 1 MB: %d bytes allocated per call, want <= 1024", b)
	}
	for _, c := range []struct {
		name          string
		got, baseline float64
	}{
		{"BearerToken 1 MB vs short bad header", bearerHuge, bearerShort},
		{"Verify 1 MB vs empty token", verifyHuge, verifyEmpty},
	} {
		if c.got > c.baseline || c.got > 4 {
			t.Errorf("%s: %.0f allocs, want <= %.0f and <= 4", c.name, c.got, c.baseline)
		}
	}

	start := time.Now()
	for range 1000 {
		if _, err := auth.BearerToken(hugeHeader); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
		if _, err := v.Verify(ctx, huge); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("1000 rejections of a 1 MB token took %v", d)
	}
	if got := s.Fetches(); got != 0 {
		t.Errorf("JWKS fetches = %d, want 0: oversized tokens must not reach key lookup", got)
	}
}

// bytesPerRun is the average heap allocated by f, in bytes.
func bytesPerRun(runs int, f func()) uint64 {
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// BenchmarkBearerToken compares extracting a normal token with rejecting a
// 1 MB header.
func BenchmarkBearerToken(b *testing.B) {
	for _, bc := range []struct {
		name string
		h    http.Header
	}{
		{"normal_1KiB", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 1<<10)}}},
		{"oversized_1MiB", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 1<<20)}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = auth.BearerToken(bc.h)
			}
		})
	}
}

// BenchmarkVerify compares verifying a valid token (keys cached) with
// rejecting a 1 MB one.
func BenchmarkVerify(b *testing.B) {
	s := authtest.NewServer(b)
	v, err := auth.NewVerifier(s.Config())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	valid := s.Token(b, "auth0|bench", "client_user", "c-1")
	if _, err := v.Verify(ctx, valid); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, raw string }{
		{"valid", valid},
		{"oversized_1MiB", strings.Repeat("a", 1<<20)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = v.Verify(ctx, bc.raw)
			}
		})
	}
}
