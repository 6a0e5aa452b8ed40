package duckdb

import (
	"database/sql"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/civil"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// rewrite turns BigQuery-style SQL into DuckDB SQL and its bound arguments.
// Every @name outside string literals, quoted identifiers and comments
// becomes $name, bound with sql.Named; values are never spliced into the
// text. Two kinds of value need a typed placeholder because duckdb-go cannot
// bind them natively: warehouse.Cents is bound as its exact decimal string
// under CAST($name AS DECIMAL(18,2)), and civil.Date as "YYYY-MM-DD" under
// CAST($name AS DATE).
//
// Every parameter the SQL names must have a value: duckdb-go falls back to
// binding by position when a name is missing, which would silently bind the
// wrong value. Values the SQL does not name are ignored.
//
// A name that starts a dotted path and is also a DuckDB built-in catalog
// (system, temp) is qualified with catalog, so that system.users means the A5
// system dataset rather than an ambiguous reference.
func rewrite(query string, params map[string]any, catalog string) (string, []any, error) {
	var b strings.Builder
	b.Grow(len(query) + 16)
	used := map[string]bool{}
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := quoteEnd(query, i)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end
		case c == '@' && i+1 < len(query) && query[i+1] == '@':
			// @@name is a BigQuery system variable, not a parameter.
			j := i + 2
			for j < len(query) && isIdentPart(query[j]) {
				j++
			}
			b.WriteString(query[i:j])
			i = j
		case c == '@' && i+1 < len(query) && isIdentStart(query[i+1]):
			j := i + 1
			for j < len(query) && isIdentPart(query[j]) {
				j++
			}
			name := query[i+1 : j]
			v, ok := params[name]
			if !ok {
				return "", nil, errs.E(errs.Internal, "query parameter @%s has no value", name)
			}
			switch v.(type) {
			case warehouse.Cents:
				b.WriteString("CAST($" + name + " AS DECIMAL(18,2))")
			case civil.Date:
				b.WriteString("CAST($" + name + " AS DATE)")
			default:
				b.WriteString("$" + name)
			}
			used[name] = true
			i = j
		case isIdentStart(c) && (i == 0 || !isIdentPart(query[i-1]) && query[i-1] != '.' && query[i-1] != '$' && query[i-1] != '@'):
			j := i + 1
			for j < len(query) && isIdentPart(query[j]) {
				j++
			}
			word := query[i:j]
			if j < len(query) && query[j] == '.' && builtinCatalogs[strings.ToLower(word)] {
				b.WriteString(quote(catalog) + ".")
			}
			b.WriteString(word)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic argument order, for tests and logs
	args := make([]any, 0, len(names))
	for _, n := range names {
		v, err := paramValue(params[n])
		if err != nil {
			return "", nil, errs.Wrap(err, errs.Internal, "query parameter @%s", n)
		}
		args = append(args, sql.Named(n, v))
	}
	return b.String(), args, nil
}

// quoteEnd returns the index just past the quoted text that starts at i.
// A doubled quote character inside is an escaped quote (SQL standard); a
// backslash escapes the next character in BigQuery strings and is harmless to
// honour for DuckDB, whose strings cannot end in a lone backslash anyway.
func quoteEnd(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// builtinCatalogs are DuckDB's own catalogs, which a schema of the same name
// would be ambiguous with.
var builtinCatalogs = map[string]bool{"system": true, "temp": true}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// paramValue converts a parameter to a value duckdb-go binds.
func paramValue(v any) (any, error) {
	if n, ok, err := warehouse.Scalar(v); ok {
		return n, err
	}
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case warehouse.Cents:
		return x.String(), nil
	case civil.Date:
		if !x.IsValid() {
			return nil, errs.E(errs.Internal, "invalid date %v", x)
		}
		return x.String(), nil
	case time.Time:
		return x.UTC(), nil
	}
	return nil, errs.E(errs.Internal, "unsupported parameter type %T", v)
}
