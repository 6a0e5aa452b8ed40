package localplatform

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errDataDirLocked says another process holds the data directory's lock.
var errDataDirLocked = errors.New("data directory is locked")

// lockFile is the lock that keeps one platform per data directory. The lock
// (not the file) is what counts: the kernel drops it when the process ends,
// however it ends, so a crash never leaves a stale lock behind.
const lockFile = "lock"

// dataDirError says what to do about a data directory that cannot be used.
func dataDirError(dir string, err error) error {
	if errors.Is(err, errDataDirLocked) {
		return fmt.Errorf("another rentroll dev is using %s: stop it or pass --data DIR", dir)
	}
	return fmt.Errorf("cannot lock the data directory %s: %w (pass --data DIR to use another)", dir, err)
}

// listenError says what to do about an address that cannot be served.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s is in use (another rentroll dev?): stop it or pass --addr 127.0.0.1:PORT", describeAddr(addr))
	case errors.Is(err, syscall.EACCES), errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s needs privileges this user lacks: pass --addr 127.0.0.1:PORT with a port above 1023", describeAddr(addr))
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot listen on %s: the address is not on this machine: pass --addr 127.0.0.1:PORT", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w (pass --addr 127.0.0.1:PORT)", addr, err)
}

// describeAddr names an address the way the advice reads: "port 8080".
func describeAddr(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return "port " + addr[i+1:]
		}
	}
	return addr
}
