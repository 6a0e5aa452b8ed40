package billing

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/warehouse"
)

// Money is an amount in integer cents. Prices and amounts are never floats:
// a price times a unit count is an exact integer product, so the amount
// finance invoices is the amount that was computed. In JSON it is a number
// in dollars with two decimals (12.5 dollars is written 12.50), read back
// only when it has at most two decimals.
type Money int64

// maxMoney bounds any price or amount read from a request: ten billion
// dollars, far above any invoice and far below int64 overflow when
// multiplied by a unit count.
const maxMoney Money = 1_000_000_000_000

// String renders dollars with two decimals, e.g. 1250 → "12.50", -5 → "-0.05".
func (m Money) String() string { return warehouse.Cents(m).String() }

// Cents is m as the warehouse's Money column value.
func (m Money) Cents() warehouse.Cents { return warehouse.Cents(m) }

// MarshalJSON writes dollars with two decimals, from the integer.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number of dollars with at most two decimals,
// exactly: the text is parsed, never a float, so 0.29 is 29 cents.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseMoney reads a non-negative dollar amount with at most two decimals
// ("12", "12.5", "12.50") into cents.
func ParseMoney(s string) (Money, error) {
	bad := errs.E(errs.Invalid, "amount %q must be dollars with at most two decimals, e.g. 12.50", s)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 2)) {
		return 0, bad
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, bad
			}
		}
	}
	if len(whole) > 12 {
		return 0, errs.E(errs.Invalid, "amount %q is too large", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two checked digits
	v := Money(w*100 + f)
	if v > maxMoney {
		return 0, errs.E(errs.Invalid, "amount %q is too large", s)
	}
	return v, nil
}

// moneyOf reads a Money column value as the warehouse returns it (dollars,
// as a float64 or an exact decimal string) back into cents. Amounts stay far
// below 2^53 cents, where float64 holds every cent exactly.
func moneyOf(v any) (Money, bool) {
	switch n := v.(type) {
	case float64:
		return Money(math.Round(n * 100)), true
	case int64:
		return Money(n * 100), true
	case string:
		neg := strings.HasPrefix(n, "-")
		m, err := ParseMoney(strings.TrimPrefix(n, "-"))
		if err != nil {
			return 0, false
		}
		if neg {
			m = -m
		}
		return m, true
	}
	return 0, false
}
