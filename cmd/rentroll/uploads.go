package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/uploads"
)

// Usage lines of the uploads commands.
const (
	uploadsListUsage   = "rentroll uploads list --client C [--kind K] [--status S] [--limit N]"
	uploadsShowUsage   = "rentroll uploads show ID --client C [--wide | --json]"
	uploadsDeleteUsage = "rentroll uploads delete ID --client C"
	uploadsReportUsage = "rentroll uploads report ID --client C [--csv]"
	uploadsUsage       = "usage: rentroll uploads <list|show|delete|report> [flags]\n\n  " +
		uploadsListUsage + "\n  " + uploadsShowUsage + "\n  " + uploadsDeleteUsage + "\n  " + uploadsReportUsage
)

// runUploads dispatches the uploads commands: a client's upload history, one
// upload's outcome, its withdrawal and its full report.
func runUploads(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return groupUsage(args, uploadsUsage)
	}
	switch args[0] {
	case "list":
		return runUploadsList(ctx, args[1:], stdout, getenv)
	case "show":
		return runUploadsOne(ctx, "show", args[1:], stdout, getenv)
	case "delete":
		return runUploadsOne(ctx, "delete", args[1:], stdout, getenv)
	case "report":
		return runUploadsOne(ctx, "report", args[1:], stdout, getenv)
	}
	return groupUsage(args, uploadsUsage)
}

func runUploadsList(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("uploads list", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client `id` (required)")
	kind := fs.String("kind", "", "only rent_roll or competition uploads")
	status := fs.String("status", "", "only uploads in this status: pending, processing, loaded, rejected, failed, withdrawn")
	limit := fs.Int("limit", 20, "at most this many (1-500)")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	if err := parseFlags(fs, args, uploadsListUsage); err != nil {
		return err
	}
	if err := required(fs, uploadsListUsage, "client"); err != nil {
		return err
	}
	if *limit < 1 || *limit > 500 {
		return usageError{fmt.Sprintf("uploads list: --limit %d: want 1-500\nusage: %s", *limit, uploadsListUsage)}
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {fmt.Sprint(*limit)}}
	if *kind != "" {
		q.Set("kind", *kind)
	}
	if *status != "" {
		q.Set("status", *status)
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(*client)+"/uploads?"+q.Encode(), nil, &raw); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, raw)
	}
	var out api.UploadList
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	if len(out.Items) == 0 {
		fmt.Fprintln(stdout, "no uploads")
		return nil
	}
	// 26 + 2 + 9 + 2 + 5 + 2 + 12 + 2 + 20 = 80 columns.
	fmt.Fprintf(stdout, "%-26s  %-9s  %5s  %-12s  %s\n", "ID", "STATUS", "UNITS", "CREATED", "FILE")
	for _, u := range out.Items {
		units := "-"
		if u.Status == "loaded" || u.Status == "withdrawn" {
			units = fmt.Sprint(u.RowsLoaded)
		}
		fmt.Fprintf(stdout, "%-26s  %-9s  %5s  %-12s  %s\n", u.ID, u.Status, units, u.CreatedAt.Local().Format("Jan 02 15:04"), clip(u.Filename, 20))
	}
	if out.NextPageToken != "" {
		fmt.Fprintf(stdout, "(more: raise --limit, up to 500)\n")
	}
	return nil
}

// runUploadsOne is show, delete and report: commands on one upload.
func runUploadsOne(ctx context.Context, verb string, args []string, stdout io.Writer, getenv func(string) string) error {
	usageLine := map[string]string{"show": uploadsShowUsage, "delete": uploadsDeleteUsage, "report": uploadsReportUsage}[verb]
	fs := flag.NewFlagSet("uploads "+verb, flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client `id` (required)")
	var out outputFlags
	csv := new(bool)
	switch verb {
	case "show":
		out.register(fs)
	case "report":
		csv = fs.Bool("csv", false, "a spreadsheet (severity, row, column, code, message) instead of JSON")
	}
	pos, err := parseArgs(fs, args, usageLine)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{fmt.Sprintf("uploads %s: one upload ID is required (`rentroll uploads list` shows them)\nusage: %s", verb, usageLine)}
	}
	if err := required(fs, usageLine, "client"); err != nil {
		return err
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	id := pos[0]
	path := "/v1/clients/" + url.PathEscape(*client) + "/uploads/" + url.PathEscape(id)
	switch verb {
	case "show":
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
			return err
		}
		if out.json {
			return printJSON(stdout, raw)
		}
		var rec uploads.Upload
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "upload %s: %s (%s, %s)\n", rec.ID, rec.Filename, rec.Kind, rec.CreatedAt.Local().Format(time.DateTime))
		printUpload(stdout, rec, *client, out.wide)
		return nil
	case "delete":
		var rec uploads.Upload
		if err := c.do(ctx, http.MethodDelete, path, nil, &rec); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "upload %s withdrawn: its %d %s no longer count in analytics\n", rec.ID, rec.RowsLoaded, plural(rec.Kind))
		if rec.Kind != "competition" {
			fmt.Fprintf(stdout, "  analytics of %s use its previous roll again, if it has one\n", orDash(strings.Join(rec.Properties, ", ")))
		}
		fmt.Fprintln(stdout, "  months already billed are unchanged; the file is kept")
		return nil
	}
	format := "json"
	if *csv {
		format = "csv"
	}
	var body strings.Builder
	if err := c.do(ctx, http.MethodGet, path+"/report?format="+format, nil, &body); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, body.String())
	return err
}

func plural(kind uploads.Kind) string {
	if kind == "competition" {
		return "survey rows"
	}
	return "units"
}
