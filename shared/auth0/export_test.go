package auth0

import "time"

// SetNow replaces c's clock.
func SetNow(c *Client, now func() time.Time) { c.now = now }
