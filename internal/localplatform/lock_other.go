//go:build !unix

package localplatform

// lockDataDir does nothing where flock is not available: two platforms on
// one data directory are then not prevented.
func lockDataDir(string) (func(), error) { return func() {}, nil }
