// Package kernel is the gotoro guest kernel. An image is the user's Go
// program linked with this package (the builder adds the import) and with
// entry64 as its ELF entry point. The kernel boots the machine, then starts
// the unmodified Go runtime at _rt0_amd64_linux and serves the Linux system
// calls it makes.
package kernel

import "github.com/gotoro/gotoro/internal/bootabi"

const bootStackSize = 65536

var (
	startInfoPA uintptr // hvm_start_info, from EBX at entry
	bootBlockPA uintptr // boot block, from ESI at entry
	bootStack   [bootStackSize]byte
	bootKG      kernelG
	bootTLS     [2]uintptr
)

// kmain runs on the boot stack with interrupts off and never returns.
func kmain() {
	consoleInit()
	kprint("gotoro: kernel up\n")
	exitVM(0)
}

// exitVM stops the machine with the given guest exit status.
func exitVM(status int) {
	v := uint32(status)
	if status < 0 || status >= bootabi.ExitFault {
		kprint(bootabi.ExitMarker)
		kprintDec(uint64(status & 0xff))
		kprint("\n")
		v = bootabi.ExitHigh
	}
	outl(bootabi.DebugExitPort, v)
	for {
		hlt()
	}
}
