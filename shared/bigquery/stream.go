package bigquery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"cloud.google.com/go/bigquery"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// InsertRows appends rows to dataset.table with streaming inserts
// (tabledata.insertAll), not a load job. Load jobs have a daily quota per
// table and per project that ingestion needs; a trail written by many
// instances every few seconds (the audit log) would use it up. insertIDs,
// one per row, let BigQuery drop a row that a retry sends again (best
// effort, for a few minutes). Rows are checked against the table's schema
// and encoded exactly as Load encodes them.
func (w *Warehouse) InsertRows(ctx context.Context, dataset, table string, rows []warehouse.Row, insertIDs []string) error {
	if err := warehouse.CheckIdent(dataset); err != nil {
		return err
	}
	if err := warehouse.CheckIdent(table); err != nil {
		return err
	}
	if len(insertIDs) != len(rows) {
		return errs.E(errs.Internal, "insert into %s.%s: %d rows, %d insert ids", dataset, table, len(rows), len(insertIDs))
	}
	if len(rows) == 0 {
		return nil
	}
	t := w.client.Dataset(dataset).Table(table)
	md, err := t.Metadata(ctx)
	if err != nil {
		return wrap(ctx, err, "insert into %s.%s: read the table", dataset, table)
	}
	savers := make([]*jsonSaver, len(rows))
	var buf []byte
	for i, r := range rows {
		if buf, err = appendRow(buf[:0], md.Schema, r); err != nil {
			return errs.Wrap(err, errs.Invalid, "insert into %s.%s: row %d", dataset, table, i)
		}
		dec := json.NewDecoder(bytes.NewReader(buf))
		dec.UseNumber() // numbers go out as they were encoded
		var m map[string]bigquery.Value
		if err := dec.Decode(&m); err != nil {
			return errs.Wrap(err, errs.Internal, "insert into %s.%s: row %d", dataset, table, i)
		}
		savers[i] = &jsonSaver{row: m, id: insertIDs[i]}
	}
	if err := t.Inserter().Put(ctx, savers); err != nil {
		var pm bigquery.PutMultiError
		if errors.As(err, &pm) {
			// Rows the service refused: the same rows are refused again.
			return errs.Wrap(err, errs.Invalid, "insert into %s.%s: %d row(s) refused", dataset, table, len(pm))
		}
		return wrap(ctx, err, "insert into %s.%s", dataset, table)
	}
	return nil
}

// jsonSaver hands the Inserter a row already encoded as a load encodes it.
type jsonSaver struct {
	row map[string]bigquery.Value
	id  string
}

func (s *jsonSaver) Save() (map[string]bigquery.Value, string, error) { return s.row, s.id, nil }
