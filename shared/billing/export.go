package billing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// csvHeader is the finance CSV's header row (docs/architecture.md#uploads-storage-and-events).
// The amount columns follow run_id, so that an importer reading the
// original columns by position keeps working.
var csvHeader = []string{"client_id", "client_name", "status", "month", "units", "properties", "carried_forward_properties", "run_id",
	"plan_id", "currency", "unit_price", "minimum_monthly", "amount", "stale_properties"}

// CSVHeader returns the finance CSV's header row (docs/architecture.md#uploads-storage-and-events).
func CSVHeader() []string { return append([]string(nil), csvHeader...) }

// Object names of a month's export in the finance bucket (docs/architecture.md#uploads-storage-and-events).
func csvObject(month string) string      { return "billing/" + month + "/billing_units.csv" }
func manifestObject(month string) string { return "billing/" + month + "/manifest.json" }

// EscapeCell neutralizes a cell a spreadsheet would read as a formula: one
// that begins with =, +, -, @, a tab or a carriage return gets a leading
// single quote (the OWASP CSV-injection advice), so Excel and Sheets show it
// as text.
func EscapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// quoteCell quotes a cell per RFC 4180 when it holds a comma, a double quote,
// a line break, or leading or trailing space, doubling inner quotes. A
// semicolon or a tab is quoted too: spreadsheets in semicolon locales (or a
// tab-separated import) would otherwise split "Acme;=HYPERLINK(…)" into a
// cell that starts a formula. Bytes are
// kept as they are (encoding/csv's Writer would turn a lone CR into nothing
// under UseCRLF), so the CSV says exactly what the table says.
func quoteCell(s string) string {
	if s == "" {
		return s
	}
	needs := strings.ContainsAny(s, ",;\t\"\r\n") || s[0] == ' ' || s[len(s)-1] == ' '
	if !needs {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// writeRecord appends one CSV record, escaped and quoted, ended by CRLF (RFC 4180).
func writeRecord(b *bytes.Buffer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteCell(EscapeCell(c)))
	}
	b.WriteString("\r\n")
}

// RenderCSV renders the finance CSV of rows (in the order given) for run runID.
// Every cell goes through EscapeCell, numbers included: they are never
// negative, so escaping leaves them alone, and no column can slip past.
// Money is dollars with two decimals; stale_properties lists the property
// ids separated by ";". The bytes depend on nothing but rows and runID, so
// the same rows always render the same CSV.
func RenderCSV(rows []UnitsRow, runID string) []byte {
	var b bytes.Buffer
	writeRecord(&b, csvHeader)
	for _, r := range rows {
		writeRecord(&b, []string{
			r.ClientID, r.ClientName, r.Status, r.Month,
			strconv.FormatInt(r.Units, 10), strconv.FormatInt(r.Properties, 10),
			strconv.FormatInt(r.CarriedForwardProperties, 10), runID,
			r.PlanID, r.Currency, r.UnitPrice.String(), r.MinimumMonthly.String(), r.Amount.String(),
			strings.Join(r.StaleProperties, ";"),
		})
	}
	return b.Bytes()
}

// Manifest is manifest.json beside the CSV (docs/architecture.md#uploads-storage-and-events): finance checks the
// CSV against it before importing.
// AmountTotals is the total amount per currency (JSON objects encode their
// keys sorted, so the manifest of the same rows is the same text).
type Manifest struct {
	Month           string           `json:"month"`
	Object          string           `json:"object"`
	Rows            int              `json:"rows"`
	TotalUnits      int64            `json:"total_units"`
	AmountTotals    map[string]Money `json:"amount_totals"`
	StaleProperties int64            `json:"stale_properties"`
	SHA256          string           `json:"sha256"`
	RunID           string           `json:"run_id"`
	CreatedAt       time.Time        `json:"created_at"`
}

func renderManifest(m Manifest) []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // a struct of plain fields always marshals
	return append(b, '\n')
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
