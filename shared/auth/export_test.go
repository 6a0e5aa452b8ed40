package auth

import "time"

// SetNow replaces v's clock (claim validation and key freshness), so tests can
// move time without sleeping. Call it before v is used.
func SetNow(v *Verifier, now func() time.Time) { v.nowFunc = now }
