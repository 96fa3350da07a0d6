package prof

import (
	"fmt"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/linuxabi"
)

// The kernel's package path and the names this package gives kernel time.
const (
	kernelPkg = "github.com/gotoro/gotoro/kernel."
	// kernelSubPkgs is the path prefix of the kernel's subsystem
	// packages (kernel/arch…), whose functions are kernel time too.
	kernelSubPkgs = "github.com/gotoro/gotoro/kernel/"
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

// Trap frame layout (bootabi, kernel/trap.go's trapFrame): byte offsets
// of the fields the unwinder reads, and the vectors it tells apart.
const (
	tfRBP    = bootabi.TrapFrameRBP
	tfRAX    = bootabi.TrapFrameRAX
	tfVector = bootabi.TrapFrameVector
	tfRIP    = bootabi.TrapFrameRIP
	tfRSP    = bootabi.TrapFrameRSP

	vecPageFault = bootabi.VecPageFault
	vecTimer     = bootabi.VecTimer
	vecSyscall   = bootabi.VecSyscall
	vecSyscallFX = bootabi.VecSyscallFX
)

// entryName names a kernel entry by its trap frame's vector and RAX
// (the system-call number while the call is served).
func entryName(vector, rax uint64) string {
	switch vector {
	case vecSyscall, vecSyscallFX:
		if n := linuxabi.SyscallName(rax); n != "" {
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
