package parse

import (
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
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
	textual         bool            // the last concession read was text, already monthly
	warnedText      map[string]bool // concession texts whose reading was recorded
}

// subject resolves a survey's subject: "Name (id)", a property id, or a
// property name matched (case and spacing ignored) against the client's
// known properties; else the upload's property_id.
func (c *competition) subject(v string) (string, bool) {
	if v != "" {
		if _, code, ok := parsePropertyTag(v); ok {
			return code, true
		}
		for id, name := range c.opts.Properties {
			if strings.EqualFold(id, v) || normName(name) == normName(v) {
				return id, true
			}
		}
		if ValidPropertyID(v) {
			return v, true // an id (a name has spaces, or matched above)
		}
	}
	if c.opts.PropertyID != "" {
		return c.opts.PropertyID, true
	}
	return "", false
}

// concession reads a concession cell: an amount, "None"/"N/A" (0), or text
// such as "6 weeks free", "1 month free", "$500 off", "1 month free on a
// 12-month lease", turned into a monthly amount over the stated term (12
// months unless stated); the assumption is recorded as a warning once per
// distinct text. A text amount is already monthly (c.textual).
func (c *competition) concession(n int, cells []string, f field, asking int64, hasAsking bool) (int64, bool) {
	c.textual = false
	v := c.get(cells, f)
	if v == "" {
		return 0, false
	}
	if amt, ok, err := ParseMoney(v); err == nil {
		return amt, ok
	}
	k := strings.ToLower(v)
	switch k {
	case "none", "n/a", "na", "no", "no concession", "no concessions", "0", "-":
		return 0, true
	}
	m := reConcText.FindStringSubmatch(k)
	if m == nil {
		c.rep.errorf(n, c.hdr.name(f), "bad_concession", fmt.Sprintf(
			"%q is not a concession; expected an amount (500.00), \"None\", or text such as \"6 weeks free\", \"1 month free\" or \"$500 off\"", v))
		return 0, false
	}
	term := 12.0
	if t := reConcTerm.FindStringSubmatch(k); t != nil {
		if x, err := strconv.ParseFloat(t[1], 64); err == nil && x >= 1 && x <= 60 {
			term = x
		}
	}
	var total float64 // dollars over the term
	how := ""
	switch {
	case m[1] != "": // "$500 off"
		amt, _, _ := ParseMoney(m[1])
		total, how = float64(amt)/100, fmt.Sprintf("%s once", dollars(amt))
	default:
		qty, _ := strconv.ParseFloat(m[2], 64)
		if !hasAsking {
			c.rep.errorf(n, c.hdr.name(f), "bad_concession", fmt.Sprintf("%q needs the asking rent to be valued, and the row has none", v))
			return 0, false
		}
		rent := float64(asking) / 100
		if strings.HasPrefix(m[3], "week") {
			total, how = qty*rent*12/52, fmt.Sprintf("%g week(s) of the asking rent %s", qty, dollars(asking))
		} else {
			total, how = qty*rent, fmt.Sprintf("%g month(s) of the asking rent %s", qty, dollars(asking))
		}
	}
	monthly := int64(math.Round(total * 100 / term))
	if !c.warnedText[k] {
		if c.warnedText == nil {
			c.warnedText = map[string]bool{}
		}
		c.warnedText[k] = true
		c.rep.warnf(n, c.hdr.name(f), "concession_assumed", fmt.Sprintf(
			"concession %q read as %s spread over a %g-month lease: %s a month", v, how, term, dollars(monthly)))
	}
	c.textual = true
	return monthly, true
}

// Concession text: "$500 off", "1 month free", "6 weeks free", "half a
// month free" is not read (it is refused with its text).
var (
	reConcText = regexp.MustCompile(`(?:(\$\s?[\d,]+(?:\.\d\d)?)\s*off|(\d+(?:\.\d+)?)\s*(weeks?|wks?|months?|mos?)\s*(?:of\s+)?(?:free|off))`)
	reConcTerm = regexp.MustCompile(`(\d+)\s*-?\s*(?:month|mo)s?\s*(?:lease|term)`)
)

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
		c.rep.errorf(n, h.name(fCompProperty), "missing_comp_property", fmt.Sprintf("a survey row (%s) names no comparable property; expected a property name in column %s", rowPreview(cells), h.name(fCompProperty)))
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
	subject := c.get(cells, fSubject)
	if subject == "" {
		subject = c.propID
		if subject == "" {
			subject = c.propName
		}
	}
	id, ok := c.subject(subject)
	if !ok {
		if !c.warnedNoSubject {
			c.warnedNoSubject = true
			tried := "the survey names no subject property"
			if subject != "" {
				tried = fmt.Sprintf("subject %q is neither a property id nor the name of one of the client's properties", subject)
			}
			c.rep.errorf(n, h.name(fSubject), "unknown_subject", tried+
				" and the upload gave no property_id; expected a subject such as \"Maple Court (mc01)\", a property id, or a known property name")
		}
		return nil
	}
	out.SubjectPropertyID = id
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
	monthly, hasMonthly := c.concession(n, cells, fConcMonthly, asking, hasAsking)
	if hasMonthly && isOneTime(normCode(c.get(cells, fConcType))) {
		monthly = roundDiv(monthly, 12) // "one-time" written in a type column
	}
	if once, ok := c.concession(n, cells, fConcOneTime, asking, hasAsking); ok {
		if !c.textual {
			once = roundDiv(once, 12)
		}
		monthly += once
		hasMonthly = true
	}
	if monthly < 0 {
		monthly = -monthly
	}
	out.ConcessionsMonthly, out.HasConcessions = monthly, hasMonthly
	eff, hasEff := c.money(n, cells, fEffective)
	switch {
	case hasEff:
		out.EffectiveRent = eff
	case hasAsking:
		out.EffectiveRent = asking - monthly
	}
	if !hasAsking && !hasEff {
		c.rep.errorf(n, h.name(fAsking), "missing_rent", fmt.Sprintf("%s %s: no asking or effective rent; expected an amount such as 1,250.00 in column %s", out.CompProperty, out.UnitType, h.name(fAsking)))
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
			c.rep.errorf(n, h.name(fOccupancy), "bad_percent", fmt.Sprintf("%q is not an occupancy; expected e.g. 95%% or 0.95", v))
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
