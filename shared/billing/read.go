package billing

import (
	"context"
	"encoding/json"
	"io"
	"sort"
	"time"

	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// MaxRangeMonths bounds a client's billing history request.
const MaxRangeMonths = 36

// maxExportBytes bounds the CSV the admin download reads into memory: about
// 100 bytes a client, so far beyond any registry this platform will hold.
const maxExportBytes = 64 << 20

const rowsSQL = `SELECT client_id, client_name, status, month, units, properties,
  carried_forward_properties, run_id, computed_at, plan_id, unit_price, minimum_monthly,
  amount, currency, stale_properties
FROM system.billing_units
WHERE month_start = @month_start AND run_id = @run_id`

// readRows returns run runID's rows of the month starting at start, in client
// id order; clientID, when set, narrows them to one client.
func (s *Service) readRows(ctx context.Context, start time.Time, runID, clientID string) ([]UnitsRow, error) {
	q := rowsSQL
	params := map[string]any{"month_start": civil.DateOf(start), "run_id": runID}
	if clientID != "" {
		q += " AND client_id = @client_id"
		params["client_id"] = clientID
	}
	res, err := s.Warehouse.Query(ctx, q, params)
	if err != nil {
		return nil, errs.Wrap(err, errs.CodeOf(err), "read billing units of %s", start.Format("2006-01"))
	}
	rows := make([]UnitsRow, 0, len(res))
	for _, r := range res {
		rows = append(rows, rowOf(r))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ClientID < rows[j].ClientID })
	return rows, nil
}

func rowOf(r warehouse.Result) UnitsRow {
	str := func(k string) string { s, _ := r[k].(string); return s }
	money := func(k string) Money { m, _ := moneyOf(r[k]); return m }
	at, _ := r["computed_at"].(time.Time)
	return UnitsRow{
		ClientID: str("client_id"), ClientName: str("client_name"), Status: str("status"), Month: str("month"),
		Units: asInt(r["units"]), Properties: asInt(r["properties"]),
		CarriedForwardProperties: asInt(r["carried_forward_properties"]),
		StaleProperties:          decodeIDs(str("stale_properties")),
		PlanID:                   str("plan_id"), UnitPrice: money("unit_price"), MinimumMonthly: money("minimum_monthly"),
		Amount: money("amount"), Currency: str("currency"),
		RunID: str("run_id"), ComputedAt: at.UTC(),
	}
}

// encodeIDs stores a property id list in a STRING column as a JSON array.
func encodeIDs(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // a []string always marshals
	return string(b)
}

// decodeIDs reads encodeIDs back; rows written before the column existed
// (NULL) read as none.
func decodeIDs(s string) []string {
	out := []string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out) // written by encodeIDs
	}
	return out
}

// Record returns the month's run record, or NotFound.
func (s *Service) Record(ctx context.Context, month string) (RunRecord, error) {
	if _, err := ParseMonth(month); err != nil {
		return RunRecord{}, err
	}
	return s.Runs.Get(ctx, month)
}

// completed returns the month's record if a run of it completed, else NotFound.
func (s *Service) completed(ctx context.Context, month string) (RunRecord, error) {
	rec, err := s.Record(ctx, month)
	if err != nil {
		return RunRecord{}, err
	}
	if rec.CompletedRunID == "" {
		return RunRecord{}, errs.E(errs.NotFound, "no completed billing run for %s", month)
	}
	return rec, nil
}

// Usage is the billed units and amounts of every client in a month, with
// the total amount per currency and the number of stale properties (each
// client lists its own); docs/billing.md.
type Usage struct {
	Month           string           `json:"month"`
	TotalUnits      int64            `json:"total_units"`
	AmountTotals    map[string]Money `json:"amount_totals"`
	StaleProperties int64            `json:"stale_properties"`
	Clients         []UnitsRow       `json:"clients"`
}

// Usage returns the month's billed units per client, from its completed run;
// NotFound when no run of the month has completed.
func (s *Service) Usage(ctx context.Context, month string) (Usage, error) {
	rec, err := s.completed(ctx, month)
	if err != nil {
		return Usage{}, err
	}
	start, _ := ParseMonth(month)
	rows, err := s.readRows(ctx, start, rec.CompletedRunID, "")
	if err != nil {
		return Usage{}, err
	}
	u := Usage{Month: month, Clients: rows, AmountTotals: map[string]Money{}}
	for _, r := range rows {
		u.TotalUnits += r.Units
		u.StaleProperties += int64(len(r.StaleProperties))
		if r.Currency != "" {
			u.AmountTotals[r.Currency] += r.Amount
		}
	}
	return u, nil
}

// MonthUnits is one month of a client's billed units and their amount
// (docs/billing.md).
type MonthUnits struct {
	Month                    string   `json:"month"`
	Units                    int64    `json:"units"`
	Properties               int64    `json:"properties"`
	CarriedForwardProperties int64    `json:"carried_forward_properties"`
	StaleProperties          []string `json:"stale_properties"`
	PlanID                   string   `json:"plan_id"`
	UnitPrice                Money    `json:"unit_price"`
	MinimumMonthly           Money    `json:"minimum_monthly"`
	Amount                   Money    `json:"amount"`
	Currency                 string   `json:"currency"`
}

const clientRowsSQL = `SELECT month, units, properties, carried_forward_properties, run_id, plan_id,
  unit_price, minimum_monthly, amount, currency, stale_properties
FROM system.billing_units
WHERE client_id = @client_id AND month_start >= @from AND month_start <= @to`

// ClientUnits returns a client's billed units for the months from..to
// (YYYY-MM, inclusive, at most MaxRangeMonths), oldest first. Months without
// a completed run, or whose run has no row for the client, are absent.
func (s *Service) ClientUnits(ctx context.Context, clientID, from, to string) ([]MonthUnits, error) {
	if err := tenancy.ValidateClientID(clientID); err != nil {
		return nil, errs.E(errs.NotFound, "client not found")
	}
	f, err := ParseMonth(from)
	if err != nil {
		return nil, errs.E(errs.Invalid, "from: month must be YYYY-MM")
	}
	t, err := ParseMonth(to)
	if err != nil {
		return nil, errs.E(errs.Invalid, "to: month must be YYYY-MM")
	}
	if t.Before(f) {
		return nil, errs.E(errs.Invalid, "from must not be after to")
	}
	months := monthsBetween(f, t)
	if len(months) > MaxRangeMonths {
		return nil, errs.E(errs.Invalid, "at most %d months at a time", MaxRangeMonths)
	}
	completed := map[string]string{}
	for _, m := range months {
		rec, err := s.Runs.Get(ctx, m)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.CompletedRunID != "" {
			completed[m] = rec.CompletedRunID
		}
	}
	out := []MonthUnits{}
	if len(completed) == 0 {
		return out, nil
	}
	res, err := s.Warehouse.Query(ctx, clientRowsSQL, map[string]any{
		"client_id": clientID, "from": civil.DateOf(f), "to": civil.DateOf(t),
	})
	if err != nil {
		return nil, errs.Wrap(err, errs.CodeOf(err), "read billing units of client %s", clientID)
	}
	for _, r := range res {
		row := rowOf(r)
		if completed[row.Month] != row.RunID || row.RunID == "" {
			continue // a superseded, crashed or in-flight run
		}
		out = append(out, MonthUnits{
			Month: row.Month, Units: row.Units, Properties: row.Properties, CarriedForwardProperties: row.CarriedForwardProperties,
			StaleProperties: row.StaleProperties, PlanID: row.PlanID, UnitPrice: row.UnitPrice,
			MinimumMonthly: row.MinimumMonthly, Amount: row.Amount, Currency: row.Currency,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out, nil
}

// ExportCSV returns the finance CSV of the month's completed run, checked
// against the sha256 its run recorded; a mismatch (the export is being
// rewritten, or was tampered with) is a Conflict rather than wrong data.
func (s *Service) ExportCSV(ctx context.Context, month string) ([]byte, RunRecord, error) {
	rec, err := s.completed(ctx, month)
	if err != nil {
		return nil, RunRecord{}, err
	}
	rc, _, err := s.Objects.Open(ctx, rec.Export.Bucket, rec.Export.Object, 0)
	if err != nil {
		return nil, RunRecord{}, errs.Wrap(err, errs.CodeOf(err), "read the finance CSV of %s", month)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxExportBytes+1))
	if err != nil {
		return nil, RunRecord{}, errs.Wrap(err, errs.Transient, "read the finance CSV of %s", month)
	}
	if len(b) > maxExportBytes {
		return nil, RunRecord{}, errs.E(errs.TooLarge, "the finance CSV of %s is too large to serve here; read it from the bucket", month)
	}
	if sha256Hex(b) != rec.Export.SHA256 {
		return nil, RunRecord{}, errs.E(errs.Conflict, "the finance CSV of %s does not match its run record; re-run the month", month)
	}
	return b, rec, nil
}
