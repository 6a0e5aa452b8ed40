package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rentroll.ai/rentroll/shared/analytics"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/web"
)

// apiClient talks to any deployment of the platform's HTTP API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// apiError is an error answer of the API, shown to the user as it came.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.call(ctx, method, path, body, out)
	return err
}

// call is do that also answers the HTTP status of a success (a create that
// answers 200 rather than 201 found the thing already there).
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.base, "/")+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, c.unreachable(ctx, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode >= 300 {
		var e web.ErrorBody
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(b))}
		}
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil {
		if w, ok := out.(io.Writer); ok { // raw bodies (a CSV report) pass through
			_, err := w.Write(b)
			return resp.StatusCode, err
		}
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// unreachable turns a transport error into what a user can act on: a
// platform that is not running, or not where the command looked for it.
func (c *apiClient) unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial"):
		return fmt.Errorf("cannot reach the API at %s: is `rentroll dev` running at %s? (pass --api, set RENTROLL_API, or --data for a platform started with --data)", c.base, c.base)
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return fmt.Errorf("the API at %s did not answer in time", c.base)
	}
	return fmt.Errorf("calling the API at %s: %v", c.base, redactURL(err))
}

// clientFlags adds --api, --token and --data to a client command's flags.
// --api is resolved after parsing (see resolveAPI); the token's value is never
// shown in --help, even when it comes from the environment.
func clientFlags(fs *flag.FlagSet, getenv func(string) string) (api, token *string) {
	api = fs.String("api", getenv("RENTROLL_API"), "API base `URL` (default: RENTROLL_API, else the URL that rentroll dev recorded in --data)")
	token = fs.String("token", getenv("RENTROLL_TOKEN"), "access `token` (default: RENTROLL_TOKEN); rentroll token mints one locally")
	fs.String("data", DefaultDataDir, "`directory` of a local rentroll dev, to find its URL")
	for _, n := range []string{"api", "token"} {
		fs.Lookup(n).DefValue = ""
	}
	return api, token
}

func newAPIClient(api, token string) (*apiClient, error) {
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--api %q: want an http(s) URL", api)}
	}
	if token == "" {
		return nil, usageError{"--token (or RENTROLL_TOKEN) is required; `rentroll token` mints one locally"}
	}
	return &apiClient{base: api, token: token, http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// Usage lines of the client commands.
const (
	clientsCreateUsage    = "rentroll clients create --name N [--id ID] [--billing-email E] [--admin-email E [--admin-name N]] [--admin-sub S]"
	analyticsSummaryUsage = "rentroll analytics summary --client C [--as-of YYYY-MM-DD] [--property P] [--wide | --json]"
)

// groupUsage answers a command group called without (or with an unknown)
// subcommand; asked for help, it is help (exit 0), else a usage error.
func groupUsage(args []string, text string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return helpRequested{text}
	}
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unknown subcommand %q\n%s", args[0], text)}
	}
	return usageError{text}
}

func runClient(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch {
	case cmd == "clients" && sub == "create":
		return runClientsCreate(ctx, args[1:], stdout, getenv)
	case cmd == "clients":
		return groupUsage(args, "usage: "+clientsCreateUsage)
	case cmd == "upload":
		return runUpload(ctx, args, stdout, stderr, getenv)
	case cmd == "uploads":
		return runUploads(ctx, args, stdout, stderr, getenv)
	case cmd == "analytics":
		return runAnalytics(ctx, args, stdout, getenv)
	case cmd == "billing":
		return runBilling(ctx, args, stdout, getenv)
	}
	return usageError{usage}
}

func runClientsCreate(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("clients create", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	name := fs.String("name", "", "client name (required)")
	id := fs.String("id", "", "client id (default: derived from the name, e.g. acme-homes)")
	billing := fs.String("billing-email", "", "billing e-mail")
	adminEmail := fs.String("admin-email", "", "the first client_admin's `e-mail`: they are invited and the invitation link is printed")
	adminName := fs.String("admin-name", "", "the first client_admin's `name`")
	adminSub := fs.String("admin-sub", "", "register this existing `subject` as the first client_admin instead of inviting")
	if err := parseFlags(fs, args, clientsCreateUsage); err != nil {
		return err
	}
	if err := required(fs, clientsCreateUsage, "name"); err != nil {
		return err
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	req := tenancy.NewClient{ID: *id, Name: *name, BillingEmail: *billing}
	if *adminEmail != "" && *adminSub == "" {
		req.AdminEmail, req.AdminName = *adminEmail, *adminName
	}
	var out tenancy.Onboarded
	status, err := c.call(ctx, http.MethodPost, "/v1/admin/clients", req, &out)
	if err != nil {
		return err
	}
	if status == http.StatusOK { // the server found it: a create is idempotent
		fmt.Fprintf(stdout, "client %s already exists (dataset %s, status %s); nothing was changed\n", out.ID, out.Dataset, out.Status)
	} else {
		fmt.Fprintf(stdout, "client %s created (dataset %s, status %s)\n", out.ID, out.Dataset, out.Status)
	}
	switch {
	case out.Invitation != nil:
		fmt.Fprintf(stdout, "client_admin %s is invited; the link sets their password (valid until %s):\n  %s\n", out.Invitation.Email, out.Invitation.ExpiresAt.Format(time.RFC3339Nano), out.Invitation.URL)
	case *adminEmail != "" && *adminSub == "":
		fmt.Fprintf(stdout, "client_admin %s already has a password and can sign in\n", *adminEmail)
	}
	if *adminSub != "" {
		u := tenancy.NewUser{Subject: *adminSub, Email: *adminEmail, Role: tenancy.ClientAdmin}
		if err := c.do(ctx, http.MethodPost, "/v1/clients/"+url.PathEscape(out.ID)+"/users", u, nil); err != nil {
			return fmt.Errorf("client created, but adding its admin failed: %w", err)
		}
		fmt.Fprintf(stdout, "user %s is client_admin of %s; mint a token with:\n  rentroll token --sub '%s' --role client_admin --client %s\n", *adminSub, out.ID, *adminSub, out.ID)
	}
	return nil
}

func runAnalyticsSummary(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("analytics summary", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client `id` (required)")
	asOf := fs.String("as-of", "", "as-of date YYYY-MM-DD (default: the latest roll of each property)")
	property := fs.String("property", "", "property id (default: the whole portfolio)")
	wide := fs.Bool("wide", false, "every column (rent totals, loss to lease): wider than 80 columns")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	if err := parseFlags(fs, args, analyticsSummaryUsage); err != nil {
		return err
	}
	if err := required(fs, analyticsSummaryUsage, "client"); err != nil {
		return err
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *asOf != "" {
		q.Set("as_of", *asOf)
	}
	if *property != "" {
		q.Set("property_id", *property)
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(*client)+"/analytics/rent-roll/summary?"+q.Encode(), nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, raw)
	}
	var out analytics.Summary
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	printSummaryCols(stdout, out, *wide)
	return nil
}

// printJSON prints an API answer for --json: indented, keys sorted.
func printJSON(w io.Writer, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printSummary prints a rent-roll summary as the compact table.
func printSummary(w io.Writer, s analytics.Summary) { printSummaryCols(w, s, false) }

// summaryColumns are the compact table's columns, which fit 80 terminal
// columns for the usual unit-type codes; wideColumns add the rent totals.
var (
	summaryColumns = []string{"units", "occupied", "notice", "vacant", "physical_occupancy", "economic_occupancy", "avg_market_rent", "avg_lease_rent"}
	wideColumns    = []string{"units", "occupied", "notice", "vacant", "physical_occupancy", "economic_occupancy", "gpr", "in_place_rent", "loss_to_lease", "avg_market_rent", "avg_lease_rent"}
	columnTitles   = map[string]string{"occupied": "OCC", "physical_occupancy": "OCC%", "economic_occupancy": "ECON%",
		"avg_market_rent": "AVG MARKET", "avg_lease_rent": "AVG LEASE", "in_place_rent": "IN PLACE", "loss_to_lease": "LOSS TO LEASE"}
	// metricCells formats each column of a row, by the metric's JSON name.
	metricCells = map[string]func(m analytics.Metrics) string{
		"units":              func(m analytics.Metrics) string { return count(m.Units) },
		"occupied":           func(m analytics.Metrics) string { return count(m.Occupied) },
		"notice":             func(m analytics.Metrics) string { return count(m.Notice) },
		"vacant":             func(m analytics.Metrics) string { return count(m.Vacant) },
		"physical_occupancy": func(m analytics.Metrics) string { return percent(m.PhysicalOccupancy) },
		"economic_occupancy": func(m analytics.Metrics) string { return percent(m.EconomicOccupancy) },
		"gpr":                func(m analytics.Metrics) string { return money(m.GPR) },
		"in_place_rent":      func(m analytics.Metrics) string { return money(m.InPlaceRent) },
		"loss_to_lease":      func(m analytics.Metrics) string { return money(m.LossToLease) },
		"avg_market_rent":    func(m analytics.Metrics) string { return optMoney(m.AvgMarketRent) },
		"avg_lease_rent":     func(m analytics.Metrics) string { return optMoney(m.AvgLeaseRent) },
	}
)

// printSummaryCols prints a rent-roll summary as a table: occupancy as a
// percentage, money with cents. A summary without data says so instead of
// printing zeros.
func printSummaryCols(w io.Writer, s analytics.Summary, wide bool) {
	if s.AsOf == nil {
		fmt.Fprintf(w, "no rent roll loaded for %s as of that date\n", orAll(s.PropertyID))
		return
	}
	fmt.Fprintf(w, "as of %s, property %s\n", *s.AsOf, orAll(s.PropertyID))
	cols := summaryColumns
	if wide {
		cols = wideColumns
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	titles := []string{"TYPE"}
	for _, c := range cols {
		t, ok := columnTitles[c]
		if !ok {
			t = strings.ToUpper(c)
		}
		titles = append(titles, t)
	}
	fmt.Fprintln(tw, strings.Join(titles, "\t")+"\t")
	row := func(label string, m analytics.Metrics) {
		cells := []string{label}
		for _, c := range cols {
			cells = append(cells, metricCells[c](m))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	for _, t := range s.ByUnitType {
		row(t.UnitType, t.Metrics)
	}
	row("TOTAL", s.Totals)
	tw.Flush()
	printSummaryDetails(w, s)
}

// count prints a count of units. The cells below print what the API's JSON
// carries: money with cents, ratios as percentages with one decimal (the
// JSON keeps 4), and "-" for a null.
func count(n int64) string { return strconv.FormatInt(n, 10) }

// money prints dollars with cents.
func money(m analytics.Money) string { return m.String() }

// optMoney prints dollars with cents, or "-" for a null.
func optMoney(m *analytics.Money) string {
	if m == nil {
		return "-"
	}
	return m.String()
}

// percent prints a ratio as a percentage with one decimal, or "-" for a null.
func percent(r *analytics.Ratio) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", r.Float()*100)
}

// orAll names the property an answer is about: the one asked for, or all.
func orAll(p *string) string {
	if p == nil || *p == "" {
		return "(all)"
	}
	return *p
}
