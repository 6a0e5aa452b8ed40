package main

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// uploadResponse is the answer of POST /v1/clients/{cid}/uploads (DESIGN A3).
type uploadResponse struct {
	UploadID  string            `json:"upload_id"`
	Object    string            `json:"object"`
	UploadURL string            `json:"upload_url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// uploadRecord is the answer of GET /v1/clients/{cid}/uploads/{id}.
type uploadRecord struct {
	UploadID   string  `json:"upload_id"`
	Status     string  `json:"status"`
	Format     string  `json:"format"`
	RowsTotal  int64   `json:"rows_total"`
	RowsLoaded int64   `json:"rows_loaded"`
	Errors     []issue `json:"errors"`
	Warnings   []issue `json:"warnings"`
	Message    string  `json:"message"`
}

// issue is one row-level problem of an upload.
type issue struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

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

// uploadFile requests a signed URL, PUTs the file with a progress line, and
// waits for ingestion to finish, printing the outcome (errors as a table).
func uploadFile(ctx context.Context, c *apiClient, file, client, kind, property, asOf string, stdout, stderr io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	req := map[string]any{"kind": kind, "filename": filepath.Base(file), "content_type": contentTypeOf(file), "size_bytes": st.Size()}
	if property != "" {
		req["property_id"] = property
	}
	if asOf != "" {
		req["as_of"] = asOf
	}
	var up uploadResponse
	if err := c.do(ctx, http.MethodPost, "/v1/clients/"+url.PathEscape(client)+"/uploads", req, &up); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "upload %s → %s\n", up.UploadID, up.Object)

	body := &progressReader{r: f, total: st.Size(), w: stderr, name: filepath.Base(file)}
	put, err := http.NewRequestWithContext(ctx, up.Method, up.UploadURL, body)
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
		return fmt.Errorf("upload of %s failed: %v", filepath.Base(file), redactURL(err))
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("storage refused the upload (HTTP %d): %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}

	deadline := time.Now().Add(5 * time.Minute)
	for {
		var rec uploadRecord
		if err := c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(client)+"/uploads/"+url.PathEscape(up.UploadID), nil, &rec); err != nil {
			return err
		}
		switch rec.Status {
		case "loaded":
			fmt.Fprintf(stdout, "loaded: %d rows (%d loaded), format %s\n", rec.RowsTotal, rec.RowsLoaded, rec.Format)
			printIssues(stdout, "warnings", rec.Warnings)
			return nil
		case "rejected", "failed":
			fmt.Fprintf(stdout, "%s: %s\n", rec.Status, rec.Message)
			printIssues(stdout, "errors", rec.Errors)
			return fmt.Errorf("upload %s was %s", up.UploadID, rec.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("upload %s still %s after 5 minutes", up.UploadID, rec.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func printIssues(w io.Writer, title string, issues []issue) {
	if len(issues) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tCOLUMN\tCODE\tMESSAGE")
	for _, is := range issues {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", is.Row, is.Column, is.Code, is.Message)
	}
	tw.Flush()
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
