package parse

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// errValue is the cause of every value that cannot be parsed; callers turn it
// into an Issue naming the row and column.
var errValue = errors.New("unparseable value")

// cleanCell trims the spaces, tabs and non-breaking spaces exports leave
// around values, and turns inner tabs and newlines into single spaces.
func cleanCell(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		// Byte scan: strings.ContainsAny with a non-ASCII set is slow, and
		// this runs for every cell of every row.
		if c := s[i]; c == '\t' || c == '\n' || c == '\r' || (c == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0) {
			return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
		}
	}
	return s
}

// ParseMoney parses an amount of money into cents. It accepts "$1,234.56",
// "1234.5", "(165.00)", "$(1,234.00)", "$ (1,234.00)", "-165,230.00",
// "-1234", "165.00-", "USD 12", a decimal comma
// ("12,50") and Excel's raw floats ("1234.5699999999"); the result is rounded
// to the cent. An empty cell, or a lone dash (which accounting formats print
// for nothing), reports ok=false with no error.
func ParseMoney(s string) (cents int64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if c, ok := plainMoney(s); ok {
		return c, true, nil
	}
	return parseMoney(s)
}

// maxMoneyCents bounds an amount: 13 digits of dollars, as ParseMoney
// reads no more.
const maxMoneyCents = 1e15

// plainMoney reads the form nearly every money cell has, "1,034.00",
// "-35.00" or "700", in one pass; anything else (currency signs,
// parentheses, a trailing minus, a decimal comma, more than two decimals,
// exponents) is left to parseMoney, which gives the same answer for these.
func plainMoney(s string) (int64, bool) {
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i = 1
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, false
	}
	var whole int64
	digits, comma := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if digits++; digits > 13 {
				return 0, false
			}
			whole = whole*10 + int64(c-'0')
			continue
		}
		if c != ',' {
			break
		}
		comma = true
	}
	var frac int64
	switch {
	case i == len(s):
		if comma {
			return 0, false // "12,50" may be a decimal comma
		}
	case s[i] == '.' && len(s)-i <= 3:
		n := 0
		for i++; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			frac = frac*10 + int64(c-'0')
			n++
		}
		if n == 1 {
			frac *= 10
		}
	default:
		return 0, false
	}
	c := whole*100 + frac
	if neg {
		c = -c
	}
	return c, true
}

// parseMoney is ParseMoney for every form but the plain one; s is trimmed.
func parseMoney(s string) (cents int64, ok bool, err error) {
	if s == "" || s == "-" || s == "--" || s == "$ -" || s == "$-" {
		return 0, false, nil
	}
	neg := false
	// Signs and currency come in any order and spacing: "$(1,234.00)",
	// "$ (1,234.00)", "($1,234.00)", "-$12", "$-12", "165.00-", "USD 12".
sign:
	for i := 0; i < 6 && s != ""; i++ {
		switch {
		case s[0] >= '0' && s[0] <= '9' && s[len(s)-1] != '-':
			break sign
		case s[0] == '(' && s[len(s)-1] == ')':
			neg, s = !neg, strings.TrimSpace(s[1:len(s)-1])
		case s[0] == '$':
			s = strings.TrimSpace(s[1:])
		case strings.HasPrefix(s, "USD"):
			s = strings.TrimSpace(s[3:])
		case s[0] == '-':
			neg, s = !neg, strings.TrimSpace(s[1:])
		case strings.HasPrefix(s, "\u2212"):
			neg, s = !neg, strings.TrimSpace(s[len("\u2212"):])
		case s[len(s)-1] == '-':
			neg, s = !neg, strings.TrimSpace(s[:len(s)-1])
		default:
			break sign
		}
	}
	if s == "" {
		return 0, false, fmt.Errorf("%w: money %q", errValue, s)
	}
	// A decimal comma: one comma followed by exactly two digits, no dot.
	if i := strings.IndexByte(s, ','); i >= 0 && !strings.Contains(s, ".") && strings.Count(s, ",") == 1 && len(s)-i == 3 {
		s = s[:i] + "." + s[i+1:]
	}
	if strings.IndexByte(s, 'e') >= 0 || strings.IndexByte(s, 'E') >= 0 {
		f, perr := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e13 {
			return 0, false, fmt.Errorf("%w: money %q", errValue, s)
		}
		c := int64(math.Round(f * 100))
		if c >= maxMoneyCents || c <= -maxMoneyCents {
			return 0, false, fmt.Errorf("%w: money %q is too large", errValue, s)
		}
		if neg {
			c = -c
		}
		return c, true, nil
	}
	var whole, frac int64
	fracDigits := 0
	digits := 0
	seenDot := false
	roundUp := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if seenDot {
				switch {
				case fracDigits < 2:
					frac = frac*10 + int64(c-'0')
					fracDigits++
				case fracDigits == 2:
					roundUp = c >= '5'
					fracDigits++
				}
				continue
			}
			digits++
			if digits > 13 {
				return 0, false, fmt.Errorf("%w: money %q is too large", errValue, s)
			}
			whole = whole*10 + int64(c-'0')
		case c == ',' && !seenDot:
			// thousands separator
		case c == '.' && !seenDot:
			seenDot = true
		case c == ' ' && !seenDot:
			// "1 234.00"
		default:
			return 0, false, fmt.Errorf("%w: money %q", errValue, s)
		}
	}
	if digits == 0 && fracDigits == 0 {
		return 0, false, fmt.Errorf("%w: money %q", errValue, s)
	}
	if fracDigits == 1 {
		frac *= 10
	}
	cents = whole*100 + frac
	if roundUp {
		cents++
	}
	if cents >= maxMoneyCents {
		// 9999999999999.995 rounds up to 14 digits, which could not be
		// read back.
		return 0, false, fmt.Errorf("%w: money %q is too large", errValue, s)
	}
	if neg {
		cents = -cents
	}
	return cents, true, nil
}

// ParseNumber parses a plain quantity (square feet, unit counts, beds) with
// optional thousands separators. Empty reports ok=false with no error.
func ParseNumber(s string) (v float64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" || s == "--" {
		return 0, false, nil
	}
	if v, ok := fastInt(s); ok {
		return float64(v), true, nil
	}
	f, perr := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%w: number %q", errValue, s)
	}
	return f, true, nil
}

// fastInt reads "1,034" or "700" without allocating.
func fastInt(s string) (int64, bool) {
	var v int64
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n++; n > 15 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		case c == ',' && i > 0:
		default:
			return 0, false
		}
	}
	return v, n > 0
}

// ParsePercent parses an occupancy or ratio into a fraction: "93%" and "93"
// give 0.93, "0.9231" stays 0.9231. Values outside 0..100% are errors.
func ParsePercent(s string) (v float64, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" || s == "--" {
		return 0, false, nil
	}
	pct := strings.HasSuffix(s, "%")
	f, perr := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if perr != nil || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%w: percentage %q", errValue, s)
	}
	if pct || f > 1 {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, false, fmt.Errorf("%w: percentage %q is outside 0-100%%", errValue, s)
	}
	return f, true, nil
}

var monthAbbr = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

// ParseDate parses the dates rent rolls carry into UTC midnight:
// "03/25/2025", "3/7/2016", "3/7/16", ISO "2026-03-31" (with or without a
// time), "05-Mar-2026", "Mar 5, 2026", "20260331", a trailing time of day
// ("3/9/2016 10:58:30 AM") and Excel serial day numbers ("45338"; date1904
// selects the workbook's 1904 epoch). Two-digit years pivot at 70. Empty
// reports ok=false with no error.
func ParseDate(s string, date1904 bool) (t time.Time, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" || s == "--" {
		return time.Time{}, false, nil
	}
	if t, ok := fastSlashDate(s); ok {
		return t, true, nil
	}
	return parseDate(s, date1904)
}

// parseDate is ParseDate for every form but fastSlashDate's; s is trimmed
// and not empty.
func parseDate(s string, date1904 bool) (t time.Time, ok bool, err error) {
	bad := func() (time.Time, bool, error) {
		return time.Time{}, false, fmt.Errorf("%w: date %q", errValue, s)
	}
	if c := s[0]; (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
		// "Mar 5, 2026", "March 5 2026"
		f := strings.Fields(strings.ReplaceAll(s, ",", " "))
		if len(f) < 3 {
			return bad()
		}
		m, ok := monthAbbr[strings.ToLower(f[0][:min(len(f[0]), 3)])]
		if !ok {
			return bad()
		}
		return ymd(f[2], m, f[1], s)
	}
	// Drop a time of day.
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if isDigits(s) || (strings.Count(s, ".") == 1 && isDigits(strings.Replace(s, ".", "", 1))) {
		if len(s) == 8 && !strings.Contains(s, ".") {
			y, m := s[:4], s[4:6]
			mi, _ := strconv.Atoi(m)
			if mi >= 1 && mi <= 12 {
				return ymd(y, time.Month(mi), s[6:], s)
			}
		}
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil || f < 1 || f > 2958465 {
			return bad()
		}
		d, derr := excelize.ExcelDateToTime(f, date1904)
		if derr != nil || d.Year() < 1900 || d.Year() > 2200 {
			return bad()
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), true, nil
	}
	sep := byte('/')
	switch {
	case strings.IndexByte(s, '/') > 0:
	case strings.IndexByte(s, '-') > 0:
		sep = '-'
	case strings.IndexByte(s, '.') > 0:
		sep = '.'
	default:
		return bad()
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return bad()
	}
	if len(parts[0]) == 4 { // 2026-03-31
		mi, err := strconv.Atoi(parts[1])
		if err != nil || mi < 1 || mi > 12 {
			return bad()
		}
		return ymd(parts[0], time.Month(mi), parts[2], s)
	}
	if m, ok := monthAbbr[strings.ToLower(parts[1])]; ok { // 05-Mar-2026
		return ymd(parts[2], m, parts[0], s)
	}
	mi, err := strconv.Atoi(parts[0])
	if err != nil || mi < 1 || mi > 12 { // US order: month first
		return bad()
	}
	return ymd(parts[2], time.Month(mi), parts[1], s)
}

// fastSlashDate reads the common "m/d/yyyy" without allocating; anything
// else (or an invalid date) goes to the general path.
func fastSlashDate(s string) (time.Time, bool) {
	n := len(s)
	if n < 8 || n > 10 {
		return time.Time{}, false
	}
	// month: one or two digits, then '/'
	i, m := 0, 0
	for ; i < 2 && s[i] >= '0' && s[i] <= '9'; i++ {
		m = m*10 + int(s[i]-'0')
	}
	if i == 0 || s[i] != '/' {
		return time.Time{}, false
	}
	// day: one or two digits, then '/'
	i++
	j, d := i, 0
	for ; i < n && i-j < 2 && s[i] >= '0' && s[i] <= '9'; i++ {
		d = d*10 + int(s[i]-'0')
	}
	if i == j || i >= n || s[i] != '/' || n-i != 5 {
		return time.Time{}, false
	}
	// year: four digits to the end
	y := 0
	for i++; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		y = y*10 + int(c-'0')
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) || y < 1900 || y > 2200 {
		return time.Time{}, false
	}
	// time.Unix on a civil day count is several times cheaper than
	// time.Date, and this runs for every date cell.
	return time.Unix(daysFromCivil(y, m, d)*86400, 0).UTC(), true
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 to y-m-d (proleptic Gregorian;
// H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ymd validates and builds a date; the year may have two digits.
func ymd(ys string, m time.Month, ds, orig string) (time.Time, bool, error) {
	y, err1 := strconv.Atoi(ys)
	d, err2 := strconv.Atoi(ds)
	if err1 != nil || err2 != nil || !isDigits(ys) || !isDigits(ds) || (len(ys) != 2 && len(ys) != 4) {
		return time.Time{}, false, fmt.Errorf("%w: date %q", errValue, orig)
	}
	if len(ys) == 2 {
		if y < 70 {
			y += 2000
		} else {
			y += 1900
		}
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != m || y < 1900 || y > 2200 {
		return time.Time{}, false, fmt.Errorf("%w: date %q does not exist", errValue, orig)
	}
	return t, true, nil
}

// ParseBedsBaths splits AppFolio's "BD/BA" cell: "2/1.00" gives 2 and 1;
// "--/--" marks non-residential space (nonres=true).
func ParseBedsBaths(s string) (beds, baths float64, nonres, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, false, false, nil
	}
	i := strings.IndexAny(s, "/xX")
	if i < 0 {
		return 0, 0, false, false, fmt.Errorf("%w: beds/baths %q", errValue, s)
	}
	a, b := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	if strings.Trim(a, "-") == "" && strings.Trim(b, "-") == "" {
		return 0, 0, true, true, nil
	}
	if strings.EqualFold(a, "studio") || strings.EqualFold(a, "s") {
		a = "0"
	}
	beds, err1 := strconv.ParseFloat(a, 64)
	baths, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || beds < 0 || baths < 0 || beds > 20 || baths > 20 {
		return 0, 0, false, false, fmt.Errorf("%w: beds/baths %q", errValue, s)
	}
	return beds, baths, false, true, nil
}

// unitTypeBedsBaths recognises beds and baths written into a unit type:
// "2x1", "2BR/2BA", "1 Bed 1 Bath", "Studio".
var unitTypeBedsBaths = regexp.MustCompile(`(?i)(\d)\s*(?:x|br|bd|bed|bedroom)s?\s*[/\- ]?\s*(\d(?:\.\d+)?)?\s*(?:ba|bath|bathroom)?`)

func bedsBathsFromType(t string) (beds, baths float64, hasBeds, hasBaths bool) {
	if strings.Contains(strings.ToLower(t), "studio") {
		return 0, 1, true, false
	}
	m := unitTypeBedsBaths.FindStringSubmatch(t)
	if m == nil {
		return 0, 0, false, false
	}
	beds, _ = strconv.ParseFloat(m[1], 64)
	if m[2] != "" {
		baths, _ = strconv.ParseFloat(m[2], 64)
		return beds, baths, true, true
	}
	return beds, 0, true, false
}

var statusSeparators = strings.NewReplacer("_", " ", "-", " ", "/", " ")

// statusInfo is what an export's status string says (see
// docs/status-taxonomy.md).
type statusInfo struct {
	status string // a unit status; "" with a designation: occupied when someone lives there, else admin
	// exclude names why a row is not part of the roll (applicant,
	// pending_renewal); status is then empty.
	exclude     string
	preleased   bool   // a future lease is signed (notice-rented, vacant-leased)
	designation string // employee or corporate, when the status says so
}

// statusOf maps an export's status string to a unit status of docs/architecture.md#data-model, or
// to an exclusion reason for rows that are not part of the roll (applicants,
// pending renewals). ok is false for a status this table does not know.
func statusOf(s string) (statusInfo, bool) {
	k := strings.ToLower(strings.Join(strings.Fields(statusSeparators.Replace(s)), " "))
	switch k {
	case "occupied", "current", "occ", "occupied no notice", "current resident", "leased", "o", "evict", "eviction",
		"under eviction", "month to month", "mtm", "occupied mtm", "renewed", "occupied renewed":
		return statusInfo{status: StatusOccupied}, true
	case "occupied ntv", "notice", "on notice", "ntv", "notice unrented", "occupied notice", "notice to vacate",
		"notice unleased", "occupied on notice":
		return statusInfo{status: StatusOccupiedNotice}, true
	case "occupied ntvl", "ntvl", "notice rented", "notice leased", "on notice leased", "occupied notice leased",
		"notice pre leased", "notice preleased":
		return statusInfo{status: StatusOccupiedNotice, preleased: true}, true
	case "vacant", "vacant unrented", "vacant ready", "vacant not ready", "vacant unleased", "unrented", "available",
		"vacant unrented ready", "vacant unrented not ready",
		"vacant rentable", "vacant made ready", "vacant unready", "v", "vu":
		return statusInfo{status: StatusVacant}, true
	case "vacant leased", "vacant rented", "pre leased", "preleased", "vl", "leased vacant", "vacant rented ready",
		"vacant rented not ready", "vacant pre leased", "vacant preleased":
		return statusInfo{status: StatusVacantLeased, preleased: true}, true
	case "model", "model unit":
		return statusInfo{status: StatusModel}, true
	case "down", "admin down", "down unit", "offline", "non rev down", "unavailable", "out of service":
		return statusInfo{status: StatusDown}, true
	case "admin", "office", "non revenue", "leasing office", "office admin", "non rev":
		return statusInfo{status: StatusAdmin}, true
	case "employee", "employee unit", "staff", "courtesy officer", "occupied employee":
		return statusInfo{designation: DesignationEmployee}, true
	case "corporate", "corporate unit", "occupied corporate", "corporate lease":
		return statusInfo{designation: DesignationCorporate}, true
	case "applicant", "approved applicant", "future", "future resident", "pending", "pending move in":
		return statusInfo{exclude: "applicant"}, true
	case "pending renewal", "renewal pending":
		return statusInfo{exclude: "pending_renewal"}, true
	}
	return statusInfo{}, false
}

// designationOf reads a unit designation column (OneSite "Unit
// Designation"): who the unit is for, not whether someone lives there.
func designationOf(s string) string {
	k := strings.ToLower(s)
	switch {
	case k == "":
		return DesignationStandard
	case strings.Contains(k, "employ"), strings.Contains(k, "staff"), strings.Contains(k, "courtesy"):
		return DesignationEmployee
	case strings.Contains(k, "corporate"), k == "corp":
		return DesignationCorporate
	case strings.Contains(k, "afford"), strings.Contains(k, "section 8"), strings.Contains(k, "sec 8"),
		strings.Contains(k, "lihtc"), strings.Contains(k, "tax credit"), strings.Contains(k, "hud"),
		strings.Contains(k, "bmr"), strings.Contains(k, "income"), strings.Contains(k, "subsid"),
		strings.Contains(k, "restricted"), strings.Contains(k, "voucher"):
		return DesignationAffordable
	}
	return DesignationStandard
}

// placeholderStatus reads Yardi's resident placeholders.
func placeholderStatus(resident string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(resident)) {
	case "VACANT", "VACANT UNIT":
		return StatusVacant, true
	case "MODEL":
		return StatusModel, true
	case "DOWN":
		return StatusDown, true
	case "ADMIN", "OFFICE":
		return StatusAdmin, true
	}
	return "", false
}

// SplitUnit reads a building from a unit written as "Bldg/Unit" ("01/101")
// or "6303-016" (digits-digits). The unit id stays as written, so it remains
// unique within the property.
func SplitUnit(unit string) (building string) {
	if i := strings.LastIndexByte(unit, '/'); i > 0 && i < len(unit)-1 {
		return strings.TrimSpace(unit[:i])
	}
	if i := strings.IndexByte(unit, '-'); i > 0 && i < len(unit)-1 && isDigits(unit[:i]) && isDigits(unit[i+1:]) {
		return unit[:i]
	}
	return ""
}
