package ingest

import (
	"encoding/json"
	"time"

	"rentroll.ai/rentroll/shared/parse"
	"rentroll.ai/rentroll/shared/warehouse"
)

// The mapping of parsed values to warehouse rows (docs/architecture.md#data-model). Resident names
// stay in the raw table only: the normalized unit carries none.

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return warehouse.DateOf(t.Year(), t.Month(), t.Day())
}

// monthStart is the derived partition column, stored at load time so that no
// query needs a dialect-specific date function (docs/architecture.md#local-platform).
func monthStart(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return warehouse.DateOf(t.Year(), t.Month(), 1)
}

func optFloat(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

// money is a Money value, or NULL when the file had none: a missing rent
// is unknown, not 0.
func money(v int64, ok bool) any {
	if !ok {
		return nil
	}
	return warehouse.Cents(v)
}

func optInt64(v int64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func optInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func rawRow(clientID, uploadID string, loadedAt time.Time) func(parse.RawRow) warehouse.Row {
	return func(r parse.RawRow) warehouse.Row {
		cells, _ := json.Marshal(r.Cells) // []string always encodes
		return warehouse.Row{
			"client_id": clientID, "upload_id": uploadID, "row_number": int64(r.Number),
			"cells": string(cells), "loaded_at": loadedAt,
		}
	}
}

func unitRow(clientID, uploadID string, loadedAt time.Time) func(parse.Unit) warehouse.Row {
	return func(u parse.Unit) warehouse.Row {
		return warehouse.Row{
			"client_id": clientID, "upload_id": uploadID, "property_id": u.PropertyID, "property_name": u.PropertyName,
			"as_of_date": date(u.AsOf), "month_start": monthStart(u.AsOf),
			"unit_id": u.UnitID, "building": u.Building, "unit_type": u.UnitType,
			"beds": optFloat(u.Beds, u.HasBeds), "baths": optFloat(u.Baths, u.HasBaths), "sqft": optInt(u.SqFt),
			"status": u.Status, "market_rent": money(u.MarketRent, u.HasMarketRent), "lease_rent": money(u.LeaseRent, u.HasLeaseRent),
			"concessions": money(u.Concessions, u.HasConcessions), "other_charges": money(u.OtherCharges, u.HasOtherCharges),
			"lease_start": date(u.LeaseStart), "lease_end": date(u.LeaseEnd), "move_in": date(u.MoveIn), "move_out": date(u.MoveOut),
			"designation": u.Designation, "preleased": u.Preleased, "renewed": u.Renewed,
			"balance": money(u.Balance, u.HasBalance), "bed_spaces": optInt64(u.BedSpaces, u.HasBedSpaces),
			"loaded_at": loadedAt,
		}
	}
}

func compRow(clientID, uploadID string, loadedAt time.Time) func(parse.Comp) warehouse.Row {
	return func(c parse.Comp) warehouse.Row {
		return warehouse.Row{
			"client_id": clientID, "upload_id": uploadID, "survey_date": date(c.SurveyDate), "month_start": monthStart(c.SurveyDate),
			"subject_property_id": c.SubjectPropertyID, "comp_property": c.CompProperty, "unit_type": c.UnitType,
			"beds": optFloat(c.Beds, c.HasBeds), "baths": optFloat(c.Baths, c.HasBaths), "sqft": optInt(c.SqFt),
			"units": optInt(c.Units), "asking_rent": warehouse.Cents(c.AskingRent),
			"concessions_monthly": money(c.ConcessionsMonthly, c.HasConcessions), "effective_rent": warehouse.Cents(c.EffectiveRent),
			"occupancy": optFloat(c.Occupancy, c.HasOccupancy), "loaded_at": loadedAt,
		}
	}
}

// chargeRows maps each unit to its analytics_charges rows (none for a file
// without charge codes).
func chargeRows(clientID, uploadID string) func(parse.Unit) []warehouse.Row {
	return func(u parse.Unit) []warehouse.Row {
		if len(u.Charges) == 0 {
			return nil
		}
		out := make([]warehouse.Row, len(u.Charges))
		for i, c := range u.Charges {
			out[i] = warehouse.Row{
				"client_id": clientID, "upload_id": uploadID, "property_id": u.PropertyID,
				"as_of_date": date(u.AsOf), "month_start": monthStart(u.AsOf), "unit_id": u.UnitID,
				"code": c.Code, "category": c.Category, "amount": warehouse.Cents(c.Amount),
			}
		}
		return out
	}
}
