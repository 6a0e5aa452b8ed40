package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// ReportStatus is the state of a completed run's usage report.
type ReportStatus string

// Report statuses.
const (
	// ReportOff: no meter is configured; nothing is reported.
	ReportOff ReportStatus = "off"
	// ReportPending: the run's units are not (all) reported yet; the next
	// run or a sync reports them.
	ReportPending ReportStatus = "pending"
	// ReportDone: every client with a Stripe customer was reported.
	ReportDone ReportStatus = "reported"
)

// Report is the state of one completed run's usage report to the meter.
type Report struct {
	Status ReportStatus `json:"status" firestore:"status"`
	// RunID is the completed run the report is about.
	RunID string `json:"run_id,omitempty" firestore:"run_id"`
	// Reported counts the clients whose units the meter accepted.
	Reported int `json:"reported" firestore:"reported"`
	// Unmapped counts the clients without a Stripe customer (not reported).
	Unmapped  int       `json:"unmapped" firestore:"unmapped"`
	Attempts  int       `json:"attempts" firestore:"attempts"`
	Error     string    `json:"error,omitempty" firestore:"error"`
	UpdatedAt time.Time `json:"updated_at,omitzero" firestore:"updated_at"`
}

// MeterEvent is one client's units of one run, as reported to the meter.
type MeterEvent struct {
	// Identifier is unique per (run, client) and the same every time that
	// pair is reported: the meter uses it to drop a repeat.
	Identifier string
	CustomerID string
	ClientID   string
	Month      string
	Units      int64
	Time       time.Time
}

// Meter receives usage (Stripe Billing meter events in production). Report
// must be idempotent per e.Identifier. Errors carry errs codes: Transient
// for an outage or a rate limit, others for a refused event.
type Meter interface {
	Report(ctx context.Context, e MeterEvent) error
}

// EventIdentifier is the meter event identifier of a client's units in a
// run: readable when it fits the meter's 100 characters, else a hash.
func EventIdentifier(runID, clientID string) string {
	id := "rentroll-" + runID + "-" + clientID
	if len(id) <= 100 {
		return id
	}
	sum := sha256.Sum256([]byte(runID + "/" + clientID))
	return "rentroll-" + hex.EncodeToString(sum[:])
}

// reportAfter is the report state a run's completion records: off without
// a meter; kept as is when an unchanged re-run finds its run reported;
// pending otherwise, so that a crash before the report leaves it to the
// next run or a sync.
func (s *Service) reportAfter(prev Report, runID string) Report {
	if s.Meter == nil {
		return Report{Status: ReportOff, RunID: runID}
	}
	if prev.RunID == runID && prev.Status == ReportDone {
		return prev
	}
	return Report{Status: ReportPending, RunID: runID, Attempts: 0}
}

// reportConcurrency bounds the meter calls in flight: far below Stripe's
// rate limits, enough to report a thousand clients in seconds.
const reportConcurrency = 8

// report sends every client's units of rec's completed run to the meter
// and records the outcome. A failure leaves the report pending with the
// error; the units of clients already sent are sent again next time, which
// the meter drops by identifier.
func (s *Service) report(ctx context.Context, rec RunRecord) (Report, error) {
	rep := rec.Report
	start, err := ParseMonth(rec.Month)
	if err != nil {
		return rep, err
	}
	rows, err := s.readRows(ctx, start, rec.CompletedRunID, "")
	if err != nil {
		return rep, err
	}
	now := s.now()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		first    error
		reported int
		unmapped int
	)
	sem := make(chan struct{}, reportConcurrency)
	for _, r := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cp, err := s.clientPricing(ctx, r.ClientID)
			if err == nil && cp.StripeCustomerID == "" {
				mu.Lock()
				unmapped++
				mu.Unlock()
				return
			}
			if err == nil {
				err = s.Meter.Report(ctx, MeterEvent{
					Identifier: EventIdentifier(rec.CompletedRunID, r.ClientID), CustomerID: cp.StripeCustomerID,
					ClientID: r.ClientID, Month: rec.Month, Units: r.Units, Time: now,
				})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = errs.Wrap(err, errs.CodeOf(err), "report client %s", r.ClientID)
				}
				return
			}
			reported++
		}()
	}
	wg.Wait()
	rep = Report{Status: ReportDone, RunID: rec.CompletedRunID, Reported: reported, Unmapped: unmapped,
		Attempts: rec.Report.Attempts + 1, UpdatedAt: now}
	if first != nil {
		_, msg := errs.Public(first)
		rep.Status, rep.Error = ReportPending, msg
	}
	if err := s.Runs.SetReport(context.WithoutCancel(ctx), rec.Month, rec.CompletedRunID, rep); err != nil {
		return rep, err
	}
	return rep, first
}

// syncWindow is how many months back a run or a sync looks for a pending
// report: Stripe accepts meter events up to 35 days old, and a report older
// than a year needs a person anyway.
const syncWindow = 12

// Synced is one month's report after a sync.
type Synced struct {
	Month  string `json:"month"`
	RunID  string `json:"run_id"`
	Report Report `json:"report"`
}

// Sync completes pending usage reports: of month when given, else of every
// month of the last year whose completed run's report is pending. Without
// a meter it reports nothing. A month still failing stays pending; the
// first failure is returned after every month was tried.
func (s *Service) Sync(ctx context.Context, month string) ([]Synced, error) {
	out := []Synced{}
	if s.Meter == nil {
		return out, errs.E(errs.Invalid, "no usage meter is configured (RENTROLL_STRIPE_API_KEY)")
	}
	var months []string
	if month != "" {
		if _, err := ParseMonth(month); err != nil {
			return out, err
		}
		months = []string{month}
	} else {
		last, _ := ParseMonth(s.DefaultMonth())
		for i := range syncWindow {
			months = append(months, last.AddDate(0, -i, 0).Format("2006-01"))
		}
	}
	var first error
	for _, m := range months {
		rec, err := s.Runs.Get(ctx, m)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		if rec.CompletedRunID == "" {
			continue
		}
		// A month named explicitly is reported again even when done (the
		// meter drops repeats); a scan only picks up pending ones.
		if month == "" && (rec.Report.Status != ReportPending || rec.Report.RunID != rec.CompletedRunID) {
			continue
		}
		if rec.Report.RunID != rec.CompletedRunID {
			rec.Report = Report{Status: ReportPending, RunID: rec.CompletedRunID}
		}
		rep, err := s.report(ctx, rec)
		if err != nil && first == nil {
			first = err
		}
		out = append(out, Synced{Month: m, RunID: rec.CompletedRunID, Report: rep})
	}
	return out, first
}

// afterRun reports the run just completed and then any month left pending
// by an earlier outage. Failures are logged, not returned: the run itself
// is complete, and its report stays pending for the next run or a sync.
func (s *Service) afterRun(ctx context.Context, log *slog.Logger, rec RunRecord) RunRecord {
	if s.Meter == nil {
		return rec
	}
	if rec.Report.Status == ReportPending {
		rep, err := s.report(ctx, rec)
		rec.Report = rep
		if err != nil {
			log.Warn("billing usage report pending; the next run or `rentroll billing sync` completes it",
				slog.String("error", err.Error()))
			return rec
		}
	}
	if _, err := s.Sync(ctx, ""); err != nil {
		log.Warn("billing usage report of an earlier month still pending", slog.String("error", err.Error()))
	}
	return rec
}
