package ingestbench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goduckdb "github.com/duckdb/duckdb-go/v2"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/ingest"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/parse"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
	"rentroll.ai/rentroll/shared/warehouse"
)

const (
	benchUnits = 100_000
	bucket     = "uploads"
	clientID   = "bench"
)

// writePlainRentRoll writes a plain CSV rent roll (one header row, then one
// row per unit, no preamble) of n units across properties of 1,000 units:
// the shape both the parser and read_csv_auto read without help.
func writePlainRentRoll(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, "Property ID,Property Name,Unit,Building,Unit Type,Beds,Baths,Sq Ft,Status,Resident,Market Rent,Lease Rent,Concessions,Lease Start,Lease End,Move In,Move Out\n")
	statuses := []string{"Occupied", "Occupied", "Occupied", "Occupied", "Vacant", "Occupied", "Occupied", "Occupied", "Occupied", "Vacant"}
	types := []struct {
		name        string
		beds, baths int
		sqft        int
	}{{"A1", 1, 1, 720}, {"A2", 1, 1, 780}, {"B1", 2, 2, 1034}, {"C1", 3, 2, 1310}}
	for i := range n {
		p, u := i/1000, i%1000
		t := types[i%len(types)]
		st := statuses[i%len(statuses)]
		market := 1000 + (i*37)%1500
		if st == "Vacant" {
			fmt.Fprintf(bw, "p%03d,Property %03d,%d%03d,%d,%s,%d,%d,%d,%s,,%d.00,,,,,,\n",
				p, p, 1+u/100, u, 1+u/100, t.name, t.beds, t.baths, t.sqft, st, market)
			continue
		}
		fmt.Fprintf(bw, "p%03d,Property %03d,%d%03d,%d,%s,%d,%d,%d,%s,\"Resident, Number %d\",%d.00,%d.50,%s,2025-%02d-01,2026-%02d-28,2025-%02d-01,\n",
			p, p, 1+u/100, u, 1+u/100, t.name, t.beds, t.baths, t.sqft, st, i, market, market-25, concession(i), 1+i%12, 1+i%12, 1+i%12)
	}
	return bw.Flush()
}

func concession(i int) string {
	if i%7 == 0 {
		return "50.00"
	}
	return ""
}

// stages accumulates the wall-clock time of each stage of one ingestion,
// measured by wrapping the stores the ingest service calls.
type stages struct {
	mu sync.Mutex
	d  map[string]time.Duration
}

func (s *stages) add(stage string, d time.Duration) {
	s.mu.Lock()
	s.d[stage] += d
	s.mu.Unlock()
}

func (s *stages) since(stage string, t time.Time) { s.add(stage, time.Since(t)) }

// timedObjects times opening and reading objects.
type timedObjects struct {
	objects.Store
	st *stages
}

func (o timedObjects) Open(ctx context.Context, bucket, name string, gen int64) (io.ReadCloser, objects.Attrs, error) {
	defer o.st.since("read_object", time.Now())
	rc, a, err := o.Store.Open(ctx, bucket, name, gen)
	if err != nil {
		return nil, a, err
	}
	return timedReader{rc, o.st}, a, nil
}

type timedReader struct {
	io.ReadCloser
	st *stages
}

func (r timedReader) Read(p []byte) (int, error) {
	defer r.st.since("read_object", time.Now())
	return r.ReadCloser.Read(p)
}

// timedUploads times every call to the upload records.
type timedUploads struct {
	uploads.Store
	st *stages
}

func (u timedUploads) GetUpload(ctx context.Context, clientID, id string) (uploads.Upload, error) {
	defer u.st.since("records", time.Now())
	return u.Store.GetUpload(ctx, clientID, id)
}

func (u timedUploads) UpdateUpload(ctx context.Context, clientID, id string, fn func(*uploads.Upload) error) (uploads.Upload, error) {
	defer u.st.since("records", time.Now())
	return u.Store.UpdateUpload(ctx, clientID, id, fn)
}

func (u timedUploads) AcquireClaim(ctx context.Context, k, holder string, now, leaseUntil time.Time) (uploads.Claim, bool, error) {
	defer u.st.since("records", time.Now())
	return u.Store.AcquireClaim(ctx, k, holder, now, leaseUntil)
}

func (u timedUploads) FinishClaim(ctx context.Context, k, holder string, c uploads.Claim) error {
	defer u.st.since("records", time.Now())
	return u.Store.FinishClaim(ctx, k, holder, c)
}

// timedWarehouse times loads (split, when rowSplit is set, into building rows
// and appending them) and the summary's statements.
type timedWarehouse struct {
	warehouse.Warehouse
	st       *stages
	rowSplit bool
}

func (w timedWarehouse) Load(ctx context.Context, l warehouse.Load) error {
	start, cpu0 := time.Now(), cpuTime()
	defer func() { w.st.add("warehouse_load_cpu", cpuTime()-cpu0) }()
	var build time.Duration
	if w.rowSplit {
		parts := make([]warehouse.Part, len(l.Parts))
		for i, p := range l.Parts {
			parts[i] = p
			if p.Staged == nil { // a staged part is read by the warehouse itself
				parts[i] = warehouse.Part{Table: p.Table, Stream: timedStream(p.All(), &build)}
			}
		}
		l.Parts = parts
	}
	err := w.Warehouse.Load(ctx, l)
	w.st.add("build_rows", build)
	w.st.add("warehouse_load", time.Since(start)-build)
	return err
}

// timedStream adds to build the time rows spends producing each row (the
// spool read and the mapping to a warehouse row), not the consumer's time.
func timedStream(rows iter.Seq2[warehouse.Row, error], build *time.Duration) iter.Seq2[warehouse.Row, error] {
	return func(yield func(warehouse.Row, error) bool) {
		t := time.Now()
		for r, err := range rows {
			*build += time.Since(t)
			if !yield(r, err) {
				return
			}
			t = time.Now()
		}
		*build += time.Since(t)
	}
}

func (w timedWarehouse) Exec(ctx context.Context, q string, params map[string]any) error {
	defer w.st.since("summary", time.Now())
	return w.Warehouse.Exec(ctx, q, params)
}

func (w timedWarehouse) Query(ctx context.Context, q string, params map[string]any) ([]warehouse.Result, error) {
	defer w.st.since("summary", time.Now())
	return w.Warehouse.Query(ctx, q, params)
}

func (w timedWarehouse) EnsureDataset(ctx context.Context, ds warehouse.Dataset) error {
	defer w.st.since("ensure_dataset", time.Now())
	return w.Warehouse.EnsureDataset(ctx, ds)
}

// startStorage starts the storage emulator the local platform runs, on dir,
// behind the Cloud Storage adapter.
func startStorage(b *testing.B, dir string) *gcs.Store {
	b.Helper()
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	emu, err := gcsemu.Start(ctx, gcsemu.Config{DataDir: dir, Buckets: []string{bucket}, SigningKey: &key.PublicKey, AccessID: "bench@local"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { emu.Close() })
	client, err := emu.Client(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	return gcs.New(client, gcs.SigningConfig{GoogleAccessID: "bench@local", Signer: key, Scheme: "http"})
}

// ingestOnce uploads the file as a new upload of a freshly provisioned
// warehouse (outside the timer), then ingests it the way the local platform
// does and checks that its rows are queryable. It returns the time from the
// finalized event to a loaded, queryable upload.
func ingestOnce(b *testing.B, ctx context.Context, dir string, i int, store objects.Store, data []byte, st *stages) (wall, cpu time.Duration) {
	b.Helper()
	b.StopTimer()
	wh, err := duckdb.Open(filepath.Join(dir, fmt.Sprintf("warehouse-%d.duckdb", i)))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		wh.Close()
		os.Remove(filepath.Join(dir, fmt.Sprintf("warehouse-%d.duckdb", i)))
	}()
	client := tenancy.Client{ID: clientID, Name: "Bench", Status: tenancy.Active, Dataset: tenancy.DatasetName(clientID)}
	for _, ds := range []warehouse.Dataset{warehouse.System(), warehouse.SuperAdmin(), warehouse.Client(client.Dataset)} {
		if err := wh.EnsureDataset(ctx, ds); err != nil {
			b.Fatal(err)
		}
	}
	clients := tenancytest.NewMemory()
	if err := clients.CreateClient(ctx, client); err != nil {
		b.Fatal(err)
	}
	ups := uploadstest.NewMemory()
	uploadID := uploads.NewID(time.Now())
	name := uploads.ObjectName(clientID, uploads.RentRoll, uploadID, "rent_roll.csv")
	attrs, err := store.Put(ctx, bucket, name, "text/csv", bytes.NewReader(data), true)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	err = ups.CreateUpload(ctx, uploads.Upload{
		ID: uploadID, ClientID: clientID, Kind: uploads.RentRoll, Filename: "rent_roll.csv", ContentType: "text/csv",
		SizeBytes: int64(len(data)), Bucket: bucket, Object: name, Status: uploads.Pending, AsOf: "2026-03-31",
		CreatedBy: "bench", CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		b.Fatal(err)
	}

	var w warehouse.Warehouse = wh
	var objs objects.Store = store
	var recs uploads.Store = ups
	if st != nil {
		w = timedWarehouse{Warehouse: wh, st: st, rowSplit: true}
		objs = timedObjects{Store: store, st: st}
		recs = timedUploads{Store: ups, st: st}
	}
	an := &analytics.Service{W: w}
	svc := &ingest.Service{
		Uploads: recs, Clients: clients, Objects: objs, Warehouse: w,
		Bucket: bucket, MaxBytes: 100 << 20, TempDir: dir,
		AfterLoad: func(ctx context.Context, u uploads.Upload) error {
			c, err := clients.GetClient(ctx, u.ClientID)
			if err != nil {
				return err
			}
			return an.RefreshClientSummary(ctx, c)
		},
	}
	// The event as the emulator's finalize hook delivers it.
	payload, _ := json.Marshal(map[string]any{"bucket": bucket, "name": name, "generation": attrs.Generation, "size": attrs.Size, "contentType": "text/csv"})
	ev, err := uploads.DecodeObjectEvent(payload)
	if err != nil {
		b.Fatal(err)
	}

	b.StartTimer()
	start, cpu0 := time.Now(), cpuTime()
	if err := svc.Object(ctx, ev); err != nil {
		b.Fatalf("ingest: %v", err)
	}
	wall, cpu = time.Since(start), cpuTime()-cpu0
	b.StopTimer()

	rec, err := ups.GetUpload(ctx, clientID, uploadID)
	if err != nil {
		b.Fatal(err)
	}
	if rec.Status != uploads.Loaded || rec.RowsLoaded != benchUnits {
		b.Fatalf("upload %s: status %s, %d rows loaded (%s); want loaded, %d", uploadID, rec.Status, rec.RowsLoaded, rec.Message, benchUnits)
	}
	for table, want := range map[string]int64{
		warehouse.TableAnalyticsRentRoll: benchUnits, warehouse.TableRentRollUploads: benchUnits + 1, // the header row too
		warehouse.TableUploadMetadata: 1,
	} {
		got, err := wh.Query(ctx, "SELECT count(*) AS n FROM "+client.Dataset+"."+table+" WHERE upload_id = @u", map[string]any{"u": uploadID})
		if err != nil {
			b.Fatal(err)
		}
		if n := got[0]["n"]; n != want {
			b.Fatalf("%s has %v rows of the upload, want %d", table, n, want)
		}
	}
	got, err := wh.Query(ctx, "SELECT units FROM super_admin.all_clients_summary WHERE client_id = @c", map[string]any{"c": clientID})
	if err != nil {
		b.Fatal(err)
	}
	if len(got) != 1 || got[0]["units"] != int64(benchUnits) {
		b.Fatalf("summary row = %v, want %d units", got, benchUnits)
	}
	b.StartTimer()
	return wall, cpu
}

// cpuTime is the CPU time the process has used, on every thread (DuckDB's
// own threads included): on a machine shared with other work it says what
// each side cost when wall-clock time says mostly how busy the machine was.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readCSVAuto is the baseline: DuckDB itself reading the same file into a
// table of a fresh database file.
func readCSVAuto(b *testing.B, ctx context.Context, dir, csvPath string, i int) (wall, cpu time.Duration) {
	b.Helper()
	b.StopTimer()
	path := filepath.Join(dir, fmt.Sprintf("baseline-%d.duckdb", i))
	connector, err := goduckdb.NewConnector(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer func() {
		db.Close()
		connector.Close()
		os.Remove(path)
	}()
	if err := db.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	start, cpu0 := time.Now(), cpuTime()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t AS SELECT * FROM read_csv_auto('"+strings.ReplaceAll(csvPath, "'", "''")+"')"); err != nil {
		b.Fatal(err)
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		b.Fatal(err)
	}
	wall, cpu = time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if n != benchUnits {
		b.Fatalf("read_csv_auto read %d rows, want %d", n, benchUnits)
	}
	b.StartTimer()
	return wall, cpu
}

// setup writes the 100k-unit file once and starts the storage.
func setup(b *testing.B) (dir, csvPath string, data []byte, store objects.Store) {
	b.Helper()
	dir = b.TempDir()
	csvPath = filepath.Join(dir, "rent_roll.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := writePlainRentRoll(f, benchUnits); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if data, err = os.ReadFile(csvPath); err != nil {
		b.Fatal(err)
	}
	store = startStorage(b, filepath.Join(dir, "objects"))
	return dir, csvPath, data, store
}

// BenchmarkIngestVsReadCSVAuto measures, in each iteration, a 100k-unit
// plain CSV rent roll from its finalized event to a loaded upload whose rows
// are queryable (read the object from the storage emulator, parse and
// validate, load raw, analytics and charges rows and the upload_metadata row
// in one transaction, settle the upload record, refresh the cross-client
// summary), and DuckDB's own read_csv_auto of the same file into a table of
// a fresh database file. ratio is the first over the second.
func BenchmarkIngestVsReadCSVAuto(b *testing.B) {
	ctx := context.Background()
	dir, csvPath, data, store := setup(b)
	b.SetBytes(int64(len(data)))
	var ingestWall, ingestCPU, baseWall, baseCPU time.Duration
	i := 0
	for b.Loop() {
		i++
		w, c := ingestOnce(b, ctx, dir, i, store, data, nil)
		ingestWall, ingestCPU = ingestWall+w, ingestCPU+c
		w, c = readCSVAuto(b, ctx, dir, csvPath, i)
		baseWall, baseCPU = baseWall+w, baseCPU+c
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(i) }
	b.ReportMetric(ms(ingestWall), "ingest-ms")
	b.ReportMetric(ms(baseWall), "read_csv_auto-ms")
	b.ReportMetric(float64(ingestWall)/float64(baseWall), "ratio")
	b.ReportMetric(ms(ingestCPU), "ingest-cpu-ms")
	b.ReportMetric(ms(baseCPU), "read_csv_auto-cpu-ms")
	b.ReportMetric(float64(ingestCPU)/float64(baseCPU), "cpu-ratio")
}

// BenchmarkIngestStages ingests the same file with every store the service
// calls wrapped in a timer, and reports the wall-clock of each stage per
// ingestion: reading the object, the upload records (claim, status
// updates), building rows (spool read and mapping), the warehouse load
// (appends, the transaction), the summary refresh statements, and the rest
// (parse, validate, normalise, staging rows), which is the total less
// those; warehouse_load_cpu is the process's CPU time during loads (DuckDB's
// threads included; nothing else runs then); parse_only is the parser alone on the same bytes, run after the
// ingestions (it is not part of total).
func BenchmarkIngestStages(b *testing.B) {
	ctx := context.Background()
	dir, _, data, store := setup(b)
	b.SetBytes(int64(len(data)))
	st := &stages{d: map[string]time.Duration{}}
	var total time.Duration
	i := 0
	for b.Loop() {
		i++
		w, _ := ingestOnce(b, ctx, dir, i, store, data, st)
		total += w
	}
	// The parser alone on the same bytes, for its share of parse_and_rest.
	var parseOnly time.Duration
	for range i {
		start := time.Now()
		rep, err := parse.RentRoll(ctx, bytes.NewReader(data), int64(len(data)),
			parse.Options{Filename: "rent_roll.csv", AsOf: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}, discard{})
		parseOnly += time.Since(start)
		if err != nil || rep.ErrorCount > 0 {
			b.Fatalf("parse: %v, %d errors", err, rep.ErrorCount)
		}
	}
	b.ReportMetric(float64(parseOnly.Microseconds())/1e3/float64(i), "parse_only-ms")
	rest := total
	for name, d := range st.d {
		b.ReportMetric(float64(d.Microseconds())/1e3/float64(i), name+"-ms")
		if !strings.HasSuffix(name, "_cpu") {
			rest -= d
		}
	}
	b.ReportMetric(float64(rest.Microseconds())/1e3/float64(i), "parse_and_rest-ms")
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(i), "total-ms")
}

// discard is a parse.Sink that keeps nothing.
type discard struct{}

func (discard) Raw(parse.RawRow) error { return nil }
func (discard) Unit(parse.Unit) error  { return nil }
func (discard) Comp(parse.Comp) error  { return nil }
