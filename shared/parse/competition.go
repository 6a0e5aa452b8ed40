package parse

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Competition parses a market survey: one row per comparable property and
// unit type. A property name written only on the first row of its block
// carries down to the rows below it. Effective rent is taken from the file
// or computed as asking rent − monthly concessions (a one-time concession is
// spread over 12 months). Errors are reported as for RentRoll.
func Competition(ctx context.Context, r io.ReaderAt, size int64, opts Options, sink Sink) (*Report, error) {
	p := newParser(ctx, KindCompetition, opts, sink)
	c := &competition{parser: p}
	p.data, p.end = c.row, c.finish
	return p.run(r, size)
}

type competition struct {
	*parser
	lastProperty    string
	warnedNoSubject bool
	undated         int
	undatedRow      int
}

func (c *competition) finish() error {
	if c.undated > 0 && !c.asOf.IsZero() {
		c.rep.errorf(c.undatedRow, c.hdr.name(fSurveyDate), "missing_survey_date",
			fmt.Sprintf("%d survey rows have no survey date (first at row %d)", c.undated, c.undatedRow))
	}
	return nil
}

func (c *competition) row(n int, cells []string) error {
	count, _, first := nonEmpty(cells)
	if count == 0 {
		return nil
	}
	lower := strings.ToLower(first)
	for _, w := range []string{"total", "average", "avg", "weighted", "subject average", "market average", "median"} {
		if strings.HasPrefix(lower, w) {
			c.rep.exclude("summary_row")
			return nil
		}
	}
	h := c.hdr
	if count == 1 && c.get(cells, fAsking) == "" {
		return nil // a note or a repeated banner
	}
	var out Comp
	out.Row = n
	out.CompProperty = c.get(cells, fCompProperty)
	if out.CompProperty == "" {
		out.CompProperty = c.lastProperty
	}
	if out.CompProperty == "" && h.has(fCompProperty) {
		c.rep.errorf(n, h.name(fCompProperty), "missing_comp_property", "a survey row names no comparable property")
		return nil
	}
	c.lastProperty = out.CompProperty
	out.SurveyDate = c.asOf
	if h.has(fSurveyDate) {
		if t := c.date(n, cells, fSurveyDate); !t.IsZero() {
			out.SurveyDate = t
			if c.asOf.IsZero() {
				c.asOf = t
			}
		}
	}
	out.SubjectPropertyID = c.propID
	if v := c.get(cells, fSubject); v != "" {
		out.SubjectPropertyID = v
		if _, code, ok := parsePropertyTag(v); ok {
			out.SubjectPropertyID = code
		}
	}
	if out.SubjectPropertyID == "" {
		out.SubjectPropertyID = c.opts.PropertyID
	}
	if out.SubjectPropertyID != "" && !ValidPropertyID(out.SubjectPropertyID) {
		c.rep.errorf(n, h.name(fSubject), "bad_property_id", fmt.Sprintf("subject property id %q must be 1-128 letters, digits, '.', '_' or '-'", out.SubjectPropertyID))
		return nil
	}
	if out.SubjectPropertyID == "" && !c.warnedNoSubject {
		c.warnedNoSubject = true
		c.rep.warnf(n, "", "missing_subject", "the survey names no subject property and the upload gave no property_id")
	}
	out.UnitType = c.get(cells, fUnitType)
	if h.has(fBedsBaths) {
		v := c.get(cells, fBedsBaths)
		if beds, baths, _, ok, err := ParseBedsBaths(v); err != nil {
			c.rep.errorf(n, h.name(fBedsBaths), "bad_number", fmt.Sprintf("%q is not beds/baths", v))
		} else if ok {
			out.Beds, out.Baths, out.HasBeds, out.HasBaths = beds, baths, true, true
		}
	}
	if v, ok := c.number(n, cells, fBeds); ok {
		out.Beds, out.HasBeds = v, true
	}
	if v, ok := c.number(n, cells, fBaths); ok {
		out.Baths, out.HasBaths = v, true
	}
	if !out.HasBeds {
		out.Beds, out.Baths, out.HasBeds, out.HasBaths = bedsBathsFromType(out.UnitType)
	}
	if v, ok := c.number(n, cells, fSqft); ok {
		out.SqFt = int64(v + 0.5)
		if out.SqFt <= 0 {
			c.rep.errorf(n, h.name(fSqft), "zero_sqft", fmt.Sprintf("%s %s: square footage is not positive", out.CompProperty, out.UnitType))
		}
	}
	if v, ok := c.number(n, cells, fUnits); ok {
		out.Units = int64(v + 0.5)
	}
	asking, hasAsking := c.money(n, cells, fAsking)
	out.AskingRent = asking
	monthly, hasMonthly := c.money(n, cells, fConcMonthly)
	if hasMonthly && strings.Contains(strings.ToLower(c.get(cells, fConcType)), "one") {
		monthly = roundDiv(monthly, 12) // "one-time" written in a type column
	}
	if once, ok := c.money(n, cells, fConcOneTime); ok {
		monthly += roundDiv(once, 12)
	}
	if monthly < 0 {
		monthly = -monthly
	}
	out.ConcessionsMonthly = monthly
	eff, hasEff := c.money(n, cells, fEffective)
	switch {
	case hasEff:
		out.EffectiveRent = eff
	case hasAsking:
		out.EffectiveRent = asking - monthly
	}
	if !hasAsking && !hasEff {
		c.rep.errorf(n, h.name(fAsking), "missing_rent", fmt.Sprintf("%s %s: no asking or effective rent", out.CompProperty, out.UnitType))
		return nil
	}
	if !hasAsking {
		out.AskingRent = out.EffectiveRent + monthly
	}
	if out.AskingRent < 0 || out.EffectiveRent < 0 {
		c.rep.errorf(n, h.name(fAsking), "negative_rent", fmt.Sprintf("%s %s: rent is negative", out.CompProperty, out.UnitType))
	}
	if v := c.get(cells, fOccupancy); v != "" {
		occ, ok, err := ParsePercent(v)
		if err != nil {
			c.rep.errorf(n, h.name(fOccupancy), "bad_percent", fmt.Sprintf("%q is not an occupancy", v))
		}
		out.Occupancy, out.HasOccupancy = occ, ok
	}
	if out.SurveyDate.IsZero() {
		// Without any date the file gets one missing_as_of error at the end;
		// rows left undated while others have one are errors of their own.
		if c.undatedRow == 0 {
			c.undatedRow = n
		}
		c.undated++
		return nil
	}
	c.rep.Comps++
	if err := c.rep.addProperty(out.SubjectPropertyID); err != nil {
		return err
	}
	return c.sink.Comp(out)
}

// roundDiv divides cents, rounding half away from zero.
func roundDiv(v, d int64) int64 {
	if v < 0 {
		return -((-v + d/2) / d)
	}
	return (v + d/2) / d
}
