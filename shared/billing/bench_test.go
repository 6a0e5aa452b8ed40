package billing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/tenancy"
)

// benchClients is the registry size of BenchmarkRun1000Clients.
const benchClients = 1000

// BenchmarkRun1000Clients times a full run (count, table write, export) over
// 1,000 clients with small datasets (generate: 0-4 properties, a year of
// rolls each), one statement per client, at concurrency 1 (the baseline) and
// at the default. Each iteration counts a month not counted before, so every
// iteration loads and exports. Run with -benchtime=1x or 2x.
func BenchmarkRun1000Clients(b *testing.B) {
	e := newEnv(b, nil)
	h := generate(7, benchClients)
	seedStart := time.Now()
	e.seedSQL(b, h)
	b.Logf("seeded %d clients in %v", benchClients, time.Since(seedStart))
	ctx := context.Background()
	month := 0
	for _, conc := range []int{1, 0} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			e.svc.Concurrency = conc
			for b.Loop() {
				m := fmt.Sprintf("2025-%02d", 1+month%12)
				month++
				e.clock.Add(time.Hour)
				rec, err := e.svc.Run(ctx, m, "bench")
				if err != nil {
					b.Fatalf("Run: %v", err)
				}
				var want int64
				for _, r := range oracle(h, m, basicBook) {
					want += r.Units
				}
				if rec.Clients != benchClients || rec.UnitsTotal != want {
					b.Fatalf("%s: clients %d units %d, want %d and %d", m, rec.Clients, rec.UnitsTotal, benchClients, want)
				}
			}
		})
	}
}

// seedSQL loads h with plain DDL and INSERTs of the columns the count reads.
// The DuckDB adapter's EnsureDataset and Load look their tables up in
// duckdb_columns(), which scans every column of every schema, so seeding
// 1,000 datasets through them takes minutes (quadratic); the run itself does
// not use them per client.
func (e *env) seedSQL(t testing.TB, h history) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string) {
		if err := e.wh.Exec(ctx, q, nil); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
	for _, c := range h.clients {
		if err := e.clients.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		ds := tenancy.DatasetName(c.ID)
		exec("CREATE SCHEMA " + ds)
		exec("CREATE TABLE " + ds + ".analytics_rent_roll (client_id VARCHAR, upload_id VARCHAR, property_id VARCHAR, as_of_date DATE, unit_id VARCHAR, status VARCHAR, loaded_at TIMESTAMP)")
		exec("CREATE TABLE " + ds + ".upload_metadata (client_id VARCHAR, upload_id VARCHAR, status VARCHAR)")
		var rr, meta []string
		for _, r := range h.rolls[c.ID] {
			for i, u := range r.units {
				rr = append(rr, fmt.Sprintf("('%s','%s','%s',DATE '%s','%s','%s',TIMESTAMP '%s')", c.ID, r.upload, r.property,
					r.asOf.Format("2006-01-02"), u, unitStatuses[i%len(unitStatuses)], r.loadedAt.Format("2006-01-02 15:04:05")))
			}
			if r.status != "" {
				meta = append(meta, fmt.Sprintf("('%s','%s','%s')", c.ID, r.upload, r.status))
			}
		}
		if len(rr) > 0 {
			exec("INSERT INTO " + ds + ".analytics_rent_roll VALUES " + strings.Join(rr, ","))
		}
		if len(meta) > 0 {
			exec("INSERT INTO " + ds + ".upload_metadata VALUES " + strings.Join(meta, ","))
		}
	}
}
