package prof

import (
	"fmt"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// The kernel's package path and the names this package gives kernel time.
const (
	kernelPkg = "github.com/gotoro/gotoro/kernel."
	// IdleFrame is the leaf pseudo-frame of a halted vCPU (the kernel's
	// idle loop executes "sti; hlt").
	IdleFrame = "kernel: idle (hlt)"
	// OfflineFrame is the only frame of a vCPU that is not in 64-bit mode:
	// an application processor still waiting at reset for the kernel to
	// start it.
	OfflineFrame = "kernel: vCPU not started"
	// FirmwareFrame is the frame of a vCPU running below 1 MiB: QEMU's
	// firmware, before the kernel's PVH entry.
	FirmwareFrame = "boot: firmware"
	// TrampolineFrame is the frame of a vCPU in the image's 32-bit PVH
	// trampoline, between the ELF headers and the Go text.
	TrampolineFrame = "boot: PVH trampoline"
	// EntryFrame is the leaf pseudo-frame of a sample taken in the kernel's
	// entry or exit assembly, where no frame chain exists yet.
	EntryFrame = "kernel: entry/exit path"
)

// firmwareEnd is where the image starts (bootabi.ImageBase); code below it
// is QEMU's firmware, or the reset vector of a vCPU not started yet.
const firmwareEnd = bootabi.ImageBase

// trapReturnSites are the assembly functions that call into Go kernel
// code with a trap frame (kernel/trap.go's trapFrame) right above the
// return address's slot and its one argument: the frame lies 16 bytes
// above the slot.
var trapReturnSites = []string{kernelPkg + "trapCommon", kernelPkg + "intrCommon"}

// entryPaths are the kernel's entry and exit assembly functions, in which
// a sample cannot be unwound.
var entryPaths = []string{
	kernelPkg + "syscallEntry", kernelPkg + "trapCommon", kernelPkg + "trapReturn",
	kernelPkg + "intrCommon", kernelPkg + "vectors", kernelPkg + "threadStart",
}

// Trap frame layout (kernel/trap.go, trapFrame): byte offsets of the
// fields the unwinder reads.
const (
	tfRBP    = 9 * 8
	tfRAX    = 15 * 8
	tfVector = 16 * 8
	tfRIP    = 18 * 8
	tfRSP    = 21 * 8
)

// Vectors of kernel entries (kernel/trap.go).
const (
	vecPageFault = 14
	vecTimer     = 32
	vecSyscall   = 256
	vecSyscallFX = 257
)

// syscallNames names the Linux system calls a Go program commonly makes.
var syscallNames = map[uint64]string{
	0: "read", 1: "write", 3: "close", 5: "fstat", 7: "poll", 8: "lseek",
	9: "mmap", 10: "mprotect", 11: "munmap", 13: "rt_sigaction",
	14: "rt_sigprocmask", 15: "rt_sigreturn", 24: "sched_yield",
	28: "madvise", 35: "nanosleep", 39: "getpid", 41: "socket", 42: "connect",
	43: "accept", 44: "sendto", 45: "recvfrom", 56: "clone", 60: "exit",
	72: "fcntl", 186: "gettid", 200: "tkill", 202: "futex",
	204: "sched_getaffinity", 217: "getdents64", 228: "clock_gettime",
	230: "clock_nanosleep", 231: "exit_group", 232: "epoll_wait",
	233: "epoll_ctl", 234: "tgkill", 257: "openat", 262: "newfstatat",
	281: "epoll_pwait", 288: "accept4", 290: "eventfd2", 291: "epoll_create1",
	293: "pipe2", 302: "prlimit64", 318: "getrandom",
}

// entryName names a kernel entry by its trap frame's vector and RAX
// (the system-call number while the call is served).
func entryName(vector, rax uint64) string {
	switch vector {
	case vecSyscall, vecSyscallFX:
		if n, ok := syscallNames[rax]; ok {
			return fmt.Sprintf("kernel: syscall %s (%d)", n, rax)
		}
		return fmt.Sprintf("kernel: syscall %d", rax)
	case vecTimer:
		return "kernel: timer interrupt"
	case vecPageFault:
		return "kernel: page fault"
	}
	if vector < 32 {
		return fmt.Sprintf("kernel: exception %d", vector)
	}
	return fmt.Sprintf("kernel: interrupt %d", vector)
}
