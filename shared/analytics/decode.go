package analytics

import (
	"encoding/json"
	"strconv"
	"strings"

	"rentroll.ai/rentroll/shared/errs"
)

// The API's clients (the CLI, tests) read answers back into these types;
// the text is parsed as a decimal, never through a float, so a client sees
// exactly the cents and ten-thousandths that were computed.

// UnmarshalJSON reads dollars with at most two decimals (null leaves m as
// it is, as encoding/json does for numbers).
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseFixed(string(b), 2)
	if err != nil {
		return err
	}
	*m = Money(v)
	return nil
}

// UnmarshalJSON reads a ratio with at most 4 decimals.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseFixed(string(b), 4)
	if err != nil {
		return err
	}
	*r = Ratio(v)
	return nil
}

// UnmarshalJSON reads "YYYY-MM".
func (m *Month) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errs.E(errs.Invalid, "month must be a string YYYY-MM")
	}
	v, err := ParseMonth(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// parseFixed reads a JSON number with at most places decimals as an integer
// count of 10^-places units: parseFixed("-12.5", 2) is -1250.
func parseFixed(s string, places int) (int64, error) {
	bad := errs.E(errs.Invalid, "%q is not a number with at most %d decimals", s, places)
	neg := strings.HasPrefix(s, "-")
	whole, frac, dot := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || (dot && frac == "") || len(frac) > places || len(whole) > 18-places {
		return 0, bad
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, bad
			}
		}
	}
	v, err := strconv.ParseInt(whole+frac+strings.Repeat("0", places-len(frac)), 10, 64)
	if err != nil {
		return 0, bad
	}
	if neg {
		v = -v
	}
	return v, nil
}
