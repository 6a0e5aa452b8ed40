//go:build linux

package firestoreemu

import (
	"os"
	"syscall"
)

// procAttr puts the emulator in its own process group, so Stop can kill it
// and anything it spawned, and has the kernel kill it when the process that
// started it dies (a test binary that exits, a dev server that crashes), so
// no Java process is left behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills p's whole process group.
func killGroup(p *os.Process) {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
