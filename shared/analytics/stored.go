package analytics

import (
	"context"
	"crypto/rand"
	"fmt"
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
	now := s.now()
	cs := ClientSummary{ClientID: c.ID, Name: c.Name, Status: string(c.Status)}
	if err := s.clientSummary(ctx, &cs, MonthOf(now)); err != nil {
		return err
	}
	var last any
	if cs.LastUploadAt != nil {
		if t, err := time.Parse(time.RFC3339, *cs.LastUploadAt); err == nil {
			last = t
		}
	}
	var occ any
	if cs.PhysicalOccupancy != nil {
		occ = cs.PhysicalOccupancy.Float()
	}
	if err := s.W.Exec(ctx, "DELETE FROM "+summaryTable+" WHERE client_id = @id", map[string]any{"id": c.ID}); err != nil {
		return err
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	return s.W.Load(ctx, warehouse.Load{
		ID: fmt.Sprintf("summary-%s-%x", c.ID, nonce), Dataset: warehouse.SuperAdminDataset,
		Parts: []warehouse.Part{{Table: warehouse.TableAllClientsSummary, Rows: []warehouse.Row{{
			"client_id": c.ID, "client_name": c.Name, "status": string(c.Status), "units": cs.Units,
			"occupied": cs.Occupied, "physical_occupancy": occ, "gpr": warehouse.Cents(cs.GPR),
			"last_upload_at": last, "uploads_this_month": cs.UploadsThisMonth, "updated_at": now,
		}}}},
	})
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
