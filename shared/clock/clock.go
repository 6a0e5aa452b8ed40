// Package clock is the platform's one clock type. Every service, handler
// and adapter that asks the time takes a Func (a field named Now), so that
// tests move time with clocktest.Clock (pass its Now method) instead of
// sleeping, and production leaves the field nil for the system clock.
package clock

import "time"

// Func returns the current time. A nil Func is the system clock; any
// func() time.Time (time.Now, clocktest.Clock.Now, a fixed instant) is one.
type Func func() time.Time

// Time is f's current time, or the system clock's when f is nil.
func (f Func) Time() time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}

// UTC is f's current time in UTC: what the platform records and compares.
func (f Func) UTC() time.Time { return f.Time().UTC() }
