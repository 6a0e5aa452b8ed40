package ingest

import (
	"context"
	"fmt"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Withdraw takes a loaded upload back: its rows leave every analytics table,
// so the property's previous roll is the one in force again; its
// upload_metadata row says "withdrawn", so the next billing run of a month no
// longer counts it, while billing rows already written for completed months
// stay as they were billed. The object and the raw rows are kept for audit.
//
// It is idempotent: withdrawing a withdrawn upload answers the record as it
// is. An upload still pending or processing is a Conflict (its load could land
// after the withdrawal); a rejected or failed one loaded nothing and is a
// Conflict too.
//
// Order makes a crash harmless: the warehouse first (the metadata row's status
// is what every analytics and billing query filters on, so it flips first),
// the record last, so a retry after a failure finds the record still "loaded"
// and repeats statements that change nothing the second time.
func (s *Service) Withdraw(ctx context.Context, clientID, uploadID, by string) (uploads.Upload, error) {
	rec, err := s.Uploads.GetUpload(ctx, clientID, uploadID)
	if err != nil {
		return uploads.Upload{}, err
	}
	switch rec.Status {
	case uploads.Withdrawn:
		return rec, nil
	case uploads.Loaded:
	case uploads.Pending, uploads.Processing:
		return uploads.Upload{}, errs.E(errs.Conflict, "upload %s is still %s; withdraw it once it has finished", uploadID, rec.Status).WithReason("upload_not_finished")
	default:
		return uploads.Upload{}, errs.E(errs.Conflict, "upload %s was %s and loaded nothing; there is nothing to withdraw", uploadID, rec.Status).WithReason("upload_not_loaded")
	}
	client, err := s.Clients.GetClient(ctx, clientID)
	if err != nil {
		return uploads.Upload{}, err
	}
	if err := s.unload(ctx, datasetOf(client), uploadID); err != nil {
		return uploads.Upload{}, fmt.Errorf("withdraw upload %s: %w", uploadID, err)
	}
	now := s.now()
	rec, err = s.Uploads.UpdateUpload(ctx, clientID, uploadID, func(u *uploads.Upload) error {
		if u.Status == uploads.Withdrawn {
			return nil // a concurrent withdrawal finished first
		}
		if u.Status != uploads.Loaded {
			return errs.E(errs.Conflict, "upload %s is %s", uploadID, u.Status)
		}
		u.Status, u.WithdrawnBy, u.WithdrawnAt, u.UpdatedAt = uploads.Withdrawn, by, now, now
		u.Message = "withdrawn: its rows no longer count in analytics"
		return nil
	})
	if err != nil {
		return uploads.Upload{}, err
	}
	s.log().InfoContext(ctx, "upload withdrawn", "client_id", clientID, "upload_id", uploadID)
	// The cross-client summary counts the client's rolls: refresh it as
	// after a load.
	if s.AfterLoad != nil {
		if err := s.AfterLoad(ctx, rec); err != nil {
			s.log().WarnContext(ctx, "summary refresh after a withdrawal failed", "client_id", clientID, "error", err.Error())
		}
	}
	return rec, nil
}

// withdrawStatements are the statements that take an upload's rows out of a
// client dataset: the metadata row's status first, then the rows of every
// analytics table (any table named analytics_* that carries upload_id, so a
// table added to the schema is covered without a change here).
func withdrawStatements(dataset string) ([]string, error) {
	if err := warehouse.CheckIdent(dataset); err != nil {
		return nil, err
	}
	stmts := []string{
		"UPDATE " + dataset + "." + warehouse.TableUploadMetadata + " SET status = '" + string(uploads.Withdrawn) + "' WHERE upload_id = @upload_id",
	}
	for _, t := range warehouse.Client(dataset).Tables {
		if !strings.HasPrefix(t.Name, "analytics_") || !hasColumn(t, "upload_id") {
			continue
		}
		stmts = append(stmts, "DELETE FROM "+dataset+"."+t.Name+" WHERE upload_id = @upload_id")
	}
	return stmts, nil
}

func hasColumn(t warehouse.Table, name string) bool {
	for _, c := range t.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// unload runs the withdrawal statements. BigQuery runs them as one
// multi-statement transaction (one job, all or nothing). DuckDB runs them
// one by one in order: a failed statement inside a pooled connection's
// transaction would leave that connection aborted, and the order alone keeps
// readers right, since the first statement hides the upload from every
// query; the deletes after it are repeatable.
func (s *Service) unload(ctx context.Context, dataset, uploadID string) error {
	stmts, err := withdrawStatements(dataset)
	if err != nil {
		return err
	}
	params := map[string]any{"upload_id": uploadID}
	if s.Warehouse.Dialect() == warehouse.BigQuery {
		script := "BEGIN TRANSACTION;\n" + strings.Join(stmts, ";\n") + ";\nCOMMIT TRANSACTION;"
		return s.Warehouse.Exec(ctx, script, params)
	}
	for _, st := range stmts {
		if err := s.Warehouse.Exec(ctx, st, params); err != nil {
			return err
		}
	}
	return nil
}
