package analytics

import (
	"context"
	"time"

	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/warehouse"
)

// The cross-client summary is kept in super_admin.all_clients_summary, one
// row per client, rewritten after each of the client's loads, so that the
// super admin's page is one query over one small table however many clients
// there are; AllClientsSummary, which reads every client's dataset, is the
// slow but always-fresh path (and what the refresh computes for one client).

const summaryTable = warehouse.SuperAdminDataset + "." + warehouse.TableAllClientsSummary

// RefreshClientSummary recomputes client c's row of the stored summary.
func (s *Service) RefreshClientSummary(ctx context.Context, c tenancy.Client) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	now := s.now()
	cs := ClientSummary{ClientID: c.ID, Name: c.Name, Status: string(c.Status)}
	if err := s.clientSummary(ctx, &cs, MonthOf(now)); err != nil {
		return err
	}
	// One MERGE per refresh: a single DML statement (no load job, so none of
	// BigQuery's per-table load quota), atomic, and idempotent, so concurrent
	// refreshes of one client cannot leave two rows or none.
	params := map[string]any{
		"id": c.ID, "name": c.Name, "status": string(c.Status), "units": cs.Units, "occupied": cs.Occupied,
		"has_occ": cs.PhysicalOccupancy != nil, "occ": 0.0, "gpr": warehouse.Cents(cs.GPR),
		"has_last": cs.LastUploadAt != nil, "last": now, "uploads": cs.UploadsThisMonth, "now": now,
	}
	if cs.PhysicalOccupancy != nil {
		params["occ"] = cs.PhysicalOccupancy.Float()
	}
	if cs.LastUploadAt != nil {
		if t, err := time.Parse(time.RFC3339, *cs.LastUploadAt); err == nil {
			params["last"] = t
		}
	}
	return s.W.Exec(ctx, `MERGE INTO `+summaryTable+` AS t
USING (SELECT @id AS client_id, @name AS client_name, @status AS status, @units AS units, @occupied AS occupied,
  IF(@has_occ, @occ, NULL) AS physical_occupancy, @gpr AS gpr, IF(@has_last, @last, NULL) AS last_upload_at,
  @uploads AS uploads_this_month, @now AS updated_at) AS s
ON t.client_id = s.client_id
WHEN MATCHED THEN UPDATE SET client_name = s.client_name, status = s.status, units = s.units, occupied = s.occupied,
  physical_occupancy = s.physical_occupancy, gpr = s.gpr, last_upload_at = s.last_upload_at,
  uploads_this_month = s.uploads_this_month, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (client_id, client_name, status, units, occupied, physical_occupancy, gpr,
  last_upload_at, uploads_this_month, updated_at)
  VALUES (s.client_id, s.client_name, s.status, s.units, s.occupied, s.physical_occupancy, s.gpr,
  s.last_upload_at, s.uploads_this_month, s.updated_at)`, params)
}

// StoredSummary answers GET /v1/admin/summary from the stored rows, for the
// clients of the registry (the source of truth for names and statuses).
// Clients never loaded have no row and show zeros. A row's upload count is
// for the month it was written in, so an older row counts no uploads this month.
func (s *Service) StoredSummary(ctx context.Context, clients []tenancy.Client) (AllClients, error) {
	now := s.now()
	month := MonthOf(now)
	rows, err := s.W.Query(ctx, "SELECT client_id, units, occupied, gpr, last_upload_at, uploads_this_month, updated_at FROM "+summaryTable, nil)
	if err != nil {
		return AllClients{}, err
	}
	byID := map[string]map[string]any{}
	for _, r := range rows {
		if id, ok := r["client_id"].(string); ok {
			byID[id] = r
		}
	}
	out := AllClients{GeneratedAt: now.Format(time.RFC3339), Month: month, Clients: make([]ClientSummary, 0, len(clients))}
	t := &out.Totals
	for _, c := range clients {
		cs := ClientSummary{ClientID: c.ID, Name: c.Name, Status: string(c.Status), Available: true}
		if r, ok := byID[c.ID]; ok {
			var rd resultReader
			cs.Units, cs.Occupied, cs.GPR = rd.int(r, "units"), rd.int(r, "occupied"), Money(rd.cents(r, "gpr"))
			if lt := rd.date(r, "last_upload_at"); !lt.IsZero() {
				cs.LastUploadAt = optString(lt.UTC().Format(time.RFC3339))
			}
			if up := rd.date(r, "updated_at"); MonthOf(up) == month {
				cs.UploadsThisMonth = rd.int(r, "uploads_this_month")
			}
			if rd.err != nil {
				return AllClients{}, rd.err
			}
		}
		cs.PhysicalOccupancy = ratioOf(cs.Occupied, cs.Units)
		out.Clients = append(out.Clients, cs)
		t.Clients++
		t.Units += cs.Units
		t.Occupied += cs.Occupied
		t.GPR += cs.GPR
		t.UploadsThisMonth += cs.UploadsThisMonth
	}
	t.PhysicalOccupancy = ratioOf(t.Occupied, t.Units)
	return out, nil
}
