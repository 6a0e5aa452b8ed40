package bigquery

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"rentroll.ai/rentroll/internal/analyticsbench"
	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// recorder is a warehouse that remembers every statement it is given and
// passes it on.
type recorder struct {
	warehouse.Warehouse
	calls []call
}

type call struct {
	sql    string
	params map[string]any
}

func (r *recorder) Query(ctx context.Context, sql string, params map[string]any) ([]warehouse.Result, error) {
	r.calls = append(r.calls, call{sql, params})
	return r.Warehouse.Query(ctx, sql, params)
}

func (r *recorder) Exec(ctx context.Context, sql string, params map[string]any) error {
	r.calls = append(r.calls, call{sql, params})
	return r.Warehouse.Exec(ctx, sql, params)
}

// TestAnalyticsStatementsAreTheOnesDuckDBRuns runs every analytics route of
// the service on DuckDB (over generated data, where the answers are checked
// against the oracle in package analytics) and on this adapter against the
// REST fake, and checks that BigQuery receives exactly the same statements,
// one jobs.query per read route, with the same named parameters — so the SQL
// both run is one text.
func TestAnalyticsStatementsAreTheOnesDuckDBRuns(t *testing.T) {
	ctx := context.Background()
	const cid = "acme"
	dw, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer dw.Close()
	cfg := analyticsbench.Config{ClientID: cid, Properties: 3, Units: 20, Months: 2,
		Start: analytics.Month{Year: 2026, Month: time.January}, Seed: 1, EdgeCases: true, Surveys: true}
	if _, err := analyticsbench.Load(ctx, dw, tenancy.DatasetName(cid), cfg); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Warehouse: dw}
	f := newFake(t)
	bw := f.warehouse(t, Config{})
	clock := func() time.Time { return time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC) }
	onDuck := &analytics.Service{W: rec, Now: clock}
	onBQ := &analytics.Service{W: bw, Now: clock}
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	routes := []struct {
		name       string
		statements int
		run        func(s *analytics.Service) error
	}{
		{"summary", 1, func(s *analytics.Service) error {
			_, err := s.Summary(ctx, cid, analytics.SummaryQuery{AsOf: d("2026-02-15")})
			return err
		}},
		{"summary by property", 1, func(s *analytics.Service) error {
			_, err := s.Summary(ctx, cid, analytics.SummaryQuery{PropertyID: "P001"})
			return err
		}},
		{"expirations", 1, func(s *analytics.Service) error {
			_, err := s.Expirations(ctx, cid, analytics.ExpirationsQuery{From: analytics.Month{Year: 2026, Month: 2}})
			return err
		}},
		{"trend", 1, func(s *analytics.Service) error {
			_, err := s.Trend(ctx, cid, analytics.TrendQuery{From: analytics.Month{Year: 2025, Month: 12}, To: analytics.Month{Year: 2026, Month: 2}})
			return err
		}},
		{"competition", 1, func(s *analytics.Service) error {
			_, err := s.Competition(ctx, cid, analytics.CompetitionQuery{PropertyID: "P000"})
			return err
		}},
		{"changes", 1, func(s *analytics.Service) error {
			_, err := s.Changes(ctx, cid, analytics.ChangesQuery{PropertyID: "P000", From: d("2026-01-31"), To: d("2026-02-28")})
			return err
		}},
		{"floorplans", 1, func(s *analytics.Service) error {
			_, err := s.Floorplans(ctx, cid, "P001")
			return err
		}},
		{"floorplans put", 3, func(s *analytics.Service) error {
			b, ba := 2.0, 1.0
			_, err := s.PutFloorplans(ctx, cid, "P001", "boss", []analytics.Floorplan{{Code: "B1", Beds: &b, Baths: &ba}})
			return err
		}},
	}
	for _, rt := range routes {
		rec.calls = nil
		f.mu.Lock()
		f.queries = nil
		f.mu.Unlock()
		if err := rt.run(onDuck); err != nil {
			t.Fatalf("%s on DuckDB: %v", rt.name, err)
		}
		if err := rt.run(onBQ); err != nil {
			t.Fatalf("%s on BigQuery: %v", rt.name, err)
		}
		f.mu.Lock()
		got := f.queries
		f.mu.Unlock()
		if len(rec.calls) != rt.statements || len(got) != rt.statements {
			t.Errorf("%s: %d statements on DuckDB, %d on BigQuery, want %d", rt.name, len(rec.calls), len(got), rt.statements)
			continue
		}
		for i, c := range rec.calls {
			if got[i].Query != c.sql {
				t.Errorf("%s statement %d differs:\nBigQuery %s\nDuckDB   %s", rt.name, i, got[i].Query, c.sql)
			}
			var want, names []string
			for k, v := range c.params {
				want = append(want, k)
				if s, ok := v.(string); ok {
					want[len(want)-1] += "=" + s
				}
			}
			for _, p := range got[i].QueryParameters {
				n := p.Name
				if p.ParameterType.Type == "STRING" {
					n += "=" + p.ParameterValue.Value
				}
				names = append(names, n)
			}
			sort.Strings(want)
			sort.Strings(names)
			if fmt.Sprint(want) != fmt.Sprint(names) {
				t.Errorf("%s statement %d parameters: BigQuery %v, DuckDB %v", rt.name, i, names, want)
			}
		}
	}
}
