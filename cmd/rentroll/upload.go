package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"rentroll.ai/rentroll/shared/api"
	"rentroll.ai/rentroll/shared/uploads"
)

func contentTypeOf(file string) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".csv", ".txt":
		return "text/csv"
	}
	if t := mime.TypeByExtension(filepath.Ext(file)); t != "" {
		return t
	}
	return "application/octet-stream"
}

const uploadUsage = "rentroll upload FILE --client C [--kind rent_roll|competition] [--property P] [--as-of YYYY-MM-DD] [--wide | --json | --quiet]"

func runUpload(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	apiURL, token := clientFlags(fs, getenv)
	client := fs.String("client", "", "client `id` (required)")
	kind := fs.String("kind", "rent_roll", "`kind`: rent_roll or competition")
	property := fs.String("property", "", "property `id`, for a file that does not name its property (e.g. OneSite)")
	asOf := fs.String("as-of", "", "as-of `date` YYYY-MM-DD, for a file that states none")
	var out outputFlags
	out.register(fs)
	quiet := fs.Bool("quiet", false, "print only the upload id on stdout (for scripts); the outcome is the exit status")
	pos, err := parseArgs(fs, args, uploadUsage)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"upload: FILE is required\nusage: " + uploadUsage}
	}
	if len(pos) > 1 {
		return usageError{fmt.Sprintf("upload: one FILE at a time (got %q and %q)\nusage: %s", pos[0], pos[1], uploadUsage)}
	}
	if err := required(fs, uploadUsage, "client"); err != nil {
		return err
	}
	if *kind != "rent_roll" && *kind != "competition" {
		return usageError{fmt.Sprintf("upload: --kind %q: want rent_roll or competition\nusage: %s", *kind, uploadUsage)}
	}
	c, err := newAPIClient(*apiURL, *token)
	if err != nil {
		return err
	}
	out.quiet = *quiet
	return uploadFileWith(ctx, c, uploadJob{file: pos[0], client: *client, kind: *kind, property: *property, asOf: *asOf}, out, stdout, stderr)
}

// uploadJob is one file to upload and what the request says about it.
type uploadJob struct{ file, client, kind, property, asOf string }

// outputFlags choose how an upload's outcome is printed: compact (80
// columns) by default, --wide for whole messages, --json for the record.
type outputFlags struct {
	wide, json, quiet bool
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.wide, "wide", false, "whole messages and every issue column, wider than 80 columns")
	fs.BoolVar(&o.json, "json", false, "print the upload record as JSON")
}

// uploadFile requests a signed URL, PUTs the file with a progress line, and
// waits for ingestion to finish, printing the outcome (errors as a table).
func uploadFile(ctx context.Context, c *apiClient, file, client, kind, property, asOf string, stdout, stderr io.Writer) error {
	return uploadFileWith(ctx, c, uploadJob{file: file, client: client, kind: kind, property: property, asOf: asOf}, outputFlags{}, stdout, stderr)
}

func uploadFileWith(ctx context.Context, c *apiClient, j uploadJob, out outputFlags, stdout, stderr io.Writer) error {
	f, err := os.Open(j.file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	req := uploads.Request{Kind: uploads.Kind(j.kind), Filename: filepath.Base(j.file), ContentType: contentTypeOf(j.file),
		SizeBytes: st.Size(), PropertyID: j.property, AsOf: j.asOf}
	var up api.UploadTicket
	if err := c.do(ctx, http.MethodPost, "/v1/clients/"+url.PathEscape(j.client)+"/uploads", req, &up); err != nil {
		return err
	}
	switch {
	case out.quiet:
		fmt.Fprintln(stdout, up.UploadID)
	case !out.json:
		fmt.Fprintf(stdout, "upload %s: %s (%s)\n", up.UploadID, filepath.Base(j.file), byteSize(st.Size()))
	}

	body := &progressReader{r: f, total: st.Size(), w: stderr, name: filepath.Base(j.file)}
	put, err := http.NewRequestWithContext(ctx, up.Method, up.URL, body)
	if err != nil {
		return err
	}
	put.ContentLength = st.Size()
	for k, v := range up.Headers {
		put.Header.Set(k, v)
	}
	resp, err := c.http.Do(put)
	body.done()
	if err != nil {
		// The URL is a credential: never print it.
		return fmt.Errorf("upload of %s failed: %v", filepath.Base(j.file), redactURL(err))
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("storage refused the upload (HTTP %d): %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}

	rec, raw, err := waitForUpload(ctx, c, j.client, up.UploadID, stderr)
	if err != nil {
		return err
	}
	switch {
	case out.json:
		if err := printJSON(stdout, raw); err != nil {
			return err
		}
	case !out.quiet:
		printUpload(stdout, rec, j.client, out.wide)
	}
	if rec.Status != "loaded" {
		return fmt.Errorf("upload %s was %s", up.UploadID, rec.Status)
	}
	return nil
}

// waitForUpload polls an upload until it is final, showing on one line of w
// what it is doing and for how long (pending: the file is on its way to
// ingestion; processing: it is being read and loaded), so a long wait is
// never a silent pause. It gives up after 5 minutes, saying how to look
// again.
func waitForUpload(ctx context.Context, c *apiClient, client, id string, w io.Writer) (uploads.Upload, json.RawMessage, error) {
	start := time.Now()
	deadline := start.Add(5 * time.Minute)
	var trail []string
	var lastShown time.Time
	shown := false
	for {
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(client)+"/uploads/"+url.PathEscape(id), nil, &raw); err != nil {
			return uploads.Upload{}, nil, err
		}
		var rec uploads.Upload
		if json.Unmarshal(raw, &rec) != nil {
			return uploads.Upload{}, nil, fmt.Errorf("upload %s: the API answered an unreadable record", id)
		}
		changed := len(trail) == 0 || trail[len(trail)-1] != string(rec.Status)
		if changed {
			trail = append(trail, string(rec.Status))
		}
		final := rec.Status != "pending" && rec.Status != "processing"
		if changed || time.Since(lastShown) >= time.Second || final {
			if !final || shown {
				fmt.Fprintf(w, "\ringestion: %s %.1fs ", strings.Join(trail, " → "), time.Since(start).Seconds())
				shown, lastShown = true, time.Now()
			}
		}
		if final {
			if shown {
				fmt.Fprintln(w)
			}
			return rec, raw, nil
		}
		if time.Now().After(deadline) {
			if shown {
				fmt.Fprintln(w)
			}
			return uploads.Upload{}, nil, fmt.Errorf("upload %s is still %s after 5 minutes; look again with: rentroll uploads show %s --client %s", id, rec.Status, id, client)
		}
		select {
		case <-ctx.Done():
			if shown {
				fmt.Fprintln(w)
			}
			return uploads.Upload{}, nil, fmt.Errorf("stopped waiting; upload %s goes on without you (check with: rentroll uploads show %s --client %s)", id, id, client)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// termWidth is the width the compact output fits.
const termWidth = 80

// printUpload prints an upload's outcome: what was loaded and what the other
// rows of the file were, or why it was refused, then its issues.
func printUpload(w io.Writer, rec uploads.Upload, client string, wide bool) {
	switch rec.Status {
	case "loaded", "withdrawn":
		what := "units"
		if rec.Kind == "competition" {
			what = "survey rows"
		}
		props := ""
		if len(rec.Properties) > 0 {
			props = " of " + strings.Join(firstN(rec.Properties, 3), ", ")
			if len(rec.Properties) > 3 {
				props += fmt.Sprintf(" and %d more", len(rec.Properties)-3)
			}
		}
		asOf := ""
		if rec.AsOf != "" {
			asOf = " as of " + rec.AsOf
		}
		fmt.Fprintf(w, "%s: %d %s%s%s (%s)\n", rec.Status, rec.RowsLoaded, what, props, asOf, orDash(rec.Format))
		if rec.Status == "withdrawn" {
			fmt.Fprintf(w, "  withdrawn by %s: its rows left analytics; the file is kept\n", rec.WithdrawnBy)
		}
		if other := rowsAccount(rec); other != "" {
			for _, l := range wrap(fmt.Sprintf("%d rows in the file: %s", rec.RowsTotal, other), termWidth-4) {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		printIssues(w, "warnings", rec.Warnings, rec.WarningCount, wide)
	case "rejected", "failed":
		fmt.Fprintf(w, "%s: %s\n", rec.Status, rec.Message)
		printIssues(w, "errors", rec.Errors, rec.ErrorCount, wide)
		printIssues(w, "warnings", rec.Warnings, rec.WarningCount, wide)
	default:
		fmt.Fprintf(w, "%s: %s\n", rec.Status, map[string]string{
			"pending":    "the file has not reached ingestion yet",
			"processing": "the file is being read and loaded",
		}[string(rec.Status)])
	}
	if rec.ErrorsTruncated() || rec.WarningsTruncated() {
		fmt.Fprintf(w, "the list above is cut; every issue: rentroll uploads report %s --client %s [--csv]\n", rec.ID, client)
	}
}

// rowsAccount says what the rows of a file that are not loaded units were,
// from the report's excluded counts; the remainder is the file's furniture
// (banners, headers, section and total rows, charge lines, blank rows).
func rowsAccount(rec uploads.Upload) string {
	if rec.RowsTotal == 0 {
		return ""
	}
	parts := []string{fmt.Sprintf("%d loaded", rec.RowsLoaded)}
	keys := make([]string, 0, len(rec.Excluded))
	rest := rec.RowsTotal - rec.RowsLoaded
	for k, n := range rec.Excluded {
		if n > 0 {
			keys = append(keys, k)
			rest -= int64(n)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", rec.Excluded[k], excludedLabel(k, rec.Excluded[k])))
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d headers, banners, totals and other lines", rest))
	}
	return strings.Join(parts, ", ")
}

// excludedLabel names an excluded-row reason for people.
func excludedLabel(reason string, n int) string {
	labels := map[string][2]string{
		"non_residential": {"non-residential space (parking, storage, …)", "non-residential spaces (parking, storage, …)"},
		"future_resident": {"future resident", "future residents"},
		"applicant":       {"applicant", "applicants"},
		"pending_renewal": {"pending renewal", "pending renewals"},
		"summary_row":     {"summary row", "summary rows"},
		"repeated_header": {"repeated header", "repeated headers"},
	}
	if l, ok := labels[reason]; ok {
		if n == 1 {
			return l[0]
		}
		return l[1]
	}
	return strings.ReplaceAll(reason, "_", " ")
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// byteSize prints a size for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// printIssues prints issues as a table. Row 0 is the file as a whole. In the
// compact form long columns are cut and messages wrap within termWidth;
// --wide prints every line whole.
func printIssues(w io.Writer, title string, issues []uploads.Issue, count int, wide bool) {
	if len(issues) == 0 {
		return
	}
	if count > len(issues) {
		fmt.Fprintf(w, "%s (first %d of %d):\n", title, len(issues), count)
	} else {
		fmt.Fprintf(w, "%s (%d):\n", title, len(issues))
	}
	rowW, colW, codeW := len("ROW"), len("COLUMN"), len("CODE")
	rows := make([]string, len(issues))
	for i, is := range issues {
		rows[i] = "file"
		if is.Row > 0 {
			rows[i] = strconv.Itoa(is.Row)
		}
		rowW, colW, codeW = max(rowW, len(rows[i])), max(colW, utf8.RuneCountInString(is.Column)), max(codeW, len(is.Code))
	}
	if !wide {
		colW = min(colW, 14)
	}
	lead := 2 + rowW + 2 + colW + 2 + codeW + 2
	msgW := max(termWidth-lead, 24)
	line := func(row, col, code, msg string) {
		msgs := []string{msg}
		if !wide {
			col, msgs = clip(col, colW), wrap(msg, msgW)
		}
		fmt.Fprintf(w, "  %-*s  %-*s  %-*s  %s\n", rowW, row, colW, col, codeW, code, msgs[0])
		for _, m := range msgs[1:] {
			fmt.Fprintf(w, "%*s%s\n", lead, "", m)
		}
	}
	line("ROW", "COLUMN", "CODE", "MESSAGE")
	for i, is := range issues {
		line(rows[i], is.Column, is.Code, is.Message)
	}
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// redactURL drops the URL from a transport error: a signed URL is a credential.
func redactURL(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// progressReader reports upload progress on one terminal line.
type progressReader struct {
	r     io.Reader
	total int64
	n     int64
	last  time.Time
	shown int64 // bytes at the last line printed
	w     io.Writer
	name  string
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if (time.Since(p.last) > 100*time.Millisecond || err == io.EOF) && p.n != p.shown {
		p.shown = p.n
		p.last = time.Now()
		pct := 100.0
		if p.total > 0 {
			pct = float64(p.n) * 100 / float64(p.total)
		}
		const width = 30
		filled := int(pct / 100 * width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %5.1f%% %d/%d bytes", p.name, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), pct, p.n, p.total)
	}
	return n, err
}

func (p *progressReader) done() { fmt.Fprintln(p.w) }
