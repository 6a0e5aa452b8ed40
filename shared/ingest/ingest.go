// Package ingest turns a finished upload into warehouse rows, exactly once:
// it matches the storage object to its upload record, claims the object
// generation so that repeated or concurrent deliveries load nothing twice,
// parses and validates the whole file, and loads raw and analytics rows
// together — or rejects the file with row-level issues and loads nothing.
//
// Outcomes map to delivery: a bad file or a stray object is recorded and
// acknowledged (nil); a transient fault returns an error so the delivery is
// retried, and the retry finishes the job without duplicates (the load has a
// deterministic id). Anything else — a permission the deployment lacks, a
// bug — settles the upload as failed and is acknowledged, and an upload that
// keeps failing transiently is settled as failed after MaxAttempts
// deliveries, so no upload can keep instances busy for the whole redelivery
// window (a retry storm). The package imports no cloud SDK.
package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/parse"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
)

// DefaultLease is how long one delivery may work on an object before another
// may take over (a crashed instance's claim expires).
const DefaultLease = 10 * time.Minute

// DefaultMaxAttempts bounds the deliveries that may work on one object
// generation. Eventarc redelivers a failing event with backoff for 24 hours;
// a fault that five attempts minutes apart did not outlast is treated as
// permanent, and the upload is settled as failed (the client may upload again).
const DefaultMaxAttempts = 5

// Service ingests uploads.
type Service struct {
	Uploads   uploads.Store
	Clients   tenancy.ClientReader // read-only: Ingest never writes the registry
	Objects   objects.Store
	Warehouse warehouse.Warehouse
	Bucket    string // the uploads bucket; events of other buckets are ignored
	MaxBytes  int64
	TempDir   string // "" = os.TempDir()
	Lease     time.Duration
	// MaxAttempts bounds the deliveries that work on one object generation
	// (0 = DefaultMaxAttempts); the claim counts them.
	MaxAttempts int
	Log         *slog.Logger
	Now         clock.Func
	// AfterLoad, when set, is told of each loaded upload (to refresh the
	// cross-client summary). Its error is logged, not returned.
	AfterLoad func(ctx context.Context, u uploads.Upload) error

	// Properties, when set, lists a client's known properties (id to name),
	// so that a survey naming its subject by name is tied to its id.
	Properties func(ctx context.Context, clientID string) (map[string]string, error)
	// ChargeCodes, when set, reads a client's charge-code overrides (code
	// to category) for its rent rolls.
	ChargeCodes func(ctx context.Context, clientID string) (map[string]string, error)

	// ensured records the client datasets whose schema this process has
	// brought up to date (see ensureSchema).
	ensured sync.Map
}

func (s *Service) now() time.Time {
	return s.Now.UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Outcomes recorded on a claim.
const (
	outcomeLoaded   = "loaded"
	outcomeRejected = "rejected"
	outcomeFailed   = "failed"
	outcomeIgnored  = "ignored"
)

// Object handles one finalized object. It returns an error only when the
// delivery should be retried.
func (s *Service) Object(ctx context.Context, ev uploads.ObjectEvent) error {
	log := s.log().With("object", ev.Name, "generation", int64(ev.Generation))
	if ev.Bucket != s.Bucket {
		log.InfoContext(ctx, "event for another bucket ignored", "bucket", ev.Bucket)
		return nil
	}
	ref, ok := uploads.ParseObjectName(ev.Name)
	if !ok {
		// Report objects and anything outside clients/ are not uploads.
		log.InfoContext(ctx, "object is not an upload; ignored")
		return nil
	}
	log = log.With("client_id", ref.ClientID, "upload_id", ref.UploadID)

	holder := newHolder()
	lease := s.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	now := s.now()
	claim, held, err := s.Uploads.AcquireClaim(ctx, ev.Key(), holder, now, now.Add(lease))
	if err != nil {
		return err
	}
	if !held {
		if claim.Outcome != "" {
			log.InfoContext(ctx, "duplicate delivery; already handled", "outcome", claim.Outcome)
			return nil
		}
		// Another delivery is working on it: come back later, in case it dies.
		return errs.E(errs.Transient, "another delivery is processing this object")
	}
	maxAttempts := s.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var outcome, reason string
	if claim.Attempts > maxAttempts {
		// Earlier deliveries all failed (or died) without settling: a poisoned
		// upload. Settle it rather than work on it again.
		err = errs.E(errs.Internal, "ingestion did not finish after %d attempts", maxAttempts)
	} else {
		outcome, reason, err = s.process(ctx, log, ev, ref)
	}
	if err != nil && errs.Retryable(err) && claim.Attempts < maxAttempts {
		// Let the retry take the claim at once instead of waiting out the lease.
		if ferr := s.Uploads.FinishClaim(context.WithoutCancel(ctx), ev.Key(), holder, uploads.Claim{
			ClientID: ref.ClientID, UploadID: ref.UploadID, Reason: "retrying: " + err.Error(),
		}); ferr != nil {
			log.WarnContext(ctx, "could not release claim", "error", ferr.Error())
		}
		log.WarnContext(ctx, "upload will be retried", "error", err.Error(), "attempt", claim.Attempts, "max_attempts", maxAttempts)
		return err
	}
	if err != nil {
		// Permanent (a missing permission, a bug) or out of attempts: settle
		// the upload as failed so that it does not stay processing, and
		// acknowledge the event.
		log.ErrorContext(ctx, "upload failed; the event is acknowledged, not retried", "error", err.Error(), "attempt", claim.Attempts, "retryable", errs.Retryable(err))
		outcome, reason = outcomeFailed, err.Error()
		if serr := s.settleFailed(context.WithoutCancel(ctx), ref, ev); serr != nil {
			log.ErrorContext(ctx, "could not settle the upload as failed", "error", serr.Error())
			if errs.Retryable(serr) && claim.Attempts < maxAttempts {
				return serr
			}
		}
	}
	if ferr := s.Uploads.FinishClaim(context.WithoutCancel(ctx), ev.Key(), holder, uploads.Claim{
		Outcome: outcome, ClientID: ref.ClientID, UploadID: ref.UploadID, Reason: reason,
	}); ferr != nil && !errs.Is(ferr, errs.Conflict) {
		if errs.Retryable(ferr) && claim.Attempts < maxAttempts {
			return ferr
		}
		log.ErrorContext(ctx, "could not record the outcome of the delivery", "error", ferr.Error())
	}
	return nil
}

// settleFailed marks the upload of ev failed unless it already ended (or is
// not this object's): the client sees it failed instead of processing forever.
func (s *Service) settleFailed(ctx context.Context, ref uploads.ObjectRef, ev uploads.ObjectEvent) error {
	now := s.now()
	_, err := s.Uploads.UpdateUpload(ctx, ref.ClientID, ref.UploadID, func(u *uploads.Upload) error {
		if u.Status.Final() || u.Object != ev.Name {
			return nil
		}
		u.Status, u.Message, u.FinishedAt, u.UpdatedAt = uploads.Failed, "the platform could not ingest the file; upload it again", now, now
		if !u.ReceivedAt.IsZero() {
			u.DurationMS = now.Sub(u.ReceivedAt).Milliseconds()
		}
		return nil
	})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

func newHolder() string { return randid.Hex(8) }

// process does the work of one claimed object and says how it ended.
func (s *Service) process(ctx context.Context, log *slog.Logger, ev uploads.ObjectEvent, ref uploads.ObjectRef) (outcome, reason string, err error) {
	rec, err := s.Uploads.GetUpload(ctx, ref.ClientID, ref.UploadID)
	if errs.Is(err, errs.NotFound) {
		log.WarnContext(ctx, "upload rejected", "reason", "no upload record")
		return outcomeRejected, "no upload record for this object", nil
	}
	if err != nil {
		return "", "", err
	}
	if rec.Object != ev.Name {
		log.WarnContext(ctx, "upload rejected", "reason", "object does not match its record")
		return outcomeRejected, "object does not match its upload record", nil
	}
	if rec.Status.Final() {
		log.InfoContext(ctx, "upload already finished", "status", string(rec.Status))
		return string(rec.Status), "already " + string(rec.Status), nil
	}
	client, err := s.Clients.GetClient(ctx, ref.ClientID)
	if errs.Is(err, errs.NotFound) {
		return s.finish(ctx, log, rec, "", uploads.Rejected, "the client does not exist", nil)
	}
	if err != nil {
		return "", "", err
	}
	if client.Status == tenancy.Suspended {
		return s.finish(ctx, log, rec, datasetOf(client), uploads.Rejected, "the client is suspended; the file was not ingested", nil)
	}

	// The object itself first: an event for a generation that does not
	// exist (stale, or forged) must not decide the fate of the upload,
	// whose real event may still come. Sizes come from the stored object,
	// never from the event, which anyone able to reach the endpoint could
	// have written.
	file, size, err := s.download(ctx, ev, rec.SizeBytes)
	switch {
	case errs.Is(err, errs.NotFound):
		log.WarnContext(ctx, "event for an object generation that does not exist; ignored")
		return outcomeIgnored, "no such object generation", nil
	case errs.Is(err, errs.TooLarge), errs.Is(err, errs.Invalid):
		_, msg := errs.Public(err)
		return s.finish(ctx, log, rec, datasetOf(client), uploads.Rejected, msg, nil)
	case err != nil:
		return "", "", err
	}
	if int64(ev.Size) != size {
		log.WarnContext(ctx, "the event's size disagrees with the stored object; the object's is used", "event_size", int64(ev.Size), "object_size", size)
	}
	defer func() { file.Close(); os.Remove(file.Name()) }()

	start := s.now()
	rec, err = s.Uploads.UpdateUpload(ctx, rec.ClientID, rec.ID, func(u *uploads.Upload) error {
		u.Status, u.Generation, u.ReceivedAt, u.UpdatedAt = uploads.Processing, int64(ev.Generation), start, start
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return s.ingest(ctx, log, rec, client, file, size, start)
}

// finish records a final status on the upload and, for a refused file of a
// client whose dataset is known, its upload_metadata row (a loaded file's row
// is part of its load).
func (s *Service) finish(ctx context.Context, log *slog.Logger, rec uploads.Upload, dataset string, status uploads.Status, msg string, apply func(*uploads.Upload)) (outcome, reason string, err error) {
	return s.finishWith(ctx, log, rec, dataset, status, msg, apply, nil)
}

// finishWith is finish with a last say on the metadata row (meta, when set).
func (s *Service) finishWith(ctx context.Context, log *slog.Logger, rec uploads.Upload, dataset string, status uploads.Status, msg string, apply func(*uploads.Upload), meta func(warehouse.Row)) (outcome, reason string, err error) {
	now := s.now()
	mutate := func(u *uploads.Upload) {
		u.Status, u.Message, u.FinishedAt, u.UpdatedAt = status, msg, now, now
		if !u.ReceivedAt.IsZero() {
			u.DurationMS = now.Sub(u.ReceivedAt).Milliseconds()
		}
		if apply != nil {
			apply(u)
		}
	}
	// The metadata row goes first: once the record says the upload is
	// final, everything about it is in place (its load id makes a retry
	// harmless).
	if dataset != "" && status != uploads.Loaded {
		done := rec
		mutate(&done)
		row := metaRow(done)
		if meta != nil {
			meta(row)
		}
		err := s.Warehouse.Load(ctx, warehouse.Load{
			ID: loadID(done, done.Generation) + "_" + string(status), Dataset: dataset,
			Parts: []warehouse.Part{{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{row}}},
		})
		if err != nil && errs.Retryable(err) {
			return "", "", err
		}
		if err != nil {
			log.WarnContext(ctx, "could not record the upload's metadata row", "error", err.Error())
		}
	}
	if _, err := s.Uploads.UpdateUpload(ctx, rec.ClientID, rec.ID, func(u *uploads.Upload) error {
		mutate(u)
		return nil
	}); err != nil {
		return "", "", err
	}
	switch status {
	case uploads.Rejected:
		log.WarnContext(ctx, "upload rejected", "reason", msg)
	case uploads.Failed:
		log.ErrorContext(ctx, "upload failed", "reason", msg)
	default:
		log.InfoContext(ctx, "upload loaded")
	}
	return string(status), msg, nil
}

// sink maps the parser's output to warehouse rows and stages them, one file
// per table, so that the whole file is validated before anything is loaded
// while memory stays bounded whatever the file's size; the staging files
// are the load (DuckDB reads each in one statement). Mapping and writing run
// on two goroutines of their own (raw rows; units or survey rows), in
// batches, so that they overlap with the parser instead of adding to it.
type sink struct {
	staged  map[string]*warehouse.Staged
	rawName string // the raw table of the upload's kind
	raw     *stager[parse.RawRow]
	units   *stager[parse.Unit] // rent rolls only
	comps   *stager[parse.Comp] // surveys only
	nUnits  int
	nComps  int
}

func newSink(dir, dataset string, rec uploads.Upload, loadedAt time.Time) (*sink, error) {
	k := &sink{staged: map[string]*warehouse.Staged{}, rawName: warehouse.TableRentRollUploads}
	tables := []string{warehouse.TableRentRollUploads, warehouse.TableAnalyticsRentRoll, warehouse.TableAnalyticsCharges}
	if rec.Kind == uploads.Competition {
		k.rawName = warehouse.TableCompetitionUploads
		tables = []string{warehouse.TableCompetitionUploads, warehouse.TableAnalyticsCompetition}
	}
	decl := warehouse.Client(dataset)
	for _, name := range tables {
		t, ok := decl.Table(name)
		if !ok {
			k.close()
			return nil, errs.E(errs.Internal, "no table %s is declared", name)
		}
		// The columns every row of the table sets to the same value (the
		// row functions of rows.go) are fixed, not written per row.
		fixed := warehouse.Row{"client_id": rec.ClientID, "upload_id": rec.ID, "loaded_at": loadedAt}
		if name == warehouse.TableAnalyticsCharges {
			fixed = warehouse.Row{"client_id": rec.ClientID, "upload_id": rec.ID}
		}
		s, err := warehouse.NewStaged(dir, t, fixed)
		if err != nil {
			k.close()
			return nil, err
		}
		k.staged[name] = s
	}
	toRaw, raw := rawRow(rec.ClientID, rec.ID, loadedAt), k.staged[k.rawName]
	k.raw = startStager(func(r parse.RawRow) error { return raw.Add(toRaw(r)) })
	if rec.Kind == uploads.Competition {
		toComp, comps := compRow(rec.ClientID, rec.ID, loadedAt), k.staged[warehouse.TableAnalyticsCompetition]
		k.comps = startStager(func(c parse.Comp) error { return comps.Add(toComp(c)) })
		return k, nil
	}
	toUnit, units := unitRow(rec.ClientID, rec.ID, loadedAt), k.staged[warehouse.TableAnalyticsRentRoll]
	toCharges, charges := chargeRows(rec.ClientID, rec.ID), k.staged[warehouse.TableAnalyticsCharges]
	k.units = startStager(func(u parse.Unit) error {
		if err := units.Add(toUnit(u)); err != nil {
			return err
		}
		for _, r := range toCharges(u) {
			if err := charges.Add(r); err != nil {
				return err
			}
		}
		return nil
	})
	return k, nil
}

func (k *sink) Raw(r parse.RawRow) error { return k.raw.add(r) }

func (k *sink) Unit(u parse.Unit) error {
	if k.units == nil {
		return errs.E(errs.Internal, "a unit in a survey")
	}
	k.nUnits++
	return k.units.add(u)
}

func (k *sink) Comp(c parse.Comp) error {
	if k.comps == nil {
		return errs.E(errs.Internal, "a survey row in a rent roll")
	}
	k.nComps++
	return k.comps.add(c)
}

// wait lets the stagers finish and returns the first error of any.
func (k *sink) wait() error {
	var err error
	if k.raw != nil {
		err = k.raw.wait()
	}
	if k.units != nil {
		err = errors.Join(err, k.units.wait())
	}
	if k.comps != nil {
		err = errors.Join(err, k.comps.wait())
	}
	if err != nil {
		return errs.Wrap(err, errs.CodeOf(err), "stage rows")
	}
	return nil
}

// part is the load's part of table: its staged rows. Stream is set as well
// for readers written before staging files (it reads the same file).
func (k *sink) part(table string) warehouse.Part {
	s := k.staged[table]
	return warehouse.Part{Table: table, Staged: s, Stream: s.Rows()}
}

func (k *sink) close() {
	_ = k.wait()
	for _, s := range k.staged {
		_ = s.Close()
	}
}

// stagerBatch is how many values go to a stager at a time: enough that the
// channel costs nothing per row, few enough that memory stays small.
const stagerBatch = 512

// stager runs fn on every value added, in order, on a goroutine of its own.
type stager[T any] struct {
	fn     func(T) error
	ch     chan []T
	batch  []T
	done   chan struct{}
	waited bool
	// err is fn's first error, written before failed is set; add reads it
	// only after seeing failed, wait only after done.
	err    error
	failed atomic.Bool
}

func startStager[T any](fn func(T) error) *stager[T] {
	s := &stager[T]{fn: fn, ch: make(chan []T, 2), batch: make([]T, 0, stagerBatch), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for b := range s.ch {
			if s.failed.Load() {
				continue // drain, so that add never blocks
			}
			for _, v := range b {
				if err := s.fn(v); err != nil {
					s.err = err
					s.failed.Store(true)
					break
				}
			}
		}
	}()
	return s
}

// add queues v; it returns the stager's error once it has one, which stops
// the parser.
func (s *stager[T]) add(v T) error {
	if s.failed.Load() {
		return s.err
	}
	s.batch = append(s.batch, v)
	if len(s.batch) == stagerBatch {
		s.ch <- s.batch
		s.batch = make([]T, 0, stagerBatch)
	}
	return nil
}

// wait stages what is queued, stops the goroutine and returns its error.
// Later calls return the same.
func (s *stager[T]) wait() error {
	if !s.waited {
		s.waited = true
		if len(s.batch) > 0 {
			s.ch <- s.batch
			s.batch = nil
		}
		close(s.ch)
		<-s.done
	}
	return s.err
}

func toIssues(in []parse.Issue, max int) []uploads.Issue {
	out := make([]uploads.Issue, 0, min(len(in), max))
	for i, is := range in {
		if i == max {
			break
		}
		out = append(out, uploads.Issue{Row: is.Row, Column: is.Column, Code: is.Code, Message: is.Message})
	}
	return out
}

var unsafeJobChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// loadID is the deterministic id of an upload's load: one object generation
// loads under one id, so a retry after a crash completes, never duplicates.
func loadID(rec uploads.Upload, generation int64) string {
	return unsafeJobChars.ReplaceAllString("upload_"+rec.ClientID+"_"+rec.ID+"_"+strconv.FormatInt(generation, 10), "_")
}

func (s *Service) ingest(ctx context.Context, log *slog.Logger, rec uploads.Upload, client tenancy.Client, file *os.File, size int64, start time.Time) (string, string, error) {
	dataset := datasetOf(client)
	loadedAt := start // the same for every row of the load, retries included
	k, err := newSink(s.TempDir, dataset, rec, loadedAt)
	if err != nil {
		return "", "", err
	}
	defer k.close()
	opts := parse.Options{Filename: rec.Filename, PropertyID: rec.PropertyID}
	if rec.AsOf != "" { // the request's as-of, for files that state none
		opts.AsOf, _ = time.Parse("2006-01-02", rec.AsOf)
	}
	opts.Limits.MaxBytes = s.MaxBytes
	if rec.Kind == uploads.Competition && s.Properties != nil {
		if opts.Properties, err = s.Properties(ctx, rec.ClientID); err != nil {
			return "", "", errs.Wrap(err, errs.Transient, "list the client's properties")
		}
	}
	if rec.Kind == uploads.RentRoll && s.ChargeCodes != nil {
		if opts.ChargeCodes, err = s.ChargeCodes(ctx, rec.ClientID); err != nil {
			return "", "", errs.Wrap(err, errs.Transient, "read the client's charge codes")
		}
	}
	var report *parse.Report
	if rec.Kind == uploads.Competition {
		report, err = parse.Competition(ctx, file, size, opts, k)
	} else {
		report, err = parse.RentRoll(ctx, file, size, opts, k)
	}
	if err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooLarge) {
			_, msg := errs.Public(err)
			return s.finish(ctx, log, rec, dataset, uploads.Rejected, msg, nil)
		}
		return "", "", err
	}
	if err := k.wait(); err != nil {
		return "", "", err
	}
	notePropertyMismatch(report, rec.PropertyID)
	apply := func(u *uploads.Upload) {
		u.Format, u.Properties, u.RowsTotal = report.Format, report.Properties, int64(report.RowsTotal)
		if !report.AsOf.IsZero() {
			u.AsOf = report.AsOf.Format("2006-01-02")
		}
		u.Errors, u.Warnings = toIssues(report.Errors, uploads.MaxIssuesOnRecord), toIssues(report.Warnings, uploads.MaxIssuesOnRecord)
		u.ErrorCount, u.WarningCount = report.ErrorCount, report.WarningCount
		u.Excluded = report.Excluded
	}
	if report.ErrorCount > 0 || len(report.Errors) > 0 {
		msg := fmt.Sprintf("the file has %d error(s); nothing was loaded", max(report.ErrorCount, len(report.Errors)))
		if err := s.writeReport(ctx, rec, report); err != nil {
			// The file is rejected whatever happens to its report: a report
			// that cannot be written (a missing permission, storage down)
			// must not keep the upload processing and its event redelivered.
			// Every issue the parser kept goes into the upload_metadata row
			// instead (the record keeps the first MaxIssuesOnRecord), so
			// nothing is lost.
			log.ErrorContext(ctx, "could not write the rejection report; its issues are kept in upload_metadata", "error", err.Error())
			return s.finishWith(ctx, log, rec, dataset, uploads.Rejected, msg, apply, func(row warehouse.Row) {
				all, _ := json.Marshal(toIssues(report.Errors, len(report.Errors)))
				warn, _ := json.Marshal(toIssues(report.Warnings, len(report.Warnings)))
				row["errors"], row["warnings"] = string(all), string(warn)
			})
		}
		return s.finish(ctx, log, rec, dataset, uploads.Rejected, msg, func(u *uploads.Upload) {
			apply(u)
			u.Report = uploads.ReportObject(rec.ClientID, rec.ID)
		})
	}
	if rec.Kind == uploads.RentRoll && k.nUnits == 0 {
		return s.finish(ctx, log, rec, dataset, uploads.Rejected, "no units were found in the file", apply)
	}
	if rec.Kind == uploads.Competition && k.nComps == 0 {
		return s.finish(ctx, log, rec, dataset, uploads.Rejected, "no survey rows were found in the file", apply)
	}

	dataTable, rowsLoaded := warehouse.TableAnalyticsRentRoll, k.nUnits
	if rec.Kind == uploads.Competition {
		dataTable, rowsLoaded = warehouse.TableAnalyticsCompetition, k.nComps
	}
	warnings, _ := json.Marshal(toIssues(report.Warnings, uploads.MaxIssuesOnRecord))
	finished := s.now()
	var propertyID any
	if len(report.Properties) > 0 {
		propertyID = report.Properties[0]
	}
	meta := warehouse.Row{
		"client_id": rec.ClientID, "upload_id": rec.ID, "kind": string(rec.Kind), "object": rec.Object,
		"status": string(uploads.Loaded), "format": report.Format, "property_id": propertyID, "as_of_date": date(report.AsOf),
		"rows_total": int64(report.RowsTotal), "rows_loaded": int64(rowsLoaded), "warnings": string(warnings), "errors": "[]",
		"received_at": start, "loaded_at": loadedAt, "duration_ms": finished.Sub(start).Milliseconds(),
	}
	tables := []string{k.rawName, dataTable}
	if rec.Kind == uploads.RentRoll {
		// Every unit's charges, as the file states them, categorized.
		tables = append(tables, warehouse.TableAnalyticsCharges)
	}
	var parts []warehouse.Part
	for _, t := range tables {
		parts = append(parts, k.part(t))
	}
	parts = append(parts, warehouse.Part{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{meta}})
	if err := s.ensureSchema(ctx, dataset); err != nil {
		return "", "", err
	}
	// The metadata row is the last part: analytics count an upload only once
	// it is there, so in BigQuery, where each part is its own load job, a
	// crash between parts shows nothing half-loaded.
	err = s.Warehouse.Load(ctx, warehouse.Load{
		ID: loadID(rec, rec.Generation), Dataset: dataset,
		Parts: parts,
	})
	if err != nil {
		if errs.Retryable(err) {
			return "", "", err
		}
		return s.finish(ctx, log, rec, dataset, uploads.Failed, "the rows could not be loaded", apply)
	}
	if report.WarningCount > 0 {
		if err := s.writeReport(ctx, rec, report); err != nil {
			log.WarnContext(ctx, "could not write the warnings report", "error", err.Error())
		}
	}
	out, msg, err := s.finish(ctx, log, rec, dataset, uploads.Loaded, "", func(u *uploads.Upload) {
		apply(u)
		u.RowsLoaded = int64(rowsLoaded)
		if report.WarningCount > 0 {
			u.Report = uploads.ReportObject(rec.ClientID, rec.ID)
		}
	})
	if err == nil && s.AfterLoad != nil {
		if aerr := s.AfterLoad(ctx, rec); aerr != nil {
			log.WarnContext(ctx, "after-load refresh failed", "error", aerr.Error())
		}
	}
	return out, msg, err
}

// ensureSchema adds the tables and columns a client dataset created by an
// earlier release lacks (analytics_charges, the designation and balance
// columns), once per dataset per process: both warehouses add what is
// missing and leave the rest alone.
func (s *Service) ensureSchema(ctx context.Context, dataset string) error {
	if _, ok := s.ensured.Load(dataset); ok {
		return nil
	}
	if err := s.Warehouse.EnsureDataset(ctx, warehouse.Client(dataset)); err != nil {
		return errs.Wrap(err, errs.Transient, "bring dataset %s up to date", dataset)
	}
	s.ensured.Store(dataset, true)
	return nil
}

func datasetOf(c tenancy.Client) string {
	if c.Dataset != "" {
		return c.Dataset
	}
	return tenancy.DatasetName(c.ID)
}

// metaRow is the upload_metadata row of a refused upload.
func metaRow(u uploads.Upload) warehouse.Row {
	errsJSON, _ := json.Marshal(u.Errors)
	warnJSON, _ := json.Marshal(u.Warnings)
	var asOf any
	if d, err := time.Parse("2006-01-02", u.AsOf); err == nil {
		asOf = date(d)
	}
	var property any
	if len(u.Properties) > 0 {
		property = u.Properties[0]
	}
	var received any
	if !u.ReceivedAt.IsZero() {
		received = u.ReceivedAt
	}
	return warehouse.Row{
		"client_id": u.ClientID, "upload_id": u.ID, "kind": string(u.Kind), "object": u.Object,
		"status": string(u.Status), "format": u.Format, "property_id": property, "as_of_date": asOf,
		"rows_total": u.RowsTotal, "rows_loaded": int64(0), "warnings": string(warnJSON), "errors": string(errsJSON),
		"received_at": received, "loaded_at": nil, "duration_ms": u.DurationMS,
	}
}

// download copies the exact object generation to a temporary file. The
// stored object's attributes decide: more than MaxBytes is TooLarge, and a
// size other than the upload's declared one (declared > 0) is Invalid, both
// before a byte is read; the copy is bounded again in case attributes and
// content disagree.
func (s *Service) download(ctx context.Context, ev uploads.ObjectEvent, declared int64) (*os.File, int64, error) {
	rc, attrs, err := s.Objects.Open(ctx, ev.Bucket, ev.Name, int64(ev.Generation))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			// The object was deleted after the event: nothing to ingest, and
			// redelivery cannot bring it back.
			return nil, 0, errs.Wrap(err, errs.NotFound, "the uploaded file is gone")
		}
		return nil, 0, err
	}
	defer rc.Close()
	switch {
	case attrs.Size > s.MaxBytes:
		return nil, 0, errs.E(errs.TooLarge, "the file is %d bytes; the limit is %d", attrs.Size, s.MaxBytes)
	case declared > 0 && attrs.Size != declared:
		return nil, 0, errs.E(errs.Invalid, "the file is %d bytes, but the upload declared %d", attrs.Size, declared)
	}
	f, err := os.CreateTemp(s.TempDir, "rentroll-upload-*")
	if err != nil {
		return nil, 0, errs.Wrap(err, errs.Transient, "create temp file")
	}
	n, err := io.Copy(f, io.LimitReader(rc, s.MaxBytes+1))
	if err == nil && n > s.MaxBytes {
		err = errs.E(errs.TooLarge, "the file exceeds the limit of %d bytes", s.MaxBytes)
	} else if err != nil {
		err = errs.Wrap(err, errs.Transient, "download %s", ev.Name)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// writeReport keeps every issue of an upload in the uploads bucket.
func (s *Service) writeReport(ctx context.Context, rec uploads.Upload, report *parse.Report) error {
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return errs.Wrap(err, errs.Internal, "encode report")
	}
	_, err = s.Objects.Put(ctx, s.Bucket, uploads.ReportObject(rec.ClientID, rec.ID), "application/json", bytes.NewReader(b), false)
	return err
}
