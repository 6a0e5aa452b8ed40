package main

import (
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
)

// The generated client is the benchmark's sizing target and reads as
// current: its last roll is in the month before today, whatever today is.
func TestBenchClientConfig(t *testing.T) {
	for _, tc := range []struct {
		now              time.Time
		first, lastMonth string
	}{
		{time.Date(2026, time.December, 2, 1, 0, 0, 0, time.UTC), "2024-12", "2026-11"},
		{time.Date(2027, time.January, 31, 23, 0, 0, 0, time.UTC), "2025-01", "2026-12"},
	} {
		cfg := benchClientConfig(tc.now)
		if got := cfg.Properties * cfg.Units * cfg.Months; got != 1_440_000 {
			t.Errorf("%v: %d unit rows, want 1,440,000", tc.now, got)
		}
		if got := cfg.Start.String(); got != tc.first {
			t.Errorf("%v: first month %s, want %s", tc.now, got, tc.first)
		}
		if got := cfg.Start.Add(cfg.Months - 1).String(); got != tc.lastMonth {
			t.Errorf("%v: last month %s, want %s", tc.now, got, tc.lastMonth)
		}
		if last := cfg.Start.Add(cfg.Months - 1); !last.Start().Before(analytics.MonthOf(tc.now).Start()) {
			t.Errorf("%v: the last roll's month %s is not before today's", tc.now, last)
		}
		if cfg.ClientID != benchClientID || !cfg.Surveys || cfg.EdgeCases {
			t.Errorf("%v: config %+v, want client %s with surveys and no edge cases", tc.now, cfg, benchClientID)
		}
	}
}
