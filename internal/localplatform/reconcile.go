package localplatform

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/ingest"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
)

// The three stores of the local platform persist differently: storage and
// DuckDB write through to disk, Firestore only when it is exported. A
// process killed between an export and the next (kill -9, a crash, a closed
// laptop) can therefore leave files and warehouse rows whose upload record
// is gone, and records still pending or processing whose ingestion died with
// the process. Start reconciles them before serving, so that nothing is lost
// and nothing is billed that no record explains.

// Reconciliation says what a start found and did.
type Reconciliation struct {
	// Restored are uploads whose file was stored but whose record was lost:
	// the record is rebuilt from the object and the file ingested again.
	Restored []string
	// Resumed are uploads left pending or processing with their file stored:
	// the file is ingested again (the load's id makes that idempotent).
	Resumed []string
	// Removed are uploads with warehouse rows but neither a record nor a
	// file: their rows are deleted, since nothing can explain them.
	Removed []string
}

// Empty reports whether nothing needed repair.
func (r Reconciliation) Empty() bool {
	return len(r.Restored)+len(r.Resumed)+len(r.Removed) == 0
}

// String is the start-up line.
func (r Reconciliation) String() string {
	if r.Empty() {
		return "reconcile: storage, Firestore and the warehouse agree"
	}
	return fmt.Sprintf("reconcile: %d upload(s) restored from files without a record, %d resumed, %d removed from the warehouse (rows without a record or file)",
		len(r.Restored), len(r.Resumed), len(r.Removed))
}

// Reconciliation returns what the last start repaired.
func (p *Platform) Reconciliation() Reconciliation { return p.reconciled }

// reconcile compares every client's stored files and warehouse rows with the
// upload records, repairs what disagrees, and returns the objects to ingest
// again.
func (p *Platform) reconcile(ctx context.Context) (Reconciliation, []objects.Attrs, error) {
	var rep Reconciliation
	var redeliver []objects.Attrs
	var clients []tenancy.Client
	for page := (tenancy.Page{Limit: 500}); ; {
		cs, next, err := p.Clients.ListClients(ctx, page)
		if err != nil {
			return rep, nil, fmt.Errorf("reconcile: list clients: %w", err)
		}
		clients = append(clients, cs...)
		if next == "" {
			break
		}
		page.Token = next
	}
	now := time.Now().UTC()
	for _, c := range clients {
		log := p.log.With("client_id", c.ID)
		explained := map[string]bool{} // upload ids with a record (or restored)
		objs, err := p.Objects.List(ctx, p.Config.UploadsBucket, "clients/"+c.ID+"/")
		if err != nil {
			return rep, nil, fmt.Errorf("reconcile: list the files of %s: %w", c.ID, err)
		}
		for _, o := range objs {
			ref, ok := uploads.ParseObjectName(o.Name)
			if !ok || ref.ClientID != c.ID {
				continue
			}
			rec, err := p.uploads.GetUpload(ctx, c.ID, ref.UploadID)
			switch {
			case errs.Is(err, errs.NotFound):
				rec = uploads.Upload{
					ID: ref.UploadID, ClientID: c.ID, Kind: ref.Kind, Filename: ref.Filename,
					ContentType: o.ContentType, SizeBytes: o.Size, Bucket: o.Bucket, Object: o.Name,
					Status: uploads.Pending, Message: "record restored from the stored file after the platform stopped uncleanly",
					CreatedBy: "local|reconcile", CreatedAt: o.Created.UTC(), UpdatedAt: now,
				}
				if err := p.uploads.CreateUpload(ctx, rec); err != nil {
					return rep, nil, fmt.Errorf("reconcile: restore the record of %s: %w", o.Name, err)
				}
				log.WarnContext(ctx, "file without an upload record: record restored, file ingested again", "upload_id", ref.UploadID, "object", o.Name)
				rep.Restored = append(rep.Restored, c.ID+"/"+ref.UploadID)
			case err != nil:
				return rep, nil, fmt.Errorf("reconcile: read the record of %s: %w", o.Name, err)
			case rec.Status.Final() || rec.Object != o.Name:
				explained[ref.UploadID] = true
				continue
			default:
				log.WarnContext(ctx, "upload left unfinished: ingested again", "upload_id", ref.UploadID, "status", string(rec.Status))
				rep.Resumed = append(rep.Resumed, c.ID+"/"+ref.UploadID)
			}
			explained[ref.UploadID] = true
			if err := p.releaseClaim(ctx, o, now); err != nil {
				return rep, nil, err
			}
			redeliver = append(redeliver, o)
		}
		removed, err := p.removeUnexplainedRows(ctx, c, explained)
		if err != nil {
			return rep, nil, err
		}
		rep.Removed = append(rep.Removed, removed...)
	}
	return rep, redeliver, nil
}

// releaseClaim frees the idempotency claim a delivery killed with the last
// process may still hold (its lease outlives it by up to ingest.DefaultLease),
// so the redelivery works at once instead of waiting the lease out. Nothing
// else can hold it: the data directory's lock keeps one platform per store.
func (p *Platform) releaseClaim(ctx context.Context, o objects.Attrs, now time.Time) error {
	ev, err := uploads.DecodeObjectEvent(FinalizedEvent(o).Data()) // the event the redelivery sends
	if err != nil {
		return fmt.Errorf("reconcile: %s: %w", o.Name, err)
	}
	key := ev.Key()
	// Seen from after any lease the dead process could have taken, and
	// taken with a lease that has already ended: the next delivery takes it.
	if _, _, err := p.uploads.AcquireClaim(ctx, key, "local-reconcile", now.Add(ingest.DefaultLease+time.Minute), now); err != nil {
		return fmt.Errorf("reconcile: release the claim on %s: %w", o.Name, err)
	}
	return nil
}

// removeUnexplainedRows deletes the rows of uploads that have neither a
// record nor a file in a client's dataset, and returns their ids.
func (p *Platform) removeUnexplainedRows(ctx context.Context, c tenancy.Client, explained map[string]bool) ([]string, error) {
	dataset := c.Dataset
	if dataset == "" {
		dataset = tenancy.DatasetName(c.ID)
	}
	var tables []string
	for _, t := range warehouse.Client(dataset).Tables {
		if slices.ContainsFunc(t.Columns, func(col warehouse.Column) bool { return col.Name == "upload_id" }) {
			tables = append(tables, t.Name)
		}
	}
	if len(tables) == 0 {
		return nil, nil
	}
	selects := make([]string, len(tables))
	for i, t := range tables {
		selects[i] = "SELECT DISTINCT upload_id FROM " + dataset + "." + t
	}
	rows, err := p.Warehouse.Query(ctx, "SELECT DISTINCT upload_id FROM ("+strings.Join(selects, " UNION ALL ")+") AS u WHERE upload_id IS NOT NULL", nil)
	if errs.Is(err, errs.NotFound) {
		return nil, nil // the dataset was never provisioned
	}
	if err != nil {
		return nil, fmt.Errorf("reconcile: list the uploads in %s: %w", dataset, err)
	}
	var removed []string
	for _, r := range rows {
		id, _ := r["upload_id"].(string)
		if id == "" || explained[id] {
			continue
		}
		if _, err := p.uploads.GetUpload(ctx, c.ID, id); err == nil {
			continue // a record without its file (e.g. deleted): the rows are explained
		} else if !errs.Is(err, errs.NotFound) {
			return nil, fmt.Errorf("reconcile: read the record of %s/%s: %w", c.ID, id, err)
		}
		for _, t := range tables {
			if err := p.Warehouse.Exec(ctx, "DELETE FROM "+dataset+"."+t+" WHERE upload_id = @id", map[string]any{"id": id}); err != nil {
				return nil, fmt.Errorf("reconcile: remove the rows of %s/%s: %w", c.ID, id, err)
			}
		}
		p.log.WarnContext(ctx, "warehouse rows without an upload record or file: removed, so they are not billed", "client_id", c.ID, "upload_id", id)
		removed = append(removed, c.ID+"/"+id)
	}
	return removed, nil
}
