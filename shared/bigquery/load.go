package bigquery

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math"
	"net/http"
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// jobAttempts bounds the job IDs one table of a load may use: a job that
// failed transiently keeps its ID forever, so the next attempt takes the
// next deterministic ID (…_a1, …_a2, …).
const jobAttempts = 4

// Load runs one load job per table of l: NDJSON uploaded with the job
// (a media upload; production may stage large files to GCS and load from
// there instead), WRITE_APPEND, CREATE_NEVER, with a job ID derived from
// l.ID, the dataset and the table. Parts for the same table are one job.
//
// Exactly once: BigQuery refuses a second job with an existing ID (409), so a
// repeated or concurrent Load, or a retry after a crash half-way, finds the
// jobs already made, waits for them and counts their success as done; only
// the missing tables are loaded.
//
// All or nothing: every row of every part is checked against the tables'
// schemas (unknown column, NULL in a REQUIRED column, a value of the wrong
// type) before the first job starts, so bad data loads nothing. Load jobs are
// atomic one by one, not together: if the process dies between two jobs, the
// load is partial until it is retried with the same ID, which completes it.
//
// Rows are read only through Part.All; a Stream is ranged twice (check, then
// upload) and never held in memory.
func (w *Warehouse) Load(ctx context.Context, l warehouse.Load) error {
	if l.ID == "" {
		return errs.E(errs.Internal, "load has no ID")
	}
	if err := warehouse.CheckIdent(l.Dataset); err != nil {
		return err
	}
	type tableLoad struct {
		name   string
		parts  []warehouse.Part
		schema bigquery.Schema
	}
	var tables []*tableLoad
	byName := map[string]*tableLoad{}
	for _, p := range l.Parts {
		if err := warehouse.CheckIdent(p.Table); err != nil {
			return err
		}
		if p.Stream == nil && p.Staged == nil && len(p.Rows) == 0 {
			continue
		}
		t := byName[p.Table]
		if t == nil {
			t = &tableLoad{name: p.Table}
			byName[p.Table] = t
			tables = append(tables, t)
		}
		t.parts = append(t.parts, p)
	}

	// Check everything before loading anything: a first pass over the rows
	// (streams are ranged twice, as Part allows).
	var scratch []byte
	for _, t := range tables {
		md, err := w.client.Dataset(l.Dataset).Table(t.name).Metadata(ctx)
		if err != nil {
			return wrap(ctx, err, "load %s: read table %s", l.Dataset, t.name)
		}
		t.schema = md.Schema
		i := 0
		for r, err := range rowsOf(t.parts) {
			if err != nil {
				return errs.Wrap(err, errs.CodeOf(err), "load %s: %s: read row %d", l.Dataset, t.name, i)
			}
			if scratch, err = appendRow(scratch[:0], t.schema, r); err != nil {
				return errs.Wrap(err, errs.Invalid, "load %s: %s row %d", l.Dataset, t.name, i)
			}
			i++
		}
	}

	for _, t := range tables {
		if err := w.loadTable(ctx, l.Dataset, t.name, t.schema, rowsOf(t.parts), jobID(l.ID, l.Dataset, t.name)); err != nil {
			return err
		}
	}
	return nil
}

// rowsOf yields the rows of parts in order.
func rowsOf(parts []warehouse.Part) iter.Seq2[warehouse.Row, error] {
	return func(yield func(warehouse.Row, error) bool) {
		for _, p := range parts {
			for r, err := range p.All() {
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// loadTable makes sure that one load job with ID base (or a later attempt
// ID, see jobAttempts) has succeeded.
func (w *Warehouse) loadTable(ctx context.Context, dataset, table string, schema bigquery.Schema, rows iter.Seq2[warehouse.Row, error], base string) error {
	var last error
	for attempt := range jobAttempts {
		id := base
		if attempt > 0 {
			id = fmt.Sprintf("%s_a%d", base, attempt)
		}
		job, err := w.startLoad(ctx, dataset, table, schema, rows, id)
		if isStatus(err, http.StatusConflict) {
			// Made before, by an earlier try or a concurrent one: its outcome is ours.
			job, err = w.client.JobFromIDLocation(ctx, id, w.location)
		}
		if err != nil {
			return wrap(ctx, err, "load %s.%s: job %s", dataset, table, id)
		}
		status := job.LastStatus()
		if status == nil || !status.Done() {
			if status, err = job.Wait(ctx); err != nil {
				return wrap(ctx, err, "load %s.%s: wait for job %s", dataset, table, id)
			}
		}
		if status.Err() == nil {
			return nil
		}
		last = errs.Wrap(status.Err(), classify(ctx, status.Err()), "load %s.%s: job %s failed", dataset, table, id)
		if !errs.Is(last, errs.Transient) {
			return last
		}
	}
	return last
}

// startLoad creates the load job, streaming the rows as NDJSON.
func (w *Warehouse) startLoad(ctx context.Context, dataset, table string, schema bigquery.Schema, rows iter.Seq2[warehouse.Row, error], id string) (*bigquery.Job, error) {
	pr, pw := io.Pipe()
	defer pr.Close() // stops the writer if the upload ended early
	go func() {
		bw := bufio.NewWriterSize(pw, 256<<10)
		var buf []byte
		var err error
		for r, rerr := range rows {
			if rerr != nil {
				err = rerr // the stream failed on this second pass: abort the upload
				break
			}
			if buf, err = appendRow(buf[:0], schema, r); err != nil {
				break // checked on the first pass
			}
			buf = append(buf, '\n')
			if _, err = bw.Write(buf); err != nil {
				break
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	src := bigquery.NewReaderSource(pr)
	src.SourceFormat = bigquery.JSON
	loader := w.client.Dataset(dataset).Table(table).LoaderFrom(src)
	loader.JobID = id
	loader.Location = w.location
	loader.WriteDisposition = bigquery.WriteAppend
	loader.CreateDisposition = bigquery.CreateNever
	loader.Labels = map[string]string{"component": "rentroll-load"}
	return loader.Run(ctx)
}

// jobID is the deterministic ID of the job that loads table for a load:
// readable parts sanitized to [A-Za-z0-9_-], plus a hash of the exact
// inputs, because sanitizing and truncating can make two IDs alike.
func jobID(loadID, dataset, table string) string {
	sum := sha256.Sum256([]byte(dataset + "\x00" + table + "\x00" + loadID))
	readable := sanitize(loadID)
	if len(readable) > 600 {
		readable = readable[:600]
	}
	// dataset and table passed CheckIdent (≤ 128 characters each), so the
	// whole ID stays far below BigQuery's 1024.
	return "rentroll_load_" + dataset + "_" + table + "_" + readable + "_" + hex.EncodeToString(sum[:8])
}

// sanitize replaces every character outside [A-Za-z0-9_-] with '_'.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// appendRow appends r as one NDJSON object in schema order, NULLs omitted.
// It refuses keys outside the schema, NULL in REQUIRED fields and values
// whose Go type does not fit the field.
func appendRow(buf []byte, schema bigquery.Schema, r warehouse.Row) ([]byte, error) {
	matched := 0
	buf = append(buf, '{')
	first := true
	for _, f := range schema {
		v, ok := r[f.Name]
		if ok {
			matched++
		}
		if v == nil {
			if f.Required {
				return buf, fmt.Errorf("column %s is required", f.Name)
			}
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = strconv.AppendQuote(buf, f.Name) // identifiers: plain ASCII
		buf = append(buf, ':')
		var err error
		if buf, err = appendValue(buf, f.Type, v); err != nil {
			return buf, fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	if matched < len(r) {
		for k := range r {
			if !hasField(schema, k) {
				return buf, fmt.Errorf("unknown column %q", k)
			}
		}
	}
	return append(buf, '}'), nil
}

func hasField(s bigquery.Schema, name string) bool {
	for _, f := range s {
		if f.Name == name {
			return true
		}
	}
	return false
}

// appendValue appends v as the JSON that a BigQuery JSON load reads as type t.
func appendValue(buf []byte, t bigquery.FieldType, v any) ([]byte, error) {
	switch t {
	case bigquery.StringFieldType:
		if s, ok := v.(string); ok {
			b, err := json.Marshal(s)
			return append(buf, b...), err
		}
	case bigquery.IntegerFieldType:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(buf, x, 10), nil
		case int:
			return strconv.AppendInt(buf, int64(x), 10), nil
		case int32:
			return strconv.AppendInt(buf, int64(x), 10), nil
		}
	case bigquery.FloatFieldType:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case int64:
			f = float64(x)
		case int:
			f = float64(x)
		default:
			return buf, fmt.Errorf("%T is not a valid FLOAT64 value", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return buf, fmt.Errorf("%v is not a finite number", f)
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64), nil
	case bigquery.NumericFieldType:
		// Only Cents: a float is inexact and a bare integer ambiguous.
		if c, ok := v.(warehouse.Cents); ok {
			buf = append(buf, '"')
			buf = append(buf, c.String()...)
			return append(buf, '"'), nil
		}
	case bigquery.BooleanFieldType:
		if b, ok := v.(bool); ok {
			return strconv.AppendBool(buf, b), nil
		}
	case bigquery.DateFieldType:
		switch x := v.(type) {
		case time.Time:
			buf = append(buf, '"')
			buf = x.UTC().AppendFormat(buf, time.DateOnly)
			return append(buf, '"'), nil
		case civil.Date:
			if !x.IsValid() {
				return buf, fmt.Errorf("invalid date %v", x)
			}
			buf = append(buf, '"')
			buf = append(buf, x.String()...)
			return append(buf, '"'), nil
		}
	case bigquery.TimestampFieldType:
		if x, ok := v.(time.Time); ok {
			// BigQuery keeps microseconds; RFC 3339 in UTC.
			buf = append(buf, '"')
			buf = x.UTC().Truncate(time.Microsecond).AppendFormat(buf, "2006-01-02T15:04:05.999999Z07:00")
			return append(buf, '"'), nil
		}
	default:
		return buf, fmt.Errorf("field type %s is not loadable", t)
	}
	return buf, fmt.Errorf("%T is not a valid %s value", v, t)
}
