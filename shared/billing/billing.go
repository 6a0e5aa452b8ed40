// Package billing is the monthly unit count finance bills from (docs/metrics.md):
// for every client, the distinct units of the rent roll that stands for each
// property in the month, written to system.billing_units and exported to the
// finance bucket (docs/architecture.md#uploads-storage-and-events), under a per-month run lease so that two
// triggers never count the same month at once.
//
// How a month is replaced without readers seeing half of it: a run loads its
// rows tagged with its own run id, writes the export, and only then records
// itself as the month's completed run in the run record (Firestore
// billing_runs/{YYYY-MM}). Readers (usage, a client's billed units, the
// export) read the run record first and only rows of its completed run id, so
// they see the old month or the new month, never a mix. Rows of other runs are
// deleted after completion, except those of the previous completed run, kept
// until the next run so that a reader holding the older record still finds
// its rows.
//
// Re-running a month whose data is unchanged changes nothing a reader can
// observe: when the recount equals the completed run's rows (client, name,
// status, units, properties, carried-forward properties), the run adopts the
// completed run id instead of its own, loads nothing, and rewrites the export
// only if the stored CSV no longer matches its recorded sha256 (it then
// writes the identical bytes). Only run metadata moves (attempt count,
// started/finished times, trigger).
//
// Each row also carries what the units cost (docs/billing.md): the client's
// plan and unit price in force for the month, the amount (units × price, at
// least the plan's minimum for an active client) in exact integer cents, and
// the properties left unbilled as stale. Properties set inactive for the
// month are not counted. A re-run of a billed month keeps the prices each
// client was first billed at, so a price change never reaches a billed
// month. With a Meter, each completed run's units are reported (Stripe),
// idempotently per (run, client), and a failed report is completed by the
// next run or Sync.
//
// The package imports no cloud SDK: the warehouse, the client registry, the
// run store and the object store are interfaces implemented by adapters.
package billing

import (
	"context"
	"log/slog"
	"time"

	"rentroll.ai/rentroll/shared/clock"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Status is the state of a month's latest run attempt.
type Status string

// Run statuses.
const (
	// Running: an attempt holds the lease and is counting or exporting.
	Running Status = "running"
	// Exported: the latest attempt completed; its rows and export are current.
	Exported Status = "exported"
	// Failed: the latest attempt failed; the previous completed run (if any)
	// is still what readers see.
	Failed Status = "failed"
)

// Export names the finance export of a completed run.
type Export struct {
	Bucket   string `json:"bucket" firestore:"bucket"`
	Object   string `json:"object" firestore:"object"`
	Manifest string `json:"manifest" firestore:"manifest"`
	SHA256   string `json:"sha256" firestore:"sha256"`
	Rows     int    `json:"rows" firestore:"rows"`
}

// RunRecord is the state of one month's unit count (billing_runs/{YYYY-MM}).
// Clients, UnitsTotal and Export describe the completed run; RunID, Status,
// Trigger, StartedAt, FinishedAt and Error the latest attempt.
type RunRecord struct {
	Month string `json:"month" firestore:"month"`
	// RunID is the latest attempt's id while it runs or after it failed, and
	// the completed run's id once it exported (an attempt that found the
	// month unchanged adopts the completed run id).
	RunID   string `json:"run_id" firestore:"run_id"`
	Status  Status `json:"status" firestore:"status"`
	Trigger string `json:"trigger" firestore:"trigger"`
	// CompletedRunID is the run whose rows and export readers use; "" until
	// a run of the month completes.
	CompletedRunID string `json:"completed_run_id" firestore:"completed_run_id"`
	// PreviousRunID is the completed run before CompletedRunID, whose rows
	// are kept until the next run for readers holding an older record.
	PreviousRunID string `json:"previous_run_id,omitempty" firestore:"previous_run_id"`
	Clients       int    `json:"clients" firestore:"clients"`
	UnitsTotal    int64  `json:"units_total" firestore:"units_total"`
	// AmountTotals is the completed run's total amount per currency.
	AmountTotals map[string]Money `json:"amount_totals" firestore:"amount_totals"`
	// StaleProperties counts the completed run's stale properties, over
	// every client.
	StaleProperties int64  `json:"stale_properties" firestore:"stale_properties"`
	Export          Export `json:"export" firestore:"export"`
	// Report is the state of the completed run's usage report to Stripe.
	Report     Report    `json:"report" firestore:"report"`
	StartedAt  time.Time `json:"started_at" firestore:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero" firestore:"finished_at"`
	// Error is the client-safe message of a failed attempt.
	Error    string `json:"error,omitempty" firestore:"error"`
	Attempts int    `json:"attempts" firestore:"attempts"`
	// LeaseHolder is the attempt holding the lease ("" when free) until
	// LeaseExpiresAt; an expired lease may be taken over.
	LeaseHolder    string    `json:"-" firestore:"lease_holder"`
	LeaseExpiresAt time.Time `json:"-" firestore:"lease_expires_at"`
}

// Attempt asks for a month's lease.
type Attempt struct {
	Month   string
	RunID   string
	Trigger string
	Now     time.Time // the caller's clock, against which expiry is judged
	Expires time.Time
}

// RunStore keeps one RunRecord per month and its lease. Errors carry errs
// codes: NotFound for a month never run, Conflict for a lease held by another
// run, Transient for an unavailable store.
type RunStore interface {
	// Acquire takes the month's lease for a.RunID in one transaction. A lease
	// held by another run and not expired at a.Now is a Conflict; a free or
	// expired one is taken: the record (created if absent) gets Status
	// Running, RunID, Trigger, StartedAt = a.Now, Attempts+1, an empty
	// Error and FinishedAt, and keeps the completed run's fields. It returns
	// the record as stored.
	Acquire(ctx context.Context, a Attempt) (RunRecord, error)
	// Renew extends the lease runID holds to expires; Conflict if another
	// run holds it.
	Renew(ctx context.Context, month, runID string, expires time.Time) error
	// Finish applies fn to the record and releases the lease, in one
	// transaction, if runID still holds the lease; Conflict otherwise (a
	// run that lost its lease must not overwrite its successor's record).
	// fn may run more than once.
	Finish(ctx context.Context, month, runID string, fn func(*RunRecord)) (RunRecord, error)
	// Get returns the month's record, or NotFound.
	Get(ctx context.Context, month string) (RunRecord, error)
	// SetReport records the usage report of the month's completed run
	// runID, without the lease (a report may complete long after its run);
	// Conflict when runID is no longer the month's completed run.
	SetReport(ctx context.Context, month, runID string, r Report) error
}

// UnitsRow is one row of system.billing_units: a client's billable units in
// a month, as counted by run RunID, and what they cost. Properties counts
// the billed properties (carried-forward ones included); StaleProperties
// lists the properties left unbilled because their latest roll is older
// than the carry-forward limit.
type UnitsRow struct {
	ClientID                 string    `json:"client_id"`
	ClientName               string    `json:"name"`
	Status                   string    `json:"status"`
	Month                    string    `json:"-"`
	Units                    int64     `json:"units"`
	Properties               int64     `json:"properties"`
	CarriedForwardProperties int64     `json:"carried_forward_properties"`
	StaleProperties          []string  `json:"stale_properties"`
	PlanID                   string    `json:"plan_id"`
	UnitPrice                Money     `json:"unit_price"`
	MinimumMonthly           Money     `json:"minimum_monthly"`
	Amount                   Money     `json:"amount"`
	Currency                 string    `json:"currency"`
	RunID                    string    `json:"run_id"`
	ComputedAt               time.Time `json:"-"`
}

// terms returns the pricing the row was billed at.
func (r UnitsRow) terms() Terms {
	return Terms{PlanID: r.PlanID, UnitPrice: r.UnitPrice, Currency: r.Currency, MinimumMonthly: r.MinimumMonthly}
}

// Defaults of the Service's tunables.
const (
	// DefaultLeaseTTL outlives a run over thousands of clients on BigQuery
	// with room to spare, and is short enough that a crashed run's month is
	// free again within the hour.
	DefaultLeaseTTL = 30 * time.Minute
	// DefaultConcurrency bounds the per-client count statements in flight:
	// enough to hide BigQuery's per-query latency, few enough to stay far
	// below its concurrent-query quota and the 2 local cores.
	DefaultConcurrency = 8
)

// Service runs and reads the monthly unit count.
type Service struct {
	Warehouse     warehouse.Warehouse
	Clients       tenancy.ClientReader // read-only: billing never writes the registry
	Runs          RunStore
	Objects       objects.Store
	FinanceBucket string
	// Now is the clock; nil means time.Now.
	Now clock.Func
	// Log receives run progress; nil discards.
	Log *slog.Logger
	// Location is the billing time zone, for the default month; nil is UTC.
	Location *time.Location
	// LeaseTTL is how long a run's lease lives; 0 is DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Concurrency bounds the count statements in flight; 0 is DefaultConcurrency.
	Concurrency int
	// Settings keeps the price list, client pricing and property lifecycle;
	// nil bills every client on the default price list, every property active.
	Settings Settings
	// CarryForwardMonths is how many months a property's latest roll is
	// billed after its month before the property is stale; 0 is
	// DefaultCarryForwardMonths.
	CarryForwardMonths int
	// Meter receives every completed run's units (Stripe); nil reports nothing.
	Meter Meter
}

// DefaultCarryForwardMonths is the carry-forward limit when none is set.
const DefaultCarryForwardMonths = 3

func (s *Service) carryForward() int {
	if s.CarryForwardMonths > 0 {
		return s.CarryForwardMonths
	}
	return DefaultCarryForwardMonths
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

func (s *Service) leaseTTL() time.Duration {
	if s.LeaseTTL > 0 {
		return s.LeaseTTL
	}
	return DefaultLeaseTTL
}

func (s *Service) concurrency() int {
	if s.Concurrency > 0 {
		return s.Concurrency
	}
	return DefaultConcurrency
}

func (s *Service) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

// DefaultMonth is the month a trigger without one counts: the previous
// calendar month in the billing time zone.
func (s *Service) DefaultMonth() string { return PreviousMonth(s.now(), s.location()) }

// newRunID returns a unique, sortable run id, e.g.
// "r20261201T110000Z-1a2b3c4d5e6f". It goes into SQL only as a parameter.
func newRunID(now time.Time) string {
	return "r" + now.UTC().Format("20060102T150405Z") + "-" + randid.Hex(6)
}

// Take applies the lease rule of RunStore.Acquire to r, the stored record (the
// zero RunRecord when none exists): Conflict when another run holds an
// unexpired lease, else r becomes a's running attempt. Store adapters call it
// inside their transaction, so every adapter has the same rule.
func (r *RunRecord) Take(a Attempt) error {
	if r.LeaseHolder != "" && r.LeaseHolder != a.RunID && a.Now.Before(r.LeaseExpiresAt) {
		return errs.E(errs.Conflict, "a billing run of %s is in progress (started %s); try again after it ends",
			a.Month, r.StartedAt.UTC().Format(time.RFC3339)).WithReason("billing_run_in_progress")
	}
	r.Month = a.Month
	r.RunID, r.Status, r.Trigger = a.RunID, Running, a.Trigger
	r.StartedAt, r.FinishedAt, r.Error = a.Now, time.Time{}, ""
	r.Attempts++
	r.LeaseHolder, r.LeaseExpiresAt = a.RunID, a.Expires
	return nil
}

// Held reports, as Conflict, whether runID no longer holds r's lease.
func (r *RunRecord) Held(runID string) error {
	if r.LeaseHolder != runID {
		return errs.E(errs.Conflict, "billing run %s of %s lost its lease to another run", runID, r.Month)
	}
	return nil
}

// ApplyReport sets r's report to rep if runID is r's completed run, else
// Conflict. Store adapters call it inside their transaction.
func (r *RunRecord) ApplyReport(runID string, rep Report) error {
	if r.CompletedRunID != runID {
		return errs.E(errs.Conflict, "billing run %s is no longer the completed run of %s", runID, r.Month)
	}
	r.Report = rep
	return nil
}

// Release frees r's lease.
func (r *RunRecord) Release() { r.LeaseHolder, r.LeaseExpiresAt = "", time.Time{} }

// ExportView is the export part of a RunView.
type ExportView struct {
	Bucket string `json:"bucket"`
	Object string `json:"object"`
	SHA256 string `json:"sha256"`
}

// RunView is a run record as the API shows it (docs/architecture.md#http-api): {month, run_id,
// status, clients, units_total, export: {bucket, object, sha256}}, plus the
// completed run and the latest attempt's trigger, times and error. Lease
// details stay internal.
type RunView struct {
	Month           string           `json:"month"`
	RunID           string           `json:"run_id"`
	Status          Status           `json:"status"`
	Clients         int              `json:"clients"`
	UnitsTotal      int64            `json:"units_total"`
	AmountTotals    map[string]Money `json:"amount_totals"`
	StaleProperties int64            `json:"stale_properties"`
	Export          ExportView       `json:"export"`
	Report          Report           `json:"report"`
	CompletedRunID  string           `json:"completed_run_id,omitempty"` // absent until a run of the month completes
	Trigger         string           `json:"trigger,omitempty"`
	Attempts        int              `json:"attempts,omitempty"`
	StartedAt       time.Time        `json:"started_at,omitzero"`
	FinishedAt      *time.Time       `json:"finished_at,omitempty"`
	Error           string           `json:"error,omitempty"`
}

// View renders r for the API.
func (r RunRecord) View() RunView {
	v := RunView{
		Month: r.Month, RunID: r.RunID, Status: r.Status, Clients: r.Clients, UnitsTotal: r.UnitsTotal,
		AmountTotals: r.AmountTotals, StaleProperties: r.StaleProperties, Report: r.Report,
		Export:         ExportView{Bucket: r.Export.Bucket, Object: r.Export.Object, SHA256: r.Export.SHA256},
		CompletedRunID: r.CompletedRunID, Trigger: r.Trigger, Attempts: r.Attempts,
		StartedAt: r.StartedAt.UTC(), Error: r.Error,
	}
	if v.AmountTotals == nil {
		v.AmountTotals = map[string]Money{}
	}
	if v.Report.Status == "" {
		v.Report.Status = ReportOff // a month never completed has reported nothing
	}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt.UTC()
		v.FinishedAt = &f
	}
	return v
}
