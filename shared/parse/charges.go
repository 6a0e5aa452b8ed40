package parse

import (
	"fmt"
	"strings"
)

// The default charge-code table. Exports name their charges freely (Yardi
// "rent", "prkg", "conc"; OneSite "RENT", "CONC/SPECL", "EMPLCRED"; Entrata
// "Base Rent", "New Lease One-Time Concession"), so a code is looked up
// exactly first, then by the patterns below; a code neither knows is
// "other" and warned about once per file. docs/charge-codes.md is the
// reader's copy of this table; keep them together.
var defaultChargeCodes = map[string]string{
	// rent
	"rent": CategoryRent, "base rent": CategoryRent, "rnt": CategoryRent, "rentres": CategoryRent,
	"res rent": CategoryRent, "lease rent": CategoryRent, "apartment rent": CategoryRent, "apt rent": CategoryRent,
	"rent charge": CategoryRent, "market rent": CategoryRent, "resident rent": CategoryRent, "bed rent": CategoryRent,
	"tenant rent": CategoryRent, "rent - resident": CategoryRent, "mtm": CategoryOther, "mtom": CategoryOther,
	// subsidy: housing assistance paid for the resident is part of the lease rent
	"hap": CategorySubsidy, "hap rent": CategorySubsidy, "subsidy": CategorySubsidy, "subsidy rent": CategorySubsidy,
	"sub rent": CategorySubsidy, "subrent": CategorySubsidy, "hud": CategorySubsidy, "hud rent": CategorySubsidy,
	"section 8": CategorySubsidy, "sec 8": CategorySubsidy, "sec8": CategorySubsidy, "s8": CategorySubsidy,
	"housing assistance": CategorySubsidy, "assistance payment": CategorySubsidy, "rent - subsidy": CategorySubsidy,
	// concession
	"conc": CategoryConcession, "concession": CategoryConcession, "concessions": CategoryConcession,
	"conc/specl": CategoryConcession, "discount": CategoryConcession, "emplcred": CategoryConcession,
	"employee credit": CategoryConcession, "employee discount": CategoryConcession, "rentfree": CategoryConcession,
	"rent free": CategoryConcession, "free rent": CategoryConcession, "special": CategoryConcession,
	"model/office": CategoryConcession, "new lease monthly concession": CategoryConcession,
	"renewal monthly concession": CategoryConcession, "new lease one-time concession": CategoryConcession,
	"renewal one-time concession": CategoryConcession, "one-time concession": CategoryConcession,
	// other
	"pet": CategoryOther, "pet rent": CategoryOther, "petfee": CategoryOther, "pet fee": CategoryOther,
	"prkg": CategoryOther, "parking": CategoryOther, "garage": CategoryOther, "covered parking": CategoryOther,
	"garage parking": CategoryOther, "lot parking": CategoryOther, "storage": CategoryOther, "stor": CategoryOther,
	"util": CategoryOther, "utility": CategoryOther, "utilities": CategoryOther, "wtr": CategoryOther,
	"water": CategoryOther, "waterreimb": CategoryOther, "sewer": CategoryOther, "trash": CategoryOther,
	"valet trash": CategoryOther, "gas": CategoryOther, "elec": CategoryOther, "electric": CategoryOther,
	"cable": CategoryOther, "internet": CategoryOther, "amenity": CategoryOther, "amenity fee": CategoryOther,
	"fee": CategoryOther, "admin fee": CategoryOther, "insurance": CategoryOther, "renters insurance": CategoryOther,
	"pest": CategoryOther, "pest control": CategoryOther, "late fee": CategoryOther, "month to month": CategoryOther,
	"furniture": CategoryOther, "washer/dryer": CategoryOther, "w/d": CategoryOther, "other": CategoryOther,
	"other charges": CategoryOther, "short term": CategoryOther, "premium": CategoryOther,
}

// normCode puts a charge code in the table's form: lower case, spacing collapsed.
func normCode(code string) string {
	return strings.ToLower(strings.Join(strings.Fields(code), " "))
}

// defaultCategory returns the default category of a code and whether the
// table (or a pattern) knows it.
func defaultCategory(k string) (string, bool) {
	if c, ok := defaultChargeCodes[k]; ok {
		return c, true
	}
	switch {
	case strings.HasPrefix(k, "hap"), strings.Contains(k, "subsidy"), strings.Contains(k, "housing assist"),
		strings.Contains(k, "section 8"):
		return CategorySubsidy, true
	case strings.HasPrefix(k, "conc"), strings.Contains(k, "concession"), strings.Contains(k, "discount"),
		strings.HasPrefix(k, "emplcred"), strings.Contains(k, "employee credit"), strings.Contains(k, "rentfree"),
		strings.Contains(k, "rent free"), strings.Contains(k, "free rent"), strings.HasPrefix(k, "special"):
		return CategoryConcession, true
	case strings.Contains(k, "parking"), strings.Contains(k, "garage"), strings.Contains(k, "pet"),
		strings.Contains(k, "storage"), strings.Contains(k, "water"), strings.Contains(k, "utilit"),
		strings.Contains(k, "trash"), strings.Contains(k, "fee"):
		return CategoryOther, true
	}
	return CategoryOther, false
}

// isOneTime says whether a concession code is granted once (Entrata's
// "New Lease One-Time Concession"): it is not a monthly amount.
func isOneTime(k string) bool {
	return strings.Contains(k, "one-time") || strings.Contains(k, "one time") || strings.Contains(k, "onetime")
}

// ValidCategory reports whether c is a charge category.
func ValidCategory(c string) bool {
	switch c {
	case CategoryRent, CategorySubsidy, CategoryConcession, CategoryOther:
		return true
	}
	return false
}

// DefaultChargeCategory returns the category the default table gives a
// code, and whether the table knows the code (else "other").
func DefaultChargeCategory(code string) (string, bool) { return defaultCategory(normCode(code)) }

// chargeInfo is a classified code, memoized per file.
type chargeInfo struct {
	category string
	oneTime  bool
}

// chargeOf classifies a code through the client's overrides then the
// default table, warning once per file about a code neither knows.
func (p *parser) chargeOf(n int, column, code string) chargeInfo {
	if ci, ok := p.chargeMemo[code]; ok {
		return ci
	}
	k := normCode(code)
	ci := chargeInfo{oneTime: isOneTime(k)}
	if c, ok := p.overrides[k]; ok {
		ci.category = c
	} else {
		var known bool
		ci.category, known = defaultCategory(k)
		if !known && !p.warnedCode[k] {
			if p.warnedCode == nil {
				p.warnedCode = map[string]bool{}
			}
			p.warnedCode[k] = true
			p.rep.warnf(n, column, "unknown_charge_code", fmt.Sprintf(
				"charge code %q is not in the charge-code table; it is counted as other income (set its category with PUT /v1/clients/{cid}/charge-codes)", code))
		}
	}
	if ci.category != CategoryConcession {
		ci.oneTime = false
	}
	if len(p.chargeMemo) < 4096 {
		p.chargeMemo[code] = ci
	}
	return ci
}
