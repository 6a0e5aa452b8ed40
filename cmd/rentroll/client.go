package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
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
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return &apiError{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(b))}
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// clientFlags adds --api and --token to a command's flags.
func clientFlags(fs *flag.FlagSet, getenv func(string) string) (api, token *string) {
	defAPI := getenv("RENTROLL_API")
	if defAPI == "" {
		defAPI = "http://" + DefaultAddr
	}
	api = fs.String("api", defAPI, "API base URL (RENTROLL_API)")
	token = fs.String("token", getenv("RENTROLL_TOKEN"), "access token (RENTROLL_TOKEN)")
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

func runClient(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	switch cmd {
	case "clients":
		if len(args) == 0 || args[0] != "create" {
			return usageError{"usage: rentroll clients create --name N [--id ID] [--billing-email E] [--admin-sub S --admin-email E]"}
		}
		return runClientsCreate(ctx, args[1:], stdout, getenv)
	case "upload":
		return runUpload(ctx, args, stdout, stderr, getenv)
	case "analytics":
		if len(args) == 0 || args[0] != "summary" {
			return usageError{"usage: rentroll analytics summary --client C [--as-of YYYY-MM-DD] [--property P]"}
		}
		return runAnalyticsSummary(ctx, args[1:], stdout, getenv)
	case "billing":
		if len(args) == 0 || args[0] != "run" {
			return usageError{"usage: rentroll billing run --month YYYY-MM"}
		}
		return runBillingRun(ctx, args[1:], stdout, getenv)
	}
	return usageError{usage}
}

func parseFlags(fs *flag.FlagSet, args []string, usageLine string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error() + "\nusage: " + usageLine}
	}
	return nil
}

func runClientsCreate(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("clients create", flag.ContinueOnError)
	api, token := clientFlags(fs, getenv)
	name := fs.String("name", "", "client name")
	id := fs.String("id", "", "client id (default: derived from the name)")
	billing := fs.String("billing-email", "", "billing e-mail")
	adminEmail := fs.String("admin-email", "", "the first client_admin's e-mail: they are invited and the invitation link is printed")
	adminName := fs.String("admin-name", "", "the first client_admin's name")
	adminSub := fs.String("admin-sub", "", "register this existing subject as the first client_admin instead of inviting")
	const usageLine = "rentroll clients create --name N [--id ID] [--billing-email E] [--admin-email E [--admin-name N]] [--admin-sub S]"
	if err := parseFlags(fs, args, usageLine); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"clients create: --name is required"}
	}
	c, err := newAPIClient(*api, *token)
	if err != nil {
		return err
	}
	req := map[string]string{"name": *name}
	if *id != "" {
		req["client_id"] = *id
	}
	if *billing != "" {
		req["billing_email"] = *billing
	}
	if *adminEmail != "" && *adminSub == "" {
		req["admin_email"] = *adminEmail
		if *adminName != "" {
			req["admin_name"] = *adminName
		}
	}
	var out struct {
		ClientID   string `json:"client_id"`
		Dataset    string `json:"dataset"`
		Status     string `json:"status"`
		Invitation *struct {
			Email     string `json:"email"`
			URL       string `json:"url"`
			ExpiresAt string `json:"expires_at"`
		} `json:"invitation"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/admin/clients", req, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "client %s created (dataset %s, status %s)\n", out.ClientID, out.Dataset, out.Status)
	switch {
	case out.Invitation != nil:
		fmt.Fprintf(stdout, "client_admin %s is invited; the link sets their password (valid until %s):\n  %s\n", out.Invitation.Email, out.Invitation.ExpiresAt, out.Invitation.URL)
	case *adminEmail != "" && *adminSub == "":
		fmt.Fprintf(stdout, "client_admin %s already has a password and can sign in\n", *adminEmail)
	}
	if *adminSub != "" {
		u := map[string]string{"sub": *adminSub, "email": *adminEmail, "role": "client_admin"}
		if err := c.do(ctx, http.MethodPost, "/v1/clients/"+url.PathEscape(out.ClientID)+"/users", u, nil); err != nil {
			return fmt.Errorf("client created, but adding its admin failed: %w", err)
		}
		fmt.Fprintf(stdout, "user %s is client_admin of %s; mint a token with:\n  rentroll token --sub '%s' --role client_admin --client %s\n", *adminSub, out.ClientID, *adminSub, out.ClientID)
	}
	return nil
}

func runAnalyticsSummary(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("analytics summary", flag.ContinueOnError)
	api, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client id")
	asOf := fs.String("as-of", "", "as-of date YYYY-MM-DD (default latest)")
	property := fs.String("property", "", "property id (default all)")
	if err := parseFlags(fs, args, "rentroll analytics summary --client C"); err != nil {
		return err
	}
	if *client == "" {
		return usageError{"analytics summary: --client is required"}
	}
	c, err := newAPIClient(*api, *token)
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
	var out map[string]any
	if err := c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(*client)+"/analytics/rent-roll/summary?"+q.Encode(), nil, &out); err != nil {
		return err
	}
	printSummary(stdout, out)
	return nil
}

func runBillingRun(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("billing run", flag.ContinueOnError)
	api, token := clientFlags(fs, getenv)
	month := fs.String("month", "", "month YYYY-MM")
	if err := parseFlags(fs, args, "rentroll billing run --month YYYY-MM"); err != nil {
		return err
	}
	if _, err := time.Parse("2006-01", *month); err != nil {
		return usageError{"billing run: --month YYYY-MM is required"}
	}
	c, err := newAPIClient(*api, *token)
	if err != nil {
		return err
	}
	var out map[string]any
	if err := c.do(ctx, http.MethodPost, "/v1/admin/billing/runs", map[string]string{"month": *month}, &out); err != nil {
		return err
	}
	return printJSON(stdout, out)
}

func runUpload(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	api, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client id")
	kind := fs.String("kind", "rent_roll", "rent_roll or competition")
	property := fs.String("property", "", "property id, when the file does not name it")
	asOf := fs.String("as-of", "", "as-of date YYYY-MM-DD, when the file states none")
	// Flags may come after the file name: parse what follows it too.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args, "rentroll upload FILE --client C --kind K"); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || *client == "" {
		return usageError{"usage: rentroll upload FILE --client C --kind rent_roll|competition"}
	}
	c, err := newAPIClient(*api, *token)
	if err != nil {
		return err
	}
	return uploadFile(ctx, c, file, *client, *kind, *property, *asOf, stdout, stderr)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printSummary prints a rent-roll summary (DESIGN A6) as a table.
func printSummary(w io.Writer, s map[string]any) {
	fmt.Fprintf(w, "as of %v, property %v\n", s["as_of"], orAll(s["property_id"]))
	cols := []string{"units", "occupied", "notice", "vacant", "physical_occupancy", "economic_occupancy", "gpr", "in_place_rent", "loss_to_lease", "avg_market_rent", "avg_lease_rent"}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "UNIT TYPE\t"+strings.ToUpper(strings.Join(cols, "\t"))+"\t")
	row := func(label string, m map[string]any) {
		cells := []string{label}
		for _, c := range cols {
			cells = append(cells, formatCell(c, m[c]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	if types, ok := s["by_unit_type"].([]any); ok {
		for _, t := range types {
			if m, ok := t.(map[string]any); ok {
				row(fmt.Sprint(m["unit_type"]), m)
			}
		}
	}
	if tot, ok := s["totals"].(map[string]any); ok {
		row("TOTAL", tot)
	}
	tw.Flush()
}

// formatCell prints money with cents and ratios with 4 decimals (DESIGN A6).
func formatCell(col string, v any) string {
	f, ok := v.(float64)
	switch {
	case v == nil:
		return "-"
	case !ok:
		return fmt.Sprint(v)
	case strings.Contains(col, "occupancy"):
		return fmt.Sprintf("%.4f", f)
	case col == "units" || col == "occupied" || col == "notice" || col == "vacant":
		return fmt.Sprintf("%.0f", f)
	default:
		return fmt.Sprintf("%.2f", f)
	}
}

func orAll(v any) any {
	if v == nil || v == "" {
		return "(all)"
	}
	return v
}
