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
	api, token := clientFlags(fs, getenv)
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
	c, err := newAPIClient(*api, *token)
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
	var out map[string]any
	if args[0] == "competition" {
		set("as_of", *asOf)
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
	if err := c.do(ctx, http.MethodGet, base+"/analytics/rent-roll/changes?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	printChanges(stdout, out)
	return nil
}

// printSummaryDetails prints what follows the summary table: the
// properties used, the leasing position and the revenue waterfall of the
// totals (docs/metrics.md).
func printSummaryDetails(w io.Writer, s map[string]any) {
	if props, ok := s["properties"].([]any); ok && len(props) > 0 {
		var parts []string
		for _, p := range props {
			m, _ := p.(map[string]any)
			part := fmt.Sprintf("%v (%v, %s units)", m["property_id"], m["as_of"], formatCell("units", m["units"]))
			if m["stale"] == true {
				part += " STALE"
			}
			parts = append(parts, part)
		}
		fmt.Fprintf(w, "properties: %s\n", strings.Join(parts, ", "))
	}
	t, ok := s["totals"].(map[string]any)
	if !ok {
		return
	}
	n := func(k string) string { return formatCell("units", t[k]) }
	pct := func(k string) string { return formatCell("occupancy", t[k]) }
	fmt.Fprintf(w, "leasing: leased %s (%s), exposure %s (%s), preleased %s; non-revenue %s (model %s, down %s, admin %s); employee %s\n",
		n("leased"), pct("leased_pct"), n("exposure"), pct("exposure_pct"), n("preleased"),
		n("non_revenue_units"), n("model"), n("down"), n("admin"), n("employee"))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "revenue waterfall\t\t")
	line := func(label, sign, k string) {
		fmt.Fprintf(tw, "  %s\t%s%s\t\n", label, sign, formatCell("money", t[k]))
	}
	line("gross potential rent", "", "gpr")
	line("loss to lease", "− ", "loss_to_lease")
	line("gain to lease", "+ ", "gain_to_lease")
	line("vacancy loss", "− ", "vacancy_loss")
	line("non-revenue units", "− ", "non_revenue_loss")
	line("in-place rent", "= ", "in_place_rent")
	line("concessions", "− ", "concessions")
	line("effective rent", "= ", "effective_rent")
	fmt.Fprintf(tw, "  economic occupancy\t%s\t\n", pct("economic_occupancy"))
	tw.Flush()
}

// printCompetition prints each surveyed property's floorplans against
// their comps.
func printCompetition(w io.Writer, c map[string]any) {
	fmt.Fprintf(w, "survey as of %v, property %v\n", c["as_of"], orAll(c["property_id"]))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PROPERTY\tUNIT TYPE\tBD/BA\tCOMPS\tCOMP UNITS\tCOMP ASKING\tCOMP EFFECTIVE\tSUBJ MARKET\tSUBJ LEASE\tPREMIUM\tASKING PREMIUM\t")
	rows, _ := c["by_unit_type"].([]any)
	for _, r := range rows {
		m, _ := r.(map[string]any)
		fmt.Fprintf(tw, "%v\t%v\t%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m["property_id"], m["unit_type"],
			formatCell("units", m["beds"]), formatCell("units", m["baths"]), formatCell("units", m["comps"]), formatCell("units", m["comp_units"]),
			formatCell("money", m["comp_avg_asking_rent"]), formatCell("money", m["comp_avg_effective_rent"]),
			formatCell("money", m["subject_avg_market_rent"]), formatCell("money", m["subject_avg_lease_rent"]),
			formatCell("occupancy", m["premium_pct"]), formatCell("occupancy", m["asking_premium_pct"]))
	}
	tw.Flush()
}

// printChanges prints a roll-to-roll comparison and the units behind it.
func printChanges(w io.Writer, c map[string]any) {
	fmt.Fprintf(w, "property %v: roll of %v → roll of %v\n", c["property_id"], c["from_as_of"], c["to_as_of"])
	n := func(k string) string { return formatCell("units", c[k]) }
	fmt.Fprintf(w, "units added %s, removed %s; move-ins %s, move-outs %s, notices given %s\n",
		n("units_added"), n("units_removed"), n("move_ins"), n("move_outs"), n("notices_given"))
	trade := func(label, k string) {
		m, _ := c[k].(map[string]any)
		fmt.Fprintf(w, "%s: %s (%s priced), prior %s → %s, trade-out %s\n", label, formatCell("units", m["count"]),
			formatCell("units", m["priced"]), formatCell("money", m["avg_prior_rent"]), formatCell("money", m["avg_rent"]),
			formatCell("occupancy", m["trade_out_pct"]))
	}
	trade("new leases", "new_leases")
	trade("renewals", "renewals")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "UNIT\tCHANGE\tPRIOR RENT\tRENT\t")
	units, _ := c["units"].([]any)
	for _, u := range units {
		m, _ := u.(map[string]any)
		fmt.Fprintf(tw, "%v\t%v\t%s\t%s\t\n", m["unit_id"], m["change"], formatCell("money", m["prior_rent"]), formatCell("money", m["rent"]))
	}
	tw.Flush()
}
