// Package warehouse declares the analytical store the platform loads and
// queries: its datasets and tables (docs/architecture.md#data-model), declared once here and
// provisioned by every adapter, and the Warehouse interface that BigQuery (in
// production) and DuckDB (locally) implement. It imports no cloud SDK.
package warehouse

import (
	"context"
	"iter"
	"math"
	"regexp"
	"strconv"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Dialect names a SQL dialect, for the few statements that must differ.
type Dialect string

// The dialects.
const (
	BigQuery Dialect = "bigquery"
	DuckDB   Dialect = "duckdb"
)

// Type is a column type, mapped by each adapter to its own.
type Type string

// Column types. Money is exact: BigQuery NUMERIC, DuckDB DECIMAL(18,2); rows
// carry it as Cents, never as a float, because a float stored into a decimal
// column loses cents (docs/architecture.md#local-platform).
const (
	String    Type = "STRING"
	Int64     Type = "INT64"
	Float64   Type = "FLOAT64"
	Money     Type = "MONEY"
	Bool      Type = "BOOL"
	Date      Type = "DATE"
	Timestamp Type = "TIMESTAMP"
)

// Cents is an amount of money in hundredths of a dollar, the value of a Money column.
type Cents int64

// String renders c as an exact decimal, e.g. -5 → "-0.05", the form both
// dialects read into an exact NUMERIC/DECIMAL.
func (c Cents) String() string {
	v := int64(c)
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-v) // two's complement: correct for MinInt64 too
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + strconv.FormatUint(u%100/10, 10) + strconv.FormatUint(u%10, 10)
}

// Column is one column of a table.
type Column struct {
	Name     string
	Type     Type
	Required bool
}

// Table is one table of a dataset. PartitionBy names a DATE column whose month
// partitions the table in BigQuery; ClusterBy the clustering columns. DuckDB
// ignores both.
type Table struct {
	Name        string
	Columns     []Column
	PartitionBy string
	ClusterBy   []string
}

// Dataset is a BigQuery dataset or a DuckDB schema and its tables.
type Dataset struct {
	Name   string
	Tables []Table
}

// Table returns the table of d called name.
func (d Dataset) Table(name string) (Table, bool) {
	for _, t := range d.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Row is one row to insert, by column name. Values are string, int64, float64,
// bool, Cents, time.Time (for DATE columns the date part in UTC), or nil.
type Row map[string]any

// Result is one row of a query, by column name. Values come back as string,
// int64, float64 (NUMERIC and DECIMAL too, in dollars), bool, time.Time, or nil.
type Result map[string]any

// Part is the rows one load adds to one table: Rows, or, for loads too large
// to hold in memory, Stream, which yields them one at a time (from a spool
// file) and may be ranged over more than once, e.g. by a retry, or Staged,
// a staging file of the table's rows that an adapter may load as a whole
// (DuckDB reads it in one statement).
type Part struct {
	Table  string
	Rows   []Row
	Stream iter.Seq2[Row, error]
	Staged *Staged
}

// All yields the part's rows, from Staged, else Stream, else Rows. Adapters
// read parts through All, or read Staged's file themselves.
func (p Part) All() iter.Seq2[Row, error] {
	if p.Staged != nil {
		return p.Staged.Rows()
	}
	if p.Stream != nil {
		return p.Stream
	}
	return func(yield func(Row, error) bool) {
		for _, r := range p.Rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Load is a set of rows for several tables of one dataset that must land
// together and exactly once. ID is deterministic (derived from what is loaded,
// e.g. the upload's idempotency key): loading the same ID again adds nothing,
// and a retry after a crash half-way completes the load without duplicates.
type Load struct {
	ID      string
	Dataset string
	Parts   []Part
}

// Warehouse is the analytical store.
type Warehouse interface {
	// Dialect says which SQL the warehouse speaks.
	Dialect() Dialect
	// EnsureDataset creates the dataset and any missing tables; it is idempotent
	// and safe to call concurrently.
	EnsureDataset(ctx context.Context, ds Dataset) error
	// Load inserts a load's rows atomically and idempotently (see Load).
	Load(ctx context.Context, l Load) error
	// Exec runs a parameterized statement that returns no rows.
	Exec(ctx context.Context, sql string, params map[string]any) error
	// Query runs a parameterized query. Parameters are written @name in the SQL;
	// tables as dataset.table. Values are bound, never spliced into the text.
	Query(ctx context.Context, sql string, params map[string]any) ([]Result, error)
	// Close releases the warehouse.
	Close() error
}

var identPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,127}$`)

// CheckIdent reports whether name is safe to place in SQL text as a dataset,
// table or column name. Names that reach SQL come from code or from an
// authorized client id, never from request input; this is the guard that keeps
// it so.
func CheckIdent(name string) error {
	if !identPattern.MatchString(name) {
		return errs.E(errs.Internal, "unsafe SQL identifier %q", name)
	}
	return nil
}

// DateOf returns the DATE value for a calendar day.
func DateOf(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

// Scalar normalizes a parameter's Go integer and float kinds to int64 and
// float64, the two numeric types both dialects bind; ok is false for any
// other type, which the adapter then handles itself. An unsigned value beyond
// int64 is an error.
func Scalar(v any) (out any, ok bool, err error) {
	switch x := v.(type) {
	case int64, float64:
		return x, true, nil
	case int:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, true, errs.E(errs.Internal, "integer %d out of range", x)
		}
		return int64(x), true, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, true, errs.E(errs.Internal, "integer %d out of range", x)
		}
		return int64(x), true, nil
	case float32:
		return float64(x), true, nil
	}
	return nil, false, nil
}
