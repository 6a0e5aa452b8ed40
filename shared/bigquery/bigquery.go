// Package bigquery is the production warehouse: warehouse.Warehouse on
// Google BigQuery through cloud.google.com/go/bigquery.
//
// Types map as MONEY → NUMERIC, FLOAT64 → FLOAT64, INT64 → INT64, STRING →
// STRING, BOOL → BOOL, DATE → DATE and TIMESTAMP → TIMESTAMP; Required
// columns are mode REQUIRED. Tables with PartitionBy are partitioned by month
// on that DATE column and clustered on ClusterBy.
//
// Query parameters are typed from their Go values: string → STRING, integers
// → INT64, float64 → FLOAT64, bool → BOOL, warehouse.Cents → NUMERIC (exact,
// as a *big.Rat), time.Time → TIMESTAMP, and civil.Date → DATE. A time.Time
// is always a TIMESTAMP, even at midnight UTC: BigQuery does not compare DATE
// with TIMESTAMP, so a date parameter must say it is one, with civil.Date
// (cloud.google.com/go/civil, a dependency-free value package that the DuckDB
// adapter accepts too, so one query with its parameters runs on both).
package bigquery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Config configures a Warehouse beyond the client options.
type Config struct {
	// Location is where datasets are created and jobs run (e.g. "US",
	// "europe-west1"). Empty lets BigQuery choose (US) and is fine only for
	// the US and EU multi-regions, where jobs are found without a location.
	Location string
	// Logger receives one record per query with bytes_processed and
	// cache_hit; nil discards them.
	Logger *slog.Logger
	// MaxBytesBilled caps what one query may bill (BigQuery fails a query
	// that would bill more, before it runs, and charges nothing); 0 means
	// DefaultMaxBytesBilled. A runaway query or a tenant with a huge dataset
	// then costs a bounded amount.
	MaxBytesBilled int64
	// QueryTimeout bounds one query, from request to last row; 0 means
	// DefaultQueryTimeout. The byte cap bounds what a query that outlives it
	// on the service's side can still cost.
	QueryTimeout time.Duration
}

// Defaults of Config's query bounds.
const (
	DefaultMaxBytesBilled = 50 << 30 // 50 GiB: far above any one tenant's monthly query, a few dollars at most
	DefaultQueryTimeout   = 2 * time.Minute
)

// Warehouse is a warehouse.Warehouse on BigQuery.
type Warehouse struct {
	client       *bigquery.Client
	location     string
	log          *slog.Logger
	maxBilled    int64
	queryTimeout time.Duration
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// New returns a Warehouse for projectID with the default Config. opts are
// passed to the BigQuery client (credentials, endpoint).
func New(ctx context.Context, projectID string, opts ...option.ClientOption) (*Warehouse, error) {
	return NewWithConfig(ctx, projectID, Config{}, opts...)
}

// NewWithConfig returns a Warehouse for projectID with cfg. It makes no
// request: credentials and the project are first used by the first call.
func NewWithConfig(ctx context.Context, projectID string, cfg Config, opts ...option.ClientOption) (*Warehouse, error) {
	if projectID == "" {
		return nil, errs.E(errs.Internal, "bigquery: no project id")
	}
	c, err := bigquery.NewClient(ctx, projectID, opts...)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "bigquery: create client")
	}
	c.Location = cfg.Location
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Warehouse{client: c, location: cfg.Location, log: log, maxBilled: cfg.MaxBytesBilled, queryTimeout: cfg.QueryTimeout}
	if w.maxBilled <= 0 {
		w.maxBilled = DefaultMaxBytesBilled
	}
	if w.queryTimeout <= 0 {
		w.queryTimeout = DefaultQueryTimeout
	}
	return w, nil
}

// Dialect reports warehouse.BigQuery.
func (w *Warehouse) Dialect() warehouse.Dialect { return warehouse.BigQuery }

// Close releases the client.
func (w *Warehouse) Close() error {
	if err := w.client.Close(); err != nil {
		return errs.Wrap(err, errs.Internal, "bigquery: close client")
	}
	return nil
}

// fieldType is the BigQuery type of a warehouse column type.
func fieldType(t warehouse.Type) (bigquery.FieldType, error) {
	switch t {
	case warehouse.String:
		return bigquery.StringFieldType, nil
	case warehouse.Int64:
		return bigquery.IntegerFieldType, nil
	case warehouse.Float64:
		return bigquery.FloatFieldType, nil
	case warehouse.Money:
		return bigquery.NumericFieldType, nil
	case warehouse.Bool:
		return bigquery.BooleanFieldType, nil
	case warehouse.Date:
		return bigquery.DateFieldType, nil
	case warehouse.Timestamp:
		return bigquery.TimestampFieldType, nil
	}
	return "", errs.E(errs.Internal, "unknown column type %q", t)
}

// schemaOf is the BigQuery schema of a table declaration.
func schemaOf(t warehouse.Table) (bigquery.Schema, error) {
	s := make(bigquery.Schema, len(t.Columns))
	for i, c := range t.Columns {
		if err := warehouse.CheckIdent(c.Name); err != nil {
			return nil, err
		}
		ft, err := fieldType(c.Type)
		if err != nil {
			return nil, err
		}
		s[i] = &bigquery.FieldSchema{Name: c.Name, Type: ft, Required: c.Required}
	}
	return s, nil
}

// EnsureDataset creates the dataset (an existing one is fine) and each table;
// an existing table gets the columns it lacks, added NULLABLE because
// BigQuery cannot add a REQUIRED column to a table that has rows. A column
// whose type differs is reported, not changed. Partitioning and clustering
// are set at creation only.
func (w *Warehouse) EnsureDataset(ctx context.Context, ds warehouse.Dataset) error {
	if err := warehouse.CheckIdent(ds.Name); err != nil {
		return err
	}
	schemas := make([]bigquery.Schema, len(ds.Tables))
	for i, t := range ds.Tables {
		if err := warehouse.CheckIdent(t.Name); err != nil {
			return err
		}
		s, err := schemaOf(t)
		if err != nil {
			return err
		}
		schemas[i] = s
	}
	// An explicit access list (project owners only): without one BigQuery
	// makes the creating account the dataset's owner, able to grant access or
	// delete it. The functions reach client datasets through project-level
	// grants limited to client_ datasets (terraform/iam.tf).
	err := w.client.Dataset(ds.Name).Create(ctx, &bigquery.DatasetMetadata{Location: w.location, Access: []*bigquery.AccessEntry{{Role: bigquery.OwnerRole, EntityType: bigquery.SpecialGroupEntity, Entity: "projectOwners"}}})
	if err != nil && !isStatus(err, http.StatusConflict) {
		return wrap(ctx, err, "create dataset %s", ds.Name)
	}
	for i, t := range ds.Tables {
		if err := w.ensureTable(ctx, ds.Name, t, schemas[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warehouse) ensureTable(ctx context.Context, dataset string, t warehouse.Table, schema bigquery.Schema) error {
	md := &bigquery.TableMetadata{Schema: schema}
	if t.PartitionBy != "" {
		md.TimePartitioning = &bigquery.TimePartitioning{Type: bigquery.MonthPartitioningType, Field: t.PartitionBy}
	}
	if len(t.ClusterBy) > 0 {
		md.Clustering = &bigquery.Clustering{Fields: t.ClusterBy}
	}
	table := w.client.Dataset(dataset).Table(t.Name)
	err := table.Create(ctx, md)
	if err == nil {
		return nil
	}
	if !isStatus(err, http.StatusConflict) {
		return wrap(ctx, err, "create table %s.%s", dataset, t.Name)
	}
	// The table exists: add what it lacks. A concurrent update changes the
	// etag and fails ours with 412; read again and retry.
	for attempt := 0; ; attempt++ {
		have, err := table.Metadata(ctx)
		if err != nil {
			return wrap(ctx, err, "read table %s.%s", dataset, t.Name)
		}
		existing := make(map[string]*bigquery.FieldSchema, len(have.Schema))
		for _, f := range have.Schema {
			existing[f.Name] = f
		}
		newSchema := append(bigquery.Schema{}, have.Schema...)
		for _, f := range schema {
			got, ok := existing[f.Name]
			if !ok {
				added := *f
				added.Required = false
				newSchema = append(newSchema, &added)
				continue
			}
			if got.Type != f.Type {
				return errs.E(errs.Internal, "column %s.%s.%s is %s, declared %s", dataset, t.Name, f.Name, got.Type, f.Type)
			}
		}
		if len(newSchema) == len(have.Schema) {
			return nil
		}
		_, err = table.Update(ctx, bigquery.TableMetadataToUpdate{Schema: newSchema}, have.ETag)
		if err == nil {
			return nil
		}
		if !isStatus(err, http.StatusPreconditionFailed) || attempt >= 3 {
			return wrap(ctx, err, "add columns to %s.%s", dataset, t.Name)
		}
	}
}

// Exec runs a parameterized statement (DML or DDL) and waits for it.
func (w *Warehouse) Exec(ctx context.Context, sql string, params map[string]any) error {
	_, err := w.run(ctx, sql, params, false)
	return err
}

// Query runs a parameterized query (see the package doc for parameter types).
// Results: NUMERIC → float64 dollars (the nearest float64), INT64 → int64,
// DATE → time.Time at midnight UTC, TIMESTAMP → time.Time in UTC, NULL → nil.
func (w *Warehouse) Query(ctx context.Context, sql string, params map[string]any) ([]warehouse.Result, error) {
	return w.run(ctx, sql, params, true)
}

func (w *Warehouse) run(ctx context.Context, sql string, params map[string]any, wantRows bool) ([]warehouse.Result, error) {
	qps, err := queryParams(params)
	if err != nil {
		return nil, err
	}
	q := w.client.Query(sql)
	q.Parameters = qps
	q.Location = w.location
	// Every query carries the byte cap. The timeout is the caller's
	// deadline, not QueryConfig.JobTimeout: the client library sends
	// queries with a job timeout through jobs.insert and polling instead
	// of the one-request jobs.query path, which doubles the requests of
	// every analytics call.
	q.MaxBytesBilled = w.maxBilled
	ctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
	defer cancel()
	start := time.Now()
	it, err := q.Read(ctx)
	if err != nil {
		return nil, wrap(ctx, err, "run query")
	}
	var out []warehouse.Result
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, wrap(ctx, err, "read query rows")
		}
		if !wantRows {
			continue
		}
		r := make(warehouse.Result, len(row))
		for i, f := range it.Schema {
			if i < len(row) {
				r[f.Name] = resultValue(row[i])
			}
		}
		out = append(out, r)
	}
	w.logStats(ctx, it, len(out), time.Since(start))
	return out, nil
}

// logStats logs what the query cost. The jobs.query fast path that Read uses
// does not surface statistics, so they are read from the job (one GET); a
// failure there is logged, never returned, since the rows are already good.
func (w *Warehouse) logStats(ctx context.Context, it *bigquery.RowIterator, rows int, took time.Duration) {
	attrs := []any{slog.Int("rows", rows), slog.Duration("duration", took)}
	job := it.SourceJob()
	if job == nil {
		w.log.InfoContext(ctx, "bigquery query", attrs...)
		return
	}
	attrs = append(attrs, slog.String("job_id", job.ID()))
	st, err := job.Status(ctx)
	if err != nil {
		w.log.WarnContext(ctx, "bigquery query: no statistics", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	if st.Statistics != nil {
		if qs, ok := st.Statistics.Details.(*bigquery.QueryStatistics); ok {
			attrs = append(attrs,
				slog.Int64("bytes_processed", qs.TotalBytesProcessed),
				slog.Int64("bytes_billed", qs.TotalBytesBilled),
				slog.Bool("cache_hit", qs.CacheHit))
		} else {
			attrs = append(attrs, slog.Int64("bytes_processed", st.Statistics.TotalBytesProcessed))
		}
	}
	w.log.InfoContext(ctx, "bigquery query", attrs...)
}

// queryParams converts named parameters to BigQuery's, typed by Go type.
func queryParams(params map[string]any) ([]bigquery.QueryParameter, error) {
	out := make([]bigquery.QueryParameter, 0, len(params))
	for name, v := range params {
		if err := warehouse.CheckIdent(strings.ToLower(name)); err != nil {
			return nil, errs.E(errs.Internal, "bad query parameter name %q", name)
		}
		pv, err := paramValue(v)
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "query parameter @%s", name)
		}
		out = append(out, bigquery.QueryParameter{Name: name, Value: pv})
	}
	return out, nil
}

// paramValue converts a parameter value to one the client types correctly.
func paramValue(v any) (any, error) {
	if n, ok, err := warehouse.Scalar(v); ok {
		return n, err
	}
	switch x := v.(type) {
	case string, bool, civil.Date:
		return x, nil
	case warehouse.Cents:
		return centsRat(x), nil
	case time.Time:
		return x.UTC(), nil
	case nil:
		// BigQuery needs a type even for NULL; a typed bigquery.Null* value
		// would tie callers to this package, so untyped NULL is refused.
		return nil, errors.New("untyped NULL parameter; write NULL in the SQL instead")
	}
	return nil, fmt.Errorf("unsupported parameter type %T", v)
}

// centsRat is the exact NUMERIC value of c.
func centsRat(c warehouse.Cents) *big.Rat { return big.NewRat(int64(c), 100) }

// resultValue converts a value of the client to the types warehouse.Result promises.
func resultValue(v bigquery.Value) any {
	switch x := v.(type) {
	case *big.Rat:
		if x == nil {
			return nil
		}
		f, _ := x.Float64() // the nearest float64
		return f
	case civil.Date:
		return time.Date(x.Year, x.Month, x.Day, 0, 0, 0, 0, time.UTC)
	case civil.DateTime:
		return x.In(time.UTC)
	case time.Time:
		return x.UTC()
	case []bigquery.Value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resultValue(e)
		}
		return out
	}
	return v
}

// isStatus reports whether err is an HTTP error of the API with status code.
func isStatus(err error, code int) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == code
}

// wrap gives err its errs code: a cancelled context, 429 and 5xx, the
// rate/quota reasons and connection resets are transient; 404 is not found; a
// bad request is a bug in our SQL or data and so internal, except a job's
// "invalid" reason, which is bad data (Invalid); 401/403 (other than the
// rate/quota reasons BigQuery also sends as 403) are our own missing
// permission, internal too. Only transient codes are retried (errs.Retryable):
// redelivering an event cannot cure a permission or a bug.
func wrap(ctx context.Context, err error, format string, args ...any) error {
	return errs.Wrap(err, classify(ctx, err), format, args...)
}

func classify(ctx context.Context, err error) errs.Code {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		for _, e := range ge.Errors {
			if transientReasons[e.Reason] {
				return errs.Transient
			}
			if e.Reason == reasonBytesBilled {
				return errs.TooLarge
			}
		}
		switch {
		case ge.Code == http.StatusNotFound:
			return errs.NotFound
		case ge.Code == http.StatusConflict:
			return errs.Conflict
		case ge.Code == http.StatusTooManyRequests || ge.Code >= 500:
			return errs.Transient
		}
		return errs.Internal
	}
	var be *bigquery.Error
	if errors.As(err, &be) {
		return reasonCode(be.Reason)
	}
	var me bigquery.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		return classify(ctx, me[0])
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return errs.Transient
	}
	return errs.Internal
}

// transientReasons are the BigQuery error reasons that a retry may cure.
var transientReasons = map[string]bool{
	"backendError": true, "internalError": true, "rateLimitExceeded": true, "quotaExceeded": true,
	"jobBackendError": true, "jobInternalError": true, "timeout": true,
}

// reasonBytesBilled is BigQuery's refusal of a query that would bill more
// than its MaxBytesBilled: the query is too large for its bound, and the
// same query fails the same way again.
const reasonBytesBilled = "bytesBilledLimitExceeded"

func reasonCode(reason string) errs.Code {
	switch {
	case reason == reasonBytesBilled:
		return errs.TooLarge
	case transientReasons[reason]:
		return errs.Transient
	case reason == "invalid":
		return errs.Invalid
	case reason == "notFound":
		return errs.NotFound
	case reason == "duplicate":
		return errs.Conflict
	}
	return errs.Internal
}
