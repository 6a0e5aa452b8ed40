package bigquery

import (
	"context"
	"sync"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// DryRun asks BigQuery to validate sql with params against the real datasets
// without running it: a dry-run job is free and reads nothing, yet it parses
// the statement, resolves every table and column and types every parameter.
// It returns the bytes the statement would process.
func (w *Warehouse) DryRun(ctx context.Context, sql string, params map[string]any) (int64, error) {
	qps, err := queryParams(params)
	if err != nil {
		return 0, err
	}
	q := w.client.Query(sql)
	q.Parameters = qps
	q.Location = w.location
	q.DryRun = true
	ctx, cancel := context.WithTimeout(ctx, w.queryTimeout)
	defer cancel()
	job, err := q.Run(ctx)
	if err != nil {
		return 0, wrap(ctx, err, "dry-run query")
	}
	st := job.LastStatus()
	if st == nil {
		return 0, nil
	}
	if err := st.Err(); err != nil {
		return 0, wrap(ctx, err, "dry-run query")
	}
	if st.Statistics == nil {
		return 0, nil
	}
	return st.Statistics.TotalBytesProcessed, nil
}

// Checked is one statement a Checker dry-ran and what BigQuery said of it.
type Checked struct {
	SQL    string
	Params map[string]any
	Bytes  int64 // bytes the statement would process
	Err    error // nil when BigQuery accepted the statement
}

// Checker is a warehouse.Warehouse that dry-runs every statement handed to
// Query or Exec instead of running it, and records the answers. Domain
// services run on a Checker send BigQuery exactly the statements they send in
// production, so a statement that does not parse, names a missing column or
// mistypes a parameter is found before a deployment depends on it. Each
// query answers one row in which every column is NULL (what an aggregate
// over no data answers), so that a service expecting its aggregate row goes
// on to send its next statements; loads and provisioning change nothing.
type Checker struct {
	W *Warehouse

	mu      sync.Mutex
	checked []Checked
}

var _ warehouse.Warehouse = (*Checker)(nil)

// Dialect implements warehouse.Warehouse.
func (c *Checker) Dialect() warehouse.Dialect { return warehouse.BigQuery }

// EnsureDataset implements warehouse.Warehouse and changes nothing: the check
// validates statements against the datasets as they are.
func (c *Checker) EnsureDataset(context.Context, warehouse.Dataset) error { return nil }

// Load implements warehouse.Warehouse and loads nothing.
func (c *Checker) Load(context.Context, warehouse.Load) error { return nil }

// Close implements warehouse.Warehouse; the caller closes W.
func (c *Checker) Close() error { return nil }

// Exec implements warehouse.Warehouse by a dry run.
func (c *Checker) Exec(ctx context.Context, sql string, params map[string]any) error {
	c.check(ctx, sql, params)
	return nil
}

// Query implements warehouse.Warehouse by a dry run; it answers one row of
// NULLs.
func (c *Checker) Query(ctx context.Context, sql string, params map[string]any) ([]warehouse.Result, error) {
	c.check(ctx, sql, params)
	return []warehouse.Result{{}}, nil
}

func (c *Checker) check(ctx context.Context, sql string, params map[string]any) {
	n, err := c.W.DryRun(ctx, sql, params)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = append(c.checked, Checked{SQL: sql, Params: params, Bytes: n, Err: err})
}

// Checked returns every statement dry-run so far, in order.
func (c *Checker) Checked() []Checked {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Checked(nil), c.checked...)
}

// Failed returns how many of the checked statements BigQuery refused, and an
// error naming the first, or nil when it accepted them all.
func (c *Checker) Failed() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var first error
	for _, ch := range c.checked {
		if ch.Err != nil {
			n++
			if first == nil {
				first = errs.Wrap(ch.Err, errs.Invalid, "BigQuery refused a statement")
			}
		}
	}
	return n, first
}
