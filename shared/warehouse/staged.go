package warehouse

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"strconv"
	"time"

	"rentroll.ai/rentroll/shared/errs"
)

// Staged keeps one table's rows in a temporary file, in the table's column
// order, as they are produced, so that a load of any size holds no rows in
// memory and a warehouse able to read the file itself (DuckDB's read_csv)
// loads it in one statement instead of row by row. Any other reader ranges
// over Rows, which yields the rows as they were added.
//
// The file is CSV (RFC 4180, comma, LF, no header) in which every STRING
// value is quoted and every other value is not, so that an empty unquoted
// field is NULL and "" the empty string. Values: INT64 in decimal, FLOAT64
// as strconv's shortest round-trip form, MONEY as exact dollars with two
// decimals from the cents, BOOL true/false, DATE YYYY-MM-DD, TIMESTAMP
// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" in UTC.
//
// Columns whose value is the same in every row (the client, the upload, the
// load time) are fixed when the file is created and not written per row:
// they would otherwise be a third of the bytes a reader has to parse.
//
// A Staged is used by one goroutine at a time; Close removes the file.
type Staged struct {
	table Table
	index map[string]int
	fixed Row
	// fixedNames are fixed's keys, in table order (checked on every Add).
	fixedNames []string
	// cols are the columns written per row: the table's, less the fixed.
	cols []Column
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	n    int
	err  error // the first write error; every later Add returns it
}

// NewStaged creates an empty staging file for t's rows in dir ("" is the
// system's temporary directory). fixed holds the values of columns that are
// the same in every row; a row added may repeat them but not differ.
func NewStaged(dir string, t Table, fixed Row) (*Staged, error) {
	index := make(map[string]int, len(t.Columns))
	var cols []Column
	var fixedNames []string
	for i, c := range t.Columns {
		index[c.Name] = i
		if _, ok := fixed[c.Name]; ok {
			fixedNames = append(fixedNames, c.Name)
		} else {
			cols = append(cols, c)
		}
	}
	for k, v := range fixed {
		i, ok := index[k]
		if !ok {
			return nil, errs.E(errs.Internal, "stage %s: unknown fixed column %q", t.Name, k)
		}
		if v != nil {
			if _, err := appendValue(nil, t.Columns[i], v); err != nil {
				return nil, errs.Wrap(err, errs.Internal, "stage %s: fixed column %s", t.Name, k)
			}
		}
	}
	f, err := os.CreateTemp(dir, "rentroll-stage-*.csv")
	if err != nil {
		return nil, errs.Wrap(err, errs.Transient, "create staging file")
	}
	return &Staged{table: t, index: index, fixed: fixed, fixedNames: fixedNames, cols: cols, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Table is the table the rows are for.
func (s *Staged) Table() Table { return s.table }

// Columns are the columns of the file, in its order: the table's, less the
// fixed ones.
func (s *Staged) Columns() []Column { return s.cols }

// Fixed is the value of every row's column name, when it is fixed.
func (s *Staged) Fixed(name string) (v any, ok bool) {
	v, ok = s.fixed[name]
	return v, ok
}

// Len is the number of rows added.
func (s *Staged) Len() int { return s.n }

// Add appends a row. Its values must have the types a Load takes (see Row;
// a MONEY value must be Cents, a DATE or TIMESTAMP a time.Time); a key that
// names no column is an error, so that a typo never drops data silently.
func (s *Staged) Add(r Row) error {
	if s.err != nil {
		return s.err
	}
	matched := 0
	for _, k := range s.fixedNames {
		if v, ok := r[k]; ok {
			matched++
			if fv := s.fixed[k]; !sameValue(v, fv) {
				return errs.E(errs.Internal, "stage %s row %d: column %s is fixed at %v, not %v", s.table.Name, s.n, k, fv, v)
			}
		}
	}
	b := s.buf[:0]
	for i, c := range s.cols {
		if i > 0 {
			b = append(b, ',')
		}
		v, ok := r[c.Name]
		if ok {
			matched++
		}
		if v == nil {
			continue // NULL: an empty unquoted field
		}
		var err error
		if b, err = appendValue(b, c, v); err != nil {
			return errs.Wrap(err, errs.Internal, "stage %s row %d: column %s", s.table.Name, s.n, c.Name)
		}
	}
	if matched < len(r) {
		for k := range r {
			if _, ok := s.index[k]; !ok {
				return errs.E(errs.Internal, "stage %s row %d: unknown column %q", s.table.Name, s.n, k)
			}
		}
	}
	b = append(b, '\n')
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		s.err = errs.Wrap(err, errs.Transient, "write staging file")
		return s.err
	}
	s.n++
	return nil
}

// File flushes the rows added so far and returns the file's path, for a
// warehouse that reads the file itself.
func (s *Staged) File() (string, error) {
	if s.err != nil {
		return "", s.err
	}
	if err := s.w.Flush(); err != nil {
		s.err = errs.Wrap(err, errs.Transient, "flush staging file")
		return "", s.err
	}
	return s.f.Name(), nil
}

// Close removes the file.
func (s *Staged) Close() error {
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil && rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	return err
}

// Rows yields the rows added, from the start, each time it is ranged over:
// INT64 as int64, FLOAT64 as float64, MONEY as Cents, BOOL as bool, DATE and
// TIMESTAMP as time.Time in UTC, STRING as string, and NULL as nil.
func (s *Staged) Rows() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if _, err := s.File(); err != nil {
			yield(nil, err)
			return
		}
		// A reader of its own, at its own offset: the writer's position is
		// untouched, so rows may still be added after a read.
		r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, math.MaxInt64), 256<<10)
		var fields []field
		for i := 0; i < s.n; i++ {
			var err error
			if fields, err = readRecord(r, fields[:0]); err != nil {
				yield(nil, errs.Wrap(err, errs.Internal, "read staging file of %s, row %d", s.table.Name, i))
				return
			}
			if len(fields) != len(s.cols) {
				yield(nil, errs.E(errs.Internal, "read staging file of %s, row %d: %d fields, want %d", s.table.Name, i, len(fields), len(s.cols)))
				return
			}
			row := make(Row, len(s.table.Columns))
			for k, v := range s.fixed {
				row[k] = v
			}
			for j, c := range s.cols {
				v, err := fieldValue(c, fields[j])
				if err != nil {
					yield(nil, errs.Wrap(err, errs.Internal, "read staging file of %s, row %d, column %s", s.table.Name, i, c.Name))
					return
				}
				row[c.Name] = v
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// sameValue reports whether a row's value is a fixed one (times by instant).
func sameValue(v, fixed any) bool {
	if t, ok := v.(time.Time); ok {
		ft, ok := fixed.(time.Time)
		return ok && t.Equal(ft)
	}
	return v == fixed
}

// stagedTimestamp is the layout of a TIMESTAMP value in a staging file.
const stagedTimestamp = "2006-01-02 15:04:05.000000000"

func appendValue(b []byte, c Column, v any) ([]byte, error) {
	switch c.Type {
	case String:
		if x, ok := v.(string); ok {
			return appendQuoted(b, x), nil
		}
	case Int64:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case int:
			return strconv.AppendInt(b, int64(x), 10), nil
		case int32:
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case Float64:
		switch x := v.(type) {
		case float64:
			return strconv.AppendFloat(b, x, 'g', -1, 64), nil
		case float32:
			return strconv.AppendFloat(b, float64(x), 'g', -1, 64), nil
		case int64:
			return strconv.AppendFloat(b, float64(x), 'g', -1, 64), nil
		case int:
			return strconv.AppendFloat(b, float64(x), 'g', -1, 64), nil
		}
	case Money:
		// Only Cents: a float is inexact and a bare integer ambiguous.
		if x, ok := v.(Cents); ok {
			return appendCents(b, int64(x)), nil
		}
	case Bool:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(b, x), nil
		}
	case Date:
		if x, ok := v.(time.Time); ok {
			return appendDate(b, x.UTC()), nil
		}
	case Timestamp:
		if x, ok := v.(time.Time); ok {
			return x.UTC().AppendFormat(b, stagedTimestamp), nil
		}
	default:
		return b, fmt.Errorf("column type %q is not loadable", c.Type)
	}
	return b, fmt.Errorf("%T is not a valid %s value", v, c.Type)
}

// appendCents writes cents as exact dollars, as Cents.String does
// (-1234 → -12.34), without its allocations.
func appendCents(b []byte, c int64) []byte {
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = -u // two's complement: exact for math.MinInt64 too
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u%100/10), byte('0'+u%10))
}

// appendDate writes YYYY-MM-DD (years 0-9999, as time.DateOnly) without
// parsing a layout per value.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// field is one field of a staging file's record.
type field struct {
	text   []byte
	quoted bool
}

// readRecord reads one record of a staging file (the writer's dialect only:
// quoted fields may hold commas, doubled quotes and line breaks).
func readRecord(r *bufio.Reader, out []field) ([]field, error) {
	for {
		var f field
		c, err := r.ReadByte()
		if err != nil {
			return out, io.ErrUnexpectedEOF
		}
		if c == '"' {
			f.quoted = true
			for {
				part, err := r.ReadSlice('"')
				if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
					return out, io.ErrUnexpectedEOF
				}
				if errors.Is(err, bufio.ErrBufferFull) {
					f.text = append(f.text, part...)
					continue
				}
				f.text = append(f.text, part[:len(part)-1]...)
				next, err := r.ReadByte()
				if err != nil {
					return out, io.ErrUnexpectedEOF
				}
				if next == '"' { // a doubled quote
					f.text = append(f.text, '"')
					continue
				}
				c = next
				break
			}
		} else {
			for c != ',' && c != '\n' {
				f.text = append(f.text, c)
				if c, err = r.ReadByte(); err != nil {
					return out, io.ErrUnexpectedEOF
				}
			}
		}
		out = append(out, f)
		switch c {
		case ',':
			continue
		case '\n':
			return out, nil
		default:
			return out, fmt.Errorf("unexpected %q after a quoted field", c)
		}
	}
}

func fieldValue(c Column, f field) (any, error) {
	if c.Type == String {
		if !f.quoted {
			if len(f.text) != 0 {
				return nil, fmt.Errorf("unquoted string %q", f.text)
			}
			return nil, nil
		}
		return string(f.text), nil
	}
	if len(f.text) == 0 {
		return nil, nil
	}
	s := string(f.text)
	switch c.Type {
	case Int64:
		return strconv.ParseInt(s, 10, 64)
	case Float64:
		return strconv.ParseFloat(s, 64)
	case Money:
		return parseCents(s)
	case Bool:
		return strconv.ParseBool(s)
	case Date:
		return time.Parse(time.DateOnly, s)
	case Timestamp:
		return time.Parse(stagedTimestamp, s)
	}
	return nil, fmt.Errorf("column type %q is not loadable", c.Type)
}

// parseCents reads what appendCents writes.
func parseCents(s string) (Cents, error) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) < 4 || s[len(s)-3] != '.' {
		return 0, fmt.Errorf("malformed amount %q", s)
	}
	whole, err := strconv.ParseUint(s[:len(s)-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed amount %q", s)
	}
	frac, err := strconv.ParseUint(s[len(s)-2:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed amount %q", s)
	}
	u := whole*100 + frac
	if neg {
		return Cents(-int64(u)), nil
	}
	return Cents(int64(u)), nil
}
