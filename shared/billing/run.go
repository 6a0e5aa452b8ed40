package billing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// clientPageSize is the page the run lists the client registry with (the
// registry's maximum).
const clientPageSize = 500

// countSQL lists one client's billable properties in a month
// (docs/billing.md, "Units"): each property's standing roll and its distinct units, in the SQL both
// BigQuery and DuckDB accept. %[1]s is the client's dataset, checked by
// warehouse.CheckIdent; values are parameters. Which properties are billed
// (inactive, stale, carried forward) is decided in Go from the roll's date
// and the property's lifecycle, so no dialect-specific date arithmetic is
// needed.
//
//   - loaded: uploads whose metadata says loaded; rows of other uploads
//     (processing, failed, rejected, or no metadata at all) never count.
//   - rolls: one rent roll per (property, upload, as-of date) with its latest
//     loaded_at, up to the end of the month.
//   - ranked: per property, the latest as-of date wins; for the same date the
//     latest loaded_at (a re-upload supersedes); upload_id breaks a tie so
//     the count is deterministic.
//   - the result: the winning roll's as-of date and distinct units, any status.
const countSQL = `
WITH loaded AS (
  SELECT DISTINCT upload_id FROM %[1]s.upload_metadata WHERE status = 'loaded'
),
rolls AS (
  SELECT r.property_id, r.upload_id, r.as_of_date, MAX(r.loaded_at) AS loaded_at
  FROM %[1]s.analytics_rent_roll AS r
  JOIN loaded AS m ON m.upload_id = r.upload_id
  WHERE r.as_of_date < @next_month_start
  GROUP BY r.property_id, r.upload_id, r.as_of_date
),
ranked AS (
  SELECT property_id, upload_id, as_of_date,
    ROW_NUMBER() OVER (PARTITION BY property_id
      ORDER BY as_of_date DESC, loaded_at DESC NULLS LAST, upload_id DESC) AS rn
  FROM rolls
)
SELECT c.property_id, c.as_of_date, COUNT(DISTINCT r.unit_id) AS units
FROM ranked AS c
JOIN %[1]s.analytics_rent_roll AS r
  ON r.upload_id = c.upload_id AND r.property_id = c.property_id AND r.as_of_date = c.as_of_date
WHERE c.rn = 1
GROUP BY c.property_id, c.as_of_date`

// Run counts month (YYYY-MM) for every client and exports it, under the
// month's lease. A lease held by a live run answers Conflict (the caller
// gets 409 and may retry later; the run does not wait). trigger says who
// asked ("scheduler", "admin:<sub>", "local"), for the record.
//
// A run that crashes after loading its rows but before exporting leaves the
// record Running with a lease that expires; the next run of the month takes
// the lease over, recounts (counts are deterministic), loads its own rows,
// exports, and cleans up the crashed run's rows. Readers meanwhile keep
// seeing the previous completed run.
func (s *Service) Run(ctx context.Context, month, trigger string) (RunRecord, error) {
	start, err := ParseMonth(month)
	if err != nil {
		return RunRecord{}, err
	}
	if err := s.checkEnded(month); err != nil {
		return RunRecord{}, err
	}
	now := s.now()
	attempt := newRunID(now)
	rec, err := s.Runs.Acquire(ctx, Attempt{Month: month, RunID: attempt, Trigger: trigger, Now: now, Expires: now.Add(s.leaseTTL())})
	if err != nil {
		return RunRecord{}, err
	}
	log := s.log().With(slog.String("month", month), slog.String("attempt", attempt), slog.String("trigger", trigger))
	log.Info("billing run started", slog.String("completed_run_id", rec.CompletedRunID))
	out, err := s.run(ctx, log, rec, attempt, start)
	if err != nil {
		_, msg := errs.Public(err)
		// The failure is recorded even when the caller has gone; a lost lease
		// (Conflict) means a successor owns the record, which stays its.
		_, ferr := s.Runs.Finish(context.WithoutCancel(ctx), month, attempt, func(r *RunRecord) {
			r.Status, r.Error, r.FinishedAt = Failed, msg, s.now()
		})
		log.Error("billing run failed", slog.String("error", err.Error()), slog.Any("record_error", ferr))
		return RunRecord{}, err
	}
	out = s.afterRun(ctx, log, out)
	// "billing run completed" is what the billing-run-missing alert looks for.
	log.Info("billing run completed", slog.String("run_id", out.CompletedRunID),
		slog.Int("clients", out.Clients), slog.Int64("units_total", out.UnitsTotal))
	return out, nil
}

func (s *Service) run(ctx context.Context, log *slog.Logger, rec RunRecord, attempt string, start time.Time) (RunRecord, error) {
	month := rec.Month
	if s.FinanceBucket == "" {
		return RunRecord{}, errs.E(errs.Internal, "no finance bucket configured")
	}
	clients, err := s.listClients(ctx)
	if err != nil {
		return RunRecord{}, err
	}
	// A month already billed keeps the prices it was billed at: each client
	// of the completed run keeps its terms; only clients new to the month
	// are priced from today's price list and settings.
	var prev []UnitsRow
	if rec.CompletedRunID != "" {
		if prev, err = s.readRows(ctx, start, rec.CompletedRunID, ""); err != nil {
			return RunRecord{}, err
		}
	}
	locked := make(map[string]Terms, len(prev))
	for _, r := range prev {
		if r.PlanID != "" {
			locked[r.ClientID] = r.terms()
		}
	}
	plans, err := s.planMap(ctx)
	if err != nil {
		return RunRecord{}, err
	}
	rows, err := s.count(ctx, clients, month, start, plans, locked)
	if err != nil {
		return RunRecord{}, err
	}

	// Unchanged since the completed run? Then adopt it: same rows, same CSV.
	same := rec.CompletedRunID != "" && sameCounts(prev, rows)
	runID := attempt
	computedAt := s.now()
	if same {
		runID, rows = rec.CompletedRunID, prev
		log.Info("billing counts unchanged; keeping the completed run", slog.String("run_id", runID))
	} else {
		for i := range rows {
			rows[i].RunID, rows[i].ComputedAt = runID, computedAt
		}
		if err := s.loadRows(ctx, month, start, runID, rows); err != nil {
			return RunRecord{}, err
		}
	}

	csv := RenderCSV(rows, runID)
	sum := sha256Hex(csv)
	var total, stale int64
	amounts := map[string]Money{}
	for _, r := range rows {
		total += r.Units
		stale += int64(len(r.StaleProperties))
		if r.Currency != "" {
			amounts[r.Currency] += r.Amount
		}
	}
	exp := Export{Bucket: s.FinanceBucket, Object: csvObject(month), Manifest: manifestObject(month), SHA256: sum, Rows: len(rows)}
	if !same || !s.exportIntact(ctx, rec.Export, exp) {
		// Last check before writing the month's objects that this run still
		// owns the month, so that a run whose lease expired does not
		// overwrite its successor's export.
		if err := s.Runs.Renew(ctx, month, attempt, s.now().Add(s.leaseTTL())); err != nil {
			return RunRecord{}, err
		}
		m := Manifest{Month: month, Object: exp.Object, Rows: len(rows), TotalUnits: total, AmountTotals: amounts,
			StaleProperties: stale, SHA256: sum, RunID: runID, CreatedAt: s.now()}
		if err := s.writeExport(ctx, exp, csv, renderManifest(m)); err != nil {
			return RunRecord{}, err
		}
	}

	previous := rec.CompletedRunID
	if same {
		previous = rec.PreviousRunID
	}
	out, err := s.Runs.Finish(ctx, month, attempt, func(r *RunRecord) {
		r.RunID, r.Status, r.Error = runID, Exported, ""
		r.CompletedRunID, r.PreviousRunID = runID, previous
		r.Clients, r.UnitsTotal, r.Export = len(rows), total, exp
		r.AmountTotals, r.StaleProperties = amounts, stale
		r.FinishedAt = s.now()
		r.Report = s.reportAfter(r.Report, runID)
	})
	if err != nil {
		return RunRecord{}, err
	}
	s.cleanup(ctx, log, start, runID, previous)
	return out, nil
}

// listClients reads the whole registry, page by page.
func (s *Service) listClients(ctx context.Context) ([]tenancy.Client, error) {
	var all []tenancy.Client
	token := ""
	for {
		page, next, err := s.Clients.ListClients(ctx, tenancy.Page{Limit: clientPageSize, Token: token})
		if err != nil {
			return nil, errs.Wrap(err, errs.CodeOf(err), "list clients")
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}

// count runs countSQL for every client, at most concurrency at a time, and
// returns one row per client in client id order.
func (s *Service) count(ctx context.Context, clients []tenancy.Client, month string, start time.Time,
	plans map[string]Plan, locked map[string]Terms) ([]UnitsRow, error) {
	rows := make([]UnitsRow, len(clients))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.concurrency())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i, c := range clients {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := s.countClient(ctx, c, month, start, plans, locked)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
				return
			}
			rows[i] = r
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, errs.Wrap(err, errs.Transient, "billing count interrupted")
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ClientID < rows[j].ClientID })
	return rows, nil
}

func (s *Service) countClient(ctx context.Context, c tenancy.Client, month string, start time.Time,
	plans map[string]Plan, locked map[string]Terms) (UnitsRow, error) {
	ds := tenancy.DatasetName(c.ID)
	if err := warehouse.CheckIdent(ds); err != nil {
		return UnitsRow{}, err
	}
	status := string(c.Status)
	if status == "" {
		status = string(tenancy.Active)
	}
	row := UnitsRow{ClientID: c.ID, ClientName: c.Name, Status: status, Month: month, StaleProperties: []string{}}
	terms, ok := locked[c.ID]
	var lifecycles []PropertyLifecycle
	if s.Settings != nil {
		var err error
		if lifecycles, err = s.Settings.Lifecycles(ctx, c.ID); err != nil {
			return UnitsRow{}, errs.Wrap(err, errs.CodeOf(err), "read the property lifecycle of client %s", c.ID)
		}
	}
	if !ok {
		cp, err := s.clientPricing(ctx, c.ID)
		if err != nil {
			return UnitsRow{}, err
		}
		if terms, err = termsFor(cp, month, plans); err != nil {
			return UnitsRow{}, err
		}
	}
	row.PlanID, row.UnitPrice, row.MinimumMonthly, row.Currency = terms.PlanID, terms.UnitPrice, terms.MinimumMonthly, terms.Currency

	res, err := s.Warehouse.Query(ctx, fmt.Sprintf(countSQL, ds), map[string]any{
		"next_month_start": civil.DateOf(start.AddDate(0, 1, 0)),
	})
	if errs.Is(err, errs.NotFound) {
		// No dataset or table: the client never loaded anything, so it has no
		// units (A6). Provisioning should have made them; say so, but bill.
		s.log().Warn("billing: client dataset missing; counted as 0 units",
			slog.String("client_id", c.ID), slog.String("error", err.Error()))
		res = nil
	} else if err != nil {
		return UnitsRow{}, errs.Wrap(err, errs.CodeOf(err), "count units of client %s", c.ID)
	}
	props := make([]PropertyRoll, 0, len(res))
	for _, r := range res {
		pid, _ := r["property_id"].(string)
		asOf, _ := r["as_of_date"].(time.Time)
		props = append(props, PropertyRoll{PropertyID: pid, AsOf: asOf, Units: asInt(r["units"])})
	}
	bill := Classify(props, lifecycles, start, s.carryForward())
	row.Units, row.Properties, row.CarriedForwardProperties = bill.Units, bill.Properties, bill.CarriedForward
	row.StaleProperties = bill.Stale
	row.Amount = amountOf(row.Units, terms, status)
	return row, nil
}

// PropertyRoll is a property's standing roll in a month: its as-of date
// and its distinct units.
type PropertyRoll struct {
	PropertyID string
	AsOf       time.Time
	Units      int64
}

// Billed is what a client's properties bill in a month.
type Billed struct {
	Units          int64
	Properties     int64
	CarriedForward int64
	// Stale lists, in id order, the properties whose latest roll is older
	// than the carry-forward limit: not billed.
	Stale []string
	// Inactive lists, in id order, the properties set inactive for the month.
	Inactive []string
}

// Classify decides which of a client's properties bill in the month
// starting at start, and how many units: a property set inactive for the
// month bills nothing and is not carried forward; a property whose roll is
// from an earlier month is carried forward for up to carry months after
// that month and stale after that (not billed, listed); every other
// property bills its roll's distinct units.
func Classify(props []PropertyRoll, lifecycles []PropertyLifecycle, start time.Time, carry int) Billed {
	month := start.Format("2006-01")
	status := make(map[string]string, len(lifecycles))
	for _, l := range lifecycles {
		status[l.PropertyID] = l.StatusIn(month)
	}
	b := Billed{Stale: []string{}, Inactive: []string{}}
	for _, p := range props {
		if status[p.PropertyID] == PropertyInactive {
			b.Inactive = append(b.Inactive, p.PropertyID)
			continue
		}
		age := monthsSince(p.AsOf, start)
		if age > carry {
			b.Stale = append(b.Stale, p.PropertyID)
			continue
		}
		b.Units += p.Units
		b.Properties++
		if age > 0 {
			b.CarriedForward++
		}
	}
	sort.Strings(b.Stale)
	sort.Strings(b.Inactive)
	return b
}

// monthsSince counts the calendar months from the month of d to the month
// starting at start: 0 for a date in that month, 1 for the month before.
func monthsSince(d, start time.Time) int {
	return (start.Year()-d.Year())*12 + int(start.Month()) - int(d.Month())
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// sameCounts reports whether two runs' rows bill the same: same clients with
// the same names, statuses, counts, terms, amounts and stale properties (run
// ids and times aside).
func sameCounts(a, b []UnitsRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ClientID != y.ClientID || x.ClientName != y.ClientName || x.Status != y.Status || x.Month != y.Month ||
			x.Units != y.Units || x.Properties != y.Properties || x.CarriedForwardProperties != y.CarriedForwardProperties ||
			x.terms() != y.terms() || x.Amount != y.Amount || !slices.Equal(x.StaleProperties, y.StaleProperties) {
			return false
		}
	}
	return true
}

// loadRows writes a run's rows; the load ID makes a retry of the same run
// add nothing.
func (s *Service) loadRows(ctx context.Context, month string, start time.Time, runID string, rows []UnitsRow) error {
	if len(rows) == 0 {
		return nil
	}
	wr := make([]warehouse.Row, len(rows))
	for i, r := range rows {
		wr[i] = warehouse.Row{
			"client_id": r.ClientID, "client_name": r.ClientName, "status": r.Status,
			"month": month, "month_start": start,
			"units": r.Units, "properties": r.Properties, "carried_forward_properties": r.CarriedForwardProperties,
			"run_id": runID, "computed_at": r.ComputedAt,
			"plan_id": r.PlanID, "unit_price": r.UnitPrice.Cents(), "minimum_monthly": r.MinimumMonthly.Cents(),
			"amount": r.Amount.Cents(), "currency": r.Currency, "stale_properties": encodeIDs(r.StaleProperties),
		}
	}
	err := s.Warehouse.Load(ctx, warehouse.Load{
		ID:      "billing_units_" + month + "_" + runID,
		Dataset: warehouse.SystemDataset,
		Parts:   []warehouse.Part{{Table: warehouse.TableBillingUnits, Rows: wr}},
	})
	if err != nil {
		return errs.Wrap(err, errs.CodeOf(err), "write billing units of %s", month)
	}
	return nil
}

// writeExport writes the CSV, then the manifest that vouches for it: a
// reader that finds a manifest finds the CSV it describes (or, during a
// rewrite, a CSV whose sha256 tells it to wait). Objects are replaced, not
// written only-if-absent, because a re-run replaces the month (docs/metrics.md).
func (s *Service) writeExport(ctx context.Context, exp Export, csv, manifest []byte) error {
	if _, err := s.Objects.Put(ctx, exp.Bucket, exp.Object, "text/csv; charset=utf-8", bytes.NewReader(csv), false); err != nil {
		return errs.Wrap(err, errs.CodeOf(err), "write the finance CSV")
	}
	if _, err := s.Objects.Put(ctx, exp.Bucket, exp.Manifest, "application/json", bytes.NewReader(manifest), false); err != nil {
		return errs.Wrap(err, errs.CodeOf(err), "write the finance manifest")
	}
	return nil
}

// exportIntact reports whether the recorded export is where want says and
// its CSV still hashes to want's sha256, with the manifest beside it.
func (s *Service) exportIntact(ctx context.Context, have, want Export) bool {
	if have != want {
		return false
	}
	sum, err := s.objectSHA256(ctx, want.Bucket, want.Object)
	if err != nil || sum != want.SHA256 {
		return false
	}
	_, err = s.Objects.Stat(ctx, want.Bucket, want.Manifest)
	return err == nil
}

func (s *Service) objectSHA256(ctx context.Context, bucket, object string) (string, error) {
	rc, _, err := s.Objects.Open(ctx, bucket, object, 0)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", errs.Wrap(err, errs.Transient, "read %s", object)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cleanupSQL deletes the month's rows of every run but the completed one and
// the one before it. The month_start filter prunes to one BigQuery partition.
const cleanupSQL = `DELETE FROM system.billing_units
WHERE month_start = @month_start AND (run_id IS NULL OR run_id NOT IN (@keep, @previous))`

// cleanup is best effort: readers filter on the completed run id, so rows
// left behind are only storage, and the next run deletes them.
func (s *Service) cleanup(ctx context.Context, log *slog.Logger, start time.Time, keep, previous string) {
	if previous == "" {
		previous = keep
	}
	err := s.Warehouse.Exec(ctx, cleanupSQL, map[string]any{
		"month_start": civil.DateOf(start), "keep": keep, "previous": previous,
	})
	if err != nil {
		log.Warn("billing cleanup of superseded rows failed; the next run retries", slog.String("error", err.Error()))
	}
}
