//go:build !unix

package firestoreemu

import (
	"os"
	"syscall"
)

// procAttr has nothing to set where there are no process groups; the
// emulator is started as java directly, so killing it leaves no wrapper.
func procAttr() *syscall.SysProcAttr { return nil }

// killGroup kills p.
func killGroup(p *os.Process) {
	if p != nil {
		_ = p.Kill()
	}
}
