package analytics

import (
	"math"
	"math/big"
	"time"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// sums are the exact additive aggregates every A6 rent-roll metric derives
// from. SQL computes only these (counts and cent sums, which add up exactly
// across groups); Go derives ratios and averages from them, so rounding
// happens once, in one place, on exact values.
type sums struct {
	units, occupied, notice, vacant int64
	marketN                         int64 // units with a market_rent
	leaseN                          int64 // occupied units with a lease_rent
	gpr                             int64 // Σ market_rent, all units (cents)
	inPlace                         int64 // Σ lease_rent, occupied units
	occMarket                       int64 // Σ market_rent, occupied units
	loss, gain                      int64
	marketPSFRent, marketPSFSqft    int64 // units with market_rent and sqft > 0
	leasePSFRent, leasePSFSqft      int64 // occupied units with lease_rent and sqft > 0
	noticeLeased                    int64 // occupied_notice units with a signed future lease
	vacantLeased                    int64 // vacant units with a signed future lease
	model, down, admin, employee    int64
	vacancyLoss                     int64 // Σ market_rent, vacant units
	nonRevLoss                      int64 // Σ market_rent, units neither occupied nor vacant
	concessions                     int64 // Σ concessions, occupied units
}

// add adds t's sums to s: every field is a count or a sum, so groups
// combine exactly.
func (s *sums) add(t sums) {
	s.units += t.units
	s.occupied += t.occupied
	s.notice += t.notice
	s.vacant += t.vacant
	s.marketN += t.marketN
	s.leaseN += t.leaseN
	s.gpr += t.gpr
	s.inPlace += t.inPlace
	s.occMarket += t.occMarket
	s.loss += t.loss
	s.gain += t.gain
	s.marketPSFRent += t.marketPSFRent
	s.marketPSFSqft += t.marketPSFSqft
	s.leasePSFRent += t.leasePSFRent
	s.leasePSFSqft += t.leasePSFSqft
	s.noticeLeased += t.noticeLeased
	s.vacantLeased += t.vacantLeased
	s.model += t.model
	s.down += t.down
	s.admin += t.admin
	s.employee += t.employee
	s.vacancyLoss += t.vacancyLoss
	s.nonRevLoss += t.nonRevLoss
	s.concessions += t.concessions
}

// metrics derives the A6 metrics (see the package doc for each rule).
func (s sums) metrics() Metrics {
	noticeUnleased := s.notice - s.noticeLeased
	leased := s.occupied - noticeUnleased + s.vacantLeased
	exposure := s.vacant - s.vacantLeased + noticeUnleased
	return Metrics{
		Units:             s.units,
		Occupied:          s.occupied,
		Notice:            s.notice,
		Vacant:            s.vacant,
		PhysicalOccupancy: ratioOf(s.occupied, s.units),
		EconomicOccupancy: ratioOf(s.inPlace-s.concessions, s.gpr),
		GPR:               Money(s.gpr),
		InPlaceRent:       Money(s.inPlace),
		LossToLease:       Money(s.loss),
		LossToLeasePct:    ratioOf(s.loss, s.occMarket),
		GainToLease:       Money(s.gain),
		GainToLeasePct:    ratioOf(s.gain, s.occMarket),
		AvgMarketRent:     moneyOf(s.gpr, s.marketN),
		AvgLeaseRent:      moneyOf(s.inPlace, s.leaseN),
		AvgMarketRentPSF:  moneyOf(s.marketPSFRent, s.marketPSFSqft),
		AvgLeaseRentPSF:   moneyOf(s.leasePSFRent, s.leasePSFSqft),
		Preleased:         s.noticeLeased + s.vacantLeased,
		Leased:            leased,
		LeasedPct:         ratioOf(leased, s.units),
		Exposure:          exposure,
		ExposurePct:       ratioOf(exposure, s.units),
		NonRevenueUnits:   s.units - s.occupied - s.vacant,
		Model:             s.model,
		Down:              s.down,
		Admin:             s.admin,
		Employee:          s.employee,
		VacancyLoss:       Money(s.vacancyLoss),
		NonRevenueLoss:    Money(s.nonRevLoss),
		Concessions:       Money(s.concessions),
		EffectiveRent:     Money(s.inPlace - s.concessions),
	}
}

// sumsColumns are the SQL aggregates behind sums, over unit rows aliased u.
// Written in the subset BigQuery and DuckDB share.
const sumsColumns = `COUNT(*) AS units,
  COUNTIF(u.status IN ('occupied', 'occupied_notice')) AS occupied,
  COUNTIF(u.status = 'occupied_notice') AS notice,
  COUNTIF(u.status IN ('vacant', 'vacant_leased')) AS vacant,
  COUNT(u.market_rent) AS market_n,
  COUNTIF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent IS NOT NULL) AS lease_n,
  SUM(u.market_rent) AS gpr,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.lease_rent, NULL)) AS in_place,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.market_rent, NULL)) AS occ_market,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.market_rent IS NOT NULL AND IFNULL(u.lease_rent, 0) < u.market_rent, u.market_rent - IFNULL(u.lease_rent, 0), NULL)) AS loss,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.lease_rent IS NOT NULL AND u.lease_rent > IFNULL(u.market_rent, 0), u.lease_rent - IFNULL(u.market_rent, 0), NULL)) AS gain,
  SUM(IF(u.sqft > 0 AND u.market_rent IS NOT NULL, u.market_rent, NULL)) AS market_psf_rent,
  SUM(IF(u.sqft > 0 AND u.market_rent IS NOT NULL, u.sqft, NULL)) AS market_psf_sqft,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.lease_rent, NULL)) AS lease_psf_rent,
  SUM(IF(u.status IN ('occupied', 'occupied_notice') AND u.sqft > 0 AND u.lease_rent IS NOT NULL, u.sqft, NULL)) AS lease_psf_sqft,
  COUNTIF(u.status = 'occupied_notice' AND u.preleased) AS notice_leased,
  COUNTIF(u.status = 'vacant_leased' OR (u.status = 'vacant' AND u.preleased)) AS vacant_leased,
  COUNTIF(u.status = 'model') AS model,
  COUNTIF(u.status = 'down') AS down,
  COUNTIF(u.status = 'admin') AS admin,
  COUNTIF(u.designation = 'employee') AS employee,
  SUM(IF(u.status IN ('vacant', 'vacant_leased'), u.market_rent, NULL)) AS vacancy_loss,
  SUM(IF(u.status NOT IN ('occupied', 'occupied_notice', 'vacant', 'vacant_leased'), u.market_rent, NULL)) AS nonrev_loss,
  SUM(IF(u.status IN ('occupied', 'occupied_notice'), u.concessions, NULL)) AS concessions`

// resumColumns re-adds sums columns of a derived table aliased a.
const resumColumns = `SUM(a.units) AS units, SUM(a.occupied) AS occupied, SUM(a.notice) AS notice,
  SUM(a.vacant) AS vacant, SUM(a.market_n) AS market_n, SUM(a.lease_n) AS lease_n, SUM(a.gpr) AS gpr,
  SUM(a.in_place) AS in_place, SUM(a.occ_market) AS occ_market, SUM(a.loss) AS loss, SUM(a.gain) AS gain,
  SUM(a.market_psf_rent) AS market_psf_rent, SUM(a.market_psf_sqft) AS market_psf_sqft,
  SUM(a.lease_psf_rent) AS lease_psf_rent, SUM(a.lease_psf_sqft) AS lease_psf_sqft,
  SUM(a.notice_leased) AS notice_leased, SUM(a.vacant_leased) AS vacant_leased, SUM(a.model) AS model,
  SUM(a.down) AS down, SUM(a.admin) AS admin, SUM(a.employee) AS employee, SUM(a.vacancy_loss) AS vacancy_loss,
  SUM(a.nonrev_loss) AS nonrev_loss, SUM(a.concessions) AS concessions`

// resultReader reads typed values from query rows, remembering the first
// problem so that callers check once.
type resultReader struct{ err error }

func (rd *resultReader) fail(col string, v any) {
	if rd.err == nil {
		rd.err = errs.E(errs.Internal, "unexpected %T in result column %s", v, col)
	}
}

// int reads an integer column; NULL is 0.
func (rd *resultReader) int(r warehouse.Result, col string) int64 {
	switch v := r[col].(type) {
	case nil:
		return 0
	case int64:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
		rd.fail(col, v)
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		rd.fail(col, v)
	default:
		rd.fail(col, v)
	}
	return 0
}

// cents reads a money column (dollars, as the warehouse returns NUMERIC and
// DECIMAL) as cents; NULL is 0. Sums of cents are exact in the warehouse and
// the float64 dollars it returns is within far less than half a cent of them
// (below 2^53/100 dollars), so rounding recovers the exact cents.
func (rd *resultReader) cents(r warehouse.Result, col string) int64 {
	switch v := r[col].(type) {
	case nil:
		return 0
	case float64:
		c := math.Round(v * 100)
		if math.IsNaN(c) || math.Abs(c) >= 1<<53 {
			rd.fail(col, v)
			return 0
		}
		return int64(c)
	case int64:
		return v * 100
	case *big.Rat:
		c := new(big.Rat).Mul(v, big.NewRat(100, 1))
		if !c.IsInt() || !c.Num().IsInt64() {
			rd.fail(col, v)
			return 0
		}
		return c.Num().Int64()
	default:
		rd.fail(col, v)
	}
	return 0
}

// float reads a FLOAT64 column; ok is false for NULL.
func (rd *resultReader) float(r warehouse.Result, col string) (float64, bool) {
	switch v := r[col].(type) {
	case nil:
		return 0, false
	case float64:
		return v, true
	case int64:
		return float64(v), true
	default:
		rd.fail(col, v)
	}
	return 0, false
}

// str reads a string column; NULL is "".
func (rd *resultReader) str(r warehouse.Result, col string) string {
	switch v := r[col].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		rd.fail(col, v)
	}
	return ""
}

// date reads a DATE or TIMESTAMP column; NULL is the zero time.
func (rd *resultReader) date(r warehouse.Result, col string) time.Time {
	switch v := r[col].(type) {
	case nil:
		return time.Time{}
	case time.Time:
		return v.UTC()
	default:
		rd.fail(col, v)
	}
	return time.Time{}
}

// sums reads the sumsColumns of a row.
func (rd *resultReader) sums(r warehouse.Result) sums {
	return sums{
		units:         rd.int(r, "units"),
		occupied:      rd.int(r, "occupied"),
		notice:        rd.int(r, "notice"),
		vacant:        rd.int(r, "vacant"),
		marketN:       rd.int(r, "market_n"),
		leaseN:        rd.int(r, "lease_n"),
		gpr:           rd.cents(r, "gpr"),
		inPlace:       rd.cents(r, "in_place"),
		occMarket:     rd.cents(r, "occ_market"),
		loss:          rd.cents(r, "loss"),
		gain:          rd.cents(r, "gain"),
		marketPSFRent: rd.cents(r, "market_psf_rent"),
		marketPSFSqft: rd.int(r, "market_psf_sqft"),
		leasePSFRent:  rd.cents(r, "lease_psf_rent"),
		leasePSFSqft:  rd.int(r, "lease_psf_sqft"),
		noticeLeased:  rd.int(r, "notice_leased"),
		vacantLeased:  rd.int(r, "vacant_leased"),
		model:         rd.int(r, "model"),
		down:          rd.int(r, "down"),
		admin:         rd.int(r, "admin"),
		employee:      rd.int(r, "employee"),
		vacancyLoss:   rd.cents(r, "vacancy_loss"),
		nonRevLoss:    rd.cents(r, "nonrev_loss"),
		concessions:   rd.cents(r, "concessions"),
	}
}
