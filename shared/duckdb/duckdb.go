// Package duckdb is the local warehouse: warehouse.Warehouse on an embedded
// DuckDB database (github.com/duckdb/duckdb-go/v2, cgo). It is wired only from
// cmd/rentroll and tests, never from the deployed build (docs/architecture.md#layout-and-the-dependency-rule).
//
// Datasets are DuckDB schemas of the same name. Types map as MONEY →
// DECIMAL(18,2), FLOAT64 → DOUBLE, INT64 → BIGINT, STRING → VARCHAR, BOOL →
// BOOLEAN, DATE → DATE and TIMESTAMP → TIMESTAMP holding UTC (not TIMESTAMPTZ,
// whose casts and functions depend on the session time zone and the ICU
// extension). SQL is written BigQuery style (@name parameters, dataset.table)
// and rewritten here (see rewrite).
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/civil"
	"github.com/duckdb/duckdb-go/v2"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// loadsTable is the per-dataset bookkeeping table of applied load IDs. Its
// leading underscore keeps it apart from the A5 tables while still passing
// warehouse.CheckIdent.
const loadsTable = "_loads"

// Warehouse is a warehouse.Warehouse on one DuckDB database file.
type Warehouse struct {
	db        *sql.DB
	connector *duckdb.Connector

	// catalog is the database's own catalog name ("memory", or the file's base
	// name). Generated SQL names catalog.schema.table in full because the A5
	// dataset "system" is also the name of DuckDB's built-in system catalog,
	// which makes a bare system.users ambiguous.
	catalog string

	// ddl serializes EnsureDataset: DuckDB reports concurrent CREATE/ALTER of
	// the same catalog entry as a write-write conflict instead of waiting.
	// Loads take it shared so that an ALTER TABLE never races an append.
	ddl sync.RWMutex

	// loadLocks serializes loads of the same (dataset, ID) in this process, so
	// that a concurrent duplicate waits for the first and then sees its ID in
	// _loads instead of failing on a primary-key conflict.
	loadLocks keyedMutex

	// useInsert selects the INSERT path instead of the Appender (benchmarks).
	useInsert bool
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open opens (creating if needed) the DuckDB database at path; "" or
// ":memory:" opens a private in-memory database, for tests.
func Open(path string) (*Warehouse, error) {
	if path == ":memory:" {
		path = ""
	}
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "open duckdb database")
	}
	db := sql.OpenDB(connector)
	var catalog string
	if err := db.QueryRow("SELECT current_database()").Scan(&catalog); err != nil {
		_ = db.Close()
		_ = connector.Close()
		return nil, errs.Wrap(err, errs.Internal, "open duckdb database")
	}
	return &Warehouse{db: db, connector: connector, catalog: catalog}, nil
}

// quote quotes an identifier for DuckDB. Dataset, table and column names
// passed warehouse.CheckIdent; quoting keeps names that are DuckDB keywords
// (at, order, ...) usable.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// table is the fully qualified, quoted name of dataset.table.
func (w *Warehouse) table(dataset, table string) string {
	return quote(w.catalog) + "." + quote(dataset) + "." + quote(table)
}

// Dialect reports warehouse.DuckDB.
func (w *Warehouse) Dialect() warehouse.Dialect { return warehouse.DuckDB }

// Close checkpoints the database, so that the file alone holds every
// committed row, and releases it.
func (w *Warehouse) Close() error {
	_, cerr := w.db.Exec("CHECKPOINT")
	err := errors.Join(cerr, w.db.Close(), w.connector.Close())
	if err != nil {
		return errs.Wrap(err, errs.Internal, "close duckdb database")
	}
	return nil
}

// sqlType is the DuckDB type of a warehouse column type, as DuckDB spells it
// in duckdb_columns().data_type (so that EnsureDataset can compare).
func sqlType(t warehouse.Type) (string, error) {
	switch t {
	case warehouse.String:
		return "VARCHAR", nil
	case warehouse.Int64:
		return "BIGINT", nil
	case warehouse.Float64:
		return "DOUBLE", nil
	case warehouse.Money:
		return "DECIMAL(18,2)", nil
	case warehouse.Bool:
		return "BOOLEAN", nil
	case warehouse.Date:
		return "DATE", nil
	case warehouse.Timestamp:
		return "TIMESTAMP", nil
	}
	return "", errs.E(errs.Internal, "unknown column type %q", t)
}

// typeOf is the inverse of sqlType for the types this package creates.
func typeOf(duck string) (warehouse.Type, bool) {
	switch duck {
	case "VARCHAR":
		return warehouse.String, true
	case "BIGINT":
		return warehouse.Int64, true
	case "DOUBLE":
		return warehouse.Float64, true
	case "DECIMAL(18,2)":
		return warehouse.Money, true
	case "BOOLEAN":
		return warehouse.Bool, true
	case "DATE":
		return warehouse.Date, true
	case "TIMESTAMP":
		return warehouse.Timestamp, true
	}
	return "", false
}

// EnsureDataset creates the schema, its _loads table and every table of ds,
// and adds the columns a newer declaration has and an existing table lacks.
// Added columns are nullable even when declared Required, because existing
// rows have no value for them (BigQuery has the same rule).
func (w *Warehouse) EnsureDataset(ctx context.Context, ds warehouse.Dataset) error {
	if err := checkDataset(ds); err != nil {
		return err
	}
	w.ddl.Lock()
	defer w.ddl.Unlock()

	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + quote(w.catalog) + "." + quote(ds.Name),
		"CREATE TABLE IF NOT EXISTS " + w.table(ds.Name, loadsTable) +
			" (load_id VARCHAR PRIMARY KEY, loaded_at TIMESTAMP NOT NULL, row_count BIGINT NOT NULL)",
	}
	for _, s := range stmts {
		if _, err := w.db.ExecContext(ctx, s); err != nil {
			return errs.Wrap(err, errs.Internal, "create dataset %s", ds.Name)
		}
	}
	for _, t := range ds.Tables {
		if err := w.ensureTable(ctx, ds.Name, t); err != nil {
			return err
		}
	}
	return nil
}

func checkDataset(ds warehouse.Dataset) error {
	if err := warehouse.CheckIdent(ds.Name); err != nil {
		return err
	}
	for _, t := range ds.Tables {
		if err := warehouse.CheckIdent(t.Name); err != nil {
			return err
		}
		if t.Name == loadsTable {
			return errs.E(errs.Internal, "table name %s is reserved", loadsTable)
		}
		for _, c := range t.Columns {
			if err := warehouse.CheckIdent(c.Name); err != nil {
				return err
			}
			if _, err := sqlType(c.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Warehouse) ensureTable(ctx context.Context, dataset string, t warehouse.Table) error {
	defs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		typ, _ := sqlType(c.Type) // checked by checkDataset
		defs[i] = quote(c.Name) + " " + typ
		if c.Required {
			defs[i] += " NOT NULL"
		}
	}
	create := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", w.table(dataset, t.Name), strings.Join(defs, ", "))
	if _, err := w.db.ExecContext(ctx, create); err != nil {
		return errs.Wrap(err, errs.Internal, "create table %s.%s", dataset, t.Name)
	}
	have, err := tableColumns(ctx, w.db, dataset, t.Name)
	if err != nil {
		return err
	}
	existing := make(map[string]string, len(have))
	for _, c := range have {
		existing[c.name] = c.duckType
	}
	for _, c := range t.Columns {
		typ, _ := sqlType(c.Type)
		got, ok := existing[c.Name]
		if !ok {
			alter := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", w.table(dataset, t.Name), quote(c.Name), typ)
			if _, err := w.db.ExecContext(ctx, alter); err != nil {
				return errs.Wrap(err, errs.Internal, "add column %s to %s.%s", c.Name, dataset, t.Name)
			}
			continue
		}
		if got != typ {
			return errs.E(errs.Internal, "column %s.%s.%s is %s, declared %s", dataset, t.Name, c.Name, got, typ)
		}
	}
	return nil
}

// column is a column of an existing table, as the database has it.
type column struct {
	name     string
	duckType string
	typ      warehouse.Type // "" when the DuckDB type is not one this package creates
}

// querier is what tableColumns needs of *sql.DB and *sql.Conn.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// tableColumns lists a table's columns in table order; none means no table.
func tableColumns(ctx context.Context, q querier, dataset, table string) ([]column, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT column_name, data_type FROM duckdb_columns()
		 WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2
		 ORDER BY column_index`, dataset, table)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "list columns of %s.%s", dataset, table)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.duckType); err != nil {
			return nil, errs.Wrap(err, errs.Internal, "list columns of %s.%s", dataset, table)
		}
		c.typ, _ = typeOf(c.duckType)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "list columns of %s.%s", dataset, table)
	}
	return cols, nil
}

// Exec runs a parameterized statement (see Query for the SQL it accepts).
func (w *Warehouse) Exec(ctx context.Context, query string, params map[string]any) error {
	q, args, err := rewrite(query, params, w.catalog)
	if err != nil {
		return err
	}
	if _, err := w.db.ExecContext(ctx, q, args...); err != nil {
		return errs.Wrap(err, classify(ctx, err), "exec statement")
	}
	return nil
}

// Query runs a parameterized query written BigQuery style: @name parameters
// and dataset.table names. Parameter values may be string, bool, any Go
// integer, float64, warehouse.Cents (bound exactly as DECIMAL(18,2)),
// civil.Date (bound as DATE), time.Time (bound as TIMESTAMP, in UTC) or nil.
// Results: DECIMAL → float64 dollars, integers (HUGEINT too, when it fits) →
// int64, DATE and TIMESTAMP → time.Time in UTC, NULL → nil.
func (w *Warehouse) Query(ctx context.Context, query string, params map[string]any) ([]warehouse.Result, error) {
	q, args, err := rewrite(query, params, w.catalog)
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, classify(ctx, err), "run query")
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "read query columns")
	}
	var out []warehouse.Result
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, errs.Wrap(err, errs.Internal, "read query row")
		}
		r := make(warehouse.Result, len(names))
		for i, n := range names {
			r[n] = resultValue(vals[i])
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, classify(ctx, err), "read query rows")
	}
	return out, nil
}

// classify picks the code of a failed statement: the caller's cancellation is
// transient; anything else from an embedded database is a bug in our SQL or
// data, which retrying will not fix.
func classify(ctx context.Context, err error) errs.Code {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Transient
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeConstraint, duckdb.ErrorTypeConversion:
			return errs.Invalid // the data breaks the schema: retrying will not help
		case duckdb.ErrorTypeTransaction:
			return errs.Transient // a write-write conflict: retrying will
		case duckdb.ErrorTypeCatalog:
			return errs.NotFound // no such schema or table, as BigQuery's 404
		}
	}
	// The Appender reports constraint failures without DuckDB's typed prefix
	// ("Failed to append: NOT NULL constraint failed: ...").
	if strings.Contains(err.Error(), "constraint failed") {
		return errs.Invalid
	}
	return errs.Internal
}

// resultValue converts a scanned DuckDB value to the types warehouse.Result promises.
func resultValue(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return decimalFloat(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFloat returns the float64 nearest to d. Dividing two exactly
// representable numbers is correctly rounded in IEEE arithmetic, so 10 cents
// become exactly the float64 0.1 (big.Float division at 64 bits could round
// twice).
func decimalFloat(d duckdb.Decimal) float64 {
	if d.Value == nil {
		return 0
	}
	if d.Value.IsInt64() && int(d.Scale) < len(pow10) {
		if v := d.Value.Int64(); v > -(1<<53) && v < 1<<53 {
			return float64(v) / pow10[d.Scale]
		}
	}
	f, err := strconv.ParseFloat(d.String(), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// civilDate converts a civil.Date to the time.Time DATE value (midnight UTC).
func civilDate(d civil.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}
