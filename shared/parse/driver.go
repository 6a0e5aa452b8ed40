package parse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// parser holds what both file kinds share: the row loop, the banner rows
// above the header, header detection and the property and as-of the file
// states.
type parser struct {
	ctx     context.Context
	kind    Kind
	opts    Options
	lim     Limits
	sink    Sink
	rep     *Report
	src     *source
	aliases map[string]alias

	hdr       *header
	hdrRows   [][]string // the header rows, normalized, to skip them when a page break repeats them
	cand      *header    // a header candidate, held one row to see if a second header row follows
	candCells []string
	hint      string // system named by a title banner

	// charge codes: the client's overrides (normalized code to category),
	// each code's classification, the unknown codes already warned about.
	overrides  map[string]string
	chargeMemo map[string]chargeInfo
	warnedCode map[string]bool

	propID, propName string
	asOf             time.Time
	asOfFromFile     bool

	// data is called for each row after the header, end after the last row
	// (of each sheet), onSheet when a new worksheet starts.
	data    func(n int, cells []string) error
	end     func() error
	onSheet func()

	// multiSheet names the worksheets read when a workbook holds several
	// reports; wrongKind is set once the file turned out to be of the
	// other kind; otherKind when a row before the header reads as a header
	// of the other kind.
	multiSheet []string
	wrongKind  bool
	otherKind  bool

	// pf is the prefetcher of the rows being read; facts are the current
	// row's facts (rowFacts): the prefetcher's when it read them under the
	// current header, else nil until read into ownFacts.
	pf       *prefetcher
	facts    *rowFacts
	ownFacts rowFacts
}

func newParser(ctx context.Context, kind Kind, opts Options, sink Sink) *parser {
	lim := opts.Limits.withDefaults()
	p := &parser{ctx: ctx, kind: kind, opts: opts, lim: lim, sink: sink,
		rep: &Report{Kind: kind, Format: FormatGeneric, maxIssues: lim.MaxIssues, Excluded: map[string]int{}}}
	p.chargeMemo = map[string]chargeInfo{}
	for code, cat := range opts.ChargeCodes {
		if ValidCategory(cat) {
			if p.overrides == nil {
				p.overrides = map[string]string{}
			}
			p.overrides[normCode(code)] = cat
		}
	}
	p.aliases = rentRollAliases
	if kind == KindCompetition {
		p.aliases = competitionAliases
	}
	if !opts.AsOf.IsZero() {
		y, m, d := opts.AsOf.Date()
		p.asOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return p
}

// run reads every row of the file.
func (p *parser) run(r io.ReaderAt, size int64) (*Report, error) {
	if r == nil {
		return nil, errs.E(errs.Invalid, "no file to read")
	}
	src, err := openSource(r, size, p.lim)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	p.src = src
	p.rep.FileType, p.rep.Encoding = src.container, src.encoding
	if src.container == containerCSV {
		p.rep.Delimiter = string(src.comma)
	}
	sheets := []string{""}
	if src.container == containerXLSX {
		if sheets, err = p.reportSheets(src); err != nil {
			return nil, err
		}
	}
	n := 0
	for i, sh := range sheets {
		if err := src.useSheet(sh); sh != "" && err != nil {
			return nil, err
		}
		if i > 0 {
			if err := p.sheetBreak(); err != nil {
				return nil, err
			}
		}
		if len(sheets) > 1 {
			p.rep.sheet = sh
			p.rep.Sheets = append(p.rep.Sheets, Sheet{Name: sh, FirstRow: n + 1})
		}
		if err := p.readRows(src, &n); err != nil {
			return nil, err
		}
		if len(sheets) > 1 {
			p.rep.Sheets[i].LastRow = n
		}
	}
	if p.hdr == nil && p.cand != nil {
		p.setHeader(p.cand)
		p.hdrRows = [][]string{normRow(p.candCells)}
	}
	if p.hdr == nil && p.otherKind {
		p.rep.errorf(0, "", "wrong_kind", "this looks like a market survey (its header names comparable properties and asking rents), not a rent roll; upload it as kind competition")
		return p.rep, nil
	}
	if p.hdr == nil {
		want := "Unit, Unit Type, Sq Ft, Market Rent, Status"
		if p.kind == KindCompetition {
			want = "Property, Unit Type, Sq Ft, Asking Rent, Concessions"
		}
		p.rep.errorf(0, "", "no_header", "no header row was recognised; the file needs a header with columns such as "+want)
		return p.rep, nil
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	if p.asOf.IsZero() && !p.wrongKind {
		what := "as-of date"
		if p.kind == KindCompetition {
			what = "survey date"
		}
		p.rep.errorf(0, "", "missing_as_of", "the file states no "+what+" (e.g. a banner \"As of Date: 3/31/2026\") and the upload gave none")
	}
	p.rep.AsOf = p.asOf
	// Units are validated when their last row is seen, so issues arrive a
	// row late; a person reads them in file order.
	byRow := func(a, b Issue) int { return a.Row - b.Row }
	slices.SortStableFunc(p.rep.Errors, byRow)
	slices.SortStableFunc(p.rep.Warnings, byRow)
	return p.rep, nil
}

// readRows reads the rows of the current sheet (or the CSV file),
// numbering them on from *n.
func (p *parser) readRows(src *source, n *int) error {
	rows := newPrefetcher(src, src.date1904)
	rows.setHeader(p.hdr)
	p.pf = rows
	defer func() {
		p.pf, p.facts = nil, nil
		_ = rows.Close() // runs before src.Close: the reader goroutine is gone by then
	}()
	for {
		*n++
		if err := checkCtx(p.ctx, *n); err != nil {
			return fmt.Errorf("parse stopped at row %d: %w", *n, err)
		}
		cells, fa, err := rows.Next()
		p.facts = nil
		if fa != nil && fa.hdr != nil && fa.hdr == p.hdr {
			p.facts = fa
		}
		if errors.Is(err, io.EOF) {
			*n--
			return nil
		}
		if err != nil {
			return err
		}
		if *n > p.lim.MaxRows {
			return errs.E(errs.TooLarge, "the file has more than %d rows; split it into smaller files", p.lim.MaxRows)
		}
		p.rep.RowsTotal = *n
		// A worksheet stores no empty rows; the gaps excelize reports between
		// stored rows are not sent to the raw table (a cell at row 1,048,576
		// would otherwise yield a million empty raw rows).
		if len(cells) > 0 || src.container == containerCSV {
			if err := p.sink.Raw(RawRow{Number: *n, Cells: cells}); err != nil {
				return err
			}
		}
		if p.hdr == nil {
			if err := p.preamble(*n, cells); err != nil {
				return err
			}
			continue
		}
		if !blank(cells) {
			p.rep.RowsData++
		}
		if p.repeatedHeader(cells) {
			p.rep.exclude("repeated_header")
			continue
		}
		if err := p.data(*n, cells); err != nil {
			return err
		}
	}
}

// probeRows is how far down a sheet its header is looked for.
const probeRows = 60

// reportSheets picks the worksheets that hold a report of the kind, by
// content: a header row of the kind within the first rows. Cover,
// parameter and change-log sheets are skipped (with a warning naming
// them). With no such sheet the first sheet is read (and its problems
// reported).
func (p *parser) reportSheets(src *source) ([]string, error) {
	var found, skipped []string
	for _, name := range src.sheets {
		rows, err := src.probe(name, probeRows)
		if err != nil {
			return nil, err
		}
		ok := false
		for _, r := range rows {
			if matchHeader(r, p.aliases, p.kind).usable(p.kind) {
				ok = true
				break
			}
		}
		if ok {
			found = append(found, name)
		} else {
			skipped = append(skipped, name)
		}
	}
	if len(found) == 0 {
		return []string{src.sheet}, nil
	}
	for _, name := range skipped {
		p.rep.warnf(0, "", "sheet_skipped", fmt.Sprintf("worksheet %q holds no %s header; it was skipped", name, kindWords(p.kind)))
	}
	if len(found) > 1 {
		p.multiSheet = found
	}
	return found, nil
}

func kindWords(k Kind) string {
	if k == KindCompetition {
		return "market survey"
	}
	return "rent roll"
}

// sheetBreak ends one worksheet's report before the next: each sheet has
// its own banners, header and property.
func (p *parser) sheetBreak() error {
	if p.hdr == nil && p.cand != nil {
		p.setHeader(p.cand)
		p.hdrRows = [][]string{normRow(p.candCells)}
	}
	if p.hdr != nil {
		if err := p.end(); err != nil {
			return err
		}
	}
	p.hdr, p.hdrRows, p.cand, p.candCells, p.hint = nil, nil, nil, nil, ""
	p.propID, p.propName, p.asOfFromFile = "", "", false
	if p.onSheet != nil {
		p.onSheet()
	}
	return nil
}

// repeatedHeader says whether a row repeats a header row (exports printed
// with page breaks repeat the header on every page).
func (p *parser) repeatedHeader(cells []string) bool {
	for _, h := range p.hdrRows {
		if sameAsHeader(h, cells) {
			return true
		}
	}
	return false
}

// sameAsHeader compares a row with a normalized header row; it stops at the
// first differing cell, so a data row usually costs one comparison.
func sameAsHeader(norm, cells []string) bool {
	nonBlank := 0
	for i := 0; i < max(len(norm), len(cells)); i++ {
		var h, c string
		if i < len(norm) {
			h = norm[i]
		}
		if i < len(cells) {
			c = strings.TrimSpace(cells[i])
		}
		switch {
		case strings.EqualFold(c, h):
		case hasHeaderPunct(c) && normHeader(c) == h:
		default:
			return false
		}
		if h != "" {
			nonBlank++
		}
	}
	return nonBlank >= 2
}

// hasHeaderPunct says whether normHeader can change s other than in case
// (dots, colons, inner blanks): strings.ContainsAny(s, ".:\n\t ") as a byte
// loop, since it runs on the first cell of every row.
func hasHeaderPunct(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.', ':', '\n', '\t', ' ':
			return true
		}
	}
	return false
}

func normRow(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = normHeader(c)
	}
	return out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

// preamble handles a row before the header: a banner or a header candidate.
func (p *parser) preamble(n int, cells []string) error {
	if p.cand != nil {
		cand := p.cand
		p.cand = nil
		if looksLikeHeaderContinuation(cells) {
			comb := matchHeader(combineHeaderRows(p.candCells, cells), p.aliases, p.kind)
			if comb.usable(p.kind) && comb.score > cand.score {
				comb.rows = 2
				p.setHeader(comb)
				p.hdrRows = [][]string{normRow(p.candCells), normRow(cells)}
				return nil
			}
		}
		p.setHeader(cand)
		p.hdrRows = [][]string{normRow(p.candCells)}
		if !blank(cells) {
			p.rep.RowsData++
		}
		return p.data(n, cells)
	}
	if h := matchHeader(cells, p.aliases, p.kind); h.usable(p.kind) {
		if p.kind == KindCompetition && looksLikeRentRollHeader(cells, h) {
			p.refuseWrongKind(n)
			return nil
		}
		p.cand, p.candCells = h, cells
		return nil
	}
	if p.kind == KindRentRoll && !p.otherKind && matchHeader(cells, competitionAliases, KindCompetition).usable(KindCompetition) {
		p.otherKind = true
	}
	p.banner(cells)
	return nil
}

// looksLikeRentRollHeader says whether a header that passes as a survey's
// ("Unit Type", "Market Rent") is a rent roll's: a unit column and what
// only rent rolls have (status, residents, leases), and no comparable
// property column.
func looksLikeRentRollHeader(cells []string, comp *header) bool {
	if comp.has(fCompProperty) {
		return false
	}
	rr := matchHeader(cells, rentRollAliases, KindRentRoll)
	return rr.usable(KindRentRoll) && (rr.has(fStatus) || rr.has(fResident) || rr.has(fName) || rr.has(fLeaseRent) ||
		rr.has(fLeaseEnd) || rr.has(fLeaseStart) || rr.has(fChargeCode))
}

// refuseWrongKind rejects a rent roll uploaded as a survey: nothing of it
// is read as comparables.
func (p *parser) refuseWrongKind(n int) {
	p.wrongKind = true
	p.rep.errorf(0, "", "wrong_kind", fmt.Sprintf(
		"this looks like a rent roll (row %d is a rent roll header: unit, status, rents), not a market survey; upload it as kind rent_roll", n))
	// Read the rest as nothing: an empty header, and rows that go nowhere.
	p.hdr = &header{}
	for i := range p.hdr.col {
		p.hdr.col[i] = -1
	}
	p.data = func(int, []string) error { return nil }
	p.end = func() error { return nil }
}

func (p *parser) setHeader(h *header) {
	if h.format == FormatGeneric && p.hint != "" {
		h.format = p.hint
	}
	p.hdr = h
	p.rep.Format = h.format
	if p.pf != nil {
		p.pf.setHeader(h) // h is not changed from here on
	}
}

// banner reads a row above the header: titles, property, as-of date.
func (p *parser) banner(cells []string) {
	var parts []string
	for _, c := range cells {
		if c = cleanCell(c); c != "" {
			parts = append(parts, c)
		}
	}
	text := strings.Join(parts, " ")
	if text == "" {
		return
	}
	lower := strings.ToLower(text)
	if y, m, d, ok := parseAsOfBanner(text, p.src.date1904); ok {
		if !p.asOfFromFile {
			p.asOf, p.asOfFromFile = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
		}
		return
	}
	switch {
	case strings.Contains(lower, "rent roll with lease charges"):
		p.hint = FormatYardi
		return
	case strings.Contains(lower, "rent roll detail"), strings.HasPrefix(lower, "parameters"):
		p.hint = FormatOneSite
		return
	case strings.HasPrefix(lower, "month year"), strings.Contains(lower, "rent roll"), strings.Contains(lower, "survey"),
		strings.HasPrefix(lower, "page "), strings.HasPrefix(lower, "printed"), strings.HasPrefix(lower, "exported"):
		if name, code, ok := parsePropertyTag(afterColon(text)); ok && p.propID == "" {
			p.propName, p.propID = name, code
		}
		return
	}
	if name, code, ok := parsePropertyTag(afterColon(text)); ok {
		if p.propID == "" {
			p.propName, p.propID = name, code
		}
		return
	}
	if _, ok, err := ParseDate(parts[0], p.src.date1904); ok && err == nil {
		return // a timestamp
	}
	if p.propName == "" && strings.ContainsAny(lower, "abcdefghijklmnopqrstuvwxyz") && len(parts) == 1 {
		p.propName = afterColon(text)
	}
}

// afterColon drops a short label such as "Property:" or "Subject:".
func afterColon(s string) string {
	if i := strings.IndexByte(s, ':'); i > 0 && len(strings.Fields(s[:i])) <= 2 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// cellGetter returns the cleaned cell of a field in a row.
func (p *parser) get(cells []string, f field) string {
	c := p.hdr.col[f]
	if c < 0 || c >= len(cells) {
		return ""
	}
	return cleanCell(cells[c])
}

// raw returns the cell of a field as read; the value parsers trim it
// themselves, so numeric fields skip cleanCell.
func (p *parser) raw(cells []string, f field) string {
	c := p.hdr.col[f]
	if c < 0 || c >= len(cells) {
		return ""
	}
	return cells[c]
}

// rowFacts returns the current row's facts: the prefetcher's, or read here
// when it had none under this header (the first rows after the header).
func (p *parser) rowFacts(cells []string) *rowFacts {
	if p.facts == nil {
		readFacts(p.hdr, cells, p.src.date1904, &p.ownFacts)
		p.facts = &p.ownFacts
	}
	return p.facts
}

// money parses a field as money, recording an issue when it cannot.
func (p *parser) money(n int, cells []string, f field) (int64, bool) {
	var c int64
	var ok, bad bool
	if k := moneySlot[f]; k >= 0 {
		m := p.rowFacts(cells).money[k]
		c, ok, bad = m.v, m.ok, m.bad
	} else {
		var err error
		c, ok, err = ParseMoney(p.raw(cells, f))
		bad = err != nil
	}
	if bad {
		p.rep.errorf(n, p.hdr.name(f), "bad_money", fmt.Sprintf("%q is not an amount of money; expected e.g. 1,234.00, $1,234.00 or (1,234.00)", cleanCell(p.raw(cells, f))))
	}
	return c, ok
}

// date parses a field as a date, recording an issue when it cannot.
func (p *parser) date(n int, cells []string, f field) time.Time {
	var t time.Time
	var bad bool
	if k := dateSlot[f]; k >= 0 {
		d := p.rowFacts(cells).dates[k]
		t, bad = d.t, d.bad
	} else {
		var err error
		t, _, err = ParseDate(p.raw(cells, f), p.src.date1904)
		bad = err != nil
	}
	if bad {
		p.rep.errorf(n, p.hdr.name(f), "bad_date", fmt.Sprintf("%q is not a date; expected e.g. 03/31/2026, 2026-03-31 or 31-Mar-2026", cleanCell(p.raw(cells, f))))
	}
	return t
}

// number parses a field as a quantity, recording an issue when it cannot.
func (p *parser) number(n int, cells []string, f field) (float64, bool) {
	var x float64
	var ok, bad bool
	if k := numSlot[f]; k >= 0 {
		v := p.rowFacts(cells).nums[k]
		x, ok, bad = v.v, v.ok, v.bad
	} else {
		var err error
		x, ok, err = ParseNumber(p.raw(cells, f))
		bad = err != nil
	}
	if bad {
		p.rep.errorf(n, p.hdr.name(f), "bad_number", fmt.Sprintf("%q is not a number; expected e.g. 850 or 1,034", cleanCell(p.raw(cells, f))))
	}
	return x, ok
}

// nonEmpty counts the non-blank cells, stopping at 2 (callers only tell
// blank, single-cell and other rows apart), and returns the first one,
// cleaned, with its column.
func nonEmpty(cells []string) (count, firstCol int, first string) {
	firstCol = -1
	for i, c := range cells {
		if !isBlank(c) {
			if count == 0 {
				firstCol, first = i, cleanCell(c)
			}
			if count++; count == 2 {
				break
			}
		}
	}
	return count, firstCol, first
}

// isBlank is strings.TrimSpace(s) == "" without the work for the common
// non-blank cell.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			if s[i] < 0x80 {
				return false
			}
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

func dollars(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	whole := fmt.Sprintf("%d", c/100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s$%s.%02d", sign, b.String(), c%100)
}
