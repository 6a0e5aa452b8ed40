package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/billing"
)

// billingUsage is the usage of the billing command group.
const billingUsage = "usage: rentroll billing run --month YYYY-MM [--json] | rentroll billing sync [--month YYYY-MM]"

func runBilling(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return runBillingRun(ctx, args[1:], stdout, getenv)
		case "sync":
			return runBillingSync(ctx, args[1:], stdout, getenv)
		}
	}
	return groupUsage(args, billingUsage)
}

// runBillingRun counts a month through the API and prints the run and
// every client's amount (the usage of the completed run); --json prints the
// run record as the API answers it. A month that has not ended is refused
// by the server (400 invalid), whose message is printed as the error.
func runBillingRun(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("billing run", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	month := fs.String("month", "", "`month` YYYY-MM to count; it must have ended (required)")
	asJSON := fs.Bool("json", false, "print the run record as JSON")
	const runUsage = "rentroll billing run --month YYYY-MM [--json]"
	if err := parseFlags(fs, args, runUsage); err != nil {
		return err
	}
	if err := required(fs, runUsage, "month"); err != nil {
		return err
	}
	if _, err := time.Parse("2006-01", *month); err != nil {
		return usageError{fmt.Sprintf("billing run: --month %q: want YYYY-MM\nusage: %s", *month, runUsage)}
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	if *asJSON {
		var out json.RawMessage
		if err := c.do(ctx, http.MethodPost, "/v1/admin/billing/runs", api.BillingRunRequest{Month: *month}, &out); err != nil {
			return err
		}
		return printJSON(stdout, out)
	}
	var run billing.RunView
	if err := c.do(ctx, http.MethodPost, "/v1/admin/billing/runs", api.BillingRunRequest{Month: *month}, &run); err != nil {
		return err
	}
	var usage billing.Usage
	if err := c.do(ctx, http.MethodGet, "/v1/admin/usage?month="+url.QueryEscape(*month), nil, &usage); err != nil {
		return err
	}
	printRun(stdout, run, usage)
	return nil
}

// printRun prints a completed run: one line of totals, the export, the
// Stripe report, and a table of every client's units and amount.
func printRun(w io.Writer, run billing.RunView, u billing.Usage) {
	fmt.Fprintf(w, "billing run %s for %s: %s, %d clients, %d units, %s\n", run.RunID, run.Month, run.Status,
		run.Clients, run.UnitsTotal, totalsText(run.AmountTotals))
	fmt.Fprintf(w, "export gs://%s/%s sha256 %s\n", run.Export.Bucket, run.Export.Object, run.Export.SHA256)
	rep := "stripe report " + string(run.Report.Status)
	if run.Report.Status != billing.ReportOff && run.Report.Status != "" {
		rep += fmt.Sprintf(" (%d clients reported, %d without a Stripe customer)", run.Report.Reported, run.Report.Unmapped)
		if run.Report.Error != "" {
			rep += ": " + run.Report.Error + "; `rentroll billing sync` completes it"
		}
	}
	fmt.Fprintln(w, rep)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tSTATUS\tPLAN\tUNITS\tPROPERTIES\tCARRIED\tUNIT PRICE\tMINIMUM\tAMOUNT\tCURRENCY\tSTALE PROPERTIES\t")
	for _, r := range u.Clients {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.ClientID, r.Status, r.PlanID, r.Units, r.Properties,
			r.CarriedForwardProperties, r.UnitPrice, r.MinimumMonthly, r.Amount, r.Currency, strings.Join(r.StaleProperties, " "))
	}
	_ = tw.Flush() // writes to the terminal; nothing useful to do on failure
	fmt.Fprintf(w, "TOTAL %d units, %s\n", u.TotalUnits, totalsText(u.AmountTotals))
}

// totalsText renders amounts per currency, e.g. "USD 1234.50, EUR 10.00".
func totalsText(totals map[string]billing.Money) string {
	if len(totals) == 0 {
		return "no amount"
	}
	cur := make([]string, 0, len(totals))
	for c := range totals {
		cur = append(cur, c)
	}
	sort.Strings(cur)
	parts := make([]string, len(cur))
	for i, c := range cur {
		parts[i] = c + " " + totals[c].String()
	}
	return strings.Join(parts, ", ")
}

// runBillingSync completes pending Stripe usage reports through the API.
func runBillingSync(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("billing sync", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	month := fs.String("month", "", "month YYYY-MM (default: every pending month of the last year)")
	if err := parseFlags(fs, args, "rentroll billing sync [--month YYYY-MM]"); err != nil {
		return err
	}
	if *month != "" {
		if _, err := time.Parse("2006-01", *month); err != nil {
			return usageError{"billing sync: --month must be YYYY-MM"}
		}
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	var out api.BillingSync
	if err := c.do(ctx, http.MethodPost, "/v1/admin/billing/sync", api.BillingSyncRequest{Month: *month}, &out); err != nil {
		return err
	}
	if len(out.Months) == 0 {
		fmt.Fprintln(stdout, "nothing pending")
	}
	for _, m := range out.Months {
		fmt.Fprintf(stdout, "%s run %s: %s, %s clients reported\n", m.Month, m.RunID, m.Report.Status, strconv.Itoa(m.Report.Reported))
	}
	return nil
}
