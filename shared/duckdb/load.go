package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"iter"
	"math/big"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/civil"
	"github.com/duckdb/duckdb-go/v2"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// insertBatch is the number of rows per INSERT statement on the INSERT path.
const insertBatch = 256

// Load inserts the rows of every part in one transaction, and records l.ID in
// the dataset's _loads table inside the same transaction: either all rows and
// the ID are committed, or nothing is. A load whose ID is already recorded is
// a no-op.
//
// Rows go in through DuckDB's Appender on the same connection. The Appender
// joins the connection's open transaction (its rows vanish on ROLLBACK:
// TestLoadRollsBackAppendedRows and the contract's LoadAtomic), so it keeps
// atomicity, and it is 60-70 times faster than batched INSERTs with bound
// parameters (BenchmarkLoad, 100k rows on 2 shared cores: ~165-250k rows/s
// against ~2.4-4.3k rows/s). Money values must be warehouse.Cents; they are
// appended as duckdb.Decimal, whose unscaled value is exactly the cents,
// never through a float.
//
// A part with a staging file (Part.Staged) goes in with one INSERT … SELECT
// FROM read_csv of that file instead (insertStaged), in the same transaction.
//
// Other rows are read once, through Part.All, so a Stream is never held in
// memory; an error it yields aborts the load with that error's code.
//
// Loads of the same (dataset, ID) are serialized in this process, so a
// concurrent duplicate waits and then finds the ID recorded.
func (w *Warehouse) Load(ctx context.Context, l warehouse.Load) error {
	if l.ID == "" {
		return errs.E(errs.Internal, "load has no ID")
	}
	if err := warehouse.CheckIdent(l.Dataset); err != nil {
		return err
	}
	for _, p := range l.Parts {
		if err := warehouse.CheckIdent(p.Table); err != nil {
			return err
		}
		if p.Table == loadsTable {
			return errs.E(errs.Internal, "table name %s is reserved", loadsTable)
		}
	}
	unlock := w.loadLocks.lock(l.Dataset + "\x00" + l.ID)
	defer unlock()
	w.ddl.RLock()
	defer w.ddl.RUnlock()

	conn, err := w.db.Conn(ctx)
	if err != nil {
		return errs.Wrap(err, errs.Transient, "load %s: get connection", l.Dataset)
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return errs.Wrap(err, classify(ctx, err), "load %s: begin", l.Dataset)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// The caller's context may be done; the rollback must still run, or the
		// pooled connection would keep the transaction open.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // discard the connection
		}
	}()

	var seen int
	err = conn.QueryRowContext(ctx,
		"SELECT count(*) FROM "+w.table(l.Dataset, loadsTable)+" WHERE load_id = $1", l.ID).Scan(&seen)
	if err != nil {
		return errs.Wrap(err, classify(ctx, err), "load %s: check load id (is the dataset provisioned?)", l.Dataset)
	}
	if seen > 0 {
		return nil // applied before: loading again adds nothing
	}

	total := 0
	for _, p := range l.Parts {
		if p.Stream == nil && p.Staged == nil && len(p.Rows) == 0 {
			continue
		}
		cols, err := tableColumns(ctx, conn, l.Dataset, p.Table)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			return errs.E(errs.NotFound, "load %s: no table %s.%s", l.Dataset, l.Dataset, p.Table)
		}
		var n int
		if p.Staged != nil && !w.useInsert {
			if p.Staged.Len() == 0 {
				continue
			}
			n, err = w.insertStaged(ctx, conn, l.Dataset, p.Table, cols, p.Staged)
		} else if w.useInsert {
			n, err = w.insertRows(ctx, conn, l.Dataset, p.Table, cols, p.All())
		} else {
			n, err = w.appendRows(ctx, conn, l.Dataset, p.Table, cols, p.All())
		}
		if err != nil {
			return err
		}
		total += n
	}

	_, err = conn.ExecContext(ctx,
		"INSERT INTO "+w.table(l.Dataset, loadsTable)+" (load_id, loaded_at, row_count) VALUES ($1, $2, $3)",
		l.ID, time.Now().UTC(), int64(total))
	if err != nil {
		return errs.Wrap(err, classify(ctx, err), "load %s: record load id", l.Dataset)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return errs.Wrap(err, classify(ctx, err), "load %s: commit", l.Dataset)
	}
	committed = true
	return nil
}

// appendRows appends rows through a DuckDB Appender on the connection, which
// holds the load's open transaction, and returns how many it appended.
func (w *Warehouse) appendRows(ctx context.Context, conn *sql.Conn, dataset, table string, cols []column, rows iter.Seq2[warehouse.Row, error]) (n int, err error) {
	err = conn.Raw(func(dc any) (err error) {
		a, err := duckdb.NewAppender(dc.(driver.Conn), w.catalog, dataset, table)
		if err != nil {
			return errs.Wrap(err, errs.Internal, "append to %s.%s", dataset, table)
		}
		defer func() {
			// Close flushes the last rows; constraint violations surface here.
			if cerr := a.Close(); cerr != nil && err == nil {
				err = errs.Wrap(cerr, classify(ctx, cerr), "append to %s.%s", dataset, table)
			}
		}()
		vals := make([]driver.Value, len(cols))
		for r, err := range rows {
			if err != nil {
				return streamError(err, dataset, table, n)
			}
			if err := rowValues(vals, cols, r); err != nil {
				return errs.Wrap(err, errs.Invalid, "%s.%s row %d", dataset, table, n)
			}
			if err := a.AppendRow(vals...); err != nil {
				return errs.Wrap(err, classify(ctx, err), "append to %s.%s row %d", dataset, table, n)
			}
			n++
			if n%8192 == 0 && ctx.Err() != nil {
				return errs.Wrap(ctx.Err(), errs.Transient, "append to %s.%s", dataset, table)
			}
		}
		return nil
	})
	return n, err
}

// insertStaged loads a staging file with one INSERT … SELECT FROM read_csv
// on the connection, inside the load's transaction (a ROLLBACK removes its
// rows, as it does appended ones). DuckDB reads the file in parallel with
// its own CSV reader, which is several times faster than appending the same
// rows one by one from Go (BenchmarkIngestVsReadCSVAuto in
// internal/ingestbench). Each column is read as its declared type; a
// TIMESTAMP is read at nanosecond precision and cast to the column's
// microseconds, which truncates exactly as the Appender does.
func (w *Warehouse) insertStaged(ctx context.Context, conn *sql.Conn, dataset, table string, cols []column, s *warehouse.Staged) (int, error) {
	path, err := s.File()
	if err != nil {
		return 0, err
	}
	have := make(map[string]column, len(cols))
	for _, c := range cols {
		have[c.name] = c
	}
	var names, exprs, types []string
	var args []any
	for _, c := range s.Table().Columns {
		hc, ok := have[c.Name]
		if !ok {
			return 0, errs.E(errs.Invalid, "%s.%s: unknown column %q", dataset, table, c.Name)
		}
		if hc.typ != c.Type {
			return 0, errs.E(errs.Internal, "%s.%s: column %s is %s, staged as %s", dataset, table, c.Name, hc.duckType, c.Type)
		}
		typ, err := sqlType(c.Type)
		if err != nil {
			return 0, err
		}
		names = append(names, quote(c.Name))
		if v, fixed := s.Fixed(c.Name); fixed {
			// The same in every row: bound once, as a parameter.
			arg, err := fixedArg(hc, v)
			if err != nil {
				return 0, errs.Wrap(err, errs.Invalid, "%s.%s: column %s", dataset, table, c.Name)
			}
			exprs = append(exprs, "CAST(? AS "+typ+")")
			args = append(args, arg)
			continue
		}
		expr := quote(c.Name)
		if c.Type == warehouse.Timestamp {
			typ = "TIMESTAMP_NS"
			expr = "CAST(" + quote(c.Name) + " AS TIMESTAMP)"
		}
		exprs = append(exprs, expr)
		types = append(types, literal(c.Name)+": "+literal(typ))
	}
	if len(types) == 0 {
		return 0, errs.E(errs.Internal, "%s.%s: every staged column is fixed", dataset, table)
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM read_csv(%s, header = false, auto_detect = false,
  delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false,
  columns = {%s})`,
		w.table(dataset, table), strings.Join(names, ", "), strings.Join(exprs, ", "), literal(path), strings.Join(types, ", "))
	res, err := conn.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, errs.Wrap(err, classify(ctx, err), "load %s.%s from its staging file", dataset, table)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, errs.Wrap(err, errs.Internal, "load %s.%s from its staging file", dataset, table)
	}
	if n != int64(s.Len()) {
		return 0, errs.E(errs.Internal, "load %s.%s: %d rows read from the staging file, %d staged", dataset, table, n, s.Len())
	}
	return int(n), nil
}

// fixedArg is the parameter of a fixed column's value: what the Appender
// takes, except that MONEY is bound as its exact decimal text.
func fixedArg(c column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if c.typ == warehouse.Money {
		x, ok := v.(warehouse.Cents)
		if !ok {
			return nil, errType(c, v)
		}
		return x.String(), nil
	}
	return columnValue(c, v)
}

// literal quotes s as an SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// streamError wraps the error a part's row stream yielded, keeping its code.
func streamError(err error, dataset, table string, row int) error {
	return errs.Wrap(err, errs.CodeOf(err), "%s.%s: read row %d", dataset, table, row)
}

// insertRows is the INSERT path: multi-row INSERT statements with bound
// parameters, kept as the baseline the Appender is measured against.
func (w *Warehouse) insertRows(ctx context.Context, conn *sql.Conn, dataset, table string, cols []column, rows iter.Seq2[warehouse.Row, error]) (int, error) {
	names := make([]string, len(cols))
	holders := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quote(c.name)
		holders[i] = "?"
		if c.typ == warehouse.Money {
			holders[i] = "CAST(? AS DECIMAL(18,2))" // bound as an exact decimal string
		}
	}
	tuple := "(" + strings.Join(holders, ", ") + ")"
	head := fmt.Sprintf("INSERT INTO %s (%s) VALUES ", w.table(dataset, table), strings.Join(names, ", "))
	vals := make([]driver.Value, len(cols))
	var q strings.Builder
	var args []any
	inBatch, n := 0, 0
	flush := func() error {
		if inBatch == 0 {
			return nil
		}
		if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
			return errs.Wrap(err, classify(ctx, err), "insert into %s.%s", dataset, table)
		}
		q.Reset()
		args = args[:0]
		inBatch = 0
		return nil
	}
	for r, err := range rows {
		if err != nil {
			return n, streamError(err, dataset, table, n)
		}
		if err := rowValues(vals, cols, r); err != nil {
			return n, errs.Wrap(err, errs.Invalid, "%s.%s row %d", dataset, table, n)
		}
		if inBatch == 0 {
			q.WriteString(head)
		} else {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		for _, v := range vals {
			if d, ok := v.(duckdb.Decimal); ok {
				v = warehouse.Cents(d.Value.Int64()).String()
			}
			args = append(args, v)
		}
		inBatch++
		n++
		if inBatch == insertBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// rowValues fills vals with r's values in table column order. A key of r that
// names no column is an error, so that a typo never drops data silently.
func rowValues(vals []driver.Value, cols []column, r warehouse.Row) error {
	matched := 0
	for i, c := range cols {
		v, ok := r[c.name]
		if ok {
			matched++
		}
		if v == nil {
			vals[i] = nil
			continue
		}
		cv, err := columnValue(c, v)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
		vals[i] = cv
	}
	if matched < len(r) {
		for k := range r {
			if !hasColumn(cols, k) {
				return fmt.Errorf("unknown column %q", k)
			}
		}
	}
	return nil
}

func hasColumn(cols []column, name string) bool {
	for _, c := range cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// errType is the error of a value whose Go type does not fit its column.
func errType(c column, v any) error {
	return fmt.Errorf("%T is not a valid %s value", v, c.typ)
}

// columnValue converts one row value to what the Appender takes for c.
func columnValue(c column, v any) (driver.Value, error) {
	switch c.typ {
	case warehouse.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case warehouse.Int64:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
	case warehouse.Float64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case warehouse.Money:
		// Only Cents: a float would be appended as a truncated unscaled value
		// (docs/architecture.md#local-platform), and a bare integer is ambiguous between dollars and cents.
		if x, ok := v.(warehouse.Cents); ok {
			return duckdb.Decimal{Width: 18, Scale: 2, Value: big.NewInt(int64(x))}, nil
		}
	case warehouse.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case warehouse.Date:
		switch x := v.(type) {
		case time.Time:
			y, m, d := x.UTC().Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		case civil.Date:
			if !x.IsValid() {
				return nil, fmt.Errorf("invalid date %v", x)
			}
			return civilDate(x), nil
		}
	case warehouse.Timestamp:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	default:
		return nil, fmt.Errorf("column type %q is not loadable", c.duckType)
	}
	return nil, errType(c, v)
}

// keyedMutex is a set of mutexes by key, created on demand and dropped when
// no one holds or waits for them.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
