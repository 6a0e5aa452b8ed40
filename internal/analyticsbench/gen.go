// Package analyticsbench generates rent rolls and competition surveys for
// the analytics tests and benchmarks, loads them into a warehouse the way the
// ingest function does (unit rows first, the upload_metadata row of a loaded
// upload in the same load), and holds the oracle: a plain-Go implementation
// of every docs/metrics.md metric over the generated rows, written independently of
// the SQL, that the service's answers are compared with.
package analyticsbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Unit is one unit row of a rent roll. Empty strings, zero Sqft and
// BedSpaces, nil pointers and zero dates are stored as NULL.
type Unit struct {
	UnitID, Building, UnitType string
	Beds, Baths                *float64
	Sqft                       int64
	Status                     string
	Market, Lease              *int64 // cents
	Concessions                *int64 // a positive monthly amount, cents
	Other                      int64
	LeaseStart, LeaseEnd       time.Time
	MoveIn, MoveOut            time.Time
	Designation                string // standard, employee, corporate, affordable
	Preleased, Renewed         bool
	Balance                    *int64
	BedSpaces                  int64
}

// Roll is one property's rent roll in an upload.
type Roll struct {
	UploadID     string
	PropertyID   string
	PropertyName string
	AsOf         time.Time
	LoadedAt     time.Time
	Units        []Unit
}

// Comp is one row of a competition survey.
type Comp struct {
	CompProperty string
	UnitType     string
	Beds, Baths  *float64 // nil = NULL
	Sqft, Units  int64
	Asking       *int64 // cents
	Concessions  *int64 // monthly, cents
}

// Survey is one competition survey of one subject property in an upload.
type Survey struct {
	UploadID   string
	Subject    string // "" = NULL subject_property_id
	SurveyDate time.Time
	LoadedAt   time.Time
	Comps      []Comp
}

// Upload is one upload: its rolls or survey, and its upload_metadata status
// ("" = no metadata row at all, as while ingest is still loading).
type Upload struct {
	ID       string
	Kind     string // rent_roll or competition
	Status   string
	LoadedAt time.Time
	Rolls    []Roll
	Survey   *Survey
}

// Floorplan is a floorplan a client admin stored for a property.
type Floorplan struct {
	PropertyID, Code string
	Beds, Baths      *float64
	Sqft             int64 // 0 = NULL
}

// Data is a generated client.
type Data struct {
	ClientID   string
	Uploads    []Upload
	Floorplans []Floorplan
}

// Config sizes a generated client.
type Config struct {
	ClientID   string
	Properties int
	Units      int // per property
	Months     int // monthly rolls per property
	Start      analytics.Month
	Seed       uint64
	// EdgeCases adds superseding re-uploads, uploads that never finished
	// loading, a multi-property upload, two rolls in one month, properties
	// that start late or stop early, NULL unit types, rents and sqft, and
	// surveys without concessions or subject.
	EdgeCases bool
	// Surveys adds a competition survey per property and month.
	Surveys bool
}

var unitTypes = []string{"0x1", "1x1", "2x1", "2x2", "3x2"}

// codedTypes are the floorplan codes of the properties that use their own:
// the first two read as beds and baths from the code (mc1a1 style), the
// others say nothing until a floorplan is stored.
var codedTypes = map[string]string{"0x1": "s0a1", "1x1": "mc1a1", "2x1": "B1", "2x2": "B2", "3x2": "C1"}
var baseRent = map[string]int64{"0x1": 115000, "1x1": 140000, "2x1": 165000, "2x2": 185000, "3x2": 230000, "": 150000}
var baseSqft = map[string]int64{"0x1": 480, "1x1": 690, "2x1": 890, "2x2": 1050, "3x2": 1320, "": 800}
var statuses = []string{"occupied", "occupied", "occupied", "occupied", "occupied", "occupied", "occupied_notice",
	"vacant", "vacant_leased", "model", "down", "admin"}

func ptr(v int64) *int64 { return &v }

// Generate calls emit for each upload of a client described by cfg, in load
// order. Uploads are generated one at a time, so a large client need not fit
// in memory.
func Generate(cfg Config, emit func(Upload) error) error {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	edge := cfg.EdgeCases
	n := 0
	nextID := func(kind string) string {
		n++
		return fmt.Sprintf("%s-%06d", kind, n)
	}
	for m := 0; m < cfg.Months; m++ {
		month := cfg.Start.Add(m)
		var multi *Upload
		for p := 0; p < cfg.Properties; p++ {
			if edge && m < p%3 { // starts late
				continue
			}
			if edge && p%5 == 4 && m >= cfg.Months-2 { // stopped uploading: carried forward
				continue
			}
			pid := fmt.Sprintf("P%03d", p)
			day := 1 + (p*7)%28
			asOf := time.Date(month.Year, month.Month, day, 0, 0, 0, 0, time.UTC)
			loadedAt := asOf.Add(26*time.Hour + time.Duration(p)*time.Minute)
			roll := func(id string, asOf, loadedAt time.Time, variant int) Roll {
				return Roll{UploadID: id, PropertyID: pid, PropertyName: "Property " + pid, AsOf: asOf,
					LoadedAt: loadedAt, Units: genUnits(rng, cfg, p, m, asOf, variant)}
			}
			// Two properties in one upload (a multi-property export).
			if edge && m == 0 && (p == 0 || p == 3) {
				if multi == nil {
					multi = &Upload{ID: nextID("rr"), Kind: "rent_roll", Status: "loaded", LoadedAt: loadedAt}
				}
				multi.Rolls = append(multi.Rolls, roll(multi.ID, asOf, multi.LoadedAt, 0))
				continue
			}
			// A mid-month roll before the regular one (trend picks the later).
			if edge && p%6 == 3 && m%2 == 1 && day > 2 {
				early := asOf.AddDate(0, 0, -day+1)
				id := nextID("rr")
				if err := emit(Upload{ID: id, Kind: "rent_roll", Status: "loaded", LoadedAt: loadedAt.Add(-time.Hour),
					Rolls: []Roll{roll(id, early, loadedAt.Add(-time.Hour), 3)}}); err != nil {
					return err
				}
			}
			id := nextID("rr")
			if err := emit(Upload{ID: id, Kind: "rent_roll", Status: "loaded", LoadedAt: loadedAt,
				Rolls: []Roll{roll(id, asOf, loadedAt, 0)}}); err != nil {
				return err
			}
			if edge && p%4 == 1 && m%2 == 0 { // corrected re-upload of the same property and date supersedes
				id := nextID("rr")
				at := loadedAt.Add(3 * time.Hour)
				if err := emit(Upload{ID: id, Kind: "rent_roll", Status: "loaded", LoadedAt: at,
					Rolls: []Roll{roll(id, asOf, at, 1)}}); err != nil {
					return err
				}
			}
			if edge && p%4 == 2 && (m == cfg.Months-1 || m == 1) {
				// Still loading (no metadata row) and failed: both newer, both ignored.
				id := nextID("rr")
				at := loadedAt.Add(5 * time.Hour)
				if err := emit(Upload{ID: id, Kind: "rent_roll", Status: "", LoadedAt: at,
					Rolls: []Roll{roll(id, asOf.AddDate(0, 0, 1), at, 2)}}); err != nil {
					return err
				}
				id = nextID("rr")
				if err := emit(Upload{ID: id, Kind: "rent_roll", Status: "failed", LoadedAt: at,
					Rolls: []Roll{roll(id, asOf, at.Add(time.Hour), 2)}}); err != nil {
					return err
				}
			}
			if cfg.Surveys {
				survey := func(status string, shift time.Duration, variant int, subject string) error {
					id := nextID("cs")
					sd := time.Date(month.Year, month.Month, 10, 0, 0, 0, 0, time.UTC)
					at := sd.Add(30*time.Hour + time.Duration(p)*time.Minute + shift)
					s := &Survey{UploadID: id, Subject: subject, SurveyDate: sd, LoadedAt: at, Comps: genComps(rng, edge, variant)}
					return emit(Upload{ID: id, Kind: "competition", Status: status, LoadedAt: at, Survey: s})
				}
				if err := survey("loaded", 0, 0, pid); err != nil {
					return err
				}
				if edge && p%3 == 0 && m%2 == 1 {
					if err := survey("loaded", 2*time.Hour, 1, pid); err != nil { // supersedes
						return err
					}
					if err := survey("processing", 4*time.Hour, 2, pid); err != nil { // ignored
						return err
					}
				}
				if edge && p == 0 && m == cfg.Months-1 {
					if err := survey("loaded", 0, 0, ""); err != nil { // no subject property
						return err
					}
				}
			}
		}
		if multi != nil {
			if err := emit(*multi); err != nil {
				return err
			}
		}
	}
	return nil
}

// genUnits makes one roll's units. variant changes the data of re-uploads so
// that picking the wrong upload changes the answer. Residents are stable
// from roll to roll: unit u of property p turns over every tenure months, so
// consecutive rolls show stays, renewals (a new lease term every 12 months
// of a stay) and move-ins, while statuses and rents vary freely.
func genUnits(rng *rand.Rand, cfg Config, p, m int, asOf time.Time, variant int) []Unit {
	edge := cfg.EdgeCases
	units := make([]Unit, 0, cfg.Units)
	for u := 0; u < cfg.Units; u++ {
		ut := unitTypes[(u*7+p)%len(unitTypes)]
		if edge && u%53 == 17 {
			ut = ""
		}
		code := ut
		if p%2 == 1 && ut != "" { // a property with its own floorplan codes
			code = codedTypes[ut]
		}
		growth := int64(m) * 450 // rents rise about $4.50 a month
		market := baseRent[ut] + growth + int64(rng.IntN(20000)) - 10000 + int64(variant)*2500
		st := statuses[rng.IntN(len(statuses))]
		un := Unit{UnitID: fmt.Sprintf("%d%02d", 1+u/40, u%40), Building: fmt.Sprintf("B%d", u%3), UnitType: code,
			Sqft: baseSqft[ut] + int64(rng.IntN(60)), Status: st, Market: ptr(market), Designation: "standard"}
		// Properties 3, 7, … give no beds or baths (matched through stored
		// floorplans or the code); a few units of the others disagree with
		// their code's majority.
		if ut != "" && !(edge && p%4 == 3) {
			beds, baths := float64(ut[0]-'0'), float64(ut[2]-'0')
			if edge && u%47 == 9 {
				baths++
			}
			un.Beds, un.Baths = &beds, &baths
		}
		if edge && u%23 == 5 {
			un.Sqft = 0 // missing sqft
		}
		if edge && u%97 == 41 {
			un.Market = nil // missing market rent
		}
		switch {
		case u%37 == 3:
			un.Designation = "employee"
		case u%41 == 5:
			un.Designation = "corporate"
		case edge && u%43 == 0:
			un.Designation = ""
		}
		// The resident of the month: tenure months per resident, shifted per unit.
		tenure := 5 + (u*5+p)%9
		shift := (u * 3) % tenure
		moveIdx := ((m+shift)/tenure)*tenure - shift // month index (from cfg.Start) of this resident's move-in
		moveIn := cfg.Start.Add(moveIdx).Start().AddDate(0, 0, u%27)
		termStart := moveIn.AddDate(0, 12*((m-moveIdx)/12), 0)
		occupied := st == "occupied" || st == "occupied_notice"
		if occupied || st == "vacant_leased" {
			delta := int64(rng.IntN(30000)) - 18000 // mostly below market, sometimes above
			if u%11 == 0 {
				delta = 0
			}
			lease := market + delta
			un.Lease = &lease
			if edge && u%89 == 13 {
				un.Lease = nil // occupied without a lease rent
			}
			un.LeaseStart = termStart
			un.LeaseEnd = termStart.AddDate(0, rng.IntN(16)-2, rng.IntN(28))
			if edge && u%31 == 7 {
				un.LeaseEnd = time.Time{} // no lease end
			}
			if edge && u%17 == 6 {
				un.LeaseStart = time.Time{} // no lease start (Yardi shows only the expiration)
				un.LeaseEnd = termStart.AddDate(1, 0, -1)
			}
			if rng.IntN(6) == 0 {
				un.Concessions = ptr(int64(1 + rng.IntN(10000)))
			} else if !edge || u%7 != 2 {
				un.Concessions = ptr(0)
			}
			un.Other = int64(rng.IntN(8000))
			un.MoveIn = moveIn
			if st == "vacant_leased" {
				un.MoveIn = asOf.AddDate(0, 0, 1+u%20) // the future resident
				un.LeaseStart = un.MoveIn
			}
			if edge && u%29 == 11 {
				un.MoveIn = time.Time{} // no move-in date
			}
			bal := int64(rng.IntN(60000)) - 10000
			if !edge || u%13 != 4 {
				un.Balance = &bal
			}
			un.Renewed = occupied && rng.IntN(5) == 0
		}
		switch st {
		case "occupied_notice":
			un.Preleased = rng.IntN(2) == 0
			un.MoveOut = asOf.AddDate(0, 0, 5+u%25)
		case "vacant":
			un.Preleased = edge && u%19 == 0 // a vacant unit marked preleased without the status
		case "vacant_leased":
			un.Preleased = true
		}
		units = append(units, un)
	}
	return units
}

func genComps(rng *rand.Rand, edge bool, variant int) []Comp {
	var out []Comp
	for c := 0; c < 4; c++ {
		name := fmt.Sprintf("Comp %c", 'A'+c)
		if edge && c == 3 {
			name = "" // comp without a name: not counted as a comp property
		}
		for i, ut := range unitTypes {
			if (c+i)%5 == 4 {
				continue // not every comp has every unit type
			}
			asking := baseRent[ut] + int64(rng.IntN(30000)) - 12000 + int64(variant)*3000
			cp := Comp{CompProperty: name, UnitType: ut, Sqft: baseSqft[ut] + int64(rng.IntN(100)) - 50,
				Units: int64(20 + rng.IntN(80)), Asking: ptr(asking)}
			if !edge || (c+i)%3 != 1 { // else read from the code
				beds, baths := float64(ut[0]-'0'), float64(ut[2]-'0')
				cp.Beds, cp.Baths = &beds, &baths
			}
			if edge && c == 1 && i == 3 {
				cp.Units = 0 // no unit count: no weight
			}
			switch rng.IntN(3) {
			case 0: // no concessions (NULL)
			case 1:
				cp.Concessions = ptr(0)
			default:
				cp.Concessions = ptr(int64(rng.IntN(15000)))
			}
			if edge && (c+i)%7 == 3 {
				cp.Sqft = 0
			}
			if edge && c == 2 && i == 1 {
				cp.Asking = nil
			}
			out = append(out, cp)
		}
	}
	if edge {
		out = append(out, Comp{CompProperty: "Comp Z", UnitType: "4x3", Sqft: 1600, Units: 12, Asking: ptr(310000)}) // no subject units
	}
	return out
}

// Collect generates a client into memory. With EdgeCases, properties 1 and
// 3 have stored floorplans: B1 and B2 of property 3 (its roll gives no beds
// or baths), and an edit of property 1 that overrides its roll (C1 is
// stored as 3 beds, 1 bath, so its 3x2 comps no longer match).
func Collect(cfg Config) (*Data, error) {
	d := &Data{ClientID: cfg.ClientID}
	err := Generate(cfg, func(u Upload) error {
		d.Uploads = append(d.Uploads, u)
		return nil
	})
	if cfg.EdgeCases {
		f := func(v float64) *float64 { return &v }
		d.Floorplans = []Floorplan{
			{PropertyID: "P003", Code: "B1", Beds: f(2), Baths: f(1), Sqft: 890},
			{PropertyID: "P003", Code: "B2", Beds: f(2), Baths: f(2)},
			{PropertyID: "P001", Code: "C1", Beds: f(3), Baths: f(1), Sqft: 1300},
			{PropertyID: "P001", Code: "Z9", Beds: f(4)}, // not in any roll
		}
	}
	return d, err
}

func null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func cents(p *int64) any {
	if p == nil {
		return nil
	}
	return warehouse.Cents(*p)
}

func flt(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func date(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func monthStart(t time.Time) time.Time { return analytics.MonthOf(t).Start() }

// LoadOf is the warehouse load of one upload, as ingest writes it.
func LoadOf(clientID, dataset string, u Upload) warehouse.Load {
	l := warehouse.Load{ID: u.ID, Dataset: dataset}
	var rows []warehouse.Row
	for _, r := range u.Rolls {
		for _, x := range r.Units {
			rows = append(rows, warehouse.Row{
				"client_id": clientID, "upload_id": u.ID, "property_id": r.PropertyID, "property_name": r.PropertyName,
				"as_of_date": r.AsOf, "month_start": monthStart(r.AsOf), "unit_id": x.UnitID, "building": null(x.Building),
				"unit_type": null(x.UnitType), "beds": flt(x.Beds), "baths": flt(x.Baths), "sqft": null(x.Sqft), "status": x.Status,
				"market_rent": cents(x.Market), "lease_rent": cents(x.Lease), "concessions": cents(x.Concessions),
				"other_charges": warehouse.Cents(x.Other), "lease_start": date(x.LeaseStart), "lease_end": date(x.LeaseEnd),
				"move_in": date(x.MoveIn), "move_out": date(x.MoveOut), "designation": null(x.Designation),
				"preleased": x.Preleased, "renewed": x.Renewed, "balance": cents(x.Balance), "bed_spaces": null(x.BedSpaces),
				"loaded_at": r.LoadedAt,
			})
		}
	}
	if len(rows) > 0 {
		l.Parts = append(l.Parts, warehouse.Part{Table: warehouse.TableAnalyticsRentRoll, Rows: rows})
	}
	if s := u.Survey; s != nil {
		rows := make([]warehouse.Row, 0, len(s.Comps))
		for _, c := range s.Comps {
			var eff any
			if c.Asking != nil {
				e := *c.Asking
				if c.Concessions != nil {
					e -= *c.Concessions
				}
				eff = warehouse.Cents(e)
			}
			rows = append(rows, warehouse.Row{
				"client_id": clientID, "upload_id": u.ID, "survey_date": s.SurveyDate, "month_start": monthStart(s.SurveyDate),
				"subject_property_id": null(s.Subject), "comp_property": null(c.CompProperty), "unit_type": null(c.UnitType),
				"beds": flt(c.Beds), "baths": flt(c.Baths), "sqft": null(c.Sqft), "units": null(c.Units), "asking_rent": cents(c.Asking),
				"concessions_monthly": cents(c.Concessions), "effective_rent": eff, "occupancy": 0.94, "loaded_at": s.LoadedAt,
			})
		}
		l.Parts = append(l.Parts, warehouse.Part{Table: warehouse.TableAnalyticsCompetition, Rows: rows})
	}
	if u.Status != "" {
		l.Parts = append(l.Parts, warehouse.Part{Table: warehouse.TableUploadMetadata, Rows: []warehouse.Row{{
			"client_id": clientID, "upload_id": u.ID, "kind": u.Kind, "status": u.Status,
			"received_at": u.LoadedAt.Add(-time.Minute), "loaded_at": u.LoadedAt,
		}}})
	}
	return l
}

// batchRows is how many rows Load gathers into one warehouse load: few
// large loads are much faster than thousands of small ones, and the rows
// that land are the same.
const batchRows = 50000

// Load provisions the client's dataset and loads a generated client into
// it, gathering consecutive uploads into loads of about batchRows rows,
// without keeping the whole client in memory. It returns the number of unit
// rows loaded.
func Load(ctx context.Context, w warehouse.Warehouse, dataset string, cfg Config) (int, error) {
	if err := w.EnsureDataset(ctx, warehouse.Client(dataset)); err != nil {
		return 0, err
	}
	total := 0
	var batch warehouse.Load
	rows := 0
	flush := func() error {
		if len(batch.Parts) == 0 {
			return nil
		}
		err := w.Load(ctx, batch)
		batch, rows = warehouse.Load{}, 0
		return err
	}
	err := Generate(cfg, func(u Upload) error {
		l := LoadOf(cfg.ClientID, dataset, u)
		if batch.ID == "" {
			batch = warehouse.Load{ID: "batch-" + u.ID, Dataset: dataset}
		}
		for _, p := range l.Parts {
			rows += len(p.Rows)
			if p.Table == warehouse.TableAnalyticsRentRoll {
				total += len(p.Rows)
			}
			merged := false
			for i := range batch.Parts { // one part per table
				if batch.Parts[i].Table == p.Table {
					batch.Parts[i].Rows = append(batch.Parts[i].Rows, p.Rows...)
					merged = true
				}
			}
			if !merged {
				batch.Parts = append(batch.Parts, p)
			}
		}
		if rows >= batchRows {
			return flush()
		}
		return nil
	})
	if err != nil {
		return total, err
	}
	return total, flush()
}

// LoadData provisions and loads collected data.
func LoadData(ctx context.Context, w warehouse.Warehouse, dataset string, d *Data) error {
	if err := w.EnsureDataset(ctx, warehouse.Client(dataset)); err != nil {
		return err
	}
	for _, u := range d.Uploads {
		if err := w.Load(ctx, LoadOf(d.ClientID, dataset, u)); err != nil {
			return err
		}
	}
	if len(d.Floorplans) > 0 {
		rows := make([]warehouse.Row, 0, len(d.Floorplans))
		for _, f := range d.Floorplans {
			rows = append(rows, warehouse.Row{"client_id": d.ClientID, "property_id": f.PropertyID, "code": f.Code,
				"beds": flt(f.Beds), "baths": flt(f.Baths), "sqft": null(f.Sqft), "updated_by": "gen", "updated_at": time.Unix(0, 0).UTC()})
		}
		return w.Load(ctx, warehouse.Load{ID: "floorplans-" + d.ClientID, Dataset: dataset,
			Parts: []warehouse.Part{{Table: warehouse.TableFloorplans, Rows: rows}}})
	}
	return nil
}
