package ingest

import (
	"encoding/json"
	"time"

	"rentroll.ai/rentroll/shared/parse"
	"rentroll.ai/rentroll/shared/warehouse"
)

// The mapping of parsed values to warehouse rows (DESIGN A5). Resident names
// stay in the raw table only: the normalized unit carries none.

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return warehouse.DateOf(t.Year(), t.Month(), t.Day())
}

// monthStart is the derived partition column, stored at load time so that no
// query needs a dialect-specific date function (DESIGN B3).
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
			"status": u.Status, "market_rent": warehouse.Cents(u.MarketRent), "lease_rent": warehouse.Cents(u.LeaseRent),
			"concessions": warehouse.Cents(u.Concessions), "other_charges": warehouse.Cents(u.OtherCharges),
			"lease_start": date(u.LeaseStart), "lease_end": date(u.LeaseEnd), "move_in": date(u.MoveIn), "move_out": date(u.MoveOut),
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
			"concessions_monthly": warehouse.Cents(c.ConcessionsMonthly), "effective_rent": warehouse.Cents(c.EffectiveRent),
			"occupancy": optFloat(c.Occupancy, c.HasOccupancy), "loaded_at": loadedAt,
		}
	}
}
