package analytics

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Money is an amount in cents. It encodes as a JSON number in dollars with
// exactly two decimals ("1234.50"), written from the integer, never through a
// float, so the cents a client sees are the cents that were computed.
type Money int64

// MarshalJSON writes dollars with two decimals.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(m.String()), nil
}

// String renders dollars with two decimals, e.g. -5 → "-0.05".
func (m Money) String() string {
	v := int64(m)
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-v)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Ratio is a ratio in ten-thousandths (4 decimals): 9231 is 0.9231. It
// encodes as the shortest JSON number with that value.
type Ratio int64

// MarshalJSON writes the ratio as a decimal number.
func (r Ratio) MarshalJSON() ([]byte, error) {
	return []byte(r.String()), nil
}

// String renders the ratio as a decimal with at most 4 decimals.
func (r Ratio) String() string {
	// float64(r)/1e4 is the double nearest the 4-decimal value; the shortest
	// formatting of that double is exactly the 4-decimal text.
	return strconv.FormatFloat(float64(r)/1e4, 'f', -1, 64)
}

// Float returns the ratio as a float64.
func (r Ratio) Float() float64 { return float64(r) / 1e4 }

// Month is a calendar month. It encodes as "YYYY-MM".
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, errs.E(errs.Invalid, "month %q must be YYYY-MM", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf is the month of t (in UTC).
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return Month{t.Year(), t.Month()}
}

// IsZero reports whether m is unset.
func (m Month) IsZero() bool { return m.Year == 0 && m.Month == 0 }

// Start is the first day of the month, midnight UTC.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Add is the month n months after m (before, for negative n).
func (m Month) Add(n int) Month { return MonthOf(m.Start().AddDate(0, n, 0)) }

// Index is a month number that increases by one per month, for differences.
func (m Month) Index() int { return m.Year*12 + int(m.Month) - 1 }

// String is "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// MarshalJSON writes "YYYY-MM".
func (m Month) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// dateString is the YYYY-MM-DD text of a DATE value.
func dateString(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Metrics are the rent-roll metrics of docs/metrics.md, over a set of units. Ratios
// and averages whose denominator is zero are null.
type Metrics struct {
	Units             int64  `json:"units"`
	Occupied          int64  `json:"occupied"`
	Notice            int64  `json:"notice"`
	Vacant            int64  `json:"vacant"`
	PhysicalOccupancy *Ratio `json:"physical_occupancy"`
	EconomicOccupancy *Ratio `json:"economic_occupancy"`
	GPR               Money  `json:"gpr"`
	InPlaceRent       Money  `json:"in_place_rent"`
	LossToLease       Money  `json:"loss_to_lease"`
	LossToLeasePct    *Ratio `json:"loss_to_lease_pct"`
	GainToLease       Money  `json:"gain_to_lease"`
	GainToLeasePct    *Ratio `json:"gain_to_lease_pct"`
	AvgMarketRent     *Money `json:"avg_market_rent"`
	AvgLeaseRent      *Money `json:"avg_lease_rent"`
	AvgMarketRentPSF  *Money `json:"avg_market_rent_psf"`
	AvgLeaseRentPSF   *Money `json:"avg_lease_rent_psf"`

	// The leasing position (docs/metrics.md "Leased and exposure").
	Preleased   int64  `json:"preleased"`
	Leased      int64  `json:"leased"`
	LeasedPct   *Ratio `json:"leased_pct"`
	Exposure    int64  `json:"exposure"`
	ExposurePct *Ratio `json:"exposure_pct"`

	// Units that earn no rent by design, and the employee units (which are
	// occupied, so counted there too).
	NonRevenueUnits int64 `json:"non_revenue_units"`
	Model           int64 `json:"model"`
	Down            int64 `json:"down"`
	Admin           int64 `json:"admin"`
	Employee        int64 `json:"employee"`

	// The revenue waterfall: gpr − loss_to_lease + gain_to_lease −
	// vacancy_loss − non_revenue_loss = in_place_rent, to the cent, and
	// effective_rent = in_place_rent − concessions.
	VacancyLoss    Money `json:"vacancy_loss"`
	NonRevenueLoss Money `json:"non_revenue_loss"`
	Concessions    Money `json:"concessions"`
	EffectiveRent  Money `json:"effective_rent"`
}

// BedroomMetrics are the metrics of the units with one bedroom count
// (0 is a studio; null when the roll gave none).
type BedroomMetrics struct {
	Bedrooms *int64 `json:"bedrooms"`
	Metrics
}

// PropertyUnitTypeMetrics are the metrics of one floorplan code of one
// property: codes of different properties are never merged.
type PropertyUnitTypeMetrics struct {
	PropertyID string `json:"property_id"`
	UnitType   string `json:"unit_type"`
	Metrics
}

// SummaryProperty is one property of a summary with the date of the roll
// used. Stale is true when that roll is from before the requested month
// (with no as_of, before the month of the newest roll used).
type SummaryProperty struct {
	PropertyID string `json:"property_id"`
	AsOf       string `json:"as_of"`
	Stale      bool   `json:"stale"`
	Units      int64  `json:"units"`
}

// UnitTypeMetrics are the metrics of one unit type ("" when the roll gave none).
type UnitTypeMetrics struct {
	UnitType string `json:"unit_type"`
	Metrics
}

// SummaryQuery selects the units a summary covers. A zero AsOf means the
// latest roll of each property; an empty PropertyID means every property.
type SummaryQuery struct {
	AsOf       time.Time
	PropertyID string
}

// Summary is the answer of the rent-roll summary route. AsOf is the latest
// as_of_date among the rolls used (null when there are none); Data says
// whether any unit was found; Properties lists the properties whose rolls
// were used, by id. ByUnitType groups by the code text (in a portfolio,
// equal codes of different properties fall together); ByPropertyUnitType
// never merges properties; ByBedrooms compares like with like across them.
type Summary struct {
	AsOf               *string                   `json:"as_of"`
	PropertyID         *string                   `json:"property_id"`
	Data               bool                      `json:"data"`
	Properties         []SummaryProperty         `json:"properties"`
	Totals             Metrics                   `json:"totals"`
	ByUnitType         []UnitTypeMetrics         `json:"by_unit_type"`
	ByBedrooms         []BedroomMetrics          `json:"by_bedrooms"`
	ByPropertyUnitType []PropertyUnitTypeMetrics `json:"by_property_unit_type"`
}

// ExpirationsQuery selects an expirations schedule: Months months from From
// (1..36; 0 means 12) over the latest roll of each property. A zero From is
// the month of the newest roll's as_of date.
type ExpirationsQuery struct {
	From       Month
	Months     int
	PropertyID string
}

// ExpirationMonth is one month of the schedule: the occupied units still on
// their lease term whose lease_end falls in it, their rents, and their share
// of occupied units.
type ExpirationMonth struct {
	Month         Month  `json:"month"`
	Units         int64  `json:"units"`
	LeaseRent     Money  `json:"lease_rent"`
	MarketRent    Money  `json:"market_rent"`
	PctOfOccupied *Ratio `json:"pct_of_occupied"`
}

// Expirations is the answer of the expirations route, counted from each
// roll's as_of date. Occupied counts every occupied unit of the rolls; each
// falls in exactly one of: Notice (already on notice: leaving, not
// expiring), Renewed (a signed renewal: not expiring), MonthToMonth (lease
// ended before the as_of date), NoLeaseEnd, or its lease_end month — which
// is in the schedule, BeforeFrom (before From but not before as_of) or After
// the last month shown.
type Expirations struct {
	AsOf         *string           `json:"as_of"`
	PropertyID   *string           `json:"property_id"`
	Data         bool              `json:"data"`
	From         Month             `json:"from"`
	Months       int               `json:"months"`
	Occupied     int64             `json:"occupied"`
	MonthToMonth int64             `json:"month_to_month"`
	Notice       int64             `json:"notice"`
	Renewed      int64             `json:"renewed"`
	BeforeFrom   int64             `json:"before_from"`
	After        int64             `json:"after"`
	NoLeaseEnd   int64             `json:"no_lease_end"`
	Expirations  []ExpirationMonth `json:"expirations"`
}

// TrendQuery selects months From..To (at most MaxTrendMonths).
type TrendQuery struct {
	From, To   Month
	PropertyID string
}

// TrendMonth is the totals as of the end of one month: for each property the
// latest loaded roll with as_of_date in or before that month.
type TrendMonth struct {
	Month      Month   `json:"month"`
	AsOf       *string `json:"as_of"`
	Data       bool    `json:"data"`
	Properties int64   `json:"properties"`
	Metrics
}

// Trend is the answer of the trend route, one entry per month, oldest first.
type Trend struct {
	PropertyID *string      `json:"property_id"`
	From       Month        `json:"from"`
	To         Month        `json:"to"`
	Data       bool         `json:"data"`
	Months     []TrendMonth `json:"months"`
}

// CompetitionQuery selects the surveys and rolls of a competition answer;
// fields as in SummaryQuery.
type CompetitionQuery struct {
	AsOf       time.Time
	PropertyID string
}

// CompetitionUnitType is the positioning of one floorplan of a surveyed
// property against the comps of that property's survey with the same
// bedrooms and bathrooms (docs/metrics.md "Competition"). Comps that match
// no floorplan of the property are listed under their survey's unit type
// with no subject figures.
type CompetitionUnitType struct {
	PropertyID              string   `json:"property_id"`
	UnitType                string   `json:"unit_type"`
	Beds                    *float64 `json:"beds"`
	Baths                   *float64 `json:"baths"`
	Comps                   int64    `json:"comps"`
	CompUnits               int64    `json:"comp_units"`
	CompAvgAskingRent       *Money   `json:"comp_avg_asking_rent"`
	CompAvgEffectiveRent    *Money   `json:"comp_avg_effective_rent"`
	CompAvgEffectiveRentPSF *Money   `json:"comp_avg_effective_rent_psf"`
	SubjectAvgMarketRent    *Money   `json:"subject_avg_market_rent"`
	SubjectAvgLeaseRent     *Money   `json:"subject_avg_lease_rent"`
	SubjectAvgLeaseRentPSF  *Money   `json:"subject_avg_lease_rent_psf"`
	PremiumPct              *Ratio   `json:"premium_pct"`
	AskingPremiumPct        *Ratio   `json:"asking_premium_pct"`
}

// Competition is the answer of the competition route. AsOf is the latest
// survey_date among the surveys used (null when there is none); Data says
// whether any comp row or subject unit was found.
type Competition struct {
	AsOf       *string               `json:"as_of"`
	PropertyID *string               `json:"property_id"`
	Data       bool                  `json:"data"`
	ByUnitType []CompetitionUnitType `json:"by_unit_type"`
}

// Floorplan is one floorplan code of a property with its bedrooms,
// bathrooms and area. Source says where it comes from: "edited" (stored by
// a client admin), "roll" (the beds and baths the latest roll gives the
// code) or "code" (read from the code itself, e.g. 1x1 or mc2b2).
type Floorplan struct {
	Code   string   `json:"code"`
	Beds   *float64 `json:"beds"`
	Baths  *float64 `json:"baths"`
	Sqft   *int64   `json:"sqft"`
	Source string   `json:"source,omitempty"`
}

// Floorplans is the answer of the floorplans routes.
type Floorplans struct {
	PropertyID string      `json:"property_id"`
	Floorplans []Floorplan `json:"floorplans"`
}

// Property is a property seen in loaded rent rolls, with its latest roll.
type Property struct {
	PropertyID   string `json:"property_id"`
	PropertyName string `json:"property_name"`
	AsOf         string `json:"as_of_date"`
	Units        int64  `json:"units"`
}

// ClientSummary is one client's line of the cross-client summary.
// Available is false when its dataset could not be read (the cause is logged).
type ClientSummary struct {
	ClientID          string  `json:"client_id"`
	Name              string  `json:"name"`
	Status            string  `json:"status"`
	Available         bool    `json:"available"`
	Units             int64   `json:"units"`
	Occupied          int64   `json:"occupied"`
	PhysicalOccupancy *Ratio  `json:"physical_occupancy"`
	GPR               Money   `json:"gpr"`
	LastUploadAt      *string `json:"last_upload_at"`
	UploadsThisMonth  int64   `json:"uploads_this_month"`
}

// AllClientsTotals sums the clients that could be read.
type AllClientsTotals struct {
	Clients           int64  `json:"clients"`
	Unavailable       int64  `json:"unavailable"`
	Units             int64  `json:"units"`
	Occupied          int64  `json:"occupied"`
	PhysicalOccupancy *Ratio `json:"physical_occupancy"`
	GPR               Money  `json:"gpr"`
	UploadsThisMonth  int64  `json:"uploads_this_month"`
}

// AllClients is the answer of GET /v1/admin/summary.
type AllClients struct {
	GeneratedAt string           `json:"generated_at"`
	Month       Month            `json:"month"`
	Clients     []ClientSummary  `json:"clients"`
	Totals      AllClientsTotals `json:"totals"`
}

// divRound returns num/den scaled by scale, rounded half away from zero, or
// false when den is zero. The arithmetic is exact (big integers), so the
// result is the correctly rounded value of the exact quotient.
func divRound(num, den *big.Int, scale int64) (int64, bool) {
	if den.Sign() == 0 {
		return 0, false
	}
	n := new(big.Int).Mul(num, big.NewInt(scale))
	d := new(big.Int).Set(den)
	if d.Sign() < 0 {
		n.Neg(n)
		d.Neg(d)
	}
	neg := n.Sign() < 0
	if neg {
		n.Neg(n)
	}
	// round half up on |n|/d: floor((2n + d) / 2d)
	n.Lsh(n, 1).Add(n, d)
	d.Lsh(d, 1)
	n.Quo(n, d)
	if neg {
		n.Neg(n)
	}
	return n.Int64(), true
}

func ratioOf(num, den int64) *Ratio {
	v, ok := divRound(big.NewInt(num), big.NewInt(den), 10000)
	if !ok {
		return nil
	}
	r := Ratio(v)
	return &r
}

func moneyOf(num, den int64) *Money {
	v, ok := divRound(big.NewInt(num), big.NewInt(den), 1)
	if !ok {
		return nil
	}
	m := Money(v)
	return &m
}

func mulBig(a, b int64) *big.Int { return new(big.Int).Mul(big.NewInt(a), big.NewInt(b)) }

// ChangesQuery compares the rolls of one property in force at From and at To
// (a zero To is the latest roll).
type ChangesQuery struct {
	PropertyID string
	From, To   time.Time
}

// TradeOut summarizes new leases or renewals: Count units, and over those
// with both a prior and a new lease rent, the average prior and new rents
// and TradeOutPct = Σ new / Σ prior − 1.
type TradeOut struct {
	Count        int64  `json:"count"`
	Priced       int64  `json:"priced"`
	AvgPriorRent *Money `json:"avg_prior_rent"`
	AvgRent      *Money `json:"avg_rent"`
	TradeOutPct  *Ratio `json:"trade_out_pct"`
}

// UnitChange is one change of one unit between the two rolls. Change is
// added, removed, move_out, move_in, renewal or notice; a unit can have
// several (a turned unit is a move_out and a move_in). PriorRent is the
// last lease rent a resident of the unit paid up to the earlier roll, Rent
// its lease rent in the later roll.
type UnitChange struct {
	UnitID    string `json:"unit_id"`
	Change    string `json:"change"`
	PriorRent *Money `json:"prior_rent"`
	Rent      *Money `json:"rent"`
}

// Changes is the answer of the roll-to-roll changes route. FromAsOf and
// ToAsOf are the dates of the two rolls compared (null when there is none);
// Data is false unless both exist.
type Changes struct {
	PropertyID   string       `json:"property_id"`
	FromAsOf     *string      `json:"from_as_of"`
	ToAsOf       *string      `json:"to_as_of"`
	Data         bool         `json:"data"`
	UnitsAdded   int64        `json:"units_added"`
	UnitsRemoved int64        `json:"units_removed"`
	MoveIns      int64        `json:"move_ins"`
	MoveOuts     int64        `json:"move_outs"`
	NoticesGiven int64        `json:"notices_given"`
	NewLeases    TradeOut     `json:"new_leases"`
	Renewals     TradeOut     `json:"renewals"`
	Units        []UnitChange `json:"units"`
}
