//go:build unix && !linux

package firestoreemu

import (
	"os"
	"syscall"
)

// procAttr puts the emulator in its own process group, so Stop can kill it
// and anything it spawned. Unlike Linux, these systems cannot kill it when
// its parent dies: a process that exits without Stop leaves it running.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills p's whole process group.
func killGroup(p *os.Process) {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
