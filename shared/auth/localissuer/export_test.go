package localissuer

import "time"

// SetNow replaces li's clock for minting.
func SetNow(li *Issuer, now func() time.Time) { li.now = now }
