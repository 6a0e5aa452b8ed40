package uploads

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/errs"
)

// MaxReportBytes bounds a stored report read back for a client. The parser
// keeps at most a few thousand issues of a few hundred bytes each, so a
// report is well under this.
const MaxReportBytes = 32 << 20

// Report is the full row-level report of one upload: every error and warning
// the parser found (the record keeps only the first MaxIssuesOnRecord of
// each) and the rows it set aside, by reason.
type Report struct {
	UploadID     string         `json:"upload_id"`
	Status       Status         `json:"status"`
	Filename     string         `json:"filename"`
	Format       string         `json:"format,omitempty"`
	Properties   []string       `json:"properties"`
	AsOf         string         `json:"as_of,omitempty"`
	RowsTotal    int64          `json:"rows_total"`
	RowsLoaded   int64          `json:"rows_loaded"`
	ErrorCount   int            `json:"error_count"`
	WarningCount int            `json:"warning_count"`
	Excluded     map[string]int `json:"excluded"`
	Errors       []Issue        `json:"errors"`
	Warnings     []Issue        `json:"warnings"`
}

// storedReport is the part of the object ingestion writes (the parser's
// report) that a client reads back.
type storedReport struct {
	Excluded     map[string]int `json:"excluded"`
	Errors       []Issue        `json:"errors"`
	Warnings     []Issue        `json:"warnings"`
	ErrorCount   int            `json:"error_count"`
	WarningCount int            `json:"warning_count"`
}

// BuildReport assembles an upload's report from its record and, when
// ingestion wrote one, the stored report object (stored is nil otherwise: a
// file with no issue has no object, and its record is the whole story).
func BuildReport(u Upload, stored io.Reader) (Report, error) {
	r := Report{
		UploadID: u.ID, Status: u.Status, Filename: u.Filename, Format: u.Format, Properties: u.Properties,
		AsOf: u.AsOf, RowsTotal: u.RowsTotal, RowsLoaded: u.RowsLoaded, ErrorCount: u.ErrorCount,
		WarningCount: u.WarningCount, Excluded: u.Excluded, Errors: u.Errors, Warnings: u.Warnings,
	}
	if stored != nil {
		var s storedReport
		dec := json.NewDecoder(io.LimitReader(stored, MaxReportBytes))
		if err := dec.Decode(&s); err != nil {
			return Report{}, errs.Wrap(err, errs.Internal, "read the stored report of upload %s", u.ID)
		}
		r.Errors, r.Warnings = s.Errors, s.Warnings
		r.ErrorCount, r.WarningCount = max(s.ErrorCount, len(s.Errors)), max(s.WarningCount, len(s.Warnings))
		if s.Excluded != nil {
			r.Excluded = s.Excluded
		}
	}
	if r.Properties == nil {
		r.Properties = []string{}
	}
	if r.Excluded == nil {
		r.Excluded = map[string]int{}
	}
	if r.Errors == nil {
		r.Errors = []Issue{}
	}
	if r.Warnings == nil {
		r.Warnings = []Issue{}
	}
	return r, nil
}

// WriteCSV writes the report's issues as a spreadsheet: one line per error
// and warning (severity, row, column, code, message). Row 0 is a problem with
// the file as a whole, written as an empty row cell. Cells are escaped
// against formula injection as the finance export's are: a message can quote
// a cell of the uploaded file, and the file is the client's input.
func (r Report) WriteCSV(w io.Writer) error {
	var b strings.Builder
	line := func(cells ...string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(csvCell(c))
		}
		b.WriteString("\r\n")
	}
	line("severity", "row", "column", "code", "message")
	for _, set := range []struct {
		severity string
		issues   []Issue
	}{{"error", r.Errors}, {"warning", r.Warnings}} {
		for _, is := range set.issues {
			row := ""
			if is.Row > 0 {
				row = strconv.Itoa(is.Row)
			}
			line(set.severity, row, is.Column, is.Code, is.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvCell escapes one cell: a leading = + - @ tab or CR gets a single quote
// by the finance export's own rule (billing.EscapeCell), and a
// cell holding a separator (comma, semicolon or tab, since locales differ),
// a quote, a line break or edge spaces is quoted with inner quotes doubled.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	s = billing.EscapeCell(s)
	if strings.ContainsAny(s, ",;\t\"\r\n") || s[0] == ' ' || s[len(s)-1] == ' ' {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
