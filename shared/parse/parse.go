// Package parse reads the rent rolls and competition surveys that property
// managers export (Yardi Voyager, RealPage OneSite, AppFolio, Entrata, ResMan,
// MRI, or a plain spreadsheet) and turns them into normalized rows.
//
// The files are messy by nature: banner rows above the header, one- and
// two-row headers, section and subtotal rows, charge-code rows that belong to
// the unit above them, stated totals that must be reconciled. The parser
// streams: it reads one physical row at a time, hands every raw row to the
// Sink (for the raw table), and emits each normalized unit or survey row once
// it is complete. Memory stays bounded by the Limits, independent of the file
// size, except for the set of unit keys per property kept to detect duplicates.
//
// Row-level problems never fail the call: they become Issues in the Report,
// and a Report with errors means the file must be rejected. The returned
// error is kept for files that cannot be read at all, limit breaches and sink
// failures. The package imports no cloud SDK.
package parse

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Kind names what a file holds.
type Kind string

// The kinds of file, matching the upload kinds of docs/architecture.md#uploads-storage-and-events.
const (
	KindRentRoll    Kind = "rent_roll"
	KindCompetition Kind = "competition"
)

// The systems a header can be recognised as (Report.Format).
const (
	FormatYardi    = "yardi_voyager"
	FormatOneSite  = "onesite"
	FormatAppFolio = "appfolio"
	FormatEntrata  = "entrata"
	FormatResMan   = "resman"
	FormatMRI      = "mri"
	FormatGeneric  = "generic"
)

// The unit statuses of docs/architecture.md#data-model.
const (
	StatusOccupied       = "occupied"
	StatusOccupiedNotice = "occupied_notice"
	StatusVacant         = "vacant"
	StatusVacantLeased   = "vacant_leased"
	StatusModel          = "model"
	StatusDown           = "down"
	StatusAdmin          = "admin"
)

// Options tell the parser what the upload request knows about the file.
type Options struct {
	// Filename is a hint only: the bytes decide between CSV and XLSX.
	Filename string
	// PropertyID is used when the file does not name its property.
	PropertyID string
	// AsOf is used when the file states no as-of (or survey) date.
	AsOf time.Time
	// Limits bound the work; the zero value means DefaultLimits().
	Limits Limits
	// ChargeCodes are the client's overrides of the default charge-code
	// table: a code as the export writes it (any case, any spacing) to one of
	// the categories CategoryRent, CategorySubsidy, CategoryConcession,
	// CategoryOther. They win over the defaults; see docs/charge-codes.md.
	ChargeCodes map[string]string
	// Properties are the client's known properties, id to name, so that a
	// survey (or a grouped rent roll) naming a property by name is tied to
	// its id. Names are matched ignoring case and spacing.
	Properties map[string]string
}

// Limits bound what a file may contain, so a hostile or broken upload is
// refused quickly and in bounded memory. A zero field takes its default.
type Limits struct {
	MaxBytes     int64 // whole file
	MaxRows      int   // physical rows
	MaxColumns   int   // cells in one row
	MaxCellBytes int   // one cell
	MaxIssues    int   // issues kept in the Report (all are counted)
	// MaxRowBytes bounds one physical CSV row (all its cells), so a single
	// endless line cannot grow the read buffer without bound.
	MaxRowBytes int
	// MaxUnzipBytes bounds the uncompressed size of an XLSX, so a zip bomb is
	// refused before it is inflated.
	MaxUnzipBytes int64
}

// DefaultLimits returns the limits used when Options.Limits is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:      100 << 20,
		MaxRows:       2_000_000,
		MaxColumns:    512,
		MaxCellBytes:  64 << 10,
		MaxIssues:     1000,
		MaxRowBytes:   1 << 20,
		MaxUnzipBytes: 256 << 20,
	}
}

// withDefaults fills each zero field from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = d.MaxColumns
	}
	if l.MaxCellBytes <= 0 {
		l.MaxCellBytes = d.MaxCellBytes
	}
	if l.MaxIssues <= 0 {
		l.MaxIssues = d.MaxIssues
	}
	if l.MaxRowBytes <= 0 {
		l.MaxRowBytes = d.MaxRowBytes
	}
	if l.MaxUnzipBytes <= 0 {
		l.MaxUnzipBytes = d.MaxUnzipBytes
	}
	return l
}

// Sink receives the parser's output in file order. An error from any method
// stops the parse and is returned as is.
type Sink interface {
	// Raw receives every physical row read, in order (for the raw table).
	Raw(row RawRow) error
	// Unit receives each normalized rent roll unit once, after its block
	// (charge rows, total row) is complete.
	Unit(u Unit) error
	// Comp receives each normalized competition survey row.
	Comp(c Comp) error
}

// RawRow is one physical row as read, cells decoded to UTF-8. The slice is
// the Sink's to keep.
type RawRow struct {
	Number int // 1-based physical row
	Cells  []string
}

// The designations of a unit (analytics_rent_roll.designation): who may
// live in it. A designation is not a status: an employee or corporate unit
// with a resident is occupied.
const (
	DesignationStandard   = "standard"
	DesignationEmployee   = "employee"
	DesignationCorporate  = "corporate"
	DesignationAffordable = "affordable"
)

// The charge categories of analytics_charges. Subsidy (HAP and other
// housing assistance) counts as lease rent; see docs/charge-codes.md.
const (
	CategoryRent       = "rent"
	CategorySubsidy    = "subsidy"
	CategoryConcession = "concession"
	CategoryOther      = "other"
)

// Charge is one charge of a unit as the export states it: a Yardi charge
// row, a OneSite or Entrata charge column, or a concessions/other column.
type Charge struct {
	Code     string // as written, trimmed
	Category string // one of the Category constants
	Amount   int64  // cents, signed as the file writes it (credits negative)
	// OneTime marks a one-time concession: it is listed, but not counted as
	// a monthly concession.
	OneTime bool
}

// Unit is one apartment unit of a rent roll, normalized (docs/architecture.md#data-model
// analytics_rent_roll). Money is in cents; dates are UTC midnight, zero when
// absent. A money field whose Has flag is false was absent from the file and
// is stored as NULL, never as 0: a missing rent is not a free apartment.
type Unit struct {
	PropertyID   string
	PropertyName string
	AsOf         time.Time
	// UnitID identifies the unit within its property. When the file carries
	// the building in its own column the id is "<building>-<unit>", so the
	// same unit number in two buildings stays two units (billing counts
	// distinct property_id, unit_id).
	UnitID   string
	Building string
	UnitType string
	Beds     float64
	Baths    float64
	HasBeds  bool
	HasBaths bool
	SqFt     int64 // 0 = unknown
	Status   string
	// MarketRent, LeaseRent (rent plus subsidy charges), Concessions (a
	// positive monthly amount) and OtherCharges are monthly, in cents; each
	// is meaningful only when its Has flag is set.
	MarketRent      int64
	LeaseRent       int64
	Concessions     int64
	OtherCharges    int64
	HasMarketRent   bool
	HasLeaseRent    bool
	HasConcessions  bool
	HasOtherCharges bool
	LeaseStart      time.Time
	LeaseEnd        time.Time
	MoveIn          time.Time
	MoveOut         time.Time
	// Designation is one of the Designation constants (standard by default).
	Designation string
	// Preleased: the unit is on notice or vacant and a future lease is signed.
	Preleased bool
	// Renewed: a signed renewal lease follows the current one.
	Renewed bool
	// Balance is the resident's balance or past-due amount, when the file
	// has one (HasBalance).
	Balance    int64
	HasBalance bool
	// BedSpaces is, for a student roll read by bed (HasBedSpaces), the
	// beds leased in the unit; the unit itself is counted once.
	BedSpaces    int64
	HasBedSpaces bool
	// Charges are the unit's charges in file order (nil when the file has
	// no charge codes).
	Charges []Charge
	// Row is the first physical row of the unit.
	Row int
}

// Comp is one row of a competition survey, normalized (docs/architecture.md#data-model
// analytics_competition). Money is monthly, in cents.
type Comp struct {
	SurveyDate        time.Time
	SubjectPropertyID string
	CompProperty      string
	UnitType          string
	Beds              float64
	Baths             float64
	HasBeds           bool
	HasBaths          bool
	SqFt              int64
	Units             int64
	AskingRent        int64
	// ConcessionsMonthly is the concession per month: a one-time concession
	// is spread over the lease term (12 months unless the survey states
	// one). HasConcessions is false when the survey gave no concession at
	// all (stored as NULL); "None" is a concession of 0.
	ConcessionsMonthly int64
	HasConcessions     bool
	// EffectiveRent is taken from the file, or asking − monthly concessions.
	EffectiveRent int64
	// Occupancy is a fraction 0..1; HasOccupancy says whether the file gave one.
	Occupancy    float64
	HasOccupancy bool
	Row          int
}

// Issue is one problem found in a file, addressed to a row and column so a
// person can fix the export. Row is 0 for a problem of the whole file (no
// header, no as-of date): FileLevel says so, and messages never say "row 0".
type Issue struct {
	Row       int    `json:"row"`
	FileLevel bool   `json:"file_level,omitempty"`
	Column    string `json:"column,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// Totals are the sums a file states (or the parser computed) for a scope.
// The Has fields say which of them the file stated.
type Totals struct {
	Units      int64 `json:"units"`
	MarketRent int64 `json:"market_rent"`
	LeaseRent  int64 `json:"lease_rent"`
	// Charges is the sum of all monthly charges (rent + other − concessions),
	// which is what a Yardi "Amount" total states.
	Charges    int64 `json:"charges"`
	HasUnits   bool  `json:"has_units"`
	HasMarket  bool  `json:"has_market"`
	HasLease   bool  `json:"has_lease"`
	HasCharges bool  `json:"has_charges"`
}

// Reconciliation compares a totals row of the file with what was parsed.
type Reconciliation struct {
	Row    int    `json:"row"`
	Label  string `json:"label"` // the totals row as written, e.g. "Total Maple Court(mc01)"
	Scope  string `json:"scope"` // a property id, or "file"
	Stated Totals `json:"stated"`
	Parsed Totals `json:"parsed"`
	OK     bool   `json:"ok"`
}

// Report describes what a parse found. A Report with errors means the file
// must not be loaded.
type Report struct {
	Kind   Kind   `json:"kind"`
	Format string `json:"format"`
	// FileType is what the bytes turned out to be ("csv" or "xlsx"), whatever
	// the file was named; Encoding and Delimiter describe a CSV.
	FileType   string    `json:"file_type"`
	Encoding   string    `json:"encoding,omitempty"`
	Delimiter  string    `json:"delimiter,omitempty"`
	Properties []string  `json:"properties"`
	AsOf       time.Time `json:"as_of"`
	RowsTotal  int       `json:"rows_total"` // physical rows
	RowsData   int       `json:"rows_data"`  // rows inside the data region (units, charges, excluded)
	Units      int       `json:"units"`
	Comps      int       `json:"comps"`
	// Excluded counts rows that are not part of the roll, by reason
	// (future_resident, applicant, pending_renewal, non_residential, ...).
	Excluded        map[string]int   `json:"excluded"`
	Errors          []Issue          `json:"errors"`
	Warnings        []Issue          `json:"warnings"`
	ErrorCount      int              `json:"error_count"`
	WarningCount    int              `json:"warning_count"`
	Reconciliations []Reconciliation `json:"reconciliations"`
	// Sheets are the worksheets read when a workbook holds a report on
	// each of several sheets, with the rows (numbered on across sheets)
	// each one spans; issues name their sheet.
	Sheets []Sheet `json:"sheets,omitempty"`

	sheet        string // the worksheet being read, when several are
	maxIssues    int
	propertySet  map[string]struct{}
	lastProperty string // the property last added (it is in propertySet)
}

// Sheet is one worksheet of a multi-sheet workbook and its rows.
type Sheet struct {
	Name     string `json:"name"`
	FirstRow int    `json:"first_row"`
	LastRow  int    `json:"last_row"`
}

// OK reports whether the file has no errors.
func (r *Report) OK() bool { return r.ErrorCount == 0 }

func (r *Report) errorf(row int, column, code, msg string) {
	if r.sheet != "" && row > 0 {
		msg = fmt.Sprintf("sheet %q: %s", r.sheet, msg)
	}
	r.ErrorCount++
	if len(r.Errors) < r.maxIssues {
		r.Errors = append(r.Errors, Issue{Row: row, FileLevel: row == 0, Column: column, Code: code, Message: msg})
	}
}

func (r *Report) warnf(row int, column, code, msg string) {
	if r.sheet != "" && row > 0 {
		msg = fmt.Sprintf("sheet %q: %s", r.sheet, msg)
	}
	r.WarningCount++
	if len(r.Warnings) < r.maxIssues {
		r.Warnings = append(r.Warnings, Issue{Row: row, FileLevel: row == 0, Column: column, Code: code, Message: msg})
	}
}

func (r *Report) exclude(reason string) {
	if r.Excluded == nil {
		r.Excluded = map[string]int{}
	}
	r.Excluded[reason]++
}

// MaxProperties bounds the distinct properties one file may hold: a rent
// roll covers a portfolio, not a city, and the set is kept in memory.
const MaxProperties = 1000

// addProperty records id once; a file with more than MaxProperties
// properties is refused (TooLarge).
func (r *Report) addProperty(id string) error {
	if id == "" || id == r.lastProperty {
		return nil // most units are of the property before them
	}
	if _, ok := r.propertySet[id]; ok {
		r.lastProperty = id
		return nil
	}
	if len(r.Properties) >= MaxProperties {
		return errs.E(errs.TooLarge, "the file holds more than %d properties; split it", MaxProperties)
	}
	if r.propertySet == nil {
		r.propertySet = map[string]struct{}{}
	}
	r.propertySet[id] = struct{}{}
	r.Properties = append(r.Properties, id)
	r.lastProperty = id
	return nil
}

// propertyIDPattern is what the API accepts as a property id (the
// property_id query parameter, page tokens), so every id the parser emits can
// be asked about.
var propertyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidPropertyID reports whether id can be a property id.
func ValidPropertyID(id string) bool { return propertyIDPattern.MatchString(id) }

// checkCtx is called every so many rows so a cancelled ingest stops soon.
func checkCtx(ctx context.Context, row int) error {
	if row&1023 == 0 {
		return ctx.Err()
	}
	return nil
}
