package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"rentroll.ai/rentroll/shared/analytics"
)

// runAnalytics dispatches the analytics subcommands: summary, competition,
// changes.
func runAnalytics(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	const u = "usage: rentroll analytics summary|competition|changes --client C [--property P] [--as-of D] [--from D --to D]"
	if len(args) == 0 {
		return groupUsage(args, u+"\n  "+analyticsSummaryUsage)
	}
	switch args[0] {
	case "summary":
		return runAnalyticsSummary(ctx, args[1:], stdout, getenv)
	case "competition", "changes":
	default:
		return groupUsage(args, u+"\n  "+analyticsSummaryUsage)
	}
	fs := flag.NewFlagSet("analytics "+args[0], flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client id")
	property := fs.String("property", "", "property id")
	asOf := fs.String("as-of", "", "as-of date YYYY-MM-DD (competition)")
	from := fs.String("from", "", "earlier date YYYY-MM-DD (changes)")
	to := fs.String("to", "", "later date YYYY-MM-DD (changes; default latest)")
	if err := parseFlags(fs, args[1:], u); err != nil {
		return err
	}
	if *client == "" {
		return usageError{"analytics " + args[0] + ": --client is required"}
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("property_id", *property)
	base := "/v1/clients/" + url.PathEscape(*client)
	if args[0] == "competition" {
		set("as_of", *asOf)
		var out analytics.Competition
		if err := c.do(ctx, http.MethodGet, base+"/analytics/competition?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		printCompetition(stdout, out)
		return nil
	}
	if *property == "" || *from == "" {
		return usageError{"analytics changes: --property and --from are required"}
	}
	set("from", *from)
	set("to", *to)
	var out analytics.Changes
	if err := c.do(ctx, http.MethodGet, base+"/analytics/rent-roll/changes?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	printChanges(stdout, out)
	return nil
}

// printSummaryDetails prints what follows the summary table: the
// properties used, the leasing position and the revenue waterfall of the
// totals (docs/metrics.md).
func printSummaryDetails(w io.Writer, s analytics.Summary) {
	if len(s.Properties) > 0 {
		var parts []string
		for _, p := range s.Properties {
			part := fmt.Sprintf("%s (%s, %d units)", p.PropertyID, p.AsOf, p.Units)
			if p.Stale {
				part += " STALE"
			}
			parts = append(parts, part)
		}
		fmt.Fprintf(w, "properties: %s\n", strings.Join(parts, ", "))
	}
	t := s.Totals
	fmt.Fprintf(w, "leasing: leased %d (%s), exposure %d (%s), preleased %d; non-revenue %d (model %d, down %d, admin %d); employee %d\n",
		t.Leased, percent(t.LeasedPct), t.Exposure, percent(t.ExposurePct), t.Preleased,
		t.NonRevenueUnits, t.Model, t.Down, t.Admin, t.Employee)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "revenue waterfall\t\t")
	line := func(label, sign string, m analytics.Money) {
		fmt.Fprintf(tw, "  %s\t%s%s\t\n", label, sign, money(m))
	}
	line("gross potential rent", "", t.GPR)
	line("loss to lease", "− ", t.LossToLease)
	line("gain to lease", "+ ", t.GainToLease)
	line("vacancy loss", "− ", t.VacancyLoss)
	line("non-revenue units", "− ", t.NonRevenueLoss)
	line("in-place rent", "= ", t.InPlaceRent)
	line("concessions", "− ", t.Concessions)
	line("effective rent", "= ", t.EffectiveRent)
	fmt.Fprintf(tw, "  economic occupancy\t%s\t\n", percent(t.EconomicOccupancy))
	tw.Flush()
}

// printCompetition prints each surveyed property's floorplans against
// their comps.
func printCompetition(w io.Writer, c analytics.Competition) {
	fmt.Fprintf(w, "survey as of %s, property %s\n", orNil(c.AsOf), orAll(c.PropertyID))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROPERTY\tUNIT TYPE\tBD/BA\tCOMPS\tCOMP UNITS\tCOMP ASKING\tCOMP EFFECTIVE\tSUBJ MARKET\tSUBJ LEASE\tPREMIUM\tASKING PREMIUM\t")
	for _, r := range c.ByUnitType {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.PropertyID, r.UnitType,
			rooms(r.Beds), rooms(r.Baths), r.Comps, r.CompUnits,
			optMoney(r.CompAvgAskingRent), optMoney(r.CompAvgEffectiveRent),
			optMoney(r.SubjectAvgMarketRent), optMoney(r.SubjectAvgLeaseRent),
			percent(r.PremiumPct), percent(r.AskingPremiumPct))
	}
	tw.Flush()
}

// printChanges prints a roll-to-roll comparison and the units behind it.
func printChanges(w io.Writer, c analytics.Changes) {
	fmt.Fprintf(w, "property %s: roll of %s → roll of %s\n", c.PropertyID, orNil(c.FromAsOf), orNil(c.ToAsOf))
	fmt.Fprintf(w, "units added %d, removed %d; move-ins %d, move-outs %d, notices given %d\n",
		c.UnitsAdded, c.UnitsRemoved, c.MoveIns, c.MoveOuts, c.NoticesGiven)
	trade := func(label string, t analytics.TradeOut) {
		fmt.Fprintf(w, "%s: %d (%d priced), prior %s → %s, trade-out %s\n", label, t.Count,
			t.Priced, optMoney(t.AvgPriorRent), optMoney(t.AvgRent), percent(t.TradeOutPct))
	}
	trade("new leases", c.NewLeases)
	trade("renewals", c.Renewals)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "UNIT\tCHANGE\tPRIOR RENT\tRENT\t")
	for _, u := range c.Units {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", u.UnitID, u.Change, optMoney(u.PriorRent), optMoney(u.Rent))
	}
	tw.Flush()
}

// rooms prints a bedroom or bathroom count rounded to a whole number, or
// "-" when the survey has none.
func rooms(n *float64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *n)
}

// orNil prints an optional date as the CLI always has: "<nil>" when absent.
func orNil(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
