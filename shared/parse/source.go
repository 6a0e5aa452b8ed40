package parse

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"rentroll.ai/rentroll/shared/errs"
)

// rowSource yields the physical rows of a file, decoded to UTF-8 strings.
type rowSource interface {
	// Next returns the next row, or io.EOF after the last.
	Next() ([]string, error)
	Close() error
}

// Container formats, as decided by the bytes.
const (
	containerCSV  = "csv"
	containerXLSX = "xlsx"
)

// source is an opened file: its rows and what was learnt opening it.
type source struct {
	rowSource
	container string
	date1904  bool
	comma     byte   // CSV only
	encoding  string // CSV only
	// sheets are the workbook's worksheets in order (XLSX only); the rows
	// read are those of the sheet last opened (the first, or "Report1").
	sheets []string
	sheet  string
}

// probe returns up to n rows of a worksheet without disturbing the rows
// being read, so the parser can tell report sheets from cover, parameter
// or change-log sheets by what they hold.
func (s *source) probe(sheet string, n int) ([][]string, error) {
	x, ok := s.rowSource.(*xlsxSource)
	if !ok {
		return nil, nil
	}
	rows, err := x.f.Rows(sheet)
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "worksheet %q cannot be read", sheet)
	}
	defer rows.Close()
	var out [][]string
	for len(out) < n && rows.Next() {
		cells, err := rows.Columns()
		if err != nil {
			return nil, errs.Wrap(err, errs.Invalid, "worksheet %q cannot be read", sheet)
		}
		if len(cells) > x.lim.MaxColumns {
			cells = cells[:x.lim.MaxColumns]
		}
		out = append(out, cells)
	}
	return out, rows.Error()
}

// useSheet makes the rows read those of another worksheet, from its top.
func (s *source) useSheet(sheet string) error {
	x, ok := s.rowSource.(*xlsxSource)
	if !ok || s.sheet == sheet {
		return nil
	}
	rows, err := x.f.Rows(sheet)
	if err != nil {
		return errs.Wrap(err, errs.Invalid, "worksheet %q cannot be read", sheet)
	}
	_ = x.rows.Close()
	x.rows, x.row, s.sheet = rows, 0, sheet
	return nil
}

var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	bomUTF8  = []byte{0xEF, 0xBB, 0xBF}
)

// openSource decides from the bytes whether the file is an XLSX workbook or
// delimited text, and opens it. The filename is only used in messages: an
// ".xlsx" that holds CSV is read as CSV.
func openSource(r io.ReaderAt, size int64, lim Limits) (*source, error) {
	if size > lim.MaxBytes {
		return nil, errs.E(errs.TooLarge, "the file is %d bytes, over the %d-byte limit; split it or export one property per file", size, lim.MaxBytes)
	}
	if size == 0 {
		return nil, errs.E(errs.Invalid, "the file is empty")
	}
	head := make([]byte, min(size, 4096))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, errs.Wrap(err, errs.Invalid, "the file cannot be read")
	}
	switch {
	case bytes.HasPrefix(head, magicZip):
		return openXLSX(r, size, lim)
	case bytes.HasPrefix(head, magicOLE):
		return nil, errs.E(errs.Invalid, "the file is a legacy .xls or a password-protected workbook; save it as .xlsx (no password) or CSV")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return nil, errs.E(errs.Invalid, "the file is a PDF; export the report as CSV or XLSX")
	}
	return openCSV(r, size, lim)
}

// textDecoder returns a reader of r as UTF-8, from its BOM or content.
func textDecoder(r io.ReaderAt, size int64) (func() io.Reader, string, error) {
	head := make([]byte, min(size, 4))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", errs.Wrap(err, errs.Invalid, "the file cannot be read")
	}
	section := func(off int64) io.Reader { return io.NewSectionReader(r, off, size-off) }
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		return func() io.Reader { return section(3) }, "utf-8", nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return func() io.Reader {
			return transform.NewReader(section(0), unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		}, "utf-16le", nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return func() io.Reader {
			return transform.NewReader(section(0), unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
		}, "utf-16be", nil
	}
	valid, err := validUTF8(section(0))
	if err != nil {
		return nil, "", errs.Wrap(err, errs.Invalid, "the file cannot be read")
	}
	if valid {
		return func() io.Reader { return section(0) }, "utf-8", nil
	}
	// Not UTF-8: the exports of Windows tools are Windows-1252.
	return func() io.Reader { return transform.NewReader(section(0), charmap.Windows1252.NewDecoder()) }, "windows-1252", nil
}

// validUTF8 scans the whole stream in chunks; an incomplete rune at a chunk
// edge is carried into the next chunk.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		end := n
		if !errors.Is(err, io.EOF) {
			// keep back a possibly incomplete rune at the edge
			for k := 1; k <= 3 && k <= end; k++ {
				if utf8.RuneStart(buf[end-k]) {
					if !utf8.FullRune(buf[end-k : end]) {
						end -= k
					}
					break
				}
			}
		}
		if !utf8.Valid(buf[:end]) {
			return false, nil
		}
		carry = copy(buf, buf[end:n])
		if errors.Is(err, io.EOF) {
			return carry == 0, nil
		}
		if err != nil {
			return false, err
		}
	}
}

func openCSV(r io.ReaderAt, size int64, lim Limits) (*source, error) {
	open, enc, err := textDecoder(r, size)
	if err != nil {
		return nil, err
	}
	sample := make([]byte, 64<<10)
	n, err := io.ReadFull(open(), sample)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, errs.Wrap(err, errs.Invalid, "the file cannot be decoded as %s text", enc)
	}
	sample = sample[:n]
	if enc == "utf-8" && looksUTF16(sample) {
		return nil, errs.E(errs.Invalid, "the file looks like UTF-16 text without a byte-order mark; save it as UTF-8 CSV")
	}
	if looksBinary(sample) {
		return nil, errs.E(errs.Invalid, "the file is neither CSV text nor an XLSX workbook (it holds binary data); export the report as CSV or XLSX")
	}
	comma := sniffDelimiter(sample)
	cr := &csvReader{br: bufio.NewReaderSize(open(), 64<<10), comma: comma, lim: lim}
	return &source{rowSource: cr, container: containerCSV, comma: comma, encoding: enc}, nil
}

// looksUTF16 spots ASCII text stored as UTF-16 without a BOM: NUL bytes in
// every other position only.
func looksUTF16(b []byte) bool {
	b = b[:min(len(b), 4096)]
	if len(b) < 16 {
		return false
	}
	var zeros [2]int
	for i, c := range b {
		if c == 0 {
			zeros[i&1]++
		}
	}
	half := len(b) / 2
	return (zeros[0] > half*4/5 && zeros[1] == 0) || (zeros[1] > half*4/5 && zeros[0] == 0)
}

// looksBinary reports NUL bytes or many control characters in decoded text.
func looksBinary(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f':
			ctl++
		}
	}
	return ctl > len(b)/100+1 || (len(b) > 0 && !utf8.Valid(trimPartialRune(b)))
}

func trimPartialRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			break
		}
	}
	return b
}

// sniffDelimiter picks among , ; tab | the delimiter that splits the most
// lines of the sample into the same number (>1) of fields; banner rows with a
// single cell do not vote. Ties go to the comma.
func sniffDelimiter(sample []byte) byte {
	best, bestScore := byte(','), 0
	for _, d := range []byte{',', ';', '\t', '|'} {
		counts := map[int]int{}
		lines := 0
		inQuote := false
		fields := 1
		for _, c := range sample {
			switch {
			case c == '"':
				inQuote = !inQuote
			case c == d && !inQuote:
				fields++
			case c == '\n' && !inQuote:
				if fields > 1 {
					counts[fields]++
				}
				fields = 1
				lines++
			}
			if lines >= 200 {
				break
			}
		}
		score := 0
		for f, n := range counts {
			// the most frequent field count wins; wider rows break ties
			if s := n*1000 + f; s > score {
				score = s
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// csvReader reads RFC 4180 CSV leniently (ragged rows, stray quotes, quoted
// newlines) with hard bounds on row and cell size, so memory stays bounded
// whatever the input.
type csvReader struct {
	br      *bufio.Reader
	comma   byte
	lim     Limits
	row     int
	rec     []byte
	ends    []int
	lineBuf []byte
	// cellSlab is the rest of the chunk newCells cuts rows from.
	cellSlab []string
}

func (c *csvReader) Close() error { return nil }

func (c *csvReader) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.lineBuf = append(c.lineBuf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(c.lineBuf) > c.lim.MaxRowBytes {
				return nil, c.rowTooLarge()
			}
			line, err = c.br.ReadSlice('\n')
			c.lineBuf = append(c.lineBuf, line...)
		}
		line = c.lineBuf
	}
	if len(line) > c.lim.MaxRowBytes {
		return nil, c.rowTooLarge()
	}
	if len(line) > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, errs.Wrap(err, errs.Invalid, "the file cannot be read after row %d", c.row)
	}
	return line, err
}

func (c *csvReader) rowTooLarge() error {
	return errs.E(errs.TooLarge, "row %d is longer than %d bytes; the file is not a usable export", c.row+1, c.lim.MaxRowBytes)
}

func (c *csvReader) cellTooLarge(col int) error {
	return errs.E(errs.TooLarge, "row %d, column %d: a cell is longer than %d bytes", c.row, col, c.lim.MaxCellBytes)
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// Next returns the cells of the next record.
func (c *csvReader) Next() ([]string, error) {
	line, err := c.readLine()
	if err != nil {
		return nil, err
	}
	c.row++
	c.rec, c.ends = c.rec[:0], c.ends[:0]
	total := len(line)
fields:
	for {
		if len(c.ends) >= c.lim.MaxColumns {
			return nil, errs.E(errs.TooLarge, "row %d has more than %d columns", c.row, c.lim.MaxColumns)
		}
		start := len(c.rec)
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, c.comma)
			field := line
			if i >= 0 {
				field = line[:i]
			} else {
				field = trimEOL(field)
			}
			if len(field) > c.lim.MaxCellBytes {
				return nil, c.cellTooLarge(len(c.ends) + 1)
			}
			c.rec = append(c.rec, field...)
			c.ends = append(c.ends, len(c.rec))
			if i < 0 {
				break
			}
			line = line[i+1:]
			continue
		}
		line = line[1:]
		for {
			if len(c.rec)-start > c.lim.MaxCellBytes {
				return nil, c.cellTooLarge(len(c.ends) + 1)
			}
			if i := bytes.IndexByte(line, '"'); i >= 0 {
				c.rec = append(c.rec, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					c.rec = append(c.rec, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == c.comma:
					if len(c.rec)-start > c.lim.MaxCellBytes {
						return nil, c.cellTooLarge(len(c.ends) + 1)
					}
					line = line[1:]
					c.ends = append(c.ends, len(c.rec))
					continue fields
				case len(trimEOL(line)) == 0:
					if len(c.rec)-start > c.lim.MaxCellBytes {
						return nil, c.cellTooLarge(len(c.ends) + 1)
					}
					c.ends = append(c.ends, len(c.rec))
					break fields
				default:
					// A stray quote inside a quoted cell: keep it as text.
					c.rec = append(c.rec, '"')
				}
				continue
			}
			// The quoted cell goes on over the next physical line.
			if eol := trimEOL(line); len(eol) < len(line) {
				c.rec = append(append(c.rec, eol...), '\n')
			} else {
				c.rec = append(c.rec, line...)
			}
			if len(c.rec)-start > c.lim.MaxCellBytes {
				return nil, c.cellTooLarge(len(c.ends) + 1)
			}
			line, err = c.readLine()
			if errors.Is(err, io.EOF) {
				// An unterminated quote ends at the end of the file.
				c.ends = append(c.ends, len(c.rec))
				break fields
			}
			if err != nil {
				return nil, err
			}
			if total += len(line); total > c.lim.MaxRowBytes {
				return nil, c.rowTooLarge()
			}
		}
	}
	s := string(c.rec)
	cells := c.newCells(len(c.ends))
	prev := 0
	for i, e := range c.ends {
		cells[i] = s[prev:e]
		prev = e
	}
	return cells, nil
}

// cellSlabSize is how many cells one shared chunk of rows holds.
const cellSlabSize = 4096

// newCells returns a row of n cells cut from a shared chunk, so a row
// costs one allocation (its text) rather than two. The capacity is capped
// at n: a sink that appends to a row it keeps copies it.
func (c *csvReader) newCells(n int) []string {
	if n > cellSlabSize/8 {
		return make([]string, n)
	}
	if n > len(c.cellSlab) {
		c.cellSlab = make([]string, cellSlabSize)
	}
	cells := c.cellSlab[:n:n]
	c.cellSlab = c.cellSlab[n:]
	return cells
}

// xlsxSource streams the rows of one worksheet.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	lim  Limits
	row  int
}

// checkZip reads the zip directory before excelize does: excelize allocates
// each part's declared size up front and keeps all but the worksheets and
// shared strings in memory, so a small hostile file could claim gigabytes.
func checkZip(r io.ReaderAt, size int64, lim Limits) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return errs.Wrap(err, errs.Invalid, "the file starts like a zip archive but is not a readable XLSX workbook")
	}
	if len(zr.File) > 10_000 {
		return errs.E(errs.Invalid, "the workbook has %d parts; it is not a rent roll export", len(zr.File))
	}
	var total uint64
	for _, f := range zr.File {
		n := f.UncompressedSize64
		total += n
		name := strings.ToLower(f.Name)
		inMemory := !strings.HasPrefix(name, "xl/worksheets/sheet") && name != "xl/sharedstrings.xml"
		switch {
		case total > uint64(lim.MaxUnzipBytes):
			return errs.E(errs.TooLarge, "the workbook unpacks to more than %d bytes; it is refused (possible zip bomb)", lim.MaxUnzipBytes)
		case inMemory && n > maxXLSXPart:
			return errs.E(errs.TooLarge, "workbook part %q unpacks to %d bytes, over %d; it is refused (possible zip bomb)", f.Name, n, maxXLSXPart)
		case n > 16<<20 && n > maxZipRatio*f.CompressedSize64:
			return errs.E(errs.TooLarge, "workbook part %q is compressed more than %d:1; it is refused (possible zip bomb)", f.Name, maxZipRatio)
		}
	}
	return nil
}

// Bounds on XLSX parts: real exports' styles and workbook parts are small,
// and spreadsheet XML compresses about 10-30:1.
const (
	maxXLSXPart = 32 << 20
	maxZipRatio = 200
)

func openXLSX(r io.ReaderAt, size int64, lim Limits) (*source, error) {
	if err := checkZip(r, size, lim); err != nil {
		return nil, err
	}
	opts := excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    lim.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(lim.MaxUnzipBytes, 16<<20),
	}
	var (
		f   *excelize.File
		err error
	)
	// A spooled temp file is opened by name so excelize reads it in place
	// rather than copying it into memory.
	if file, ok := r.(*os.File); ok {
		f, err = excelize.OpenFile(file.Name(), opts)
	} else {
		f, err = excelize.OpenReader(io.NewSectionReader(r, 0, size), opts)
	}
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		switch {
		case strings.Contains(err.Error(), "unzip size exceeds"):
			return nil, errs.Wrap(err, errs.TooLarge, "the workbook unpacks to more than %d bytes; it is refused (possible zip bomb)", lim.MaxUnzipBytes)
		case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
			return nil, errs.Wrap(err, errs.Invalid, "the file starts like a zip archive but is not a readable XLSX workbook")
		default:
			return nil, errs.Wrap(err, errs.Invalid, "the XLSX workbook cannot be opened")
		}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, errs.E(errs.Invalid, "the XLSX workbook has no worksheet")
	}
	sheet := sheets[0]
	for _, s := range sheets {
		if s == "Report1" {
			sheet = s
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		_ = f.Close()
		return nil, errs.Wrap(err, errs.Invalid, "worksheet %q cannot be read", sheet)
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	return &source{rowSource: &xlsxSource{f: f, rows: rows, lim: lim}, container: containerXLSX, date1904: date1904,
		sheets: sheets, sheet: sheet}, nil
}

func (x *xlsxSource) Next() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, errs.Wrap(err, errs.Invalid, "the worksheet cannot be read after row %d", x.row)
		}
		return nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns()
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, errs.Wrap(err, errs.TooLarge, "the workbook unpacks to more than %d bytes", x.lim.MaxUnzipBytes)
		}
		return nil, errs.Wrap(err, errs.Invalid, "row %d of the worksheet cannot be read", x.row)
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	if len(cells) > x.lim.MaxColumns {
		return nil, errs.E(errs.TooLarge, "row %d has more than %d columns", x.row, x.lim.MaxColumns)
	}
	for i, c := range cells {
		if len(c) > x.lim.MaxCellBytes {
			return nil, errs.E(errs.TooLarge, "row %d, column %d: a cell is longer than %d bytes", x.row, i+1, x.lim.MaxCellBytes)
		}
	}
	return cells, nil
}

func (x *xlsxSource) Close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing workbook: %w", err)
	}
	return nil
}
