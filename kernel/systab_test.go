package kernel

import (
	"testing"

	"github.com/gotoro/gotoro/internal/linuxabi"
)

func TestSysTable(t *testing.T) {
	for nr := range sysTable {
		e := &sysTable[nr]
		if e.fn != nil && e.frame != nil {
			t.Errorf("%s (%d) has both a handler and a frame handler", linuxabi.SyscallName(uint64(nr)), nr)
		}
		if e.flags != 0 && e.fn == nil && e.frame == nil {
			t.Errorf("system call %d has flags but no handler", nr)
		}
	}
	// What a statically linked Go program calls, and dies without
	// (/work/shared/DESIGN.md, "System calls a static Go 1.26 binary
	// makes").
	for _, nr := range []uint64{
		linuxabi.SysArchPrctl, linuxabi.SysSchedGetaffinity, linuxabi.SysOpenat,
		linuxabi.SysRead, linuxabi.SysWrite, linuxabi.SysClose, linuxabi.SysMmap,
		linuxabi.SysMunmap, linuxabi.SysMadvise, linuxabi.SysPrctl, linuxabi.SysFcntl,
		linuxabi.SysSigaltstack, linuxabi.SysRtSigprocmask, linuxabi.SysRtSigaction,
		linuxabi.SysRtSigreturn, linuxabi.SysClone, linuxabi.SysGettid, linuxabi.SysFutex,
		linuxabi.SysNanosleep, linuxabi.SysPrlimit64, linuxabi.SysExitGroup,
		linuxabi.SysEpollCreate1, linuxabi.SysEventfd2, linuxabi.SysEpollCtl,
		linuxabi.SysEpollPwait, linuxabi.SysTgkill, linuxabi.SysClockGettime,
	} {
		if e := &sysTable[nr]; e.fn == nil && e.frame == nil {
			t.Errorf("%s (%d) has no handler", linuxabi.SyscallName(nr), nr)
		}
	}
}
