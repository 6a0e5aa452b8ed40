package analytics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	fn "rentroll.ai/rentroll/functions/analytics"
	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/web"
)

// BenchmarkRoutes measures the summary, trend, competition, changes and
// floorplans routes through
// HTTP (the real route table and web.Server stack, httptest) on a generated
// client, with a baseline in the same run: a route through the same stack
// and guard that writes a constant answer, so the difference is the
// analytics work. Each sub-benchmark reports p50 and p95 of per-request
// times. "small" (20 × 100 × 12 ≈ 24k unit rows) is for routine runs;
// "large" (200 properties × 300 units × 24 monthly rolls ≈ 1.44M unit rows)
// is the sizing target (summary p95 < 100 ms, trend and changes p95 < 150 ms)
// and is skipped under -short.
func BenchmarkRoutes(b *testing.B) {
	sizes := []struct {
		name                 string
		props, units, months int
		skipShort            bool
	}{
		{"small", 20, 100, 12, false},
		{"large", 200, 300, 24, true},
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.skipShort && testing.Short() {
				b.Skip("large client skipped under -short")
			}
			benchSize(b, analyticsbench.Config{ClientID: "bench-co", Properties: sz.props, Units: sz.units,
				Months: sz.months, Start: analytics.Month{Year: 2024, Month: time.January}, Seed: 1, Surveys: true})
		})
	}
}

func benchSize(b *testing.B, cfg analyticsbench.Config) {
	ctx := context.Background()
	w, err := duckdb.Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	t0 := time.Now()
	n, err := analyticsbench.Load(ctx, w, tenancy.DatasetName(cfg.ClientID), cfg)
	if err != nil {
		b.Fatal(err)
	}
	// A file database reaches its compressed, checkpointed state on its own
	// (WAL auto-checkpoint, and Close); the in-memory one only when asked.
	// Measuring before it would time freshly appended, uncompressed row
	// groups, about twice as slow to scan, which no long-lived store has.
	if err := w.Exec(ctx, "CHECKPOINT", nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d unit rows in %v", n, time.Since(t0).Round(time.Millisecond))

	svc := &analytics.Service{W: w}
	wh := w
	last := cfg.Start.Add(cfg.Months - 1)
	wave1 := strings.ReplaceAll(wave1SummarySQL, "{ds}", tenancy.DatasetName(cfg.ClientID))
	routes := append(fn.Routes(fn.Deps{Analytics: svc, Now: func() time.Time { return last.Start().AddDate(0, 0, 27) }}),
		web.Route{Name: "baseline", Method: http.MethodGet, Path: "/v1/clients/{cid}/baseline", Access: web.Tenant,
			Role: tenancy.ClientUser, Handler: func(w http.ResponseWriter, r *http.Request) error {
				web.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
				return nil
			}},
		// The first wave's summary statement through the same stack: the
		// same-run baseline for what the new figures cost.
		web.Route{Name: "summary_wave1", Method: http.MethodGet, Path: "/v1/clients/{cid}/wave1", Access: web.Tenant,
			Role: tenancy.ClientUser, Handler: func(rw http.ResponseWriter, r *http.Request) error {
				rows, err := wh.Query(r.Context(), wave1, map[string]any{"as_of": "9999-12-31", "as_of_month": "9999-12-01"})
				if err != nil {
					return err
				}
				web.WriteJSON(rw, http.StatusOK, map[string]any{"rows": len(rows)})
				return nil
			}})
	h := (&web.Server{Guard: tenancytest.PipeGuard{}}).Handler(routes)
	base := "/v1/clients/" + cfg.ClientID
	mid := cfg.Start.Add(cfg.Months / 2)
	targets := []struct{ name, target string }{
		{"baseline", base + "/baseline"},
		{"summary_wave1", base + "/wave1"},
		{"summary", base + "/analytics/rent-roll/summary"},
		{"summary_as_of", base + "/analytics/rent-roll/summary?as_of=" + mid.Start().AddDate(0, 0, 14).Format(time.DateOnly)},
		{"summary_property", base + "/analytics/rent-roll/summary?property_id=P007"},
		{"trend_12", base + fmt.Sprintf("/analytics/rent-roll/trend?from=%s&to=%s", last.Add(-11), last)},
		{"trend_24", base + fmt.Sprintf("/analytics/rent-roll/trend?from=%s&to=%s", cfg.Start, last)},
		{"competition", base + "/analytics/competition"},
		{"expirations", base + "/analytics/rent-roll/expirations?from=" + last.String()},
		{"changes_1_month", base + "/analytics/rent-roll/changes?property_id=P007&from=" + last.Start().AddDate(0, 0, -1).Format(time.DateOnly)},
		{"changes_12_months", base + "/analytics/rent-roll/changes?property_id=P007&from=" + last.Add(-11).Start().AddDate(0, 0, -1).Format(time.DateOnly)},
		{"floorplans", base + "/properties/P007/floorplans"},
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, tg.target, nil)
				req.Header.Set("Authorization", "Bearer "+"u|client_user|"+cfg.ClientID)
				rec := httptest.NewRecorder()
				t := time.Now()
				h.ServeHTTP(rec, req)
				times = append(times, time.Since(t))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: status %d: %s", tg.target, rec.Code, rec.Body.String())
				}
			}
			slices.Sort(times)
			pct := func(p float64) float64 {
				i := int(p*float64(len(times))+0.5) - 1
				i = max(0, min(i, len(times)-1))
				return float64(times[i].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
		})
	}
}
